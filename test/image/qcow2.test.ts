// The qcow2 reader against qemu: images made by qemu-img/qemu-io from the pattern disk in
// every layout qemu writes (v2, v3, deflate, zstd, extended L2 with partial subclusters,
// backing chains with zero clusters over backing data) and the real corpus images, each read
// whole by rehost and compared by sha256 with `qemu-img convert -O raw`, and the allocation
// map compared with `qemu-img map`.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CORPUS, extractCorpus, requireTool, run, sha256Device, sha256File, tempDir } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { openImage } from '../../src/image/open.js';
import { qemuDataRanges, qemuRawSha, rehostRead } from './qcow2-qemu.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { ReadAheadDevice } from '../../src/io/read-ahead-device.js';

let dir: string;
let pattern: string;

beforeAll(() => {
  requireTool('qemu-img');
  requireTool('qemu-io');
  dir = tempDir('rehost-qcow2-');
  pattern = join(dir, 'pattern.raw');
  writePatternDisk(pattern, { size: 24 * MIB + 512 });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function convert(name: string, args: string[]): string {
  const out = join(dir, name);
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', ...args, pattern, out]);
  return out;
}

/** `compareMap: false` where a raw file is in the chain: qemu sees its holes, rehost's raw device does not. */
async function expectSameAsQemu(path: string, options: { compareMap?: boolean } = {}): Promise<Record<string, unknown>> {
  const { sha, data, image } = await rehostRead(path);
  expect(sha).toBe(await qemuRawSha(path, dir));
  if (options.compareMap !== false) expect(data).toEqual(qemuDataRanges(path));
  return image.details;
}

describe('qcow2 images made by qemu-img from the pattern disk', () => {
  test('v2 (compat=0.10) reads as the source', async () => {
    const image = convert('v2.qcow2', ['-o', 'compat=0.10']);
    const details = await expectSameAsQemu(image);
    expect(details).toMatchObject({ version: 2, clusterSize: 65536, compressionType: 'zlib', extendedL2: false });
    expect(await qemuRawSha(image, dir)).toBe(await qemuRawSha(pattern, dir));
  });

  test('v3 default', async () => {
    const image = convert('v3.qcow2', []);
    const details = await expectSameAsQemu(image);
    expect(details).toMatchObject({ version: 3, dirty: false, corrupt: false });
    const check = JSON.parse(run('qemu-img', ['check', '--output=json', image])) as { 'allocated-clusters': number };
    expect(details.allocatedBytes).toBe(check['allocated-clusters'] * 65536);
  });

  test('v3 with 4 KiB clusters and 2 MiB clusters', async () => {
    await expectSameAsQemu(convert('c4k.qcow2', ['-o', 'cluster_size=4096']));
    await expectSameAsQemu(convert('c2m.qcow2', ['-o', 'cluster_size=2M']));
  });

  test('deflate-compressed clusters', async () => {
    const details = await expectSameAsQemu(convert('deflate.qcow2', ['-c']));
    expect(details.compressionType).toBe('zlib');
  });

  test('zstd-compressed clusters', async () => {
    const details = await expectSameAsQemu(convert('zstd.qcow2', ['-c', '-o', 'compression_type=zstd']));
    expect(details.compressionType).toBe('zstd');
  });

  test('extended L2 entries with partially allocated and zeroed subclusters', async () => {
    const image = convert('ext-l2.qcow2', ['-o', 'extended_l2=on,cluster_size=128k']);
    // Subclusters are 4 KiB: write a part of one, zero another, inside allocated and hole MiBs.
    run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 2M 4k', '-c', 'write -P 0x33 10498048 8k', '-c', 'write -z 1056768 4k', '-c', 'write -z 5M 128k', image]);
    const details = await expectSameAsQemu(image);
    expect(details.extendedL2).toBe(true);
  });

  test('backing chain with data and zero clusters over backing data', async () => {
    const base = convert('base.qcow2', []);
    const top = join(dir, 'top.qcow2');
    run('qemu-img', ['create', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', top]);
    run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x77 1M 64k', '-c', 'write -z 3M 128k', '-c', 'write -P 0x11 2101248 4k', '-c', 'write -z 4194816 1k', top]);
    const details = await expectSameAsQemu(top);
    expect(details).toMatchObject({ backingFilename: 'base.qcow2', backingFormat: 'qcow2' });
    const image = await openImage(top);
    try {
      expect(image.backing?.filename).toBe(base);
      expect(image.backingFilename).toBe('base.qcow2');
    } finally {
      await image.close();
    }
  });

  test('extended L2 overlay on a smaller raw backing file', async () => {
    const small = join(dir, 'small.raw');
    writePatternDisk(small, { size: 3 * MIB });
    const top = join(dir, 'grown.qcow2');
    run('qemu-img', ['create', '-f', 'qcow2', '-o', 'extended_l2=on', '-b', 'small.raw', '-F', 'raw', top, `${8 * MIB}`]);
    run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x42 2101248 4k', '-c', 'write -z 1M 8k', '-c', 'write -P 0x43 5M 4k', top]);
    await expectSameAsQemu(top, { compareMap: false });
  });

  test('dirty and corrupt images are read with a warning each', async () => {
    const image = convert('dirty.qcow2', []);
    const bytes = new Uint8Array(readFileSync(image));
    bytes[0x4f] = (bytes[0x4f] as number) | 0b11; // incompatible bits 0 (dirty) and 1 (corrupt)
    writeFileSync(image, bytes);
    const diagnostics = new DiagnosticLog();
    const opened = await openImage(image, { diagnostics });
    try {
      expect(opened.details).toMatchObject({ dirty: true, corrupt: true });
      expect(diagnostics.warnings().map((d) => d.code).sort()).toEqual(['qcow2-corrupt', 'qcow2-dirty']);
      expect(await sha256Device(opened.device)).toBe(await sha256File(pattern));
    } finally {
      await opened.close();
    }
  });

  test('a version 2 overlay on a version 3 base', async () => {
    convert('base-v3.qcow2', []);
    const top = join(dir, 'top-v2.qcow2');
    run('qemu-img', ['create', '-f', 'qcow2', '-o', 'compat=0.10', '-b', 'base-v3.qcow2', '-F', 'qcow2', top]);
    run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x66 7M 192k', '-c', 'write -P 0x67 9M 512', top]);
    const details = await expectSameAsQemu(top);
    expect(details).toMatchObject({ version: 2, backingFormat: 'qcow2' });
  });
});

describe('qcow2 corpus images against the qemu-img oracle', () => {
  const cases = [
    'dfvfs-ext2.qcow2',
    'dfvfs-lvm.qcow2',
    'dfvfs-windows_volume.qcow2',
    'dissect-basic-zstd.qcow2.gz',
    'dissect-backing-chain/backing-chain-1.qcow2.gz',
    'dissect-backing-chain/backing-chain-2.qcow2.gz',
    'dissect-backing-chain/backing-chain-3.qcow2.gz',
  ];
  for (const relative of cases) {
    test(relative, async () => {
      const oracleName = relative.replace(/\.gz$/, '');
      const oracle = JSON.parse(readFileSync(join(CORPUS, 'oracle/images/qcow2', `${oracleName}.raw.json`), 'utf8')) as { raw_sha256: string; raw_size: number };
      const info = JSON.parse(readFileSync(join(CORPUS, 'oracle/images/qcow2', `${oracleName}.qemu-img-info.json`), 'utf8')) as Record<string, unknown>;
      let path = join(CORPUS, 'images/qcow2', relative);
      if (relative.endsWith('.gz')) {
        // Decompress next to its chain members, keeping names, so relative backing names resolve.
        const chainDir = join(dir, 'corpus');
        run('mkdir', ['-p', chainDir]);
        if (relative.startsWith('dissect-backing-chain/')) {
          for (const n of [1, 2, 3]) extractCorpus(`images/qcow2/dissect-backing-chain/backing-chain-${n}.qcow2.gz`, chainDir);
        }
        path = extractCorpus(`images/qcow2/${relative}`, chainDir);
      }
      const { sha, image } = await rehostRead(path);
      expect(image.virtualSize).toBe(oracle.raw_size);
      expect(sha).toBe(oracle.raw_sha256);
      const format = (info['format-specific'] as { data: Record<string, unknown> }).data;
      expect(image.details.compressionType).toBe(format['compression-type']);
      expect(image.details.extendedL2).toBe(format['extended-l2']);
      expect(image.details.clusterSize).toBe(info['cluster-size']);
      expect(image.details.backingFormat).toBe(info['backing-filename-format']);
      expect(image.backingFilename).toBe(info['backing-filename']);
    });
  }

  test('the pattern source and its qemu conversion agree (sanity of the oracle helper)', async () => {
    expect(await qemuRawSha(pattern, dir)).toBe(await sha256File(pattern));
  });
});

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

describe('read-ahead over the guest disk', () => {
  test('sequential, repeated and random reads return the right bytes', async () => {
    const bytes = new Uint8Array(4 * MIB + 1000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 12)) & 0xff;
    const base = new MemoryDevice(bytes);
    let reads = 0;
    const counting = { size: base.size, read: (o: number, l: number) => { reads++; return base.read(o, l); } };
    const device = new ReadAheadDevice(counting);
    const window = 512 * 1024;
    for (let offset = 0; offset + window <= bytes.length; offset += window) {
      expect(same(await device.read(offset, window), bytes.subarray(offset, offset + window))).toBe(true);
    }
    // One read per window plus the first window's: read-ahead never reads a window twice.
    expect(reads).toBeLessThanOrEqual(9);
    expect(same(await device.read(100, 5000), bytes.subarray(100, 5100))).toBe(true);
    expect(same(await device.read(bytes.length - 10, 10), bytes.subarray(bytes.length - 10))).toBe(true);
    await expect(device.read(bytes.length - 10, 11)).rejects.toThrow(/past the end/);
  });
});
