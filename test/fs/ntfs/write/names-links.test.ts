// DOS 8.3 aliases and hard links. Aliases: made in a directory that already has DOS names
// (ntfs-3g's setfattr system.ntfs_dos_name puts one there), or everywhere with
// shortNames 'always', never with 'never'; checked through ntfs-3g (getfattr
// system.ntfs_dos_name on a mount, `ntfsls -x`), ntfsfix -n, libfsntfs and checkNtfs, and
// removed together with their long names. Hard links: link counts and names as a read-write
// ntfs-3g mount sees them (same inode, st_nlink), one name removed at a time, the record freed
// with the last; enough links to push $FILE_NAMEs out through an $ATTRIBUTE_LIST.

import { execFileSync, spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNtfsWritable, checkNtfs, openNtfs, generateShortName, isShortName } from '../../../../src/fs/ntfs/index.js';
import { FileDevice } from '../../../../src/io/index.js';
import { requireTool, tempDir } from '../../../helpers/tools.js';
import { bytesOf, materialize, makeVolume, overlayOf } from './helpers.js';
import { readMounted, verifyAll, withNtfs3g } from './oracles.js';

function dosNameOf(mnt: string, path: string): string | undefined {
  const r = spawnSync('getfattr', ['--only-values', '-n', 'system.ntfs_dos_name', join(mnt, path)], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : undefined;
}

describe('NTFS writer: DOS 8.3 names', () => {
  it('generates Windows-style aliases', () => {
    const taken = new Set<string>();
    const make = (name: string): string => {
      const s = generateShortName(name, (c) => taken.has(c.toUpperCase()));
      taken.add(s);
      return s;
    };
    expect(make('Long File Name.txt')).toBe('LONGFI~1.TXT');
    expect(make('Long File Name 2.txt')).toBe('LONGFI~2.TXT');
    expect(make('longfile.html')).toBe('LONGFI~1.HTM'); // another extension: no collision
    expect(make('Longfi.x.y.jpeg')).toBe('LONGFI~1.JPE');
    expect(make('Long File Name 3.txt')).toBe('LONGFI~3.TXT');
    expect(make('Long File Name 4.txt')).toBe('LONGFI~4.TXT');
    expect(make('Long File Name 5.txt')).toMatch(/^LO[0-9A-F]{4}~1\.TXT$/);
    expect(make('a+b=c[1];.txt')).toBe('A_B_C_~1.TXT');
    expect(make('.profile')).toBe('PROFIL~1');
    expect(make('Ärger über.doc')).toBe('_RGER_~1.DOC');
    expect(isShortName('README.TXT')).toBe(true);
    expect(isShortName('readme.txt')).toBe(true);
    expect(isShortName('drv.sys')).toBe(true);
    expect(isShortName('toolongname.txt')).toBe(false);
    expect(isShortName('a.b.c')).toBe(false);
    expect(isShortName('sp ace.txt')).toBe(false);
    expect(isShortName('x.html')).toBe(false);
  });

  for (const tool of ['mkntfs', 'ntfscat', 'ntfsls', 'ntfsfix', 'fsntfsinfo', 'ntfs-3g', 'setfattr', 'getfattr']) requireTool(tool);
  const dir = tempDir();

  it("makes aliases where the directory has them ('auto'), keeps them in sync on delete", async () => {
    const image = makeVolume(dir, 'dos.img', 16);
    await withNtfs3g({ image, dir }, (mnt) => {
      execFileSync('mkdir', [join(mnt, 'Program Files'), join(mnt, 'plain')]);
      writeFileSync(join(mnt, 'Program Files/Existing Long.txt'), 'x');
      execFileSync('setfattr', ['-n', 'system.ntfs_dos_name', '-v', 'EXISTI~1.TXT', join(mnt, 'Program Files/Existing Long.txt')]);
    });
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const files = new Map<string, Uint8Array>([['/Program Files/Existing Long.txt', new TextEncoder().encode('x')]]);
    const names = ['Existing Longer.txt', 'Existing Long 3.txt', 'Existing Long 4.txt', 'Existing Long 5.txt', 'readme.txt', 'Driver Package.inf', 'Driver Package.sys'];
    for (const [i, name] of names.entries()) files.set(`/Program Files/${name}`, bytesOf(100 + i * 500, i + 1));
    files.set('/plain/Long Name Without Alias.txt', bytesOf(10, 9));
    for (const [path, data] of files) if (path !== '/Program Files/Existing Long.txt') await fs.writeFile(path, data);
    await fs.mkdir('/Program Files/Sub Directory');
    // A hard link gets no alias: NTFS allows one DOS name per file.
    await fs.link('/Program Files/Existing Longer.txt', '/Program Files/Second Name For It.txt');
    files.set('/Program Files/Second Name For It.txt', files.get('/Program Files/Existing Longer.txt')!);
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'dos-out.img') });
    await verifyAll({ image: out, files, dirs: ['/Program Files', '/plain', '/Program Files/Sub Directory'] });
    const expected: Record<string, string | undefined> = {
      'Program Files/Existing Long.txt': 'EXISTI~1.TXT',
      // ntfs-3g reports a DOS name only for a file with link count 2 (one Win32 + one DOS
      // name); this one also has a hard link, so `ntfsls -x` below shows its alias instead.
      'Program Files/Existing Longer.txt': undefined,
      'Program Files/Existing Long 3.txt': 'EXISTI~3.TXT',
      'Program Files/Existing Long 4.txt': 'EXISTI~4.TXT',
      'Program Files/readme.txt': 'README.TXT', // one Win32&DOS name
      'Program Files/Driver Package.inf': 'DRIVER~1.INF',
      'Program Files/Driver Package.sys': 'DRIVER~1.SYS',
      'Program Files/Sub Directory': 'SUBDIR~1',
      'plain/Long Name Without Alias.txt': undefined, // no DOS names in /plain: none made
      'Program Files/Second Name For It.txt': undefined,
    };
    await withNtfs3g({ image: out, dir, readOnly: true }, (mnt) => {
      for (const [path, dos] of Object.entries(expected)) expect(dosNameOf(mnt, path), path).toBe(dos);
      expect(dosNameOf(mnt, 'Program Files/Existing Long 5.txt')).toMatch(/^EX[0-9A-F]{4}~1\.TXT$/);
    });
    const short = execFileSync('ntfsls', ['-x', '-p', '/Program Files', out], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(short).toContain('DRIVER~1.SYS');
    expect(short).toContain('EXISTI~2.TXT');
    expect(short).not.toContain('Second Name For It.txt'); // Win32-only: ntfsls -x skips it
    expect(short).toContain('readme.txt');
    // Our reader hides DOS names and resolves through them.
    const reader = await openNtfs(await FileDevice.open(out));
    expect((await reader.readdir('/Program Files')).map((e) => e.name)).not.toContain('DRIVER~1.SYS');
    expect(Buffer.compare(Buffer.from(await reader.readFile('/Program Files/DRIVER~1.SYS')), Buffer.from(files.get('/Program Files/Driver Package.sys')!))).toBe(0);
    // Deleting by the long name and by the alias removes both names.
    await fs.unlink('/Program Files/Driver Package.inf');
    await fs.unlink('/Program Files/DRIVER~1.SYS');
    await fs.unlink('/Program Files/readme.txt');
    for (const p of ['/Program Files/Driver Package.inf', '/Program Files/Driver Package.sys', '/Program Files/readme.txt']) files.delete(p);
    await fs.flush();
    const out2 = await materialize({ source: image, overlay, out: join(dir, 'dos-out2.img') });
    await verifyAll({ image: out2, files, dirs: ['/Program Files', '/plain', '/Program Files/Sub Directory'] });
    const short2 = execFileSync('ntfsls', ['-x', '-p', '/Program Files', out2], { encoding: 'utf8' });
    expect(short2).not.toMatch(/DRIVER~1/);
  }, 60_000);

  it("follows the shortNames option: 'always' and 'never'", async () => {
    const image = makeVolume(dir, 'dos2.img', 8);
    const overlay = await overlayOf(image);
    const always = await openNtfsWritable(overlay, { shortNames: 'always' });
    await always.writeFile('/Some Long Name.dat', bytesOf(10, 1));
    await always.flush();
    const never = await openNtfsWritable(overlay, { shortNames: 'never' });
    await never.writeFile('/Another Long Name.dat', bytesOf(10, 2));
    await never.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'dos2-out.img') });
    await verifyAll({ image: out, files: new Map([['/Some Long Name.dat', bytesOf(10, 1)], ['/Another Long Name.dat', bytesOf(10, 2)]]) });
    await withNtfs3g({ image: out, dir, readOnly: true }, (mnt) => {
      expect(dosNameOf(mnt, 'Some Long Name.dat')).toBe('SOMELO~1.DAT');
      expect(dosNameOf(mnt, 'Another Long Name.dat')).toBeUndefined();
    });
  });
});

describe('NTFS writer: hard links', () => {
  for (const tool of ['mkntfs', 'ntfscat', 'ntfsls', 'ntfsfix', 'fsntfsinfo', 'ntfs-3g']) requireTool(tool);
  const dir = tempDir();

  it('adds and removes links; the record goes with the last one', async () => {
    const image = makeVolume(dir, 'hl.img', 16);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const data = bytesOf(50_000, 1);
    await fs.mkdir('/d');
    await fs.writeFile('/a.bin', data);
    const baseline = await checkNtfs(overlay);
    await fs.link('/a.bin', '/d/b.bin');
    await fs.link('/a.bin', '/d/c.bin');
    await fs.link('/d/b.bin', '/also a.bin');
    await expect(fs.link('/a.bin', '/d/B.BIN')).rejects.toThrow(/exists/);
    await expect(fs.link('/d', '/dlink')).rejects.toThrow(/directory/);
    expect((await fs.stat('/d/c.bin')).nlink).toBe(4);
    await fs.flush();
    const files = new Map([['/a.bin', data], ['/d/b.bin', data], ['/d/c.bin', data], ['/also a.bin', data]]);
    const out = await materialize({ source: image, overlay, out: join(dir, 'hl-1.img') });
    await verifyAll({ image: out, files, dirs: ['/d'] });
    const grown = bytesOf(80_000, 2);
    await withNtfs3g({ image: out, dir }, (mnt) => {
      const inodes = [...files.keys()].map((p) => statSync(join(mnt, p)));
      expect(new Set(inodes.map((s) => s.ino)).size).toBe(1);
      expect(inodes.map((s) => s.nlink)).toEqual([4, 4, 4, 4]);
      writeFileSync(join(mnt, 'd/c.bin'), grown); // ntfs-3g writes through one name
    });
    const back = await openNtfs(await FileDevice.open(out));
    expect(Buffer.compare(Buffer.from(await back.readFile('/also a.bin')), Buffer.from(grown))).toBe(0);

    // Remove links one by one (our side): the data stays until the last goes.
    await fs.unlink('/a.bin');
    await fs.unlink('/d/b.bin');
    files.delete('/a.bin');
    files.delete('/d/b.bin');
    expect((await fs.stat('/d/c.bin')).nlink).toBe(2);
    await fs.flush();
    const out2 = await materialize({ source: image, overlay, out: join(dir, 'hl-2.img') });
    await verifyAll({ image: out2, files, dirs: ['/d'] });
    await withNtfs3g({ image: out2, dir, readOnly: true }, (mnt) => {
      expect(statSync(join(mnt, 'd/c.bin')).nlink).toBe(2);
      expect(Buffer.compare(Buffer.from(readMounted(mnt, 'also a.bin')), Buffer.from(data))).toBe(0);
    });
    await fs.unlink('/d/c.bin');
    await fs.unlink('/also a.bin');
    await fs.flush();
    const after = await checkNtfs(overlay);
    expect(after.problems).toEqual([]);
    expect(after.recordsInUse).toBe(baseline.recordsInUse - 1);
  }, 60_000);

  it('spreads many links over extension records', async () => {
    const image = makeVolume(dir, 'hl2.img', 16);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    const data = bytesOf(5_000, 3);
    await fs.writeFile('/target.bin', data);
    const files = new Map([['/target.bin', data]]);
    for (let i = 0; i < 60; i++) {
      const path = `/link number ${i} with a fairly long name to fill the record.bin`;
      await fs.link('/target.bin', path);
      files.set(path, data);
    }
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'hl2-out.img') });
    await verifyAll({ image: out, files, catSample: 10 });
    const reader = await openNtfs(await FileDevice.open(out));
    const n = (await reader.stat('/target.bin')).inode!;
    const file = await reader.mft.loadFile(n);
    expect(new Set((file.attributeList ?? []).map((e) => e.recordNumber)).size).toBeGreaterThan(2);
    await withNtfs3g({ image: out, dir, readOnly: true }, (mnt) => {
      expect(statSync(join(mnt, 'target.bin')).nlink).toBe(61);
    });
    // Back down to one link: the names go, the list collapses.
    for (let i = 0; i < 60; i++) {
      const path = `/link number ${i} with a fairly long name to fill the record.bin`;
      await fs.unlink(path);
      files.delete(path);
    }
    await fs.flush();
    const out2 = await materialize({ source: image, overlay, out: join(dir, 'hl2-out2.img') });
    await verifyAll({ image: out2, files });
    const again = await openNtfs(await FileDevice.open(out2));
    expect((await again.mft.loadFile(n)).attributeList).toBeUndefined();
  }, 60_000);
});
