// Inputs the qcow2 in-place writer must refuse before planning a single write (images made by
// qemu-img, some bits then set by hand), the refcount entry codec against every width, and the
// refcount layout fixed point.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { requireTool, run, scratchDirs } from '../helpers/tools.js';
import { planQcow2InPlace, refcountLayout } from '../../src/image/qcow2/in-place.js';
import { getRefcount, maxRefcount, setRefcount } from '../../src/image/qcow2/in-place-refcounts.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { ZeroDevice } from '../../src/io/zero-device.js';
import { CorruptError, UnsafeStateError, UnsupportedError } from '../../src/errors.js';
import { readHeader } from '../../src/image/qcow2/format.js';

const newDir = scratchDirs('rehost-qcow2-inplace-checks-');
let dir: string;
const SIZE = 4 * 1024 * 1024;

beforeAll(() => {
  for (const tool of ['qemu-img', 'qemu-io']) requireTool(tool);
  dir = newDir();
});

/** A 4 MiB qcow2 with data in its first 256 KiB. */
function image(name: string, options = 'compat=1.1,cluster_size=65536'): string {
  const path = join(dir, `${name}.qcow2`);
  run('qemu-img', ['create', '-f', 'qcow2', '-o', options, path, String(SIZE)]);
  run('qemu-io', ['-c', 'write -P 0x33 0 262144', path]);
  return path;
}

async function plan(path: string, bytes?: Uint8Array): Promise<unknown> {
  const file = new MemoryDevice(bytes ?? new Uint8Array(readFileSync(path)));
  return planQcow2InPlace({ file, guest: new ZeroDevice(SIZE), changed: [{ offset: 0, length: 4096 }, { offset: 3 * 1024 * 1024, length: 512 }] });
}

/** Sets bits in the big-endian u64 at `at`. */
function orU64(args: { bytes: Uint8Array; at: number; bits: bigint }): Uint8Array {
  const { bytes, at, bits } = args;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setBigUint64(at, view.getBigUint64(at) | bits);
  return bytes;
}

describe('refusals', () => {
  test('a clean image plans (the baseline the refusals differ from)', async () => {
    const plain = image('plain');
    await expect(plan(plain)).resolves.toBeTruthy();
    // Lazy refcounts are fine while the image is clean.
    await expect(plan(image('lazy', 'compat=1.1,lazy_refcounts=on'))).resolves.toBeTruthy();
  });

  test('dirty and corrupt bits (lazy refcounts left dirty too): UnsafeStateError', async () => {
    const bytes = new Uint8Array(readFileSync(image('dirty')));
    await expect(plan('', orU64({ bytes: bytes.slice(), at: 0x48, bits: 1n }))).rejects.toThrow(UnsafeStateError);
    await expect(plan('', orU64({ bytes: bytes.slice(), at: 0x48, bits: 1n }))).rejects.toThrow(/dirty/);
    await expect(plan('', orU64({ bytes: bytes.slice(), at: 0x48, bits: 2n }))).rejects.toThrow(/corrupt/);
    const lazy = new Uint8Array(readFileSync(image('lazy-dirty', 'compat=1.1,lazy_refcounts=on')));
    await expect(plan('', orU64({ bytes: lazy, at: 0x48, bits: 1n }))).rejects.toThrow(/lazy refcounts/);
  });

  test('unknown incompatible features, internal snapshots, bitmaps, external data file, encryption: UnsupportedError', async () => {
    const bytes = new Uint8Array(readFileSync(image('unknown')));
    await expect(plan('', orU64({ bytes: bytes, at: 0x48, bits: 1n << 20n }))).rejects.toThrow(UnsupportedError);

    const snap = image('snap');
    run('qemu-img', ['snapshot', '-c', 'before', snap]);
    await expect(plan(snap)).rejects.toThrow(/internal snapshot/);

    const bitmap = image('bitmap');
    run('qemu-img', ['bitmap', '--add', bitmap, 'dirty0']);
    await expect(plan(bitmap)).rejects.toThrow(/bitmaps/);

    const external = join(dir, 'external.qcow2');
    run('qemu-img', ['create', '-f', 'qcow2', '-o', `data_file=${join(dir, 'external.data')}`, external, String(SIZE)]);
    await expect(plan(external)).rejects.toThrow(/external data file/);

    // crypt_method 1 (AES) and 2 (LUKS) set by hand: creating a real LUKS image costs seconds.
    for (const method of [1, 2]) {
      const encrypted = new Uint8Array(readFileSync(image('encrypted')));
      new DataView(encrypted.buffer).setUint32(0x20, method);
      await expect(plan('', encrypted)).rejects.toThrow(UnsupportedError);
      await expect(plan('', encrypted)).rejects.toThrow(/encrypt/);
    }
  });

  test('a shared data cluster (refcount 2) is refused; refcount 0 and bad offsets are corrupt', async () => {
    const path = image('shared', 'compat=1.1,cluster_size=65536');
    const original = new Uint8Array(readFileSync(path));
    const { header } = await readHeader(new MemoryDevice(original));
    const view = new DataView(original.buffer);
    const l2 = Number(view.getBigUint64(header.l1TableOffset) & 0x00fffffffffffe00n);
    const host = Number(view.getBigUint64(l2) & 0x00fffffffffffe00n);
    const block = Number(view.getBigUint64(header.refcountTableOffset));
    const refcountAt = block + (host / 65536) * 2;

    const shared = original.slice();
    new DataView(shared.buffer).setUint16(refcountAt, 2);
    await expect(plan('', shared)).rejects.toThrow(UnsupportedError);
    await expect(plan('', shared)).rejects.toThrow(/shared/);

    const unreferenced = original.slice();
    new DataView(unreferenced.buffer).setUint16(refcountAt, 0);
    await expect(plan('', unreferenced)).rejects.toThrow(CorruptError);

    const reserved = original.slice();
    orU64({ bytes: reserved, at: l2, bits: 1n << 60n });
    await expect(plan('', reserved)).rejects.toThrow(/reserved bits/);

    const beyond = original.slice();
    new DataView(beyond.buffer).setBigUint64(l2, (1n << 63n) | BigInt(original.length + 65536 * 16));
    await expect(plan('', beyond)).rejects.toThrow(CorruptError);

    const table = original.slice();
    new DataView(table.buffer).setBigUint64(0x30, BigInt(original.length + 65536));
    await expect(plan('', table)).rejects.toThrow(/refcount table/);

    const block0 = original.slice();
    new DataView(block0.buffer).setBigUint64(header.refcountTableOffset, 12345n);
    await expect(plan('', block0)).rejects.toThrow(/reserved bits|unaligned/);

  });

  test('changed ranges outside the guest disk and a guest of the wrong size are refused', async () => {
    const file = new MemoryDevice(new Uint8Array(readFileSync(image('ranges'))));
    await expect(planQcow2InPlace({ file, guest: new ZeroDevice(SIZE), changed: [{ offset: SIZE - 10, length: 20 }] })).rejects.toThrow(/outside the guest disk/);
    await expect(planQcow2InPlace({ file, guest: new ZeroDevice(SIZE / 2), changed: [] })).rejects.toThrow(/virtual size/);
  });
});

describe('refcount entries', () => {
  test('every width round-trips and packs as qemu does (sub-byte widths from the low bit; big-endian above)', () => {
    for (let order = 0; order <= 6; order++) {
      const block = new Uint8Array(512);
      const perBlock = (512 * 8) / 2 ** order;
      const max = maxRefcount(order);
      for (let i = 0; i < perBlock; i++) setRefcount({ block, index: i, order, value: (i * 7919) % (Math.min(max, 65536) + 1) });
      for (let i = 0; i < perBlock; i++) expect(getRefcount({ block, index: i, order })).toBe((i * 7919) % (Math.min(max, 65536) + 1));
    }
    const one = new Uint8Array(2);
    setRefcount({ block: one, index: 1, order: 0, value: 1 });
    expect(one[0]).toBe(0b10);
    const four = new Uint8Array(2);
    setRefcount({ block: four, index: 1, order: 2, value: 0xa });
    expect(four[0]).toBe(0xa0);
    const sixteen = new Uint8Array(4);
    setRefcount({ block: sixteen, index: 1, order: 4, value: 0x1234 });
    expect([...sixteen]).toEqual([0, 0, 0x12, 0x34]);
    expect(maxRefcount(0)).toBe(1);
    expect(maxRefcount(4)).toBe(65535);
  });

  test('a 64-bit refcount above 2^53 is corrupt, not rounded', () => {
    const block = new Uint8Array(8).fill(0xff);
    expect(() => getRefcount({ block, index: 0, order: 6 })).toThrow(CorruptError);
  });
});

describe('refcount layout', () => {
  const model = (blocks: number[], perBlock: number): { hasBlock: (i: number) => boolean; perBlock: number } => ({ hasBlock: (i) => blocks.includes(i), perBlock });

  test('appending inside covered space needs nothing; past it, blocks that cover themselves', () => {
    expect(refcountLayout({ refcounts: model([0], 100), start: 10, appended: 5, tableEntries: 64, clusterSize: 512 })).toEqual({ blocks: [], tableClusters: 0, tableEntries: 0 });
    // 98..102 crosses into block 1, which itself lands at 103 (inside block 1).
    expect(refcountLayout({ refcounts: model([0], 100), start: 98, appended: 5, tableEntries: 64, clusterSize: 512 })).toEqual({ blocks: [1], tableClusters: 0, tableEntries: 0 });
  });

  test('a full table grows (by half, at least to cover the new blocks), and its clusters are covered too', () => {
    // 2 entries, both used; appending past block 1 needs block 2, which needs a bigger table.
    const layout = refcountLayout({ refcounts: model([0, 1], 4), start: 7, appended: 3, tableEntries: 2, clusterSize: 512 });
    expect(layout.tableClusters).toBe(1);
    expect(layout.tableEntries).toBe(64);
    // 7 + 3 data + blocks + 1 table cluster: all covered by the blocks chosen.
    const end = 7 + 3 + layout.blocks.length + layout.tableClusters;
    for (let index = 2; index <= Math.floor((end - 1) / 4); index++) expect(layout.blocks).toContain(index);
  });

  test('a table that would pass qemu\'s 8 MiB limit is refused', () => {
    const entries = (8 * 1024 * 1024) / 8;
    expect(() => refcountLayout({ refcounts: model([], 1), start: entries - 1, appended: 4, tableEntries: entries, clusterSize: 512 })).toThrow(UnsupportedError);
  });
});
