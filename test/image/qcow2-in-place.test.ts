// In-place commit into qcow2 images qemu-img made (v2 and v3, 512 B / 4 KiB / 64 KiB clusters,
// backing files, zero clusters, compressed clusters, every refcount width, extended L2, an
// image whose refcount table must grow): random guest writes through an overlay, commit in
// place, then the oracles: `qemu-img check` finds no errors and no leaks, `qemu-img convert
// -O raw` equals the expected guest bytes; then `undo` gives the original file sha256 back.

import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { requireTool, run, scratchDirs, sha256File } from '../helpers/tools.js';
import { openImage } from '../../src/image/open.js';
import { OverlayDevice } from '../../src/io/overlay-device.js';
import { commitInPlace } from '../../src/patch/commit.js';
import { undo } from '../../src/patch/undo-journal.js';
import { readHeader } from '../../src/image/qcow2/format.js';
import { FileDevice } from '../../src/io/file-device.js';
import type { Qcow2InPlaceStats } from '../../src/image/qcow2/in-place.js';

const MiB = 1024 * 1024;
const newDir = scratchDirs('rehost-qcow2-inplace-');
let dir: string;

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Compressible pseudo-random bytes (16 letters), so `convert -c` really compresses. */
export function letters(random: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = 0x41 + Math.floor(random() * 16);
  return out;
}

/** An 8 MiB raw guest: data at 0–1 MiB, 2–3 MiB and 5–5.5 MiB, holes elsewhere. */
export function baseRaw(path: string, size = 8 * MiB): void {
  const seed = 1;
  const random = prng(seed);
  const disk = new Uint8Array(size);
  for (const [start, end] of [[0, 1], [2, 3], [5, 5.5]] as const) {
    if (start * MiB >= size) continue;
    disk.set(letters(random, Math.min(size, end * MiB) - start * MiB), start * MiB);
  }
  writeFileSync(path, disk);
}

export function qemuRaw(image: string): Uint8Array {
  const out = `${image}.oracle.raw`;
  run('qemu-img', ['convert', '-O', 'raw', image, out]);
  const bytes = new Uint8Array(readFileSync(out));
  rmSync(out);
  return bytes;
}

/** `qemu-img check`: exit status and the JSON report. */
export function qemuCheck(image: string): { status: number; report: { corruptions?: number; leaks?: number; 'check-errors'?: number } } {
  const result = spawnSync('qemu-img', ['check', '--output=json', image], { encoding: 'utf8' });
  let report = {};
  try {
    report = JSON.parse(result.stdout) as object;
  } catch {
    report = { 'check-errors': -1 };
  }
  return { status: result.status ?? -1, report };
}

/**
 * Applies `count` random writes (some zero-filled, some repeating what is there) to the overlay
 * and to `expected`; `targets` are guest offsets the writes are drawn around.
 */
async function randomWrites(args: { overlay: OverlayDevice; expected: Uint8Array; seed: number; count: number; targets: number[]; maxLength?: number }): Promise<void> {
  const { overlay, expected } = args;
  const random = prng(args.seed);
  const maxLength = args.maxLength ?? 96 * 1024;
  for (let i = 0; i < args.count; i++) {
    const target = args.targets[i % args.targets.length] as number;
    const length = 1 + Math.floor(random() * maxLength);
    const offset = Math.floor(Math.min(expected.length - length, Math.max(0, target + (random() - 0.5) * 128 * 1024)));
    const kind = random();
    const data = kind < 0.15 ? new Uint8Array(length) : kind < 0.25 ? expected.slice(offset, offset + length) : letters(random, length);
    expected.set(data, offset);
    await overlay.write(offset, data);
  }
}

async function roundTrip(args: {
  image: string;
  seed: number;
  count?: number;
  targets?: number[];
  maxLength?: number;
  extra?: (overlay: OverlayDevice, expected: Uint8Array) => Promise<void>;
}): Promise<Qcow2InPlaceStats & { ms: number }> {
  const { image } = args;
  const original = await sha256File(image);
  expect(qemuCheck(image).status, 'the source image is clean').toBe(0);
  const expected = qemuRaw(image);
  const opened = await openImage(image);
  const overlay = new OverlayDevice(opened.device);
  const targets = args.targets ?? [0, 1 * MiB, 2.5 * MiB, 4 * MiB, 5.25 * MiB, 7 * MiB];
  await randomWrites({ overlay, expected, seed: args.seed, count: args.count ?? 24, targets, ...(args.maxLength !== undefined ? { maxLength: args.maxLength } : {}) });
  await args.extra?.(overlay, expected);
  const journalPath = `${image}.undo`;
  const started = performance.now();
  let stats: Qcow2InPlaceStats | undefined;
  try {
    const result = await commitInPlace({ image: opened, overlay, journalPath });
    expect(result.format).toBe('qcow2');
    stats = result.qcow2;
  } finally {
    await opened.close();
  }
  const ms = performance.now() - started;
  const check = qemuCheck(image);
  expect(check.status, JSON.stringify(check.report)).toBe(0);
  expect(check.report.leaks ?? 0).toBe(0);
  expect(check.report.corruptions ?? 0).toBe(0);
  expect(Buffer.compare(qemuRaw(image), expected), 'qemu reads the expected guest bytes').toBe(0);
  expect(await sha256File(image)).not.toBe(original);
  const restored = await undo(journalPath);
  expect(restored.image).toBe(image);
  expect(await sha256File(image), 'undo gives the original file back').toBe(original);
  return { ...(stats as Qcow2InPlaceStats), ms };
}

function qcow2(name: string, options: string): string {
  const extra = options.includes('compression_type') ? ['-c'] : [];
  const base = join(dir, `${name}.base.raw`);
  baseRaw(base);
  const out = join(dir, `${name}.qcow2`);
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', ...extra, '-o', options, base, out]);
  rmSync(base);
  return out;
}

/** qemu-io commands on an image (write -z makes v3 zero clusters). */
function qemuIo(image: string, commands: string[]): void {
  run('qemu-io', ['-f', 'qcow2', ...commands.flatMap((c) => ['-c', c]), image]);
}

beforeAll(() => {
  for (const tool of ['qemu-img', 'qemu-io']) requireTool(tool);
  dir = newDir();
});

describe('qcow2 in place', () => {
  test('v3, 64 KiB clusters, with zero clusters (allocated and not)', async () => {
    const image = qcow2('v3-64k', 'compat=1.1,cluster_size=65536');
    qemuIo(image, ['write -z 2097152 262144', 'write -z -u 5242880 131072', 'write -z 7340032 65536']);
    const stats = await roundTrip({ image, seed: 11, targets: [0, 2 * MiB, 5.1 * MiB, 7 * MiB, 3.5 * MiB] });
    expect(stats.overwritten).toBeGreaterThan(0);
    expect(stats.allocated).toBeGreaterThan(0);
  });

  test('writes that change nothing leave the file byte-identical (empty journal)', async () => {
    const image = qcow2('unchanged', 'compat=1.1,cluster_size=65536');
    const original = await sha256File(image);
    const opened = await openImage(image);
    const overlay = new OverlayDevice(opened.device);
    await overlay.write(4096, await opened.device.read(4096, 100_000));
    const result = await commitInPlace({ image: opened, overlay, journalPath: `${image}.undo` });
    await opened.close();
    expect(result.journal.ranges).toEqual([]);
    expect(await sha256File(image)).toBe(original);
    expect((await undo(`${image}.undo`)).truncated).toBe(0);
  });

  test('v2 (compat 0.10), 64 KiB clusters', async () => {
    const image = qcow2('v2-64k', 'compat=0.10,cluster_size=65536');
    expect((await header(image)).version).toBe(2);
    const stats = await roundTrip({ image, seed: 12 });
    expect(stats.overwritten + stats.allocated).toBeGreaterThan(0);
  });

  test('v2 and v3 with 4 KiB clusters (several L2 tables, new ones allocated)', async () => {
    for (const compat of ['0.10', '1.1']) {
      const image = qcow2(`c4k-${compat}`, `compat=${compat},cluster_size=4096`);
      const stats = await roundTrip({ image, seed: 13, count: 40 });
      expect(stats.l2TablesAllocated).toBeGreaterThan(0);
    }
  });

  test('compressed clusters (qemu-img convert -c), zlib and zstd', async () => {
    for (const type of ['zlib', 'zstd']) {
      const image = qcow2(`compressed-${type}`, `compat=1.1,cluster_size=65536,compression_type=${type}`);
      const stats = await roundTrip({ image, seed: 14, targets: [0, 0.5 * MiB, 2.2 * MiB, 5.1 * MiB] });
      expect(stats.compressedReplaced).toBeGreaterThan(0);
    }
  });

  test('a backing file: unallocated clusters filled from the backing image', async () => {
    const backing = qcow2('backing-base', 'compat=1.1,cluster_size=65536');
    const image = join(dir, 'backed.qcow2');
    run('qemu-img', ['create', '-f', 'qcow2', '-b', 'backing-base.qcow2', '-F', 'qcow2', image]);
    qemuIo(image, ['write -P 0x55 65536 131072', 'write -z 2162688 65536', 'write -P 0x66 7340032 4096']);
    const backingHash = await sha256File(backing);
    const stats = await roundTrip({ image, seed: 15 });
    expect(stats.allocated).toBeGreaterThan(0);
    expect(await sha256File(backing), 'the backing file is untouched').toBe(backingHash);
  });

  test('every refcount width: 1, 2, 4, 8, 32 and 64 bits', async () => {
    for (const bits of [1, 2, 4, 8, 32, 64]) {
      const image = qcow2(`refcount-${bits}`, `compat=1.1,cluster_size=4096,refcount_bits=${bits}`);
      const stats = await roundTrip({ image, seed: 20 + bits, count: 16 });
      expect(stats.allocated + stats.overwritten).toBeGreaterThan(0);
    }
  });

  test('extended L2 entries (subclusters), standalone and over a backing file', async () => {
    const image = qcow2('extl2', 'compat=1.1,cluster_size=65536,extended_l2=on');
    const stats = await roundTrip({ image, seed: 30 });
    expect(stats.allocated + stats.overwritten).toBeGreaterThan(0);
    const backed = join(dir, 'extl2-backed.qcow2');
    run('qemu-img', ['create', '-f', 'qcow2', '-o', 'extended_l2=on,cluster_size=65536', '-b', 'extl2.qcow2', '-F', 'qcow2', backed]);
    // Partly allocated clusters: a few subclusters written, one zeroed.
    qemuIo(backed, ['write -P 0x11 2048 4096', 'write -P 0x22 1050624 2048', 'write -z 2099200 2048']);
    const partial = await roundTrip({ image: backed, seed: 31, targets: [0, 1 * MiB, 2 * MiB, 6 * MiB] });
    expect(partial.reused).toBeGreaterThan(0);
  });

  test('new refcount blocks entered into the existing table (no growth)', async () => {
    // 64-bit refcounts in 4 KiB clusters: a block covers 2 MiB of file; the ~2.6 MiB image
    // grows past 4 MiB, so block 2 is added, and the one-cluster table has room for it.
    const image = qcow2('newblock', 'compat=1.1,cluster_size=4096,refcount_bits=64');
    const stats = await roundTrip({
      image,
      seed: 50,
      count: 4,
      extra: async (overlay, expected) => {
        const random = prng(51);
        for (const [at, length] of [[3.25 * MiB, 0.75 * MiB], [5.5 * MiB, 2 * MiB]] as const) {
          const data = letters(random, length);
          expected.set(data, at);
          await overlay.write(at, data);
        }
      },
    });
    expect(stats.refcountBlocksAllocated).toBeGreaterThan(0);
    expect(stats.refcountTableGrown).toBe(false);
  });

  test('512-byte clusters near the end of the refcount table: the table grows', async () => {
    // 64-bit refcounts in 512-byte clusters: a block covers 64 clusters (32 KiB), one table
    // cluster 64 blocks (2 MiB); the file outgrows it quickly.
    const image = qcow2('grow', 'compat=1.1,cluster_size=512,refcount_bits=64');
    const h = await header(image);
    const coverage = ((h.refcountTableClusters * 512) / 8) * 64 * 512;
    const size = (await FileDevice.open(image).then(async (f) => {
      const s = f.size;
      await f.close();
      return s;
    }));
    expect(coverage).toBeGreaterThan(size);
    // Enough new clusters (in the holes) to pass the end of what the table covers.
    const needed = coverage - size + 256 * 1024;
    const stats = await roundTrip({
      image,
      seed: 40,
      count: 8,
      targets: [0, 2 * MiB],
      extra: async (overlay, expected) => {
        const random = prng(41);
        let written = 0;
        for (const at of [3.25 * MiB, 4 * MiB, 6 * MiB, 1.5 * MiB, 5.75 * MiB]) {
          const length = Math.min(Math.ceil(needed / 4), 8 * MiB - at, 2 * MiB);
          if (written >= needed) break;
          const data = letters(random, length);
          expected.set(data, at);
          await overlay.write(at, data);
          written += length;
        }
      },
    });
    expect(stats.refcountTableGrown).toBe(true);
    expect(stats.refcountBlocksAllocated).toBeGreaterThan(0);
  });
});

async function header(image: string): Promise<Awaited<ReturnType<typeof readHeader>>['header']> {
  const file = await FileDevice.open(image);
  try {
    return (await readHeader(file)).header;
  } finally {
    await file.close();
  }
}
