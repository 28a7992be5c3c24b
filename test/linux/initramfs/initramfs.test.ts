// Initramfs files made the way distributions make them: an uncompressed early cpio
// (microcode) followed by the main archive compressed with each real compressor. The entry
// listing must equal lsinitramfs (initramfs-tools-core) on the same file; the merged tree
// must resolve lib -> usr/lib; appended segments must parse and list with GNU cpio.

import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptError } from '../../../src/errors.js';
import { readCpioArchive } from '../../../src/fs/cpio/index.js';
import { appendSegment, directoryEntry, fileEntry, openInitramfs, salvageInitramfs, segmentConflicts } from '../../../src/linux/initramfs/index.js';
import { requireTool, tempDir } from '../../helpers/tools.js';

for (const tool of ['cpio', 'lsinitramfs', 'gzip', 'xz', 'lzma', 'zstd', 'lz4', 'bzip2']) requireTool(tool);
const dir = tempDir('rehost-initramfs-');
const KVER = '6.1.0-test-amd64';

function write(path: string, content: string | Uint8Array): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

function buildTrees(): { early: string; main: string } {
  const early = join(dir, 'early');
  write(join(early, 'kernel/x86/microcode/GenuineIntel.bin'), 'intel microcode');
  const main = join(dir, 'main');
  const mods = join(main, 'usr/lib/modules', KVER, 'kernel/drivers');
  write(join(mods, 'block/virtio_blk.ko'), 'virtio_blk');
  write(join(mods, 'scsi/vmw_pvscsi.ko.xz'), 'xz module');
  write(join(mods, 'ata/ata-piix.ko.zst'), 'zst module');
  write(join(mods, 'md/dm-mod.ko.gz'), 'gz module');
  write(join(main, 'usr/lib/modules', KVER, 'modules.dep'), 'kernel/drivers/block/virtio_blk.ko:\n');
  write(join(main, 'conf/initramfs.conf'), 'MODULES=dep\n');
  write(join(main, 'conf/arch.conf'), 'DPKG_ARCH=amd64\n');
  mkdirSync(join(main, 'scripts/init-top'), { recursive: true });
  write(join(main, 'usr/bin/busybox'), new Uint8Array(70000).map((_, i) => (i * 31) & 0xff));
  symlinkSync('usr/lib', join(main, 'lib'));
  symlinkSync('usr/bin', join(main, 'bin'));
  return { early, main };
}

const trees = buildTrees();
const cpioOf = (root: string): Uint8Array =>
  new Uint8Array(execFileSync('sh', ['-c', 'find . | LC_ALL=C sort | cpio -o -H newc --quiet'], { cwd: root, maxBuffer: 1 << 28 }));
const earlyCpio = cpioOf(trees.early);
const mainCpio = cpioOf(trees.main);

const COMPRESSORS: Record<string, string[]> = {
  gzip: ['gzip', '-9', '-c'],
  xz: ['xz', '--check=crc32', '-c'],
  lzma: ['lzma', '-c'],
  zstd: ['zstd', '-q', '-c'],
  'lz4-legacy': ['lz4', '-q', '-l', '-c'],
  bzip2: ['bzip2', '-c'],
};

function compress(name: string, data: Uint8Array): Uint8Array {
  const [tool, ...args] = COMPRESSORS[name] as string[];
  return new Uint8Array(execFileSync(tool as string, args, { input: data, maxBuffer: 1 << 28 }));
}

function lsinitramfs(bytes: Uint8Array): string[] {
  const path = join(dir, `initrd-${Math.random().toString(36).slice(2)}.img`);
  writeFileSync(path, bytes);
  return execFileSync('lsinitramfs', [path], { encoding: 'utf8' }).split('\n').filter((line) => line !== '');
}

describe.each(Object.keys(COMPRESSORS))('early cpio + %s main archive', (compression) => {
  const image = new Uint8Array([...earlyCpio, ...compress(compression, mainCpio)]);

  it('lists the same entries as lsinitramfs, in the same order', () => {
    const initramfs = openInitramfs(image);
    expect(initramfs.entries.map((e) => e.name)).toEqual(lsinitramfs(image));
    expect(initramfs.segments.map((s) => s.compression)).toEqual(['none', compression]);
    expect(initramfs.segments[0]).toMatchObject({ offset: 0, length: earlyCpio.length });
    expect(initramfs.segments[1]).toMatchObject({ offset: earlyCpio.length, length: image.length - earlyCpio.length, decompressedLength: mainCpio.length });
    expect(initramfs.compressions).toEqual(['none', compression]);
  });

  it('merged tree, modules and generator', async () => {
    const initramfs = openInitramfs(image);
    expect(initramfs.fs.kind).toBe('initramfs');
    expect(await initramfs.fs.stat('/lib')).toMatchObject({ type: 'symlink', target: 'usr/lib' });
    expect(new TextDecoder().decode(await initramfs.fs.readFile(`/lib/modules/${KVER}/kernel/drivers/block/virtio_blk.ko`))).toBe('virtio_blk');
    expect(new TextDecoder().decode(await initramfs.fs.readFile('/kernel/x86/microcode/GenuineIntel.bin'))).toBe('intel microcode');
    expect((await initramfs.fs.readFile('/bin/busybox')).length).toBe(70000);
    expect(initramfs.modules().map((m) => [m.name, m.compression])).toEqual([
      ['ata_piix', 'zstd'],
      ['virtio_blk', 'none'],
      ['dm_mod', 'gzip'],
      ['vmw_pvscsi', 'xz'],
    ]);
    expect(initramfs.generator().generator).toBe('initramfs-tools');
  });
});

describe('layouts', () => {
  it('several uncompressed archives with zero padding, then compressed, then an appended segment', async () => {
    const amd = new Uint8Array(execFileSync('sh', ['-c', 'mkdir -p a/kernel/x86/microcode && echo amd > a/kernel/x86/microcode/AuthenticAMD.bin && cd a && find kernel | cpio -o -H newc --quiet'], { cwd: dir }));
    const first = new Uint8Array([...earlyCpio, ...new Uint8Array(512), ...amd]);
    const compressed = compress('zstd', mainCpio);
    const original = new Uint8Array([...first, ...compressed, ...new Uint8Array((first.length + compressed.length) % 4 === 3 ? 2 : 1)]);
    expect(original.length % 4).not.toBe(0);
    const entries = [
      directoryEntry({ path: `usr/lib/modules/${KVER}/kernel/drivers/virtio` }),
      fileEntry({ path: `usr/lib/modules/${KVER}/kernel/drivers/virtio/virtio.ko`, data: new TextEncoder().encode('virtio') }),
      fileEntry({ path: 'lib/modules/x.txt', data: new TextEncoder().encode('through the symlink') }),
    ];
    const patched = appendSegment({ original, entries });
    expect(Buffer.from(patched.subarray(0, original.length)).equals(Buffer.from(original))).toBe(true);
    const appendedAt = Math.ceil(original.length / 4) * 4;
    expect(patched.subarray(original.length, appendedAt).every((b) => b === 0)).toBe(true);
    // GNU cpio reads the appended segment on its own.
    const path = join(dir, 'segment.cpio');
    writeFileSync(path, patched.subarray(appendedAt));
    expect(execFileSync('sh', ['-c', 'cpio -it --quiet < "$1"', 'sh', path], { encoding: 'utf8' }).trim().split('\n')).toEqual(entries.map((e) => e.name));
    const initramfs = openInitramfs(patched);
    expect(initramfs.segments.map((s) => [s.compression, s.archives.length])).toEqual([
      ['none', 2],
      ['zstd', 1],
      ['none', 1],
    ]);
    expect(initramfs.segments[2]!.offset).toBe(appendedAt);
    expect(new TextDecoder().decode(await initramfs.fs.readFile('/usr/lib/modules/x.txt'))).toBe('through the symlink');
    expect(await initramfs.fs.exists('/kernel/x86/microcode/AuthenticAMD.bin')).toBe(true);
    expect(initramfs.modules().map((m) => m.name)).toContain('virtio');
    // A directory entry named lib would replace the symlink: flagged.
    expect(segmentConflicts(initramfs.tree, [directoryEntry({ path: 'lib' })])).toHaveLength(1);
    expect(segmentConflicts(initramfs.tree, entries)).toHaveLength(0);
  });

  it('later entries override earlier ones; a directory entry replaces a symlink as the kernel does', async () => {
    const second = readCpioArchive(new Uint8Array(execFileSync('sh', ['-c', 'mkdir -p o/conf o/lib && echo NEW > o/conf/initramfs.conf && cd o && find conf conf/initramfs.conf lib | cpio -o -H newc --quiet'], { cwd: dir })));
    const image = new Uint8Array([...mainCpio, ...writeArchive(second.entries)]);
    const initramfs = openInitramfs(image);
    expect(new TextDecoder().decode(await initramfs.fs.readFile('/conf/initramfs.conf'))).toBe('NEW\n');
    expect((await initramfs.fs.stat('/lib')).type).toBe('directory');
    expect(await initramfs.fs.exists('/usr/lib/modules')).toBe(true);
  });

  it('a decompression bomb and junk are CorruptErrors', () => {
    const bomb = new Uint8Array([...earlyCpio, ...compress('gzip', new Uint8Array([...mainCpio, ...new Uint8Array(8 << 20)]))]);
    expect(() => openInitramfs(bomb, { maxOutput: 1 << 20 })).toThrow(/bound/);
    expect(() => openInitramfs(new Uint8Array([...earlyCpio, 0x41, 0x42, 0x43, 0x44]))).toThrow(CorruptError);
    const junk = new Uint8Array([...earlyCpio, ...compress('gzip', new Uint8Array([...mainCpio, 0x41]))]);
    expect(() => openInitramfs(junk)).toThrow(/junk/);
    // Salvage keeps the segments before the bad one.
    const salvaged = salvageInitramfs(junk);
    expect(salvaged.segments.map((s) => s.compression)).toEqual(['none']);
    expect(salvaged.error).toBeInstanceOf(CorruptError);
  });
});

function writeArchive(entries: Parameters<typeof appendSegment>[0]['entries']): Uint8Array {
  return appendSegment({ original: new Uint8Array(0), entries });
}
