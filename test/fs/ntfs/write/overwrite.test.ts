// The writer's first increment against the ntfs-3g oracles: rewrite existing files in place,
// grow and shrink them (resident ↔ non-resident, fragmented free space), then check the
// materialized overlay with ntfsls / ntfscat / ntfsfix -n, our reader and checkNtfs, and
// finally hand the volume to a read-write ntfs-3g mount and read its write back.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNtfsWritable, checkNtfs, openNtfs } from '../../../../src/fs/ntfs/index.js';
import { FileDevice } from '../../../../src/io/index.js';
import { UnsupportedError } from '../../../../src/errors.js';
import { requireTool, sha256File, tempDir } from '../../../helpers/tools.js';
import { bytesOf, indexSizes, materialize, makeVolume, ntfsCat, ntfsfixClean, ntfsTree, ourTree, overlayOf } from './helpers.js';

function seed(image: string, dir: string, files: Record<string, Uint8Array>): void {
  for (const [name, data] of Object.entries(files)) {
    const local = join(dir, `seed-${name.replace(/\//g, '_')}`);
    writeFileSync(local, data);
    execFileSync('ntfscp', ['-q', image, local, name]);
  }
}

async function verify(image: string, expected: Record<string, Uint8Array>): Promise<void> {
  const fix = ntfsfixClean(image);
  expect(fix.ok, fix.output).toBe(true);
  const report = await checkNtfs(await FileDevice.open(image));
  expect(report.problems).toEqual([]);
  const fs = await openNtfs(await FileDevice.open(image));
  expect(await ourTree(fs)).toEqual(ntfsTree(image));
  for (const [name, data] of Object.entries(expected)) {
    const ours = await fs.readFile('/' + name);
    expect(ours.length, name).toBe(data.length);
    expect(Buffer.compare(Buffer.from(ours), Buffer.from(data)), name).toBe(0);
    expect(Buffer.compare(Buffer.from(ntfsCat(image, '/' + name)), Buffer.from(data)), `ntfscat ${name}`).toBe(0);
  }
}

describe('NTFS writer: rewrite existing files', () => {
  for (const tool of ['mkntfs', 'ntfscp', 'ntfscat', 'ntfsls', 'ntfsfix']) requireTool(tool);
  const dir = tempDir();

  it('overwrites, grows, shrinks and moves resident data out, consistently for ntfs-3g', async () => {
    const image = makeVolume(dir, 'a.img', 48);
    const files: Record<string, Uint8Array> = {
      'same.bin': bytesOf(70_000, 1),
      'grow.bin': bytesOf(20_000, 2),
      'shrink.bin': bytesOf(300_000, 3),
      'empty-me.bin': bytesOf(9_000, 4),
      'small.txt': new TextEncoder().encode('hello ntfs\n'),
      'tiny.txt': new TextEncoder().encode('x'),
    };
    seed(image, dir, files);
    // Fragment free space: files in between whose deletion later leaves holes.
    const sourceHash = await sha256File(image);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const expected: Record<string, Uint8Array> = {
      'same.bin': bytesOf(70_000, 11),
      'grow.bin': bytesOf(30 * 1024 * 1024, 12),
      'shrink.bin': bytesOf(5_000, 13),
      'empty-me.bin': new Uint8Array(0),
      'small.txt': bytesOf(3_000, 14), // outgrows the 1 KiB record: moves non-resident
      'tiny.txt': new TextEncoder().encode('now a little longer, still resident'),
    };
    const t0 = Date.now();
    for (const [name, data] of Object.entries(expected)) await fs.writeFile('/' + name, data);
    await fs.flush();
    const elapsed = Date.now() - t0;
    for (const [name, data] of Object.entries(expected)) expect(Buffer.compare(Buffer.from(await fs.readFile('/' + name)), Buffer.from(data)), name).toBe(0);
    expect(await sha256File(image)).toBe(sourceHash); // nothing reached the source
    const out = await materialize({ source: image, overlay, out: join(dir, 'a-out.img') });
    await verify(out, expected);
    expect(elapsed).toBeLessThan(15_000);
    // The parent index's $FILE_NAME copies carry the new sizes.
    const sizes = await indexSizes(out, 5);
    for (const [name, data] of Object.entries(expected)) expect(sizes.get(name), name).toBe(data.length);
  });

  it('refuses what it cannot do with a clear error, changing nothing', async () => {
    const image = makeVolume(dir, 'b.img', 8);
    seed(image, dir, { 'small.txt': bytesOf(10, 9) });
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    await expect(fs.symlink('/x', '/link')).rejects.toBeInstanceOf(UnsupportedError);
    await expect(fs.writeFile('/bad:name', new Uint8Array(3))).rejects.toThrow(/forbids/);
    await expect(fs.writeFile('/trailing.', new Uint8Array(3))).rejects.toThrow(/dot or space/);
    await expect(fs.writeFile('/', new Uint8Array(3))).rejects.toThrow(/directory/);
    await expect(fs.writeFile('/$MFT', new Uint8Array(3))).rejects.toThrow(/metadata/);
    await expect(fs.unlink('/$Extend/$Quota')).rejects.toThrow(/metadata/);
    await expect(fs.writeFile('/small.txt', bytesOf(8 * 1024 * 1024 + 1, 5))).rejects.toThrow(/no room/);
    await expect(fs.unlink('/missing')).rejects.toThrow(/no such file/);
    await fs.mkdir('/d');
    await fs.writeFile('/d/f', bytesOf(10, 1));
    await expect(fs.rmdir('/d')).rejects.toThrow(/not empty/);
    await expect(fs.unlink('/d')).rejects.toThrow(/directory/);
    await expect(fs.mkdir('/D')).rejects.toThrow(/exists/);
  });

  it('leaves a volume ntfs-3g mounts read-write, writes to, and we read back', async () => {
    requireTool('ntfs-3g');
    const image = makeVolume(dir, 'c.img', 16);
    seed(image, dir, { 'a.bin': bytesOf(50_000, 21) });
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    await fs.writeFile('/a.bin', bytesOf(700_000, 22));
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'c-out.img') });
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    execFileSync('ntfs-3g', [out, mnt]);
    try {
      expect(Buffer.compare(readFileSync(join(mnt, 'a.bin')), Buffer.from(bytesOf(700_000, 22)))).toBe(0);
      writeFileSync(join(mnt, 'from-ntfs3g.bin'), bytesOf(123_457, 23));
    } finally {
      const u = spawnSync('umount', [mnt]);
      if (u.status !== 0) spawnSync('fusermount', ['-u', mnt]);
    }
    const back = await openNtfs(await FileDevice.open(out));
    expect(Buffer.compare(Buffer.from(await back.readFile('/from-ntfs3g.bin')), Buffer.from(bytesOf(123_457, 23)))).toBe(0);
    expect(Buffer.compare(Buffer.from(await back.readFile('/a.bin')), Buffer.from(bytesOf(700_000, 22)))).toBe(0);
    expect((await checkNtfs(await FileDevice.open(out))).problems).toEqual([]);
  });

  it('grows a 20 KB file to 30 MB through fragmented free space', async () => {
    const image = makeVolume(dir, 'frag.img', 64);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    await fs.writeFile('/grow.bin', bytesOf(20_000, 1));
    // Fill most of the volume with 512 KiB files, then free every other one: holes.
    const kept: Record<string, Uint8Array> = {};
    for (let i = 0; i < 100; i++) await fs.writeFile(`/fill-${i}`, bytesOf(512 * 1024, 100 + i));
    for (let i = 0; i < 100; i++) {
      if (i % 2 === 0) await fs.unlink(`/fill-${i}`);
      else kept[`fill-${i}`] = bytesOf(512 * 1024, 100 + i);
    }
    const big = bytesOf(30 * 1024 * 1024, 2);
    await fs.writeFile('/grow.bin', big);
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'frag-out.img') });
    const reader = await openNtfs(await FileDevice.open(out));
    const file = await reader.mft.loadFile((await reader.stat('/grow.bin')).inode!);
    const runs = file.attributes.find((a) => a.type === 0x80)!.runs.length;
    expect(runs).toBeGreaterThan(10);
    await verify(out, { 'grow.bin': big, ...kept });
  }, 60_000);
});
