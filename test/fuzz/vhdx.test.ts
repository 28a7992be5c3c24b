// Fuzzing the VHDX reader: mutated headers, region tables, metadata items, parent locators,
// BAT entries, sector bitmaps and log entries. Seeds are small qemu-img images (1 MiB blocks),
// one with a dirty log (the header names the log of qemu's last metadata update and the BAT
// copy in place is wiped, so opening must replay), and one patched into a differencing disk
// with a parent locator and a partially present block; its parent is a stand-in zero disk.
// Mutations concentrate on the first 4 MiB, where all the metadata lives.

import { beforeAll, expect, test } from 'vitest';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { requireTool, run, tempDir } from '../helpers/tools.js';
import { MIB } from '../helpers/pattern.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { ignoreDiagnostics } from '../../src/diagnostics.js';
import { NotFoundError } from '../../src/errors.js';
import { MemoryDevice, ZeroDevice, allocationOf } from '../../src/io/index.js';
import { HEADER_OFFSETS, vhdxChecksum, vhdxFormat } from '../../src/image/vhdx/index.js';
import type { OpenContext } from '../../src/image/types.js';

const seeds: Uint8Array[] = [];

function regionOffset(bytes: Uint8Array, guidPrefix: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const count = view.getUint32(192 * 1024 + 8, true);
  for (let i = 0; i < count; i++) {
    const e = 192 * 1024 + 16 + i * 32;
    if (view.getUint32(e, true) === guidPrefix) return Number(view.getBigUint64(e + 16, true));
  }
  throw new Error('region not found');
}

function fixHeaders(bytes: Uint8Array, patch: (header: Uint8Array) => void): void {
  for (const at of HEADER_OFFSETS) {
    const header = bytes.subarray(at, at + 4096);
    patch(header);
    new DataView(header.buffer, header.byteOffset).setUint32(4, vhdxChecksum(header, 4), true);
  }
}

/** Turns a small dynamic VHDX into a differencing one: HasParent, a parent locator, a bitmap. */
function makeDifferencing(source: Uint8Array): Uint8Array {
  const bytes = source.slice();
  const view = new DataView(bytes.buffer);
  const metadata = regionOffset(bytes, 0x8b7ca206);
  const count = view.getUint16(metadata + 10, true);
  for (let i = 0; i < count; i++) {
    const e = metadata + 32 + i * 32;
    if (view.getUint32(e, true) === 0xcaa16737) view.setUint32(metadata + view.getUint32(e + 16, true) + 4, 2, true);
  }
  // Parent locator item at metadata + 192 KiB.
  const item = new Uint8Array(512);
  const iv = new DataView(item.buffer);
  item.set([0xb7, 0xef, 0x4a, 0xb0, 0x9e, 0xd1, 0x81, 0x4a, 0xb7, 0x89, 0x25, 0xb8, 0xe9, 0x44, 0x59, 0x13], 0);
  const pairs = [['parent_linkage', '{00000000-0000-0000-0000-000000000001}'], ['relative_path', '.\\parent.vhdx']];
  iv.setUint16(18, pairs.length, true);
  let text = 20 + pairs.length * 12;
  pairs.forEach(([key, value], i) => {
    const k = Buffer.from(key!, 'utf16le');
    const v = Buffer.from(value!, 'utf16le');
    iv.setUint32(20 + i * 12, text, true);
    item.set(k, text);
    text += k.length;
    iv.setUint32(24 + i * 12, text, true);
    item.set(v, text);
    text += v.length;
    iv.setUint16(28 + i * 12, k.length, true);
    iv.setUint16(30 + i * 12, v.length, true);
  });
  bytes.set(item, metadata + 192 * 1024);
  const e = metadata + 32 + count * 32;
  bytes.set([0x2d, 0x5f, 0xd3, 0xa8, 0x0b, 0xb3, 0x4d, 0x45, 0xab, 0xf7, 0xd3, 0xd8, 0x48, 0x34, 0xab, 0x0c], e);
  view.setUint32(e + 16, 192 * 1024, true);
  view.setUint32(e + 20, text, true);
  view.setUint32(e + 24, 4, true);
  view.setUint16(metadata + 10, count + 1, true);
  // Block 0 partially present; the chunk's sector bitmap (entry chunkRatio = 4096 for 1 MiB
  // blocks) placed in the log area, whose first sectors get a few bits set.
  const bat = regionOffset(bytes, 0x2dc27766);
  const first = view.getBigUint64(bat, true);
  view.setBigUint64(bat, (first & ~7n) | 7n, true);
  view.setBigUint64(bat + 4096 * 8, (1n << 20n) | 6n, true);
  bytes.fill(0, MIB, 2 * MIB);
  bytes[MIB] = 0b10110001;
  bytes[MIB + 5] = 0xff;
  return bytes;
}

beforeAll(() => {
  requireTool('qemu-img');
  requireTool('qemu-io');
  const dir = tempDir('rehost-vhdxf-');
  try {
    const plain = join(dir, 'plain.vhdx');
    run('qemu-img', ['create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', plain, '4M']);
    run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x11 0 1M', '-c', 'write -P 0x22 2M 512k', plain]);
    seeds.push(new Uint8Array(readFileSync(plain)));
    seeds.push(makeDifferencing(new Uint8Array(readFileSync(plain))));
    const dirty = join(dir, 'dirty.vhdx');
    run('qemu-img', ['create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', dirty, '4M']);
    try {
      run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x33 0 1M', '-c', 'write -P 0x44 3M 4k', '-c', 'abort', dirty]);
    } catch {
      // abort() ends qemu-io by design
    }
    const bytes = new Uint8Array(readFileSync(dirty));
    let newest = -1;
    for (let at = MIB; at < 2 * MIB; at += 4096) if (String.fromCharCode(...bytes.subarray(at, at + 4)) === 'loge') newest = at;
    if (newest > 0) {
      const guid = bytes.slice(newest + 32, newest + 48);
      fixHeaders(bytes, (h) => h.set(guid, 48));
      const bat = regionOffset(bytes, 0x2dc27766);
      bytes.fill(0, bat, bat + 4096);
    }
    seeds.push(bytes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const context: OpenContext = {
  filename: 'fuzz.vhdx',
  diagnostics: ignoreDiagnostics,
  openFile: async (reference) => { throw new NotFoundError(`no file ${reference}`, { kind: 'file' }); },
  openBacking: async (reference) => {
    if (!reference.endsWith('parent.vhdx')) throw new NotFoundError(`no backing ${reference}`, { kind: 'image' });
    const device = new ZeroDevice(3 * MIB);
    return { format: 'raw', device, virtualSize: device.size, filename: reference, files: [], details: {}, close: async () => {} };
  },
};

const READ_BUDGET = 2 * MIB;
const ITERATIONS = defaultIterations(200);

test('fuzz VHDX reader', async () => {
  const report = await fuzz(
    {
      name: 'vhdx',
      seeds,
      async run(input) {
        const image = await vhdxFormat.open(new MemoryDevice(input), context);
        const runs = await allocationOf(image.device);
        let budget = READ_BUDGET;
        for (const r of runs) {
          if (budget <= 0) break;
          const length = Math.min(r.length, budget);
          await image.device.read(r.offset, length);
          budget -= length;
        }
        await image.device.read(image.virtualSize - 1, 1);
        await image.close();
      },
    },
    { iterations: ITERATIONS, focus: 4 * MIB },
  );
  expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
}, 60_000 + ITERATIONS * 60); // long runs (npm run test:fuzz) get time in proportion

test('the VHDX fuzz seeds open (dirty log replays, differencing reads through its parent)', async () => {
  const kinds: string[] = [];
  for (const seed of seeds) {
    const image = await vhdxFormat.open(new MemoryDevice(seed.slice()), context);
    await image.device.read(0, image.virtualSize);
    kinds.push(`${image.subformat}${Number(image.details['logReplayedEntries']) > 0 ? '+log' : ''}`);
  }
  expect(kinds).toEqual(['dynamic', 'differencing', 'dynamic+log']);
});
