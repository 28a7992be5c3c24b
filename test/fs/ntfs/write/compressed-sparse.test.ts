// Compressed and sparse files: ntfs-3g writes them (a directory with the compressed attribute
// on a `-o compression` mount; holes with truncate/dd seek), then our writer overwrites, grows
// and shrinks them as plain streams (compression and sparse flags cleared in the attribute,
// $STANDARD_INFORMATION and $FILE_NAME) and deletes others; ntfs-3g (ntfscat, ntfsinfo,
// ntfsfix -n, a mount), libfsntfs and checkNtfs check the result. Windows' own compressed files
// on the corpus volume are rewritten the same way; EFS-encrypted files are refused.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNtfsWritable, checkNtfs, openNtfs } from '../../../../src/fs/ntfs/index.js';
import { FileDevice, MemoryDevice } from '../../../../src/io/index.js';
import { UnsupportedError } from '../../../../src/errors.js';
import { requireTool, tempDir } from '../../../helpers/tools.js';
import { bytesOf, corpusVolume, materialize, makeVolume, memoryOf, ntfsCat, ntfsfixClean, overlayOf, patchRecord } from './helpers.js';
import { readMounted, verifyAll, withNtfs3g } from './oracles.js';

function compressible(length: number, seed: number): Uint8Array {
  const line = new TextEncoder().encode(`line of text number ${seed} that compresses well\n`);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = line[i % line.length]!;
  return out;
}

function sparseContent(size: number, at: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(size);
  out.set(bytes, at);
  return out;
}

/** ntfsinfo's "File attributes" lines and the $DATA attribute flags of `path`. */
function flagsOf(image: string, path: string): { fileAttributes: string[]; dataFlags: string } {
  const text = execFileSync('ntfsinfo', ['-F', path, image], { encoding: 'utf8' });
  const fileAttributes = [...text.matchAll(/File attributes:\s+(.*)/g)].map((m) => m[1]!.trim());
  const data = text.slice(text.indexOf('Dumping attribute $DATA'));
  return { fileAttributes, dataFlags: /Attribute flags:\s+(0x[0-9a-f]+)/.exec(data)![1]! };
}

describe('NTFS writer: compressed and sparse files', () => {
  for (const tool of ['mkntfs', 'ntfscat', 'ntfsls', 'ntfsfix', 'ntfsinfo', 'fsntfsinfo', 'ntfs-3g', 'setfattr']) requireTool(tool);
  const dir = tempDir();

  it('rewrites ntfs-3g compressed and sparse files as plain streams, and deletes others', async () => {
    const image = makeVolume(dir, 'cs.img', 24);
    const sparseTail = bytesOf(3000, 5);
    await withNtfs3g({ image, dir, options: ['compression'] }, (mnt) => {
      execFileSync('mkdir', [join(mnt, 'cdir')]);
      execFileSync('setfattr', ['-n', 'system.ntfs_attrib_be', '-v', '0x00000810', join(mnt, 'cdir')]);
      writeFileSync(join(mnt, 'cdir/grow.txt'), compressible(200_000, 1));
      writeFileSync(join(mnt, 'cdir/shrink.txt'), compressible(500_000, 2));
      writeFileSync(join(mnt, 'cdir/gone.txt'), compressible(300_000, 3));
      writeFileSync(join(mnt, 'cdir/tiny.txt'), compressible(100, 4));
      execFileSync('truncate', ['-s', '6M', join(mnt, 'sparse.bin')]);
      execFileSync('dd', [`of=${join(mnt, 'sparse.bin')}`, 'bs=1', 'seek=3000000', 'conv=notrunc', 'status=none'], { input: sparseTail });
      execFileSync('truncate', ['-s', '9M', join(mnt, 'sparse-gone.bin')]);
    });
    expect(flagsOf(image, '/cdir/grow.txt').dataFlags).toBe('0x0001');
    expect(flagsOf(image, '/sparse.bin').dataFlags).toBe('0x8000');
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const before = await checkNtfs(overlay);
    expect(before.problems).toEqual([]);
    // Our reader agrees with ntfs-3g on the compressed and sparse content first.
    expect(Buffer.compare(Buffer.from(await fs.readFile('/sparse.bin')), Buffer.from(sparseContent(6 << 20, 3_000_000, sparseTail)))).toBe(0);
    expect(Buffer.compare(Buffer.from(await fs.readFile('/cdir/grow.txt')), Buffer.from(compressible(200_000, 1)))).toBe(0);
    const files = new Map<string, Uint8Array>([
      ['/cdir/grow.txt', bytesOf(900_000, 11)],
      ['/cdir/shrink.txt', compressible(40_000, 12)],
      ['/cdir/tiny.txt', compressible(300, 13)],
      ['/sparse.bin', bytesOf(70_000, 14)],
      ['/cdir/new.txt', compressible(50_000, 15)],
    ]);
    for (const [path, data] of files) await fs.writeFile(path, data);
    await fs.unlink('/cdir/gone.txt');
    await fs.unlink('/sparse-gone.bin');
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'cs-out.img') });
    await verifyAll({ image: out, files, dirs: ['/cdir'] });
    for (const path of ['/cdir/grow.txt', '/cdir/shrink.txt', '/sparse.bin']) {
      const flags = flagsOf(out, path);
      expect(flags.dataFlags, path).toBe('0x0000');
      for (const line of flags.fileAttributes) expect(line, path).not.toMatch(/COMPRESSED|SPARSE/);
    }
    await withNtfs3g({ image: out, dir, readOnly: true }, (mnt) => {
      for (const [path, data] of files) expect(Buffer.compare(Buffer.from(readMounted(mnt, path)), Buffer.from(data)), path).toBe(0);
    });
    // Deleting freed the sparse and compressed files' clusters: back below the start.
    expect((await checkNtfs(await FileDevice.open(out))).clustersInUse).toBeLessThan(before.clustersInUse + Math.ceil((900_000 + 70_000 + 50_000) / 4096) + 20);
  }, 60_000);

  it("rewrites Windows' compressed files on the corpus volume", async () => {
    const image = corpusVolume(dir);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const files = new Map<string, Uint8Array>([
      ['/Large.txt', bytesOf(150_000, 21)], // 128 KiB compressed on disk, 37 clusters free
      ['/Random.bin', compressible(10_000, 22)],
      ['/File.txt', compressible(600, 23)],
    ]);
    for (const [path, data] of files) await fs.writeFile(path, data);
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'corpus-cs.img') });
    // The image lacks its alternate boot sector; our writes must add nothing to what ntfsfix reports.
    expect(ntfsfixClean(out).output).toBe(ntfsfixClean(image).output);
    expect((await checkNtfs(await FileDevice.open(out))).problems).toEqual([]);
    const reader = await openNtfs(await FileDevice.open(out));
    for (const [path, data] of files) {
      expect(Buffer.compare(Buffer.from(await reader.readFile(path)), Buffer.from(data)), path).toBe(0);
      expect(Buffer.compare(Buffer.from(ntfsCat(out, path)), Buffer.from(data)), `ntfscat ${path}`).toBe(0);
      for (const line of flagsOf(out, path).fileAttributes) expect(line, path).not.toMatch(/COMPRESSED/);
    }
  }, 60_000);

  it('refuses EFS-encrypted files, changing nothing', async () => {
    const image = makeVolume(dir, 'efs.img', 8);
    const device = memoryOf(image);
    const setup = await openNtfsWritable(device);
    await setup.writeFile('/secret.bin', bytesOf(20_000, 1));
    await setup.flush();
    const n = (await (await openNtfs(device)).stat('/secret.bin')).inode!;
    // Mark its $DATA encrypted (flags 0x4000), as EFS does.
    await patchRecord(device as MemoryDevice, n, (record) => {
      let at = record[0x14]! | (record[0x15]! << 8);
      while ((record[at]! | (record[at + 1]! << 8)) !== 0x80) at += record[at + 4]! | (record[at + 5]! << 8);
      record[at + 0x0d] = record[at + 0x0d]! | 0x40;
    });
    const fs = await openNtfsWritable(device);
    await expect(fs.writeFile('/secret.bin', bytesOf(10, 2))).rejects.toThrow(UnsupportedError);
    await expect(fs.writeFile('/secret.bin', bytesOf(10, 2))).rejects.toThrow(/EFS-encrypted/);
    await fs.flush();
    expect((await checkNtfs(device)).problems).toEqual([]);
  });
});
