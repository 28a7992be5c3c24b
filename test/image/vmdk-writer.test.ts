// The VMDK writer against qemu: the pattern disk written by rehost as monolithicSparse and
// streamOptimized must pass `qemu-img check`, read back through `qemu-img convert -O raw` to
// the source's sha256, show the layout qemu-img info reports for that subformat, and read back
// through rehost's own reader with holes left unallocated.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { requireTool, run, sha256Device, sha256File, tempDir } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';
import { openImage } from '../../src/image/open.js';
import { writeImageFile } from '../../src/image/convert.js';
import { allocationOf } from '../../src/io/block-device.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { vmdkWriter } from '../../src/image/vmdk/index.js';
import { UnsupportedError } from '../../src/errors.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import type { AllocationRun, BlockDevice } from '../../src/io/block-device.js';

let dir: string;
let pattern: string;
let patternSha: string;
const SIZE = 40 * MIB + 512;

beforeAll(async () => {
  requireTool('qemu-img');
  dir = tempDir('rehost-vmdk-writer-');
  pattern = join(dir, 'pattern.raw');
  writePatternDisk(pattern, { size: SIZE });
  patternSha = await sha256File(pattern);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function qemuRawSha(image: string): Promise<string> {
  const out = join(dir, `oracle-${Math.random().toString(36).slice(2)}.raw`);
  run('qemu-img', ['convert', '-f', 'vmdk', '-O', 'raw', image, out]);
  try {
    return await sha256File(out);
  } finally {
    rmSync(out, { force: true });
  }
}

async function writeVmdk(name: string, subformat: string): Promise<string> {
  const out = join(dir, name);
  const source = await openImage(pattern, { format: 'raw' });
  try {
    await writeImageFile({ source: source.device, outputPath: out, format: 'vmdk', subformat });
  } finally {
    await source.close();
  }
  return out;
}

describe('vmdkWriter', () => {
  for (const subformat of ['monolithicSparse', 'streamOptimized']) {
    test(`${subformat}: qemu-img check is clean and the disk reads back as the source`, async () => {
      const path = await writeVmdk(`${subformat}.vmdk`, subformat);
      const check = JSON.parse(run('qemu-img', ['check', '--output=json', '-f', 'vmdk', path])) as Record<string, unknown>;
      expect(check).toMatchObject({ 'check-errors': 0 });
      expect(check.corruptions ?? 0).toBe(0);
      expect(check.leaks ?? 0).toBe(0);
      expect(await qemuRawSha(path)).toBe(patternSha);

      const info = JSON.parse(run('qemu-img', ['info', '--output=json', '-f', 'vmdk', path])) as {
        'virtual-size': number;
        'cluster-size': number;
        'format-specific': { data: { 'create-type': string; extents: Array<{ compressed?: boolean; filename: string }> } };
      };
      expect(info['virtual-size']).toBe(SIZE);
      expect(info['cluster-size']).toBe(65536);
      expect(info['format-specific'].data['create-type']).toBe(subformat);
      expect(info['format-specific'].data.extents[0]?.compressed ?? false).toBe(subformat === 'streamOptimized');

      const image = await openImage(path);
      try {
        expect(image.subformat).toBe(subformat);
        expect(await sha256Device(image.device)).toBe(patternSha);
        // Holes in the pattern (every MiB i with i % 4 === 2) stay unallocated.
        const runs = await allocationOf(image.device, 2 * MIB, MIB);
        expect(runs).toEqual([{ offset: 2 * MIB, length: MIB, kind: 'zero' }]);
        const text = readFileSync(path).subarray(512, 512 * 21).toString('latin1');
        expect(text).toContain(`RW ${Math.ceil(SIZE / 512)} SPARSE "${subformat}.vmdk"`);
      } finally {
        await image.close();
      }
    });
  }

  test('streamOptimized has the layout OVA imports expect: version 3, compressed + markers, footer, EOS', async () => {
    const path = await writeVmdk('layout.vmdk', 'streamOptimized');
    const bytes = readFileSync(path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('KDMV');
    expect(view.getUint32(4, true)).toBe(3);
    expect(view.getUint32(8, true)).toBe(0x30001);
    expect(view.getBigUint64(0x38, true)).toBe(0xffffffffffffffffn);
    const end = bytes.length;
    // footer marker, footer header, end-of-stream marker
    expect(view.getUint32(end - 1536 + 12, true)).toBe(3);
    expect(bytes.subarray(end - 1024, end - 1020).toString('latin1')).toBe('KDMV');
    expect(bytes.subarray(end - 512).every((b) => b === 0)).toBe(true);
    expect(statSync(path).size % 512).toBe(0);
    // Compressed: the pattern's MiBs of one repeated byte shrink to a small fraction.
    expect(statSync(path).size).toBeLessThan(SIZE / 20);
  });

  test('an all-zero disk is written without grains', async () => {
    const source = new MemoryDevice(new Uint8Array(8 * MIB));
    const out = join(dir, 'zero.vmdk');
    await writeImageFile({ source, outputPath: out, format: 'vmdk' });
    expect(statSync(out).size).toBeLessThanOrEqual(64 * 1024);
    expect(JSON.parse(run('qemu-img', ['check', '--output=json', out]))).toMatchObject({ 'check-errors': 0 });
    expect(JSON.parse(run('qemu-img', ['map', '--output=json', out])).filter((e: { data: boolean }) => e.data)).toEqual([]);
  });

  test('an unknown subformat, a streamOptimized child and a non-VMDK parent are refused', async () => {
    const source = new MemoryDevice(new Uint8Array(MIB));
    const output = new MemoryDevice(new Uint8Array(4 * MIB));
    await expect(vmdkWriter.write({ source, output, subformat: 'monolithicFlat' })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(vmdkWriter.write({ source, output, subformat: 'streamOptimized', backing: { filename: 'p.vmdk', format: 'vmdk' } })).rejects.toBeInstanceOf(UnsupportedError);
    await expect(vmdkWriter.write({ source, output, backing: { filename: 'p.qcow2', format: 'qcow2' } })).rejects.toBeInstanceOf(UnsupportedError);
  });

  test('a child of a VMDK parent: only the source\'s data runs are stored, zeros hide the parent', async () => {
    const parentPath = join(dir, 'parent.vmdk');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', pattern, parentPath]);
    const parent = await openImage(parentPath);
    // The delta: 100 KiB of 0x77 at 1 MiB (not grain-aligned) and 64 KiB of zeros at 4 MiB,
    // where the parent has data. Everything else is not part of the delta.
    const delta: Array<{ offset: number; data: Uint8Array }> = [
      { offset: MIB, data: new Uint8Array(100 * 1024).fill(0x77) },
      { offset: 4 * MIB, data: new Uint8Array(64 * 1024) },
    ];
    const source: BlockDevice = {
      size: parent.device.size,
      async read(offset, length) {
        const out = await parent.device.read(offset, length);
        for (const d of delta) {
          const from = Math.max(offset, d.offset);
          const to = Math.min(offset + length, d.offset + d.data.length);
          if (from < to) out.set(d.data.subarray(from - d.offset, to - d.offset), from - offset);
        }
        return out;
      },
      async allocation(offset, length) {
        const runs: AllocationRun[] = [];
        let pos = offset;
        for (const d of delta) {
          if (d.offset > pos) runs.push({ offset: pos, length: d.offset - pos, kind: 'zero' });
          runs.push({ offset: d.offset, length: d.data.length, kind: 'data' });
          pos = d.offset + d.data.length;
        }
        runs.push({ offset: pos, length: offset + length - pos, kind: 'zero' });
        return runs;
      },
    };
    const childPath = join(dir, 'child.vmdk');
    await writeImageFile({ source, outputPath: childPath, format: 'vmdk', backing: { filename: 'parent.vmdk', format: 'vmdk' } });
    const expected = await sha256Device(source);
    const parentCid = parent.details.cid;
    await parent.close();

    expect(JSON.parse(run('qemu-img', ['check', '--output=json', childPath]))).toMatchObject({ 'check-errors': 0 });
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', childPath])) as { 'backing-filename': string; 'format-specific': { data: { 'parent-cid': number } } };
    expect(info['backing-filename']).toBe('parent.vmdk');
    expect(info['format-specific'].data['parent-cid']).toBe(parentCid);
    expect(await qemuRawSha(childPath)).toBe(expected);
    // Two grains of 0x77 data (1 MiB .. 1 MiB + 128 KiB) are stored; the zero grain is not.
    expect(statSync(childPath).size).toBe(Number(readFileSync(childPath).readBigUInt64LE(0x40)) * 512 + 2 * 65536);

    const log = new DiagnosticLog();
    const child = await openImage(childPath, { diagnostics: log });
    try {
      expect(await sha256Device(child.device)).toBe(expected);
      expect(child.backingFilename).toBe('parent.vmdk');
      expect(log.warnings()).toEqual([]);
      expect((await child.device.read(4 * MIB, 65536)).every((b) => b === 0)).toBe(true);
    } finally {
      await child.close();
    }
  });
});
