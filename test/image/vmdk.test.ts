// The VMDK reader against qemu: the pattern disk converted by qemu-img into every subformat
// it writes (monolithicSparse, streamOptimized, monolithicFlat, twoGbMaxExtentSparse and
// twoGbMaxExtentFlat over a 2.1 GiB sparse disk), a child made with qemu-img create -b and
// written with qemu-io, and the corpus images; each is read whole by rehost and compared by
// sha256 with `qemu-img convert -O raw`, and sparse ones by data map with `qemu-img map`.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { CORPUS, extractCorpus, requireTool, run, sha256Device, sha256File, tempDir } from '../helpers/tools.js';
import { writeImageFile } from '../../src/image/convert.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { openImage } from '../../src/image/open.js';
import { allocationOf } from '../../src/io/block-device.js';
import type { DiskImage } from '../../src/image/types.js';
import { UnsupportedError } from '../../src/errors.js';

let dir: string;
let pattern: string;
let big: string;
const BIG_SIZE = 2150 * MIB;

beforeAll(() => {
  requireTool('qemu-img');
  requireTool('qemu-io');
  dir = tempDir('rehost-vmdk-');
  pattern = join(dir, 'pattern.raw');
  writePatternDisk(pattern, { size: 24 * MIB + 512 });
  // Over 2 GiB, so the twoGbMaxExtent* subformats need two extents; data near both ends only.
  big = join(dir, 'big.raw');
  writePatternDisk(big, { size: BIG_SIZE, isHole: (i) => !(i < 2 || (i > 2040 && i < 2060) || i > 2147) });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function qemuRawSha(image: string): Promise<string> {
  const out = join(dir, `oracle-${Math.random().toString(36).slice(2)}.raw`);
  run('qemu-img', ['convert', '-O', 'raw', image, out]);
  try {
    return await sha256File(out);
  } finally {
    rmSync(out, { force: true });
  }
}

type Range = [number, number];

function merge(ranges: Range[]): Range[] {
  const out: Range[] = [];
  for (const [start, end] of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === start) last[1] = end;
    else out.push([start, end]);
  }
  return out;
}

function qemuDataRanges(image: string): Range[] {
  const entries = JSON.parse(run('qemu-img', ['map', '--output=json', image])) as Array<{ start: number; length: number; data: boolean }>;
  return merge(entries.filter((e) => e.data).map((e) => [e.start, e.start + e.length] as Range));
}

async function rehostDataRanges(image: DiskImage): Promise<Range[]> {
  const runs = await allocationOf(image.device);
  return merge(runs.filter((r) => r.kind === 'data').map((r) => [r.offset, r.offset + r.length] as Range));
}

function convert(source: string, name: string, subformat: string): string {
  const out = join(dir, name);
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', `subformat=${subformat}`, source, out]);
  return out;
}

/** What `qemu-img info` says about the top image, compared with rehost's details. */
function expectSameInfoAsQemu(path: string, image: DiskImage): void {
  const info = JSON.parse(run('qemu-img', ['info', '--output=json', path])) as {
    'virtual-size': number;
    'format-specific': { data: { cid: number; 'parent-cid': number; 'create-type': string; extents: Array<{ 'virtual-size': number; 'cluster-size'?: number }> } };
  };
  const data = info['format-specific'].data;
  expect(image.virtualSize).toBe(info['virtual-size']);
  expect(image.subformat).toBe(data['create-type']);
  expect(image.details).toMatchObject({ cid: data.cid, parentCid: data['parent-cid'] });
  const extents = image.details.extents as Array<{ virtualSize: number; grainSize?: number }>;
  expect(extents.map((e) => e.virtualSize)).toEqual(data.extents.map((e) => e['virtual-size']));
  expect(extents.map((e) => e.grainSize)).toEqual(data.extents.map((e) => e['cluster-size']));
}

async function expectSameAsQemu(path: string, options: { compareMap?: boolean } = {}): Promise<DiskImage> {
  const image = await openImage(path);
  try {
    expectSameInfoAsQemu(path, image);
    expect(await sha256Device(image.device)).toBe(await qemuRawSha(path));
    if (options.compareMap !== false) expect(await rehostDataRanges(image)).toEqual(qemuDataRanges(path));
    return image;
  } finally {
    await image.close();
  }
}

describe('VMDK images made by qemu-img from the pattern disk', () => {
  test('monolithicSparse', async () => {
    const image = await expectSameAsQemu(convert(pattern, 'ms.vmdk', 'monolithicSparse'));
    expect(image.subformat).toBe('monolithicSparse');
    expect(image.virtualSize).toBe(24 * MIB + 512);
    expect(image.details).toMatchObject({ grainSize: 65536, adapterType: 'ide', hardwareVersion: '4', version: 1 });
    expect(await qemuRawSha(join(dir, 'ms.vmdk'))).toBe(await sha256File(pattern));
  });

  test('streamOptimized (compressed grains with markers)', async () => {
    const image = await expectSameAsQemu(convert(pattern, 'so.vmdk', 'streamOptimized'));
    expect(image.subformat).toBe('streamOptimized');
    expect(image.details).toMatchObject({ sparseVersion: 3 });
    // Many small reads at once share the grain cache; each must still get its own bytes.
    const again = await openImage(join(dir, 'so.vmdk'));
    try {
      const whole = await again.device.read(0, again.device.size);
      const offsets = Array.from({ length: 200 }, (_, i) => ((i * 7919 * 4096) % (again.device.size - 8192)));
      const parts = await Promise.all(offsets.map((o) => again.device.read(o, 6000)));
      parts.forEach((part, i) => expect(Buffer.from(part).equals(Buffer.from(whole.subarray(offsets[i], (offsets[i] as number) + 6000)))).toBe(true));
    } finally {
      await again.close();
    }
  });

  test('monolithicFlat (descriptor + flat extent)', async () => {
    const path = convert(pattern, 'mf.vmdk', 'monolithicFlat');
    const image = await expectSameAsQemu(path, { compareMap: false });
    expect(image.subformat).toBe('monolithicFlat');
    expect(image.files).toEqual([path, join(dir, 'mf-flat.vmdk')]);
  });

  // Hashing 2.1 GiB three times is slow on a shared 2-core machine, so for the split formats
  // rehost's reading is written out as a sparse raw file and qemu-img compare (which reads both
  // sides and skips holes it can prove) judges it against the VMDK and against the source.
  async function expectSameAsQemuLarge(path: string, options: { compareMap: boolean }): Promise<DiskImage> {
    const image = await openImage(path);
    try {
      expectSameInfoAsQemu(path, image);
      const ours = join(dir, `ours-${Math.random().toString(36).slice(2)}.raw`);
      await writeImageFile({ source: image.device, outputPath: ours, format: 'raw' });
      run('qemu-img', ['compare', '-f', 'raw', '-F', 'vmdk', ours, path]);
      run('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', ours, big]);
      rmSync(ours, { force: true });
      if (options.compareMap) expect(await rehostDataRanges(image)).toEqual(qemuDataRanges(path));
      return image;
    } finally {
      await image.close();
    }
  }

  test('vmfs and vmfsThin descriptors (VMFS extents) and a descriptor mixing FLAT and ZERO extents', async () => {
    convert(pattern, 'esx.vmdk', 'monolithicFlat');
    const text = readFileSync(join(dir, 'esx.vmdk'), 'latin1').split('\0')[0] as string;
    const vmfsText = text.replace(/ FLAT (".*") 0$/m, ' VMFS $1');
    // ESXi writes VMFS extent lines without the offset field (and qemu insists on that).
    const vmfs = join(dir, 'vmfs.vmdk');
    writeFileSync(vmfs, vmfsText.replace('createType="monolithicFlat"', 'createType="vmfs"'));
    expect((await expectSameAsQemu(vmfs, { compareMap: false })).subformat).toBe('vmfs');
    // qemu-img 7.2 refuses createType vmfsThin; its extents are the same, so is its disk.
    const thin = join(dir, 'vmfsThin.vmdk');
    writeFileSync(thin, vmfsText.replace('createType="monolithicFlat"', 'createType="vmfsThin"'));
    const thinImage = await openImage(thin);
    expect(thinImage.subformat).toBe('vmfsThin');
    expect(await sha256Device(thinImage.device)).toBe(await qemuRawSha(vmfs));
    await thinImage.close();
    // 8 MiB of the flat file from its offset 4 MiB, then a 4 MiB ZERO extent. qemu-img 7.2
    // skips ZERO extent lines (it wants a file name on every line), so it sees only the first
    // 8 MiB; those are compared with qemu, the ZERO tail is checked directly.
    const mixed = join(dir, 'mixed.vmdk');
    writeFileSync(mixed, text.replace(/^RW \d+ FLAT "esx-flat.vmdk" 0$/m, 'RW 16384 FLAT "esx-flat.vmdk" 8192\nRW 8192 ZERO'));
    const image = await openImage(mixed);
    try {
      expect(image.virtualSize).toBe(12 * MIB);
      const oracle = join(dir, 'mixed.raw');
      run('qemu-img', ['convert', '-O', 'raw', mixed, oracle]);
      expect(Buffer.from(await image.device.read(0, 8 * MIB)).equals(readFileSync(oracle))).toBe(true);
      expect((await image.device.read(8 * MIB, 4 * MIB)).every((b) => b === 0)).toBe(true);
      expect(await image.device.allocation!(8 * MIB, 4 * MIB)).toEqual([{ offset: 8 * MIB, length: 4 * MIB, kind: 'zero' }]);
    } finally {
      await image.close();
    }
  });

  test('twoGbMaxExtentSparse over 2.1 GiB (two sparse extents)', async () => {
    const path = convert(big, 'split-sparse.vmdk', 'twoGbMaxExtentSparse');
    const image = await expectSameAsQemuLarge(path, { compareMap: true });
    expect(image.virtualSize).toBe(BIG_SIZE);
    expect((image.details.extents as unknown[]).length).toBe(2);
  });

  test('twoGbMaxExtentFlat over 2.1 GiB (two flat extents)', async () => {
    const path = convert(big, 'split-flat.vmdk', 'twoGbMaxExtentFlat');
    // A flat extent has no allocation map, so reading it whole means reading 2.1 GiB; compare
    // the regions with data and the extent boundary at 2 GiB against qemu-img dd instead.
    const image = await openImage(path);
    try {
      expectSameInfoAsQemu(path, image);
      expect(image.files.length).toBe(3);
      expect(image.virtualSize).toBe(BIG_SIZE);
      for (const [startMiB, countMiB] of [[0, 4], [2040, 20], [2146, 4]] as const) {
        const part = join(dir, `part-${startMiB}.raw`);
        // qemu-img 7.2's dd counts `count` from the start of the input, skipped blocks included.
        run('qemu-img', ['dd', '-f', 'vmdk', '-O', 'raw', 'bs=1M', `skip=${startMiB}`, `count=${startMiB + countMiB}`, `if=${path}`, `of=${part}`]);
        const ours = await image.device.read(startMiB * MIB, countMiB * MIB);
        expect(Buffer.from(ours).equals(readFileSync(part))).toBe(true);
        const source = Buffer.alloc(countMiB * MIB);
        const fd = openSync(big, 'r');
        readSync(fd, source, 0, source.length, startMiB * MIB);
        closeSync(fd);
        expect(Buffer.from(ours).equals(source)).toBe(true);
      }
    } finally {
      await image.close();
    }
  });

  test('a child made with qemu-img create -b and written with qemu-io reads through to its parent', async () => {
    const parent = convert(pattern, 'parent.vmdk', 'monolithicSparse');
    const child = join(dir, 'child.vmdk');
    run('qemu-img', ['create', '-f', 'vmdk', '-b', 'parent.vmdk', '-F', 'vmdk', child]);
    run('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0x42 1M 64k', '-c', 'write -P 0x43 2M 4k', child]);
    const log = new DiagnosticLog();
    const image = await openImage(child, { diagnostics: log });
    try {
      expect(image.backingFilename).toBe('parent.vmdk');
      expect(image.backing?.filename).toBe(parent);
      expectSameInfoAsQemu(child, image);
      expect(await sha256Device(image.device)).toBe(await qemuRawSha(child));
      expect(await rehostDataRanges(image)).toEqual(qemuDataRanges(child));
      const at1M = await image.device.read(MIB, 64 * 1024);
      expect(at1M.every((b) => b === 0x42)).toBe(true);
      expect(log.warnings()).toEqual([]);
    } finally {
      await image.close();
    }
  });

  test('Windows-style references: backslashes in extent names and an absolute drive path as parent hint', async () => {
    convert(pattern, 'winparent.vmdk', 'monolithicSparse');
    const child = join(dir, 'winchild.vmdk');
    run('qemu-img', ['create', '-f', 'vmdk', '-o', 'subformat=twoGbMaxExtentSparse', '-b', 'winparent.vmdk', '-F', 'vmdk', child]);
    run('qemu-io', ['-f', 'vmdk', '-c', 'write -P 0x61 3M 64k', child]);
    const expected = await qemuRawSha(child);
    mkdirSync(join(dir, 'sub'));
    renameSync(join(dir, 'winchild-s001.vmdk'), join(dir, 'sub', 'winchild-s001.vmdk'));
    const text = (readFileSync(child, 'latin1').split('\0')[0] as string)
      .replace('"winchild-s001.vmdk"', '"sub\\winchild-s001.vmdk"')
      .replace('parentFileNameHint="winparent.vmdk"', 'parentFileNameHint="C:\\Users\\me\\VMs\\winparent.vmdk"');
    expect(text).toContain('C:\\Users');
    writeFileSync(child, text);
    const image = await openImage(child);
    try {
      expect(await sha256Device(image.device)).toBe(expected);
      expect(image.backingFilename).toBe('C:\\Users\\me\\VMs\\winparent.vmdk');
    } finally {
      await image.close();
    }
  });

  test('zero grains (GTE 1, zeroed_grain=on) in a child hide the parent\'s data', async () => {
    convert(pattern, 'zparent.vmdk', 'monolithicSparse');
    const child = join(dir, 'zchild.vmdk');
    run('qemu-img', ['create', '-f', 'vmdk', '-o', 'zeroed_grain=on', '-b', 'zparent.vmdk', '-F', 'vmdk', child]);
    run('qemu-io', ['-f', 'vmdk', '-c', 'write -z 0 1M', '-c', 'write -P 0x17 4M 128k', child]);
    const image = await openImage(child);
    try {
      expect(await sha256Device(image.device)).toBe(await qemuRawSha(child));
      expect(await rehostDataRanges(image)).toEqual(qemuDataRanges(child));
      expect((await image.device.read(0, MIB)).every((b) => b === 0)).toBe(true);
      expect(await image.device.allocation!(0, MIB)).toEqual([{ offset: 0, length: MIB, kind: 'zero' }]);
      expect(image.details).toMatchObject({ sparseVersion: 2 });
    } finally {
      await image.close();
    }
  });

  test('a parent whose CID changed after the child was made gives a diagnostic', async () => {
    const parent = convert(pattern, 'p2.vmdk', 'monolithicFlat');
    const child = join(dir, 'c2.vmdk');
    run('qemu-img', ['create', '-f', 'vmdk', '-b', 'p2.vmdk', '-F', 'vmdk', child]);
    // Change the parent's CID as VMware does when the parent is written to after the snapshot.
    writeFileSync(parent, readFileSync(parent, 'latin1').replace(/^CID=[0-9a-f]+$/m, 'CID=12345678'), 'latin1');
    const log = new DiagnosticLog();
    const image = await openImage(child, { diagnostics: log });
    await image.close();
    expect(log.warnings().map((w) => w.code)).toContain('vmdk-parent-cid-mismatch');
  });
});

describe('VMDK corpus images', () => {
  for (const name of ['dfvfs-ext2.vmdk', 'dfvfs-image.vmdk']) {
    test(`${name} reads as qemu-img says`, async () => {
      const oracle = JSON.parse(readFileSync(join(CORPUS, 'oracle/images/vmdk', `${name}.raw.json`), 'utf8')) as { raw_sha256: string; raw_size: number };
      const info = JSON.parse(readFileSync(join(CORPUS, 'oracle/images/vmdk', `${name}.qemu-img-info.json`), 'utf8')) as {
        'cluster-size': number;
        'format-specific': { data: { cid: number; 'parent-cid': number; 'create-type': string } };
      };
      const image = await openImage(join(CORPUS, 'images/vmdk', name));
      try {
        expect(image.format).toBe('vmdk');
        expect(image.virtualSize).toBe(oracle.raw_size);
        expect(await sha256Device(image.device)).toBe(oracle.raw_sha256);
        expect(image.subformat).toBe(info['format-specific'].data['create-type']);
        expect(image.details).toMatchObject({
          cid: info['format-specific'].data.cid,
          parentCid: info['format-specific'].data['parent-cid'],
          grainSize: info['cluster-size'],
        });
      } finally {
        await image.close();
      }
    });
  }

  test('the bare seSparse extent is recognised and refused with its header fields', async () => {
    const path = extractCorpus('images/vmdk/dissect-sesparse.vmdk.gz', dir);
    const error = await openImage(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedError);
    const detail = (error as UnsupportedError).detail as { header: Record<string, unknown> };
    expect((error as Error).message).toMatch(/seSparse/);
    expect(detail.header).toMatchObject({ capacity: 0x100000, grainSize: 8, grainDirOffset: 0x1000, grainTablesOffset: 0x1800, grainsOffset: 0x3000 });
  });
});
