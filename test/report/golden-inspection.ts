// Builds an Inspection from the reviewed golden Windows facts (fixtures/golden/windows), so
// report tests run without NTFS volumes. The golden files are a reviewer's view (see
// test/windows/golden.ts): services cut to the storage/network/tools ones, bindings to
// virtual-hardware vendors, devices with their first hardware id. Two repairs: device and
// binding ids are parsed again (the view drops bus/vendor/device), and `fileExists` is
// dropped because those facts came from a synthetic volume holding only disk.sys — on it every
// other driver "is missing", which says nothing about the real guest.

import { readFileSync } from 'node:fs';
import type { Inspection } from '../../src/inspect/inspect.js';
import { parseDeviceId } from '../../src/windows/device-id.js';
import type { WindowsFacts } from '../../src/windows/types.js';

export const GOLDEN_WINDOWS = ['win10-1709-x64-vmware', 'win10-x64-dell-dirty', 'win7-sp1-x86-vmware', 'winxp-sp3-x86-iecompatvhd'];

export function goldenInspection(id: string): Inspection {
  const raw = JSON.parse(readFileSync(new URL(`../../fixtures/golden/windows/${id}.json`, import.meta.url), 'utf8')) as { warnings: string[]; facts: Record<string, unknown> & { services: Array<Record<string, unknown>>; devices: Array<Record<string, unknown>>; driverBindings: Array<Record<string, unknown>> } };
  const { serviceCount: _a, servicesWithStartOverride: _b, driverBindingCount: _c, deviceCount: _d, services, devices, driverBindings, ...rest } = raw.facts;
  const facts = {
    ...rest,
    services: services.map(({ fileExists: _x, ...s }) => s),
    devices: devices.map(({ hardwareId, ...d }) => ({ ...parseDeviceId(d.id as string), ...d, hardwareIds: hardwareId === undefined ? [] : [hardwareId] })),
    driverBindings: driverBindings.map((b) => ({ ...parseDeviceId(b.id as string), ...b })),
  } as unknown as WindowsFacts;
  // The golden warnings are "CODE: message" strings; the Inspection carries them as diagnostics.
  const warnings = raw.warnings.map((w) => {
    const colon = w.indexOf(': ');
    return { severity: 'warning' as const, code: w.slice(0, colon), message: w.slice(colon + 2) };
  });
  return { schemaVersion: 1, volumes: [], operatingSystems: [{ type: 'windows', root: 'p1', facts }], warnings };
}
