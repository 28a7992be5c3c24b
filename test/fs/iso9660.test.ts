// ISO 9660 reader against the real tools: images made by xorriso and genisoimage (Rock Ridge,
// Joliet, both, plain; deep trees with RR relocation; long, Unicode and symlink names) are
// read back and compared entry by entry and byte by byte with osirrox's extraction and
// isoinfo's listings and extraction; the corpus ISOs against their xorriso listings; and the
// validators that must fail.

import { describe, expect, it, beforeAll } from 'vitest';
import { closeSync, ftruncateSync, lstatSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, readCorpus, requireTool, run, runBytes, scratchDirs } from '../helpers/tools.js';
import { MemoryDevice, FileDevice } from '../../src/io/index.js';
import { CorruptError } from '../../src/errors.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { Iso9660FileSystem, openIso9660, type IsoNames } from '../../src/fs/iso9660/index.js';
import type { FileSystem } from '../../src/fs/types.js';
import { hostTree, LONG_NAME, makeIso, makeSourceTree, UNICODE_NAME, type IsoFlavour, type TreeEntry } from './iso9660-fixtures.js';

const scratch = scratchDirs('rehost-iso-');

async function ourTree(fs: FileSystem): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const walk = async (dir: string) => {
    for (const e of await fs.readdir(dir)) {
      const path = `${dir === '/' ? '' : dir}/${e.name}`;
      if (e.type === 'symlink') out.set(path, { type: 'symlink', target: (await fs.stat(path)).target as string });
      else if (e.type === 'directory') {
        out.set(path, { type: 'directory' });
        await walk(path);
      } else out.set(path, { type: 'file', data: await fs.readFile(path) });
    }
  };
  await walk('/');
  return out;
}

function summary(tree: Map<string, TreeEntry>): string[] {
  return [...tree.entries()].map(([p, e]) => `${e.type} ${p}${e.target !== undefined ? ` -> ${e.target}` : ''}${e.data ? ` ${e.data.length}` : ''}`).sort();
}

function expectSameTree(ours: Map<string, TreeEntry>, oracle: Map<string, TreeEntry>): void {
  expect(summary(ours)).toEqual(summary(oracle));
  for (const [path, e] of oracle) if (e.data) expect(Buffer.from(ours.get(path)?.data ?? []).equals(Buffer.from(e.data)), path).toBe(true);
}

let source = '';
const isos = new Map<IsoFlavour, string>();

beforeAll(() => {
  requireTool('osirrox');
  requireTool('isoinfo');
  const dir = scratch();
  source = join(dir, 'src');
  mkdirSync(source);
  makeSourceTree(source);
  for (const flavour of ['xorriso-rr-joliet', 'xorriso-rr', 'genisoimage-rr', 'genisoimage-joliet', 'genisoimage-plain'] as IsoFlavour[]) {
    isos.set(flavour, makeIso({ source, output: join(dir, `${flavour}.iso`), flavour }));
  }
});

async function open(flavour: IsoFlavour, names?: IsoNames): Promise<Iso9660FileSystem> {
  return openIso9660(await FileDevice.open(isos.get(flavour) as string), names ? { names } : {});
}

describe('Rock Ridge images against osirrox -extract', () => {
  for (const flavour of ['xorriso-rr-joliet', 'xorriso-rr', 'genisoimage-rr'] as IsoFlavour[]) {
    it(flavour, async () => {
      const fs = await open(flavour);
      expect(fs.names).toBe('rockridge');
      const out = join(scratch(), 'x');
      run('osirrox', ['-indev', isos.get(flavour) as string, '-extract', '/', out]);
      const oracle = hostTree(out);
      expectSameTree(await ourTree(fs), oracle);
      // The source tree too (genisoimage adds an empty rr_moved for the relocated deep tree).
      const fromSource = hostTree(source);
      if (flavour === 'genisoimage-rr') fromSource.set('/rr_moved', { type: 'directory' });
      expectSameTree(await ourTree(fs), fromSource);
      expect(fs.label).toBe('TESTISO');
    });
  }

  it('reports POSIX metadata, follows symlinks in paths and keeps stat on the link', async () => {
    const fs = await open('xorriso-rr');
    const st = await fs.stat('/link');
    expect(st).toMatchObject({ type: 'symlink', target: 'Dir/sub/file.txt' });
    expect(new TextDecoder().decode(await fs.readFile('/link'))).toBe('hello\n');
    expect(new TextDecoder().decode(await fs.readFile('/Dir/sub/uplink/uplink/file.txt'))).toBe('hello\n');
    const file = await fs.stat('/big.bin');
    expect(file.size).toBe(300_000);
    expect((file.mode ?? 0) & 0o170000).toBe(0o100000);
    // Rock Ridge TF and PX carry the source file's mtime, mode and owner (mkisofs -R keeps them).
    const host = lstatSync(join(source, 'big.bin'));
    expect(Math.floor((file.mtime?.getTime() ?? 0) / 1000)).toBe(Math.floor(host.mtimeMs / 1000));
    expect(file.mode).toBe(host.mode);
    expect([file.uid, file.gid]).toEqual([host.uid, host.gid]);
    expect(await fs.exists('/dir/sub/file.txt')).toBe(false); // Rock Ridge names are exact
    expect(await fs.exists('/nope')).toBe(false);
    await expect(fs.readFile('/Dir')).rejects.toThrow(/is a directory/);
    await expect(fs.readdir('/empty')).rejects.toThrow(/not a directory/);
    const device = await fs.open('/big.bin');
    expect(Buffer.from(await device.read(299_990, 10)).equals(readFileSync(join(source, 'big.bin')).subarray(299_990))).toBe(true);
  });

  it('detects a symlink loop', async () => {
    const dir = scratch();
    const src = join(dir, 's');
    mkdirSync(src);
    run('ln', ['-s', 'b', join(src, 'a')]);
    run('ln', ['-s', 'a', join(src, 'b')]);
    const iso = makeIso({ source: src, output: join(dir, 'loop.iso'), flavour: 'xorriso-rr' });
    const fs = await openIso9660(await FileDevice.open(iso));
    await expect(fs.readFile('/a')).rejects.toThrow(CorruptError);
  });
});

/** isoinfo -f listing (with -J or plain) as '/'-paths with ';1' and a trailing '.' removed.
 *  isoinfo cannot print UTF-8, so Joliet names come out in ISO 8859-1 with '_' for the rest. */
function isoinfoList(iso: string, mode: '-J' | ''): string[] {
  const args = ['-f', '-i', iso, ...(mode ? [mode, '-j', 'iso8859-1'] : [])];
  return runBytes('isoinfo', args)
    .toString('latin1')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/;\d+$/, '').replace(/\.$/, ''));
}

const latin1View = (name: string) => name.replace(/[^\u0000-\u00ff]/g, '_');

describe('Joliet and plain names against isoinfo and osirrox', () => {
  it('Joliet (genisoimage -J -joliet-long): names, Unicode, bytes as osirrox extracts them', async () => {
    const iso = isos.get('genisoimage-joliet') as string;
    const fs = await open('genisoimage-joliet');
    expect(fs.names).toBe('joliet');
    const ours = await ourTree(fs);
    const out = join(scratch(), 'x');
    run('osirrox', ['-indev', iso, '-extract', '/', out]);
    expectSameTree(ours, hostTree(out));
    expect(ours.has(`/${UNICODE_NAME}`)).toBe(true);
    expect(ours.has(`/${LONG_NAME}`)).toBe(true);
    expect([...ours.keys()].map(latin1View).sort()).toEqual(isoinfoList(iso, '-J').sort());
    for (const path of ['/big.bin', '/Dir/sub/file.txt']) {
      expect(Buffer.from(ours.get(path)?.data ?? []).equals(runBytes('isoinfo', ['-J', '-i', iso, '-x', path])), path).toBe(true);
    }
    // Joliet lookups fall back to case-insensitive matching, as Windows reads them.
    expect(await fs.exists('/dir/SUB/FILE.TXT')).toBe(true);
  });

  it('the Joliet tree of an image that also has Rock Ridge, when asked for', async () => {
    const fs = await open('xorriso-rr-joliet', 'joliet');
    const iso = isos.get('xorriso-rr-joliet') as string;
    expect([...(await ourTree(fs)).keys()].map(latin1View).sort()).toEqual(isoinfoList(iso, '-J').sort());
  });

  it('plain ISO 9660 names (version and trailing dot removed)', async () => {
    const iso = isos.get('genisoimage-plain') as string;
    const fs = await open('genisoimage-plain');
    expect(fs.names).toBe('plain');
    const ours = await ourTree(fs);
    expect([...ours.keys()].sort()).toEqual(isoinfoList(iso, '').sort());
    const bigName = [...ours.keys()].find((k) => k.startsWith('/BIG'));
    expect(Buffer.from(ours.get(bigName as string)?.data ?? []).equals(readFileSync(join(source, 'big.bin')))).toBe(true);
    await expect(openIso9660(await FileDevice.open(iso), { names: 'rockridge' })).rejects.toThrow(/no Rock Ridge/);
  });
});

describe('multi-extent files', () => {
  it('joins the extents of a file split over several directory records', async () => {
    // genisoimage only splits files over 4 GiB; make two adjacent files and turn them into one
    // multi-extent file by giving the second record the first one's identifier and setting the
    // multi-extent flag (0x80) on the first, as ECMA-119 6.5.1 lays it out.
    const dir = scratch();
    const src = join(dir, 's');
    mkdirSync(src);
    const a = new Uint8Array(4096).fill(0x41);
    const b = new Uint8Array(1000).fill(0x42);
    writeFileSync(join(src, 'PARTA'), a);
    writeFileSync(join(src, 'PARTB'), b);
    const iso = makeIso({ source: src, output: join(dir, 'm.iso'), flavour: 'genisoimage-plain' });
    const bytes = new Uint8Array(readFileSync(iso));
    const text = Buffer.from(bytes).toString('latin1');
    const ida = text.indexOf('PARTA.;1');
    const idb = text.indexOf('PARTB.;1');
    expect(ida).toBeGreaterThan(0);
    bytes[ida - 33 + 25] = (bytes[ida - 33 + 25] as number) | 0x80;
    bytes.set(Buffer.from('PARTA.;1', 'latin1'), idb);
    writeFileSync(iso, bytes);
    const fs = await openIso9660(new MemoryDevice(bytes));
    expect((await fs.readdir('/')).map((e) => e.name)).toEqual(['PARTA']);
    const st = await fs.stat('/PARTA');
    expect(st.size).toBe(5096);
    expect(st.extra?.extents).toBe(2);
    const data = await fs.readFile('/PARTA');
    expect(Buffer.from(data).equals(Buffer.concat([a, b]))).toBe(true);
    // xorriso agrees that it is one 5096-byte file with those bytes.
    const out = join(dir, 'x');
    run('osirrox', ['-indev', iso, '-extract', '/', out]);
    expect(Buffer.from(data).equals(readFileSync(join(out, 'PARTA')))).toBe(true);
  });
});

describe('a file over 4 GiB (multi-extent, sparse image)', () => {
  it('reads a 4 GiB + 4 KiB file as two extents, as xorriso lists it', async () => {
    // As above, but the first extent is 4 GiB - 2 KiB long (the largest a record can hold in
    // whole blocks) and the image is extended sparsely, so the test writes only a few KiB.
    const dir = scratch();
    const src = join(dir, 's');
    mkdirSync(src);
    writeFileSync(join(src, 'PARTA'), new Uint8Array(4096).fill(0x41));
    writeFileSync(join(src, 'PARTB'), new Uint8Array(4096).fill(0x42));
    const iso = makeIso({ source: src, output: join(dir, 'big.iso'), flavour: 'genisoimage-plain' });
    const bytes = new Uint8Array(readFileSync(iso));
    const view = new DataView(bytes.buffer);
    const text = Buffer.from(bytes).toString('latin1');
    const ra = text.indexOf('PARTA.;1') - 33;
    const rb = text.indexOf('PARTB.;1') - 33;
    const first = 0xfffff800;
    const lbaA = view.getUint32(ra + 2, true);
    const lbaB = lbaA + first / 2048;
    const blocks = lbaB + 2;
    const setBoth32 = (at: number, v: number) => {
      view.setUint32(at, v, true);
      view.setUint32(at + 4, v, false);
    };
    setBoth32(ra + 10, first);
    bytes[ra + 25] = (bytes[ra + 25] as number) | 0x80;
    setBoth32(rb + 2, lbaB);
    bytes.set(Buffer.from('PARTA.;1', 'latin1'), rb + 33);
    setBoth32(0x8000 + 80, blocks);
    // The B bytes move to the second extent's place at the end of the sparse image.
    const fd = openSync(iso, 'r+');
    writeSync(fd, bytes, 0, bytes.length, 0);
    ftruncateSync(fd, blocks * 2048);
    writeSync(fd, new Uint8Array(4096).fill(0x42), 0, 4096, lbaB * 2048);
    closeSync(fd);
    const listing = run('xorriso', ['-indev', iso, '-find', '/', '-exec', 'lsdl']);
    expect(listing).toMatch(new RegExp(`\\s${first + 4096}\\s.*'/PARTA'`));
    const fs = await openIso9660(await FileDevice.open(iso));
    const st = await fs.stat('/PARTA');
    expect(st.size).toBe(first + 4096);
    expect(st.extra?.extents).toBe(2);
    const device = await fs.open('/PARTA');
    expect(Buffer.from(await device.read(0, 4096)).equals(Buffer.alloc(4096, 0x41))).toBe(true);
    expect(Buffer.from(await device.read(first - 2, 4)).equals(Buffer.from([0, 0, 0x42, 0x42]))).toBe(true);
    expect(Buffer.from(await device.read(first, 4096)).equals(Buffer.alloc(4096, 0x42))).toBe(true);
    // xorriso agrees on the bytes across the extent boundary.
    const tail = join(dir, 'tail');
    run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract_cut', '/PARTA', String(first - 2048), '6144', tail]);
    expect(Buffer.from(await device.read(first - 2048, 6144)).equals(readFileSync(tail))).toBe(true);
    await expect(fs.readFile('/PARTA')).rejects.toThrow(/use open/);
  });
});

describe('corpus ISO images against their xorriso listings', () => {
  for (const file of ['dfvfs-iso9660.raw', 'dfvfs-iso9660-level1.raw.xz']) {
    it(file, async () => {
      const bytes = readCorpus(`iso/${file}`);
      const fs = await openIso9660(new MemoryDevice(bytes));
      const listing = readFileSync(join(CORPUS, 'oracle/iso', file.replace(/\.xz$/, '') + '.xorriso.txt'), 'utf8');
      const expected: string[] = [];
      for (const m of listing.matchAll(/^([d-])\S+\s+\d+\s+\d+\s+\d+\s+(\d+)\s+\w+\s+\d+\s+\d+ '(.*)'$/gm)) {
        if (m[3] === '/') continue;
        expected.push(`${m[1] === 'd' ? 'directory' : 'file'} ${m[3]}${m[1] === 'd' ? '' : ` ${m[2]}`}`);
      }
      expect(expected.length).toBeGreaterThan(3);
      expect(summary(await ourTree(fs))).toEqual(expected.sort());
      expect(fs.label).toBe('CDROM');
    });
  }
});

describe('validators that must fail', () => {
  async function corruptWith(mutate: (b: Uint8Array) => void, action: (fs: Iso9660FileSystem) => Promise<unknown> = async () => undefined): Promise<CorruptError> {
    const bytes = new Uint8Array(readFileSync(isos.get('genisoimage-rr') as string));
    mutate(bytes);
    try {
      await action(await openIso9660(new MemoryDevice(bytes)));
    } catch (error) {
      expect(error).toBeInstanceOf(CorruptError);
      return error as CorruptError;
    }
    throw new Error('expected a CorruptError');
  }

  it('no terminator, no primary descriptor, truncated image', async () => {
    const noPrimary = await corruptWith((b) => (b[0x8000] = 9));
    expect(noPrimary.detail.structure).toMatch(/volume descriptor/);
    const noMagic = await corruptWith((b) => b.set([0x58], 0x8001));
    expect(noMagic.message).toMatch(/signature/);
    await expect(openIso9660(new MemoryDevice(new Uint8Array(0x8800)))).rejects.toThrow(CorruptError);
  });

  it('a root extent outside the image', async () => {
    const e = await corruptWith((b) => new DataView(b.buffer).setUint32(0x8000 + 156 + 2, 0x7fffff, true));
    expect(e.detail).toMatchObject({ structure: 'ISO 9660 root directory record', offset: 0x8000 + 156 });
  });

  it('a file extent outside the image, and a bad record length', async () => {
    const iso = readFileSync(isos.get('genisoimage-rr') as string);
    const at = iso.indexOf(Buffer.from('BIG.BIN;1', 'latin1')) - 33;
    const e = await corruptWith(
      (b) => new DataView(b.buffer).setUint32(at + 2, 0x7fffff, true),
      (fs) => fs.readFile('/big.bin'),
    );
    expect(e.detail).toMatchObject({ structure: 'ISO 9660 directory record', offset: at });
    const r = await corruptWith(
      (b) => (b[at] = 20),
      (fs) => fs.readdir('/'),
    );
    expect(r.detail.offset).toBe(at);
  });

  it('a CE continuation loop or a CE outside the image', async () => {
    const log = new DiagnosticLog();
    const fs = await openIso9660(new MemoryDevice(new Uint8Array(readFileSync(isos.get('genisoimage-rr') as string))), { diagnostics: log });
    expect(fs.names).toBe('rockridge');
    // Build a record whose System Use holds a CE pointing at itself.
    const { readSystemUse } = await import('../../src/fs/iso9660/susp.js');
    const area = new Uint8Array(28);
    area.set([0x43, 0x45, 28, 1]);
    const v = new DataView(area.buffer);
    v.setUint32(4, 1, true);
    v.setUint32(12, 0, true);
    v.setUint32(20, 28, true);
    const image = new Uint8Array(4096);
    image.set(area, 2048);
    await expect(readSystemUse({ area, origin: 0, skip: 0, blockSize: 2048, imageSize: image.length, read: async (o, l) => image.slice(o, o + l), diagnostics: log })).rejects.toThrow(/loop/);
    v.setUint32(4, 100, true);
    await expect(readSystemUse({ area, origin: 0, skip: 0, blockSize: 2048, imageSize: image.length, read: async (o, l) => image.slice(o, o + l), diagnostics: log })).rejects.toThrow(/outside the image/);
  });
});

describe('opening an .iso through the image and volume layers', () => {
  it('identifies the raw file as one iso9660 volume and opens it by kind', async () => {
    const { identifyVolume } = await import('../../src/fs/identify.js');
    const { openFileSystem } = await import('../../src/fs/open.js');
    const { discoverVolumes } = await import('../../src/fs/discover.js');
    const device = await FileDevice.open(isos.get('xorriso-rr-joliet') as string);
    expect(await identifyVolume(device)).toEqual({ kind: 'iso9660', readable: true });
    const { volumes } = await discoverVolumes(device);
    expect(volumes.map((v) => [v.id, v.filesystem.kind])).toEqual([['disk', 'iso9660']]);
    const fs = await openFileSystem(device);
    expect(fs.kind).toBe('iso9660');
    expect(await fs.exists('/Dir/sub/file.txt')).toBe(true);
  });

  it('rehost ls lists an ISO (dist build)', async () => {
    const { rehost } = await import('../helpers/cli.js');
    const result = rehost(['ls', isos.get('xorriso-rr-joliet') as string, '/Dir/sub']);
    expect(result.stdout.split('\n').filter((l) => l !== '')).toEqual(['file.txt', 'uplink']);
  });
});
