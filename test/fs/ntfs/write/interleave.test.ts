// Reads interleaved with writes (what `rehost copy-in` does: a precondition stat before every
// write): the writer answers stat/exists/readdir/readFile from its staged directories and its
// own records, without rebuilding the indexes or reopening the reader, so the cost stays
// linear. Checked three ways: the staged answers equal the flushed reader's, and the volume
// written this way passes ntfs-3g (ntfsls -R, ntfscat, ntfsfix -n) and checkNtfs. The timing
// is printed for the record, never asserted.

import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNtfs, openNtfs, openNtfsWritable } from '../../../../src/fs/ntfs/index.js';
import { NotFoundError } from '../../../../src/errors.js';
import { FileDevice } from '../../../../src/io/index.js';
import { requireTool, tempDir } from '../../../helpers/tools.js';
import { bytesOf, materialize, makeVolume, ntfsCat, ntfsfixClean, ntfsTree, ourTree, overlayOf } from './helpers.js';

const FILES = 2000;
const sizeOf = (i: number): number => (i * 2654435761) % 3000 >>> 0;

describe('NTFS writer: reads between writes', () => {
  for (const tool of ['mkntfs', 'ntfscat', 'ntfsls', 'ntfsfix']) requireTool(tool);
  const dir = tempDir();

  it(`stats, checks and writes ${FILES} files one by one, and ntfs-3g agrees with the result`, async () => {
    const image = makeVolume(dir, 'interleave.img', 48);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    await fs.mkdir('/bench');
    await fs.mkdir('/bench/Sub');
    const files = new Map<string, Uint8Array>();
    const started = performance.now();
    for (let i = 0; i < FILES; i++) {
      const path = `/bench/file-${String(i).padStart(5, '0')}.txt`;
      // copy-in's preconditions: the target is absent and its directory is one.
      expect(await fs.exists(path)).toBe(false);
      await expect(fs.stat(path)).rejects.toBeInstanceOf(NotFoundError);
      expect((await fs.stat('/bench')).type).toBe('directory');
      const data = bytesOf(sizeOf(i), i + 1);
      await fs.writeFile(path, data, { mtime: new Date(Date.UTC(2024, 0, 1, 0, 0, i % 60)) });
      files.set(path, data);
      const stat = await fs.stat(path.toUpperCase()); // NTFS matches names case-insensitively
      expect(stat).toMatchObject({ name: path.slice('/bench/'.length), type: 'file', size: data.length });
      if (i % 250 === 0) {
        expect((await fs.readdir('/bench')).length).toBe(files.size + 1);
        expect(Buffer.from(await fs.readFile(path)).equals(Buffer.from(data))).toBe(true);
      }
    }
    const interleavedMs = performance.now() - started;
    // Changes between reads: a rewrite that grows a file, a removal, a nested file.
    const grown = bytesOf(50_000, 7);
    await fs.writeFile('/bench/file-00003.txt', grown);
    files.set('/bench/file-00003.txt', grown);
    expect((await fs.stat('/bench/file-00003.txt')).size).toBe(50_000);
    await fs.unlink('/bench/file-00004.txt');
    files.delete('/bench/file-00004.txt');
    expect(await fs.exists('/bench/file-00004.txt')).toBe(false);
    await expect(fs.readFile('/bench/file-00004.txt')).rejects.toBeInstanceOf(NotFoundError);
    await fs.writeFile('/bench/Sub/nested.bin', bytesOf(9000, 5));
    files.set('/bench/Sub/nested.bin', bytesOf(9000, 5));
    expect(await fs.exists('/bench/file-00005.txt/x')).toBe(false);
    await expect(fs.readdir('/bench/file-00005.txt')).rejects.toMatchObject({ errno: 'ENOTDIR' });
    await expect(fs.readFile('/bench/Sub')).rejects.toMatchObject({ errno: 'EISDIR' });

    // The staged answers are the flushed reader's answers.
    const staged = { root: await fs.stat('/'), bench: await fs.readdir('/bench'), rootList: await fs.readdir('/'), sample: [] as unknown[] };
    const samplePaths = ['/bench', '/bench/Sub', '/bench/file-00003.txt', '/bench/Sub/nested.bin', '/$MFT', '/$Boot', '/$UpCase', '/$Extend', ...[...files.keys()].filter((_, k) => k % 97 === 0)];
    for (const p of samplePaths) staged.sample.push(await fs.stat(p));
    const reader = await fs.reader();
    expect(staged.root).toEqual(await reader.stat('/'));
    expect(staged.bench).toEqual(await reader.readdir('/bench'));
    expect(staged.rootList).toEqual(await reader.readdir('/'));
    for (let k = 0; k < samplePaths.length; k++) expect(staged.sample[k], samplePaths[k]).toEqual(await reader.stat(samplePaths[k]!));

    // Without reads, for comparison.
    const plain = await openNtfsWritable(await overlayOf(makeVolume(dir, 'plain.img', 48)));
    await plain.mkdir('/bench');
    const plainStarted = performance.now();
    for (let i = 0; i < FILES; i++) await plain.writeFile(`/bench/file-${String(i).padStart(5, '0')}.txt`, bytesOf(sizeOf(i), i + 1));
    await plain.flush();
    const plainMs = performance.now() - plainStarted;
    process.stdout.write(`NTFS writer, ${FILES} files: exists+2 stats+write per file ${interleavedMs.toFixed(0)} ms; writes alone ${plainMs.toFixed(0)} ms\n`);

    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'interleave-out.img') });
    const fix = ntfsfixClean(out);
    expect(fix.ok, fix.output).toBe(true);
    expect((await checkNtfs(await FileDevice.open(out))).problems).toEqual([]);
    const expected = ['/bench/', '/bench/Sub/', ...files.keys()].sort();
    expect(ntfsTree(out)).toEqual(expected);
    const back = await openNtfs(await FileDevice.open(out));
    expect(await ourTree(back)).toEqual(expected);
    let k = 0;
    for (const [path, data] of files) {
      if (k++ % 100 === 0 || path.includes('Sub') || path.endsWith('00003.txt')) expect(Buffer.from(ntfsCat(out, path)).equals(Buffer.from(data)), `ntfscat ${path}`).toBe(true);
    }
  }, 120_000);

  it('writes a file from the caller\'s buffer and zeroes only its last cluster\'s tail', async () => {
    const image = makeVolume(dir, 'tail.img', 16);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    // A rewrite that shrinks keeps the file's clusters: its last one held 0xAA past the new end.
    await fs.writeFile('/data.bin', new Uint8Array(256 * 1024).fill(0xaa));
    const data = bytesOf(100_000, 11); // not a multiple of the cluster size
    await fs.writeFile('/data.bin', data);
    expect(Buffer.from(await fs.readFile('/data.bin')).equals(Buffer.from(data))).toBe(true);
    const reader = await fs.reader();
    const file = await reader.mft.loadFile((await fs.stat('/data.bin')).inode!);
    const attribute = file.attributes.find((a) => a.type === 0x80 && a.name === '')!;
    const cs = reader.geometry.clusterSize;
    const last = attribute.runs[attribute.runs.length - 1]!;
    const lastCluster = await overlay.read((last.lcn + last.length - 1) * cs, cs);
    const used = data.length % cs;
    expect(used).toBeGreaterThan(0);
    expect(Buffer.from(lastCluster.subarray(0, used)).equals(Buffer.from(data.subarray(data.length - used)))).toBe(true);
    expect(lastCluster.subarray(used).every((b) => b === 0)).toBe(true);
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'tail-out.img') });
    expect(ntfsfixClean(out).ok).toBe(true);
    expect(Buffer.from(ntfsCat(out, '/data.bin')).equals(Buffer.from(data))).toBe(true);
  });
});
