// Corrupted and hostile qcow2 files: each must fail with a rehost error that names the
// structure and the offset (or the feature), never a crash, a hang or a silent wrong read.
// Images are made by qemu-img and then patched byte by byte.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { requireTool, run, sha256Device, tempDir } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';
import { CorruptError, UnsupportedError, type RehostError } from '../../src/errors.js';
import { openImage } from '../../src/image/open.js';
import { ignoreDiagnostics } from '../../src/diagnostics.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { qcow2Format } from '../../src/image/qcow2/index.js';
import { decodeHeader, QCOW2_HEADER_V2, QCOW2_HEADER_V3_TAIL } from '../../src/image/qcow2/header.js';
import { decompressCluster, zstdFrameInfo } from '../../src/image/qcow2/compressed.js';
import { decodeExtensions } from '../../src/image/qcow2/extensions.js';
import type { OpenContext } from '../../src/image/types.js';

let dir: string;
let good: Uint8Array;
let l1Offset: number;
let l2Offset: number;

beforeAll(() => {
  requireTool('qemu-img');
  dir = tempDir('rehost-qcow2h-');
  const raw = join(dir, 'pattern.raw');
  writePatternDisk(raw, { size: 4 * MIB });
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, join(dir, 'good.qcow2')]);
  good = new Uint8Array(readFileSync(join(dir, 'good.qcow2')));
  const view = new DataView(good.buffer);
  l1Offset = Number(view.getBigUint64(0x28));
  l2Offset = Number(view.getBigUint64(l1Offset) & 0x00fffffffffffe00n);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a patched copy of the good image and returns its path. */
function patched(name: string, patch: (view: DataView, bytes: Uint8Array) => void): string {
  const bytes = good.slice();
  patch(new DataView(bytes.buffer), bytes);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

async function failure(path: string): Promise<RehostError> {
  try {
    const image = await openImage(path);
    try {
      await sha256Device(image.device);
    } finally {
      await image.close();
    }
  } catch (error) {
    if (process.env.SHOW_ERRORS) console.log(path, (error as Error).message);
    return error as RehostError;
  }
  throw new Error(`${path} opened and read without an error`);
}

const context: OpenContext = {
  filename: 'memory.qcow2',
  diagnostics: ignoreDiagnostics,
  openFile: async () => { throw new Error('not used'); },
  openBacking: async () => { throw new Error('not used'); },
};

describe('qcow2 structures', () => {
  test('header layouts have the spec sizes', () => {
    expect(QCOW2_HEADER_V2.size).toBe(72);
    expect(QCOW2_HEADER_V2.size + QCOW2_HEADER_V3_TAIL.size).toBe(104);
    expect(QCOW2_HEADER_V2.offsetOf('l1_table_offset')).toBe(0x28);
    expect(QCOW2_HEADER_V3_TAIL.offsetOf('header_length')).toBe(0x64 - 72);
  });

  test('the good image opens', async () => {
    const image = await openImage(join(dir, 'good.qcow2'));
    await image.close();
  });
});

describe('hostile qcow2 headers and tables', () => {
  test('backing chain cycle a → b → a', async () => {
    run('qemu-img', ['create', '-f', 'qcow2', '-u', '-b', 'b.qcow2', '-F', 'qcow2', join(dir, 'a.qcow2'), '1M']);
    run('qemu-img', ['create', '-f', 'qcow2', '-u', '-b', 'a.qcow2', '-F', 'qcow2', join(dir, 'b.qcow2'), '1M']);
    const error = await failure(join(dir, 'a.qcow2'));
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail.structure).toBe('backing chain');
  });

  test('an image backed by itself', async () => {
    run('qemu-img', ['create', '-f', 'qcow2', '-u', '-b', 'self.qcow2', '-F', 'qcow2', join(dir, 'self.qcow2'), '1M']);
    const error = await failure(join(dir, 'self.qcow2'));
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail.structure).toBe('backing chain');
  });

  test('L1 entry pointing past the end of the file', async () => {
    const path = patched('l1-past-end.qcow2', (view) => view.setBigUint64(l1Offset, (1n << 40n) | (1n << 63n)));
    const error = await failure(path);
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'qcow2 L1 table', offset: l1Offset });
  });

  test('L1 entry not aligned to a cluster', async () => {
    const path = patched('l1-unaligned.qcow2', (view) => view.setBigUint64(l1Offset, BigInt(l2Offset + 512) | (1n << 63n)));
    const error = await failure(path);
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'qcow2 L1 table', offset: l1Offset });
  });

  test('L2 entry pointing past the end of the file', async () => {
    const path = patched('l2-past-end.qcow2', (view) => view.setBigUint64(l2Offset, (1n << 40n) | (1n << 63n)));
    const error = await failure(path);
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'qcow2 L2 entry', offset: l2Offset });
  });

  test('L2 entry not aligned to a cluster', async () => {
    const path = patched('l2-unaligned.qcow2', (view) => {
      view.setBigUint64(l2Offset, view.getBigUint64(l2Offset) + 4096n);
    });
    const error = await failure(path);
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'qcow2 L2 entry', offset: l2Offset });
  });

  test('L1 table outside the file', async () => {
    const path = patched('l1-table-outside.qcow2', (view) => view.setBigUint64(0x28, 1n << 40n));
    const error = await failure(path);
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'qcow2 header', offset: 0x28 });
  });

  test('l1_size too small for the virtual size', async () => {
    const path = patched('l1-small.qcow2', (view) => view.setBigUint64(0x18, 1n << 40n));
    const error = await failure(path);
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'qcow2 header', offset: 0x24 });
  });

  test('a virtual size whose L1 table would be absurd', async () => {
    const path = patched('huge.qcow2', (view) => {
      view.setBigUint64(0x18, 1n << 52n);
      view.setUint32(0x24, 0xffffffff);
    });
    const error = await failure(path);
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'qcow2 header', offset: 0x18 });
  });

  test('a virtual size above 2^53', async () => {
    const path = patched('above53.qcow2', (view) => view.setBigUint64(0x18, 1n << 60n));
    const error = await failure(path);
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'qcow2 header', offset: 0x18 });
  });

  test('cluster_bits out of bounds', async () => {
    for (const bits of [8, 22, 0xffffffff]) {
      const path = patched(`bits-${bits}.qcow2`, (view) => view.setUint32(0x14, bits));
      const error = await failure(path);
      expect(error).toBeInstanceOf(CorruptError);
      expect(error.detail).toMatchObject({ structure: 'qcow2 header', offset: 0x14 });
    }
  });

  test('encryption is refused', async () => {
    for (const method of [1, 2]) {
      const path = patched(`crypt-${method}.qcow2`, (view) => view.setUint32(0x20, method));
      const error = await failure(path);
      expect(error).toBeInstanceOf(UnsupportedError);
      expect(error.message).toMatch(method === 1 ? /AES/ : /LUKS/);
      expect(error.detail).toMatchObject({ structure: 'qcow2 header', offset: 0x20 });
    }
  });

  test('an unknown incompatible feature bit is refused by number', async () => {
    const path = patched('incompat.qcow2', (view) => view.setBigUint64(0x48, 1n << 9n));
    const error = await failure(path);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.message).toMatch(/bit 9/);
  });

  test('an external data file is refused', async () => {
    const path = patched('external.qcow2', (view) => view.setBigUint64(0x48, 1n << 2n));
    const error = await failure(path);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.message).toMatch(/external data file/);
  });

  test('an unknown version is refused', async () => {
    const error = await failure(patched('v4.qcow2', (view) => view.setUint32(4, 4)));
    expect(error).toBeInstanceOf(UnsupportedError);
  });

  test('a bad header_length', async () => {
    const error = await failure(patched('hlen.qcow2', (view) => view.setUint32(0x64, 50)));
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'qcow2 header', offset: 0x64 });
  });

  test('an unknown compression type', async () => {
    const error = await failure(patched('ctype.qcow2', (view) => {
      view.setBigUint64(0x48, 1n << 3n);
      view.setUint8(0x68, 7);
    }));
    expect(error).toBeInstanceOf(UnsupportedError);
  });

  test('zstd compression type without its feature bit', async () => {
    const error = await failure(patched('ctype-nobit.qcow2', (view) => view.setUint8(0x68, 1)));
    expect(error).toBeInstanceOf(CorruptError);
  });

  test('a header extension that overruns the header cluster', async () => {
    const error = await failure(patched('ext.qcow2', (view) => {
      const at = view.getUint32(0x64);
      view.setUint32(at, 0x12345678);
      view.setUint32(at + 4, 0x7fffffff);
    }));
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail.structure).toBe('qcow2 header extension');
  });

  test('a backing file name longer than 1023 bytes', async () => {
    const error = await failure(patched('longname.qcow2', (view) => {
      view.setBigUint64(0x08, 0x200n);
      view.setUint32(0x10, 5000);
    }));
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'qcow2 header', offset: 0x10 });
  });

  test('a truncated file: header, tables, data', async () => {
    for (const size of [50, 0x30000 + 100, good.length - 65536]) {
      const path = join(dir, `trunc-${size}.qcow2`);
      writeFileSync(path, good);
      truncateSync(path, size);
      const error = await failure(path);
      expect(error).toBeInstanceOf(CorruptError);
      expect(error.detail.offset).toBeTypeOf('number');
    }
  });

  test('a subcluster both allocated and zero (extended L2)', async () => {
    const path = join(dir, 'ext-l2.qcow2');
    run('qemu-img', ['create', '-f', 'qcow2', '-o', 'extended_l2=on', path, '1M']);
    run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 1 0 4k', path]);
    const bytes = new Uint8Array(readFileSync(path));
    const view = new DataView(bytes.buffer);
    const l1 = Number(view.getBigUint64(0x28));
    const l2 = Number(view.getBigUint64(l1) & 0x00fffffffffffe00n);
    view.setUint32(l2 + 8, 1); // zero bit for subcluster 0, which is also allocated
    writeFileSync(path, bytes);
    const error = await failure(path);
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'qcow2 extended L2 entry', offset: l2 + 8 });
  });

  test('a corrupt compressed cluster', async () => {
    const raw = join(dir, 'small.raw');
    writePatternDisk(raw, { size: 1 * MIB });
    for (const type of ['zlib', 'zstd']) {
      const path = join(dir, `c-${type}.qcow2`);
      run('qemu-img', ['convert', '-c', '-f', 'raw', '-O', 'qcow2', '-o', `compression_type=${type}`, raw, path]);
      const bytes = new Uint8Array(readFileSync(path));
      const view = new DataView(bytes.buffer);
      const l1 = Number(view.getBigUint64(0x28));
      const l2 = Number(view.getBigUint64(l1) & 0x00fffffffffffe00n);
      const host = Number(view.getBigUint64(l2) & ((1n << 54n) - 1n));
      bytes.fill(0xff, host, host + 16);
      writeFileSync(path, bytes);
      const error = await failure(path);
      expect(error).toBeInstanceOf(CorruptError);
      expect(error.detail).toMatchObject({ structure: `qcow2 compressed cluster (${type})`, offset: host });
    }
  });
});

describe('qcow2 decoders on bytes', () => {
  test('probe needs the magic and a version of at least 2', async () => {
    expect(await qcow2Format.probe(new MemoryDevice(good.slice(0, 512)))).toBe(true);
    expect(await qcow2Format.probe(new MemoryDevice(new Uint8Array(512)))).toBe(false);
    expect(await qcow2Format.probe(new MemoryDevice(good.slice(0, 4)))).toBe(false);
  });

  test('a header cut short', () => {
    expect(() => decodeHeader(good.slice(0, 80), 80)).toThrow(CorruptError);
  });

  test('open from memory fails on a header-only file', async () => {
    await expect(qcow2Format.open(new MemoryDevice(good.slice(0, 0x30000)), context)).rejects.toBeInstanceOf(CorruptError);
  });

  test('zstd frame measurement refuses cut-short and reserved frames', () => {
    expect(zstdFrameInfo(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x08, 0, 0, 0))).toBeUndefined();
    expect(zstdFrameInfo(Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x20, 4, 1, 0))).toBeUndefined();
    expect(() => decompressCluster({ compressed: new Uint8Array(16), clusterSize: 65536, type: 'zstd', offset: 7 })).toThrow(CorruptError);
    expect(() => decompressCluster({ compressed: new Uint8Array(16).fill(0xff), clusterSize: 65536, type: 'zlib', offset: 7 })).toThrow(CorruptError);
  });

  test('a deflate stream that decodes to less than a cluster', async () => {
    const { deflateRawSync } = await import('node:zlib');
    const short = new Uint8Array(deflateRawSync(new Uint8Array(100)));
    expect(() => decompressCluster({ compressed: short, clusterSize: 65536, type: 'zlib', offset: 9 })).toThrow(/instead of the cluster size/);
  });

  test('feature name table names features', () => {
    const area = new Uint8Array(256);
    const view = new DataView(area.buffer);
    view.setUint32(0, 0x6803f857);
    view.setUint32(4, 48);
    area[8] = 0;
    area[9] = 9;
    area.set(new TextEncoder().encode('future feature'), 10);
    const extensions = decodeExtensions({ area, start: 0, end: 256 });
    expect(extensions.featureNames.get('incompatible:9')).toBe('future feature');
  });
});
