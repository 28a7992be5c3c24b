// Fuzzing our LVM2 reader: mutated real PVs (the dfvfs LVM2 PV via qemu-img, and a PV with a
// striped + linear VG written by lvm2 into our scripted layout) and mutated metadata text.

import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { parseLvmText, readLvm, interpretMetadata } from '../../src/lvm/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { CORPUS, run, tempDir } from '../helpers/tools.js';

function pvSeed(): Uint8Array {
  const dir = tempDir('rehost-fuzz-lvm-');
  const raw = join(dir, 'lvm.raw');
  run('qemu-img', ['convert', '-O', 'raw', join(CORPUS, 'images/qcow2/dfvfs-lvm.qcow2'), raw]);
  return new Uint8Array(readFileSync(raw));
}

describe('fuzz lvm', () => {
  const pv = pvSeed();

  it('PV label, metadata area and LV mapping', async () => {
    const report = await fuzz(
      {
        name: 'lvm-pv',
        seeds: [pv],
        async run(input) {
          const groups = await readLvm([new MemoryDevice(input)]);
          for (const vg of groups) for (const lv of vg.lvs) if (lv.device && lv.device.size > 0) await lv.device.read(0, Math.min(4096, lv.device.size));
          return groups.length;
        },
      },
      { iterations: defaultIterations(200), focus: 8192 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
  });

  it('metadata text parser and interpreter', async () => {
    const groups = await readLvm([new MemoryDevice(pv)]);
    const text = new TextEncoder().encode(groups[0]?.metadata ?? '');
    const report = await fuzz(
      {
        name: 'lvm-text',
        seeds: [text],
        async run(input) {
          return interpretMetadata(parseLvmText(new TextDecoder().decode(input)));
        },
      },
      { iterations: defaultIterations(600) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
  });
});
