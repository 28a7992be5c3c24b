// Damaged FAT volumes: every validator gets an input that must fail with a CorruptError naming
// the field or cluster and the byte offset (bad bytes/sector, sectors/cluster, FAT count, FAT
// size, truncated image, FAT chain loop, cluster out of range, chain shorter than the size,
// a looping directory chain) — never a crash or a hang; then a fuzz run over a small FAT16
// image (reader and writer) with test/helpers/fuzz.ts.

import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDirs } from '../../helpers/tools.js';
import { defaultIterations, fuzz } from '../../helpers/fuzz.js';
import { MemoryDevice } from '../../../src/io/index.js';
import { CorruptError } from '../../../src/errors.js';
import { decodeBootSector, openFat, openFatWritable, type FatFileSystem } from '../../../src/fs/fat/index.js';
import type { FileSystem } from '../../../src/fs/types.js';
import { bytesOf, makeFat, mtools, requireFatTools } from './fixtures.js';

const scratch = scratchDirs('rehost-fatd-');
let fat16: Uint8Array = new Uint8Array(0);
let fat32: Uint8Array = new Uint8Array(0);

beforeAll(() => {
  requireFatTools();
  const dir = scratch();
  for (const [spec, set] of [
    [{ fat: 16 as const, sizeKiB: 2400, sectorsPerCluster: 1 }, (b: Uint8Array) => (fat16 = b)],
    [{ fat: 32 as const, sizeKiB: 40960 }, (b: Uint8Array) => (fat32 = b)],
  ] as const) {
    const image = makeFat({ path: join(dir, `fat${spec.fat}.img`), spec });
    const host = join(dir, `data${spec.fat}`);
    writeFileSync(host, bytesOf('data', 5000));
    mtools('mmd', ['-i', image, '::/Dir', '::/Dir/Sub']);
    mtools('mcopy', ['-i', image, host, '::/Dir/file.bin']);
    mtools('mcopy', ['-i', image, host, '::/A long name.bin']);
    set(new Uint8Array(readFileSync(image)));
  }
});


async function corruptWith(base: Uint8Array, edit: (b: Uint8Array, view: DataView) => void): Promise<MemoryDevice> {
  const bytes = base.slice();
  edit(bytes, new DataView(bytes.buffer));
  return new MemoryDevice(bytes);
}

async function expectCorrupt(promise: Promise<unknown>, match: { message?: RegExp; offset?: number; field?: string }): Promise<CorruptError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CorruptError);
  const c = error as CorruptError;
  if (match.message) expect(c.message).toMatch(match.message);
  if (match.offset !== undefined) expect(c.detail.offset).toBe(match.offset);
  if (match.field !== undefined) expect(c.detail.field).toBe(match.field);
  return c;
}

describe('boot sector validators', () => {
  const cases: Array<{ name: string; edit: (b: Uint8Array, v: DataView) => void; field: string; offset: number }> = [
    { name: 'bytes per sector not a power of two', edit: (_b, v) => v.setUint16(11, 1000, true), field: 'BPB_BytsPerSec', offset: 11 },
    { name: 'bytes per sector 256', edit: (_b, v) => v.setUint16(11, 256, true), field: 'BPB_BytsPerSec', offset: 11 },
    { name: 'sectors per cluster 3', edit: (b) => (b[13] = 3), field: 'BPB_SecPerClus', offset: 13 },
    { name: 'sectors per cluster 0', edit: (b) => (b[13] = 0), field: 'BPB_SecPerClus', offset: 13 },
    { name: 'no reserved sectors', edit: (_b, v) => v.setUint16(14, 0, true), field: 'BPB_RsvdSecCnt', offset: 14 },
    { name: 'no FATs', edit: (b) => (b[16] = 0), field: 'BPB_NumFATs', offset: 16 },
    { name: 'bad media byte', edit: (b) => (b[21] = 0x12), field: 'BPB_Media', offset: 21 },
    { name: 'FAT too small for the clusters', edit: (_b, v) => v.setUint16(22, 2, true), field: 'BPB_FATSz16', offset: 22 },
    { name: 'missing 55 AA', edit: (b) => (b[510] = 0), field: 'Signature_word', offset: 510 },
    { name: 'bad jump', edit: (b) => (b[0] = 0), field: 'BS_jmpBoot', offset: 0 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const device = await corruptWith(fat16, c.edit);
      const error = await expectCorrupt(openFat(device), { field: c.field, offset: c.offset });
      expect(error.message).toContain(c.field);
    });
  }

  it('FAT32: root cluster out of range, FSVer, truncated image', async () => {
    await expectCorrupt(openFat(await corruptWith(fat32, (_b, v) => v.setUint32(44, 0x0fffffff, true))), { field: 'BPB_RootClus', offset: 44 });
    await expectCorrupt(openFat(await corruptWith(fat32, (_b, v) => v.setUint16(42, 0x0100, true))), { field: 'BPB_FSVer', offset: 42 });
    await expectCorrupt(openFat(new MemoryDevice(fat32.slice(0, fat32.length / 2))), { field: 'BPB_TotSec32', offset: 32, message: /truncated/ });
    await expectCorrupt(openFat(new MemoryDevice(fat16.slice(0, 300))), { message: /truncated/ });
  });

  it('the FAT type follows the cluster count, not BS_FilSysType', async () => {
    const g = decodeBootSector(
      fat16.slice().map((x, i) => (i >= 54 && i < 62 ? 0x41 : x)),
      fat16.length,
    );
    expect(g.type).toBe(16);
    expect(g.fileSystemType).toBe('AAAAAAAA');
  });
});

describe('FAT chain and directory validators', () => {
  async function where(device: MemoryDevice, path: string): Promise<{ fs: FatFileSystem; first: number }> {
    const fs = await openFat(device);
    return { fs, first: (await fs.stat(path)).extra?.firstCluster as number };
  }

  for (const [label, base] of [
    ['FAT16', () => fat16],
    ['FAT32', () => fat32],
  ] as const) {
    it(`${label}: a chain loop is named with its cluster and entry offset`, async () => {
      const device = new MemoryDevice(base().slice());
      const { fs, first } = await where(device, '/Dir/file.bin');
      const chain = await fs.fat.chain({ first, what: 'x' });
      expect(chain.length).toBeGreaterThan(2);
      await fs.fat.set(chain[2] as number, first);
      await fs.fat.flush(device);
      const fresh = await openFat(device);
      await expectCorrupt(fresh.readFile('/Dir/file.bin').then(() => fresh.fat.chain({ first, what: '/Dir/file.bin' })), { message: new RegExp(`loops back to cluster ${first}`), offset: fresh.fat.entryOffset(first) });
    });

    it(`${label}: a link outside the data area names the cluster`, async () => {
      const device = new MemoryDevice(base().slice());
      const { fs, first } = await where(device, '/Dir/file.bin');
      const bad = fs.geometry.clusterCount + 5;
      await fs.fat.set(first, bad);
      await fs.fat.flush(device);
      const fresh = await openFat(device);
      const error = await expectCorrupt(fresh.readFile('/Dir/file.bin'), { message: new RegExp(`broken at cluster ${first}`), offset: fresh.fat.entryOffset(first) });
      expect(error.detail.cluster).toBe(first);
    });

    it(`${label}: a chain shorter than the size`, async () => {
      const device = new MemoryDevice(base().slice());
      const { fs, first } = await where(device, '/Dir/file.bin');
      await fs.fat.set(first, fs.fat.endMark);
      await fs.fat.flush(device);
      await expectCorrupt((await openFat(device)).readFile('/Dir/file.bin'), { message: /has 1 clusters but its size of 5000 bytes needs/ });
    });

    it(`${label}: a directory entry pointing outside the data area`, async () => {
      const device = new MemoryDevice(base().slice());
      const fs = await openFat(device);
      const node = await fs.lookup('/Dir');
      if (node.kind !== 'entry') throw new Error('no entry');
      const at = fs.slotOffset(node.parent, node.entry.slot);
      new DataView(device.bytes.buffer).setUint16(at + 26, 0xfff0, true);
      new DataView(device.bytes.buffer).setUint16(at + 20, 0x0fff, true);
      await expectCorrupt((await openFat(device)).readdir('/Dir'), { message: /outside the data area/, offset: at });
    });
  }

  it('FAT32: a root directory chain that loops is an error, not a hang', async () => {
    const device = new MemoryDevice(fat32.slice());
    const ro = await openFat(device);
    const root = ro.geometry.rootCluster;
    await ro.fat.set(root, root);
    await ro.fat.flush(device);
    await expectCorrupt(openFat(device), { message: /loops back/ });
  });
});

async function walk(fs: FileSystem, dir: string, depth: number): Promise<number> {
  if (depth > 8) return 0;
  let n = 0;
  for (const e of await fs.readdir(dir)) {
    const path = `${dir === '/' ? '' : dir}/${e.name}`;
    if (e.type === 'directory') n += await walk(fs, path, depth + 1);
    else n += (await fs.readFile(path)).length;
  }
  return n;
}

describe('fuzz', () => {
  it('FAT16 image: reader and writer let only rehost errors escape', async () => {
    const report = await fuzz(
      {
        name: 'fat16',
        seeds: [fat16],
        async run(input) {
          const device = new MemoryDevice(input.slice());
          const fs = await openFat(device);
          await walk(fs, '/', 0);
          const w = await openFatWritable(device);
          await w.writeFile('/Dir/new file name.bin', bytesOf('fz', 3000));
          await w.mkdir('/Fuzz Dir');
          await w.flush();
        },
      },
      { iterations: defaultIterations(400), focus: 40_000, seed: 0xfa7 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
    expect(report.rehostErrors + report.succeeded).toBe(report.iterations);
    // Both outcomes occur: mutations that break the volume and ones that leave it usable.
    expect(report.rehostErrors).toBeGreaterThan(0);
    expect(report.succeeded).toBeGreaterThan(0);
    if (process.env.FAT_FUZZ_REPORT) console.log(JSON.stringify({ ...report, failures: report.failures.length }));
  });
});
