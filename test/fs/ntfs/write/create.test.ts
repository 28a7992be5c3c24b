// Creating and deleting files and directories, checked by ntfs-3g (ntfsls -R, ntfscat,
// ntfsfix -n), our reader and checkNtfs: thousands of files in one directory (several levels
// of INDX blocks, $MFT extended), deep trees, Unicode names, deleting half.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNtfsWritable, checkNtfs, openNtfs } from '../../../../src/fs/ntfs/index.js';
import { FileDevice } from '../../../../src/io/index.js';
import { requireTool, tempDir } from '../../../helpers/tools.js';
import { bytesOf, corpusVolume, fsntfsTree, materialize, makeVolume, ntfsCat, ntfsfixClean, ntfsTree, ourTree, overlayOf } from './helpers.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

async function verify(image: string, files: Map<string, Uint8Array>, dirs: Set<string>, catSample = 40, base: string[] = []): Promise<void> {
  const fix = ntfsfixClean(image);
  expect(fix.ok, fix.output).toBe(true);
  const report = await checkNtfs(await FileDevice.open(image));
  expect(report.problems).toEqual([]);
  const expected = [...base, ...[...files.keys()], ...[...dirs].map((d) => d + '/')].sort();
  const theirs = ntfsTree(image);
  expect(theirs.length).toBe(expected.length);
  expect(theirs).toEqual(expected);
  // libfsntfs 20200921 decodes surrogate pairs wrongly (😀 prints as 🈁), so names outside
  // the BMP are left out of its comparison; ntfsls and our reader check them.
  const bmp = (p: string): boolean => !/[\u{10000}-\u{10FFFF}]/u.test(p);
  expect(fsntfsTree(image).filter(bmp)).toEqual(expected.map((p) => p.replace(/\/$/, '')).filter(bmp).sort());
  const fs = await openNtfs(await FileDevice.open(image));
  expect(await ourTree(fs)).toEqual(expected);
  let i = 0;
  for (const [path, data] of files) {
    expect(Buffer.compare(Buffer.from(await fs.readFile(path)), Buffer.from(data)), path).toBe(0);
    if (i++ % Math.max(1, Math.floor(files.size / catSample)) === 0) expect(Buffer.compare(Buffer.from(ntfsCat(image, path)), Buffer.from(data)), `ntfscat ${path}`).toBe(0);
  }
}

describe('NTFS writer: create and delete', () => {
  for (const tool of ['mkntfs', 'ntfscat', 'ntfsls', 'ntfsfix', 'fsntfsinfo', 'ntfs-3g']) requireTool(tool);
  const dir = tempDir();

  it('creates files and directories, small and large, with Unicode names', async () => {
    const image = makeVolume(dir, 'a.img', 16);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const files = new Map<string, Uint8Array>();
    const dirs = new Set<string>();
    await fs.mkdir('/Windows');
    dirs.add('/Windows');
    await fs.mkdir('/Windows/System32');
    dirs.add('/Windows/System32');
    let p = '/deep';
    for (let i = 0; i < 12; i++) {
      await fs.mkdir(p);
      dirs.add(p);
      p += `/level${i}`;
    }
    const names = ['readme.txt', 'Ünïcödé – файл.txt', '日本語のファイル名.bin', 'emoji 😀.dat', 'UPPER.TXT', 'a'.repeat(255)];
    names.forEach((name, i) => files.set(`/Windows/System32/${name}`, bytesOf(i * 700, i + 1)));
    files.set('/Windows/System32/drivers.sys', bytesOf(300_000, 99));
    files.set('/deep/level0/level1/leaf.txt', bytesOf(5, 3));
    files.set('/empty', new Uint8Array(0));
    for (const [path, data] of files) await fs.writeFile(path, data);
    expect(Buffer.compare(Buffer.from(await fs.readFile('/Windows/System32/drivers.sys')), Buffer.from(files.get('/Windows/System32/drivers.sys')!))).toBe(0);
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'a-out.img') });
    await verify(out, files, dirs);
  });

  it('creates 5,000 files in one directory (index splits, $MFT growth), then deletes half', async () => {
    const image = makeVolume(dir, 'big.img', 48);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const files = new Map<string, Uint8Array>();
    const dirs = new Set<string>(['/many']);
    await fs.mkdir('/many');
    const t0 = Date.now();
    for (let i = 0; i < 5000; i++) {
      const path = `/many/file-${String(i).padStart(5, '0')}-${(i * 7919) % 1000}.txt`;
      const data = bytesOf(i % 5 === 0 ? 5000 : 40, i + 7);
      files.set(path, data);
      await fs.writeFile(path, data);
    }
    await fs.flush();
    const created = Date.now() - t0;
    const mid = join(dir, 'big-mid.img');
    await materialize({ source: image, overlay, out: mid });
    await verify(mid, files, dirs);
    // Several levels of INDX blocks: ~170 leaves under a few node blocks under the root.
    const reader = await openNtfs(await FileDevice.open(mid));
    const many = await reader.mft.loadFile((await reader.stat('/many')).inode!);
    const allocation = many.attributes.find((a) => a.type === 0xa0)!;
    expect(allocation.dataSize / 4096).toBeGreaterThan(100);
    const t1 = Date.now();
    let k = 0;
    for (const path of [...files.keys()]) {
      if (k++ % 2 === 0) {
        await fs.unlink(path);
        files.delete(path);
      }
    }
    await fs.flush();
    const deleted = Date.now() - t1;
    const out = await materialize({ source: image, overlay, out: join(dir, 'big-out.img') });
    await verify(out, files, dirs);
    console.log(`created 5000 files in ${created} ms, deleted 2500 in ${deleted} ms`);
  }, 60_000);

  it('deletes files and empty directories back to a clean volume', async () => {
    const image = makeVolume(dir, 'c.img', 8);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    await fs.mkdir('/a');
    await fs.mkdir('/a/b');
    await fs.writeFile('/a/b/x', bytesOf(100_000, 1));
    await fs.writeFile('/a/y', bytesOf(10, 2));
    await fs.unlink('/a/b/x');
    await fs.rmdir('/a/b');
    await fs.unlink('/a/y');
    await fs.rmdir('/a');
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'c-out.img') });
    await verify(out, new Map(), new Set());
    const fresh = await checkNtfs(await FileDevice.open(image));
    const after = await checkNtfs(await FileDevice.open(out));
    // Everything freed except the clusters $MFT grew by (it never shrinks, as on Windows).
    const mftClusters = async (path: string): Promise<number> => (await openNtfs(await FileDevice.open(path))).mft.runs.reduce((n, r) => n + r.length, 0);
    const mftGrowth = (await mftClusters(out)) - (await mftClusters(image));
    expect(after.clustersInUse).toBe(fresh.clustersInUse + mftGrowth);
  });

  it('writes on the Windows-made corpus volume: into its large directory, new trees, deletions', async () => {
    const image = corpusVolume(dir);
    const before = ntfsTree(image);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const large = (await fs.readdir('/')).find((e) => /large/i.test(e.name))!;
    expect(large).toBeDefined();
    const files = new Map<string, Uint8Array>();
    for (let i = 0; i < 300; i++) files.set(`/${large.name}/added-${i}.txt`, bytesOf(i * 2, i + 1)); // the 7 MiB volume has ~37 free clusters
    files.set('/new tree/sub/driver.sys', bytesOf(20_000, 5));
    await fs.mkdir('/new tree');
    await fs.mkdir('/new tree/sub');
    for (const [path, data] of files) await fs.writeFile(path, data);
    for (let i = 0; i < 300; i += 2) {
      await fs.unlink(`/${large.name}/added-${i}.txt`);
      files.delete(`/${large.name}/added-${i}.txt`);
    }
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'corpus-out.img') });
    // This image lacks its alternate boot sector (ntfsfix -n says so before we write); our
    // writes must add nothing to what ntfsfix reports.
    expect(ntfsfixClean(image).output).toMatch(/alternate boot sector\.\.\. BAD/);
    expect(ntfsfixClean(out).output).toBe(ntfsfixClean(image).output);
    expect((await checkNtfs(await FileDevice.open(out))).problems).toEqual([]);
    const expected = [...before, ...files.keys(), '/new tree/', '/new tree/sub/'].sort();
    expect(ntfsTree(out)).toEqual(expected);
    const reader = await openNtfs(await FileDevice.open(out));
    for (const [path, data] of files) {
      expect(Buffer.compare(Buffer.from(await reader.readFile(path)), Buffer.from(data)), path).toBe(0);
    }
    expect(Buffer.compare(Buffer.from(ntfsCat(out, '/new tree/sub/driver.sys')), Buffer.from(files.get('/new tree/sub/driver.sys')!))).toBe(0);
  });

  it('leaves created trees that ntfs-3g mounts read-write and extends', async () => {
    const image = makeVolume(dir, 'm.img', 16);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    await fs.mkdir('/dir');
    for (let i = 0; i < 200; i++) await fs.writeFile(`/dir/f${i}`, bytesOf(i * 31, i));
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'm-out.img') });
    const mnt = join(dir, 'mnt-m');
    mkdirSync(mnt);
    execFileSync('ntfs-3g', [out, mnt]);
    try {
      for (let i = 0; i < 200; i += 37) expect(Buffer.compare(readFileSync(join(mnt, 'dir', `f${i}`)), Buffer.from(bytesOf(i * 31, i)))).toBe(0);
      writeFileSync(join(mnt, 'dir', 'by-ntfs-3g.bin'), bytesOf(77_777, 3));
      mkdirSync(join(mnt, 'dir', 'sub-by-ntfs-3g'));
    } finally {
      const u = spawnSync('umount', [mnt]);
      if (u.status !== 0) spawnSync('fusermount', ['-u', mnt]);
    }
    const back = await openNtfs(await FileDevice.open(out));
    expect(Buffer.compare(Buffer.from(await back.readFile('/dir/by-ntfs-3g.bin')), Buffer.from(bytesOf(77_777, 3)))).toBe(0);
    expect((await back.readdir('/dir')).length).toBe(202);
    expect((await checkNtfs(await FileDevice.open(out))).problems).toEqual([]);
  });
});
