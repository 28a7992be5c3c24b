// checkInspection accepts real inspections (the four golden Windows ones, a Linux one) and
// rejects malformed ones with a CorruptError naming the place.

import { describe, expect, test } from 'vitest';
import { CorruptError } from '../../src/errors.js';
import { checkInspection } from '../../src/fingerprint/index.js';
import { goldenInspection, GOLDEN_WINDOWS } from '../report/golden-inspection.js';
import { inspectionOf, kernel, linuxFacts, linuxOs } from './builders.js';

describe('checkInspection', () => {
  test.each(GOLDEN_WINDOWS)('accepts %s', (id) => {
    const value = JSON.parse(JSON.stringify(goldenInspection(id)));
    expect(checkInspection(value)).toBe(value);
  });
  test('accepts a Linux inspection', () => {
    const value = JSON.parse(JSON.stringify(inspectionOf(linuxOs(linuxFacts({ kernels: [kernel('6.1.0', { ahci: 'initramfs' })] })))));
    expect(checkInspection(value)).toBe(value);
  });
  test('rejects wrong shapes with the JSON pointer', () => {
    const bad = JSON.parse(JSON.stringify(goldenInspection('win7-sp1-x86-vmware')));
    bad.operatingSystems[0].facts.services[1].name = 7;
    expect(() => checkInspection(bad)).toThrow(CorruptError);
    expect(() => checkInspection(bad)).toThrow(/\/operatingSystems\/0\/facts\/services\/1\/name/);
    expect(() => checkInspection({ schemaVersion: 1 })).toThrow(/volumes/);
    const linux = JSON.parse(JSON.stringify(inspectionOf(linuxOs(linuxFacts()))));
    delete linux.operatingSystems[0].facts.kernels;
    expect(() => checkInspection(linux)).toThrow(/kernels/);
  });
});
