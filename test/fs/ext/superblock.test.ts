// Our superblock decode against dumpe2fs on filesystems made by mkfs, plus every validator's
// failing input (bad magic, impossible block size, zero groups, bad inode size, checksum).

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CorruptError } from '../../../src/errors.js';
import { EXT_SUPERBLOCK, probeExt, readExtSuperblock, readExtSuperblockFrom, writeRefusal } from '../../../src/fs/ext/index.js';
import { FileDevice, MemoryDevice } from '../../../src/io/index.js';
import { requireTool, run, tempDir } from '../../helpers/tools.js';

let dir: string;

function dumpe2fs(image: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of run('dumpe2fs', ['-h', image]).split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) out[m[1] as string] = (m[2] as string).trim();
  }
  return out;
}

async function superblockBytes(image: string): Promise<Uint8Array> {
  return (await FileDevice.open(image)).read(1024, 1024);
}

describe('ext superblock', () => {
  beforeAll(() => {
    requireTool('mkfs.ext4');
    requireTool('dumpe2fs');
    dir = tempDir('rehost-ext-sb-');
  });

  it('is 1024 bytes with fields at their spec offsets', () => {
    expect(EXT_SUPERBLOCK.size).toBe(1024);
    expect(EXT_SUPERBLOCK.offsetOf('s_magic')).toBe(0x38);
    expect(EXT_SUPERBLOCK.offsetOf('s_feature_incompat')).toBe(0x60);
    expect(EXT_SUPERBLOCK.offsetOf('s_volume_name')).toBe(0x78);
    expect(EXT_SUPERBLOCK.offsetOf('s_desc_size')).toBe(0xfe);
    expect(EXT_SUPERBLOCK.offsetOf('s_blocks_count_hi')).toBe(0x150);
    expect(EXT_SUPERBLOCK.offsetOf('s_checksum_seed')).toBe(0x270);
    expect(EXT_SUPERBLOCK.offsetOf('s_checksum')).toBe(0x3fc);
  });

  for (const [kind, extra] of [
    ['ext2', []],
    ['ext3', ['-L', 'third']],
    ['ext4', ['-L', 'root-fs', '-O', 'metadata_csum,64bit,inline_data']],
    ['ext4', ['-O', '^metadata_csum,^64bit', '-b', '1024']],
  ] as const) {
    it(`${kind} ${extra.join(' ')} agrees with dumpe2fs`, async () => {
      const image = join(dir, `${kind}-${extra.length}.img`);
      run('truncate', ['-s', '0', image]);
      run(`mkfs.${kind}`, ['-q', '-F', ...extra, image, '16M']);
      const sb = readExtSuperblock(await superblockBytes(image));
      const oracle = dumpe2fs(image);
      expect(sb.kind).toBe(kind);
      expect(sb.uuid).toBe(oracle['Filesystem UUID']);
      expect(sb.label).toBe(oracle['Filesystem volume name'] === '<none>' ? '' : oracle['Filesystem volume name']);
      expect(sb.blockSize).toBe(Number(oracle['Block size']));
      expect(sb.blockCount).toBe(Number(oracle['Block count']));
      expect(sb.inodeCount).toBe(Number(oracle['Inode count']));
      expect(sb.freeBlockCount).toBe(Number(oracle['Free blocks']));
      expect(sb.inodeSize).toBe(Number(oracle['Inode size']));
      expect(sb.state.valid).toBe(oracle['Filesystem state'] === 'clean');
      expect(sb.errorsBehaviour).toBe(oracle['Errors behavior']?.toLowerCase().replace('continue', 'continue'));
      const features = [...sb.features.compat, ...sb.features.incompat, ...sb.features.roCompat].sort();
      expect(features).toEqual((oracle['Filesystem features'] as string).split(/\s+/).sort());
      expect(sb.checksumMismatch).toBe(false);
      expect(writeRefusal(sb)).toBeUndefined();
      expect(await probeExt(await FileDevice.open(image))).toBe(true);
    });
  }

  it('rejects what no filesystem can be, naming the structure and offset', async () => {
    const image = join(dir, 'bad.img');
    run('truncate', ['-s', '0', image]);
    run('mkfs.ext4', ['-q', '-F', image, '8M']);
    const good = await superblockBytes(image);
    const broken = (at: number, write: (v: DataView) => void) => {
      const copy = good.slice();
      write(new DataView(copy.buffer));
      return () => readExtSuperblock(copy);
    };
    expect(broken(0x38, (v) => v.setUint16(0x38, 0x1234, true))).toThrow(CorruptError);
    expect(broken(0x38, (v) => v.setUint16(0x38, 0x1234, true))).toThrow(/offset 1080/);
    expect(broken(0x18, (v) => v.setUint32(0x18, 7, true))).toThrow(/64 KiB/);
    expect(broken(0x20, (v) => v.setUint32(0x20, 0, true))).toThrow(/per group/);
    expect(broken(0x58, (v) => v.setUint16(0x58, 100, true))).toThrow(/inode size/);
    expect(() => readExtSuperblock(good.subarray(0, 512))).toThrow(/truncated/);
    // A flipped byte under metadata_csum is reported, and refuses writes.
    const flipped = good.slice();
    flipped[0x78] = (flipped[0x78] as number) ^ 1;
    const sb = readExtSuperblock(flipped);
    expect(sb.checksumMismatch).toBe(true);
    expect(writeRefusal(sb)?.message).toMatch(/checksum/);
  });

  it('probe is false on zeros and on devices too small to hold a superblock', async () => {
    expect(await probeExt(new MemoryDevice(new Uint8Array(4096)))).toBe(false);
    expect(await probeExt(new MemoryDevice(new Uint8Array(100)))).toBe(false);
    await expect(readExtSuperblockFrom(new MemoryDevice(new Uint8Array(100)))).rejects.toBeInstanceOf(CorruptError);
  });
});
