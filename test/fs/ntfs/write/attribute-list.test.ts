// $ATTRIBUTE_LIST writing: a file grown across thousands of free-space fragments outgrows its
// base record, so its $DATA extents move to extension records named by an attribute list;
// shrinking collapses it back; deleting frees every extension record. ntfs-3g (ntfscat,
// ntfsinfo -i, ntfsfix -n, a read-write mount that appends to the file), libfsntfs
// (fsntfsinfo -E) and checkNtfs check each state; files ntfs-3g itself wrote with attribute
// lists are rewritten and deleted too.

import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNtfsWritable, checkNtfs, openNtfs } from '../../../../src/fs/ntfs/index.js';
import { FileDevice } from '../../../../src/io/index.js';
import { requireTool, tempDir } from '../../../helpers/tools.js';
import { bytesOf, materialize, makeVolume, ntfsCat, ntfsfixClean, overlayOf } from './helpers.js';
import { readMounted, verifyAll, withNtfs3g } from './oracles.js';

async function listInfo(image: string, path: string): Promise<{ record: number; extents: number; runs: number; extensions: number }> {
  const fs = await openNtfs(await FileDevice.open(image));
  const n = (await fs.stat(path)).inode!;
  const file = await fs.mft.loadFile(n);
  const data = file.attributes.find((a) => a.type === 0x80 && a.name === '')!;
  const extensions = new Set((file.attributeList ?? []).map((e) => e.recordNumber).filter((r) => r !== n));
  return { record: n, extents: (file.attributeList ?? []).filter((e) => e.type === 0x80).length, runs: data.runs.length, extensions: extensions.size };
}

/** ntfsfix -n, checkNtfs, and ntfscat of the files outside /d (the ones that changed). */
async function quickVerify(image: string, files: Map<string, Uint8Array>): Promise<{ recordsInUse: number; clustersInUse: number }> {
  const fix = ntfsfixClean(image);
  expect(fix.ok, fix.output).toBe(true);
  const report = await checkNtfs(await FileDevice.open(image));
  expect(report.problems).toEqual([]);
  for (const [path, data] of files) if (!path.startsWith('/d/') && path !== '/filler') expect(Buffer.compare(Buffer.from(ntfsCat(image, path)), Buffer.from(data)), path).toBe(0);
  return report;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe('NTFS writer: $ATTRIBUTE_LIST', () => {
  for (const tool of ['mkntfs', 'ntfscat', 'ntfsls', 'ntfsfix', 'ntfsinfo', 'fsntfsinfo', 'ntfs-3g']) requireTool(tool);
  const dir = tempDir();

  it('grows a file across thousands of fragments, shrinks it back and deletes it', async () => {
    const image = makeVolume(dir, 'al.img', 40);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const files = new Map<string, Uint8Array>();
    await fs.mkdir('/d');
    const t0 = Date.now();
    for (let i = 0; i < 4000; i++) await fs.writeFile(`/d/f${i}`, bytesOf(4096, i + 1));
    // Fill the rest of the volume, so the holes left below are the only free space.
    const reader = await fs.reader();
    const free = reader.geometry.totalClusters - (await checkNtfs(overlay)).clustersInUse;
    await fs.writeFile('/filler', new Uint8Array((free - 150) * 4096));
    files.set('/filler', new Uint8Array((free - 150) * 4096));
    for (let i = 0; i < 4000; i++) {
      if (i % 2 === 0) await fs.unlink(`/d/f${i}`);
      else files.set(`/d/f${i}`, bytesOf(4096, i + 1));
    }
    await fs.flush();
    const before = await checkNtfs(overlay);
    expect(before.problems).toEqual([]);
    const big = bytesOf(2080 * 4096 + 123, 7);
    await fs.writeFile('/big.bin', big);
    await fs.flush();
    const tGrow = Date.now() - t0;
    files.set('/big.bin', big);
    expect(Buffer.compare(Buffer.from(await fs.readFile('/big.bin')), Buffer.from(big))).toBe(0);
    const out = await materialize({ source: image, overlay, out: join(dir, 'al-1.img') });
    const info = await listInfo(out, '/big.bin');
    expect(info.runs).toBeGreaterThan(1900); // thousands of fragments
    expect(info.extents).toBeGreaterThan(5);
    expect(info.extensions).toBeGreaterThan(5);
    const v1 = await verifyAll({ image: out, files, dirs: ['/d'], catSample: 10 });
    // ntfsinfo decodes the list and the extents; libfsntfs reads the entry and its size.
    const ntfsinfo = execFileSync('ntfsinfo', ['-i', String(info.record), out], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(ntfsinfo).toMatch(/\$ATTRIBUTE_LIST/);
    expect(ntfsinfo).toMatch(new RegExp(`Data size:\\s+${big.length}\\b`));
    const fsntfs = execFileSync('fsntfsinfo', ['-E', String(info.record), out], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(fsntfs).toMatch(/\$ATTRIBUTE_LIST/);
    expect(fsntfs).toMatch(new RegExp(`Data size\\s*:\\s*${big.length} bytes`));
    // ntfs-3g mounted read-write reads it, and appends to it; we read its append back.
    const tail = bytesOf(100_000, 8);
    await withNtfs3g({ image: out, dir }, (mnt) => {
      expect(Buffer.compare(Buffer.from(readMounted(mnt, 'big.bin')), Buffer.from(big))).toBe(0);
      appendFileSync(join(mnt, 'big.bin'), tail);
    });
    const back = await openNtfs(await FileDevice.open(out));
    expect(Buffer.compare(Buffer.from(await back.readFile('/big.bin')), Buffer.from(concat(big, tail)))).toBe(0);
    expect((await checkNtfs(await FileDevice.open(out))).problems).toEqual([]);

    // Shrink: the list collapses and the extension records go back to $MFT:$BITMAP.
    await fs.writeFile('/big.bin', bytesOf(3000, 9));
    files.set('/big.bin', bytesOf(3000, 9));
    await fs.flush();
    const v2 = await checkNtfs(overlay); // in memory; the oracles run on the final state below
    expect(v2.problems).toEqual([]);
    expect((await (await fs.reader()).mft.loadFile(info.record)).attributeList).toBeUndefined();
    expect(v2.recordsInUse).toBe(v1.recordsInUse - info.extensions);

    // Grow again, then delete: every cluster and record is freed.
    await fs.writeFile('/big.bin', big);
    await fs.flush();
    expect((await checkNtfs(overlay)).problems).toEqual([]);
    await fs.unlink('/big.bin');
    files.delete('/big.bin');
    await fs.flush();
    const out3 = await materialize({ source: image, overlay, out: join(dir, 'al-3.img') });
    const v3 = await quickVerify(out3, files);
    expect(v3.recordsInUse).toBe(before.recordsInUse);
    expect(v3.clustersInUse).toBe(before.clustersInUse);
    expect(tGrow).toBeLessThan(30_000);
  }, 120_000);

  it('rewrites and deletes files that ntfs-3g wrote with attribute lists', async () => {
    const base = makeVolume(dir, 'al3g-base.img', 24);
    // We fragment free space (single-cluster holes), then ntfs-3g writes two files through them.
    const prep = await overlayOf(base);
    const pfs = await openNtfsWritable(prep);
    for (let i = 0; i < 2400; i++) await pfs.writeFile(`/h${i}`, bytesOf(4096, i));
    const free = (await pfs.reader()).geometry.totalClusters - (await checkNtfs(prep)).clustersInUse;
    await pfs.writeFile('/filler', new Uint8Array((free - 30) * 4096));
    for (let i = 0; i < 2400; i += 2) await pfs.unlink(`/h${i}`);
    await pfs.flush();
    const image = await materialize({ source: base, overlay: prep, out: join(dir, 'al3g.img') });
    const one = bytesOf(700 * 4096, 11);
    const two = bytesOf(400 * 4096, 12);
    await withNtfs3g({ image, dir }, (mnt) => {
      writeFileSync(join(mnt, 'one.bin'), one);
      writeFileSync(join(mnt, 'two.bin'), two);
    });
    const first = await listInfo(image, '/one.bin');
    expect(first.extensions).toBeGreaterThan(0); // ntfs-3g needed an attribute list too
    expect((await listInfo(image, '/two.bin')).extensions).toBeGreaterThan(0);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const before = await checkNtfs(overlay);
    expect(before.problems).toEqual([]);
    const files = new Map<string, Uint8Array>();
    for (let i = 1; i < 2400; i += 2) files.set(`/h${i}`, bytesOf(4096, i));
    files.set('/filler', await fs.readFile('/filler'));
    const grown = bytesOf(1000 * 4096 + 5, 13);
    await fs.unlink('/two.bin'); // deletes a file with extension records
    await fs.writeFile('/one.bin', grown); // grows an existing list (into two.bin's clusters)
    files.set('/one.bin', grown);
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'al3g-out.img') });
    await verifyAll({ image: out, files, catSample: 30 });
    await withNtfs3g({ image: out, dir, readOnly: true }, (mnt) => {
      expect(Buffer.compare(Buffer.from(readMounted(mnt, 'one.bin')), Buffer.from(grown))).toBe(0);
    });
  }, 120_000);
  it('gives a directory whose index runs outgrow its record an attribute list, and edits it again', async () => {
    const image = makeVolume(dir, 'aldir.img', 32);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const long = (i: number): string => `/big/${'entry with a long name to fill index blocks quickly '.repeat(4)}${i}`;
    // $MFT grows first in one piece, then free space is cut into one-cluster holes.
    await fs.mkdir('/big');
    for (let i = 0; i < 3200; i++) await fs.writeFile(long(i), bytesOf(10, i));
    await fs.flush();
    for (let i = 0; i < 3200; i++) await fs.unlink(long(i));
    await fs.mkdir('/frag');
    for (let i = 0; i < 800; i++) await fs.writeFile(`/frag/f${i}`, bytesOf(4000, i));
    const free = (await fs.reader()).geometry.totalClusters - (await checkNtfs(overlay)).clustersInUse;
    await fs.writeFile('/filler', new Uint8Array((free - 40) * 4096));
    for (let i = 0; i < 800; i += 2) await fs.unlink(`/frag/f${i}`);
    await fs.flush();
    const files = new Map<string, Uint8Array>([['/filler', new Uint8Array((free - 40) * 4096)]]);
    for (let i = 1; i < 800; i += 2) files.set(`/frag/f${i}`, bytesOf(4000, i));
    for (let i = 0; i < 2400; i++) {
      await fs.writeFile(long(i), bytesOf(10, i));
      files.set(long(i), bytesOf(10, i));
    }
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'aldir-1.img') });
    const reader = await openNtfs(await FileDevice.open(out));
    const bigFile = await reader.mft.loadFile((await reader.stat('/big')).inode!);
    const allocRuns = bigFile.attributes.find((a) => a.type === 0xa0)!.runs.length;
    expect(new Set((bigFile.attributeList ?? []).map((e) => e.recordNumber)).size, `${allocRuns} runs`).toBeGreaterThan(1);
    expect(bigFile.attributes.find((a) => a.type === 0xa0)!.runs.length).toBeGreaterThan(150);
    await verifyAll({ image: out, files, dirs: ['/big', '/frag'], catSample: 10 });
    await withNtfs3g({ image: out, dir }, (mnt) => {
      expect(execFileSync('ls', [join(mnt, 'big')], { encoding: 'utf8' }).split('\n').filter(Boolean).length).toBe(2400);
      writeFileSync(join(mnt, 'big/from ntfs-3g'), 'hello');
    });
    // Edit it again: our writer reloads the list (from ntfs-3g's version) and deletes half.
    const overlay2 = await overlayOf(out);
    const fs2 = await openNtfsWritable(overlay2);
    for (let i = 0; i < 2400; i += 2) {
      await fs2.unlink(long(i));
      files.delete(long(i));
    }
    await fs2.flush();
    files.set('/big/from ntfs-3g', new TextEncoder().encode('hello'));
    const out2 = await materialize({ source: out, overlay: overlay2, out: join(dir, 'aldir-2.img') });
    await verifyAll({ image: out2, files, dirs: ['/big', '/frag'], catSample: 10 });
  }, 120_000);
  it('keeps named streams spread over extension records when the main stream changes', async () => {
    const image = makeVolume(dir, 'ads.img', 16);
    const streams = new Map<string, Uint8Array>();
    for (let i = 1; i <= 30; i++) streams.set(`stream number ${i} with a long name`, bytesOf(200 + i * 10, 100 + i));
    await withNtfs3g({ image, dir, options: ['streams_interface=windows'] }, (mnt) => {
      writeFileSync(join(mnt, 'f.txt'), 'main');
      for (const [name, data] of streams) writeFileSync(join(mnt, `f.txt:${name}`), data);
    });
    expect((await listInfo(image, '/f.txt')).extensions).toBeGreaterThan(10); // ntfs-3g spread them out
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const main = bytesOf(300_000, 5);
    await fs.writeFile('/f.txt', main); // grows the main stream; the 30 streams move with the layout
    await fs.writeFile('/g.txt', bytesOf(10, 6));
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'ads-out.img') });
    await verifyAll({ image: out, files: new Map([['/f.txt', main], ['/g.txt', bytesOf(10, 6)]]) });
    for (const [name, data] of streams) {
      const theirs = execFileSync('ntfscat', ['-a', 'DATA', '-n', name, out, '/f.txt'], { maxBuffer: 1 << 24 });
      expect(Buffer.compare(theirs, Buffer.from(data)), name).toBe(0);
    }
    // Deleting the file frees every extension record.
    const before = await checkNtfs(overlay);
    const extensions = (await listInfo(out, '/f.txt')).extensions;
    await fs.unlink('/f.txt');
    await fs.flush();
    const after = await checkNtfs(overlay);
    expect(after.problems).toEqual([]);
    expect(after.recordsInUse).toBe(before.recordsInUse - 1 - extensions);
  }, 60_000);
});
