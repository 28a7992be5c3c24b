// The NTFS reader against volumes ntfs-3g wrote (fixtures/scripts/ntfs-make*.sh): every
// listing equals ntfsls -R -l -a -s -i, every file and named stream hashes as ntfscat's output,
// and what only stat shows (links, reparse points, compression, sparse files, attribute lists,
// WOF) matches how the script made it. The fragmented volume's $MFT needs its own
// $ATTRIBUTE_LIST to be bootstrapped.

import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { FileDevice } from '../../../src/io/index.js';
import { DiagnosticLog } from '../../../src/diagnostics.js';
import { openNtfs, type NtfsFileSystem } from '../../../src/fs/ntfs/index.js';
import { requireTool } from '../../helpers/tools.js';
import { diffListings, ntfscatSha, ourListing, parseNtfsls, sha256 } from './oracle.js';
import { ntfsFixture } from './fixtures.js';

const BIG_DIR_FILES = 20000;

function ntfsls(image: string): string {
  return execFileSync('ntfsls', ['-R', '-l', '-a', '-s', '-i', image], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
}

async function compareWithNtfs3g(fs: NtfsFileSystem, image: string): Promise<{ listed: number; hashed: number }> {
  const expected = parseNtfsls(ntfsls(image));
  const actual = await ourListing(fs);
  // Junctions and symlinked directories are reported as symlinks and not descended; ntfsls
  // lists their (empty) index.
  for (const [dir, entries] of actual) {
    for (const [name, entry] of entries) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (entry.type === 'symlink' && expected.get(path)?.size === 0) expected.delete(path);
    }
  }
  const problems = diffListings(expected, actual);
  expect(problems.slice(0, 20), `${problems.length} differences`).toEqual([]);
  // Every non-empty file when there are few; an even sample of at most ~120 otherwise (one
  // ntfscat process per file costs ~10 ms).
  const files = (await fs.walk('/')).filter((e) => e.type === 'file' && e.size > 0 && !e.path.startsWith('/$'));
  const step = Math.max(1, Math.ceil(files.length / 120));
  let hashed = 0;
  for (let i = 0; i < files.length; i += step) {
    const entry = files[i]!;
    expect(sha256(await fs.readFile(entry.path)), entry.path).toBe(ntfscatSha(image, entry.path));
    hashed++;
  }
  return { listed: [...expected.values()].reduce((n, m) => n + m.size, 0), hashed };
}

describe('a volume ntfs-3g filled (compressed, sparse, ADS, 20,000-file directory, links, reparse points)', () => {
  let image: string;
  let fs: NtfsFileSystem;
  const log = new DiagnosticLog();

  beforeAll(async () => {
    requireTool('ntfsls');
    requireTool('ntfscat');
    image = ntfsFixture('ntfs-make.sh', [String(BIG_DIR_FILES)]);
    fs = await openNtfs(await FileDevice.open(image), { diagnostics: log });
  });

  it('reports the volume facts ntfsinfo prints', () => {
    const info = execFileSync('ntfsinfo', ['-m', image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(fs.volume.label).toBe(/Volume Name: (.*)/.exec(info)![1]);
    expect(fs.volume.version).toBe(/Volume Version: (.*)/.exec(info)![1]);
    expect(fs.volume.clusterSize).toBe(Number(/Cluster Size: (\d+)/.exec(info)![1]));
    expect(fs.volume.mftRecordSize).toBe(Number(/MFT Record Size: (\d+)/.exec(info)![1]));
    expect(fs.volume.flags).toBe(Number(/Volume Flags: (0x[0-9a-f]+)/i.exec(info)![1]));
    expect(fs.volume.state).toBe('clean');
  });

  it('lists and hashes everything as ntfsls and ntfscat do', async () => {
    const { listed, hashed } = await compareWithNtfs3g(fs, image);
    expect(listed).toBeGreaterThan(BIG_DIR_FILES);
    expect(hashed).toBeGreaterThan(60);
    expect((await fs.readdir('/big')).length).toBe(BIG_DIR_FILES);
    expect(log.warnings()).toEqual([]);
  });

  it('reads named streams as ntfscat -a DATA -n does', async () => {
    const streams = await fs.listStreams('/ads.txt');
    expect(streams.map((s) => [s.name, s.size]).sort()).toEqual([['', 12], ['big', 200000], ['empty', 0], ['small', 15]]);
    for (const name of ['small', 'big']) {
      expect(sha256(await fs.readStream('/ADS.TXT', name)), name).toBe(ntfscatSha(image, '/ads.txt', name));
    }
    await expect(fs.readStream('/ads.txt', 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reports compression, sparseness, hard links and attribute lists', async () => {
    const text = await fs.stat('/compressed/text.txt');
    expect(text.extra.compressed).toBe(true);
    expect(text.extra.allocatedSize).toBeLessThan(text.size / 2);
    const sparse = await fs.stat('/sparse.bin');
    expect(sparse.extra.sparse).toBe(true);
    expect(sparse.extra.attributeNames).toContain('SPARSE_FILE');
    const linked = await fs.stat('/linked-2.txt');
    expect(linked.nlink).toBe(2);
    expect(linked.inode).toBe((await fs.stat('/linked.txt')).inode);
    // ntfs-3g writes a per-file $SECURITY_DESCRIPTOR (self-relative, revision 1).
    expect(linked.extra.securityDescriptor?.[0]).toBe(1);
    const many = await fs.stat('/links/many.txt');
    expect(many.nlink).toBe(41);
    expect(many.extra.hasAttributeList).toBe(true);
    expect(many.extra.names.length).toBe(41);
    expect(new TextDecoder().decode(await fs.readFile('/links/MANY-LINK-WITH-A-LONG-NAME-039.TXT'))).toBe('many names\n');
  });

  it('reports symlinks and junctions with their targets and never follows them', async () => {
    const interix = await fs.stat('/interix-link');
    expect([interix.type, interix.target]).toEqual(['symlink', 'small.txt']);
    const windows = await fs.stat('/win-symlink');
    expect([windows.type, windows.target, windows.extra.reparseTag]).toEqual(['symlink', 'small.txt', 0xa000000c]);
    expect(windows.extra.crossVolume).toBe(false);
    const junction = await fs.stat('/junction');
    expect([junction.type, junction.target, junction.extra.crossVolume]).toEqual(['symlink', 'C:\\Windows', true]);
    const root = await fs.readdir('/');
    expect(['junction', 'win-symlink', 'interix-link', 'small.txt'].map((n) => root.find((e) => e.name === n)?.type)).toEqual(['symlink', 'symlink', 'symlink', 'file']);
    expect((await fs.walk('/')).filter((e) => e.path.startsWith('/junction/'))).toEqual([]);
  });

  it('recognises WOF-compressed files and refuses to return zeros for them', async () => {
    const wof = await fs.stat('/wof.dll');
    expect(wof.extra.reparseTag).toBe(0x80000017);
    expect(wof.extra.wof).toEqual({ algorithm: 'LZX', readable: false });
    expect(wof.extra.streams).toContain('WofCompressedData');
    await expect(fs.readFile('/wof.dll')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('keeps DOS 8.3 names in stat, hides them from listings, and finds files by them', async () => {
    const long = await fs.stat('/dos/Long File Name.txt');
    expect(long.extra.names.map((n) => [n.name, n.namespace]).sort()).toEqual([['LONGFI~1.TXT', 'DOS'], ['Long File Name.txt', 'Win32']]);
    expect(long.nlink).toBe(1);
    expect((await fs.readdir('/dos')).map((e) => e.name).sort()).toEqual(['CASE.txt', 'Long File Name.txt', 'Program Files', 'case.txt']);
    expect(new TextDecoder().decode(await fs.readFile('/dos/longfi~1.txt'))).toBe('long name\n');
    expect((await fs.stat('C:\\dos\\PROGRA~1')).type).toBe('directory');
  });

  it('prefers the exact case among POSIX names that differ only in case', async () => {
    expect(new TextDecoder().decode(await fs.readFile('/dos/case.txt'))).toBe('lower\n');
    expect(new TextDecoder().decode(await fs.readFile('/dos/CASE.txt'))).toBe('upper\n');
    expect(['lower\n', 'upper\n']).toContain(new TextDecoder().decode(await fs.readFile('/dos/Case.TXT')));
  });

  it('walks subtrees and stats whole directories', async () => {
    expect((await fs.walk('/compressed')).map((e) => e.path).sort()).toEqual(['/compressed/mixed.bin', '/compressed/random.bin', '/compressed/text.txt']);
    const tree = await fs.walkTree('C:\\deep');
    expect(tree.length).toBe(41);
    expect(tree[40]!.entries.map((e) => e.name)).toEqual(['bottom.txt']);
    const stats = await fs.readdirStats('/compressed');
    expect(stats.map((s) => [s.name, s.size, s.extra.compressed])).toEqual([['mixed.bin', 163333, true], ['random.bin', 70000, true], ['text.txt', 300000, true]]);
    await expect(fs.walk('/small.txt')).rejects.toMatchObject({ errno: 'ENOTDIR' });
    const device = await fs.openStream('/sparse.bin');
    expect(new TextDecoder().decode(await device.read(12 * 1024 * 1024, 3))).toBe('end');
    expect(Array.from(await device.read(1024, 4))).toEqual([0, 0, 0, 0]);
  });

  it('handles Unicode, 255-character and deep paths', async () => {
    const names = (await fs.readdir('/unicode')).map((e) => e.name);
    expect(names).toContain('日本語のファイル.txt');
    expect(names).toContain('x'.repeat(255));
    expect(new TextDecoder().decode(await fs.readFile('/unicode/ÆRØSKØBING.TXT'))).toBe('Ærøskøbing.txt');
    expect(new TextDecoder().decode(await fs.readFile('/unicode/ελληνικά.txt'))).toBe('Ελληνικά.txt');
    const deep = '/deep/' + Array.from({ length: 40 }, (_, i) => `level${i}`).join('/') + '/bottom.txt';
    expect(new TextDecoder().decode(await fs.readFile(deep))).toBe('bottom\n');
  });
});

describe('a volume with a fragmented $MFT (its own $ATTRIBUTE_LIST) and a file in hundreds of runs', () => {
  let image: string;
  let fs: NtfsFileSystem;

  beforeAll(async () => {
    image = ntfsFixture('ntfs-make-fragmented.sh');
    fs = await openNtfs(await FileDevice.open(image));
  });

  it('bootstraps $MFT through record 0\'s attribute list', async () => {
    const mft = await fs.mft.loadFile(0);
    expect(mft.attributeList).toBeDefined();
    expect(mft.attributeList!.some((e) => e.type === 0x80 && e.recordNumber !== 0)).toBe(true);
    expect(fs.mft.recordCount).toBeGreaterThan(10000);
  });

  it('lists and hashes everything as ntfsls and ntfscat do', async () => {
    const frag = await fs.stat('/frag.bin');
    expect(frag.extra.hasAttributeList).toBe(true);
    const file = await fs.mft.loadFile(frag.inode!);
    expect(file.attributes.find((a) => a.type === 0x80)!.runs.length).toBeGreaterThan(100);
    const { listed, hashed } = await compareWithNtfs3g(fs, image);
    expect(listed).toBeGreaterThan(10000);
    expect(hashed).toBeGreaterThan(100);
  });
});

describe('walkEach', () => {
  it('visits exactly what walkTree lists, in the same order', async () => {
    const fs = await openNtfs(await FileDevice.open(ntfsFixture('ntfs-make.sh', [String(BIG_DIR_FILES)])));
    const fromTree: string[] = [];
    for (const dir of await fs.walkTree('/')) {
      fromTree.push(`dir ${dir.path}`);
      for (const e of dir.entries) fromTree.push(`${e.name} ${e.type} ${e.size} ${e.inode}`);
    }
    const fromEach: string[] = [];
    await fs.walkEach('/', {
      directory: (path) => fromEach.push(`dir ${path}`),
      entry: (name, type, size, inode) => fromEach.push(`${name} ${type} ${size} ${inode}`),
    });
    expect(fromEach).toEqual(fromTree);
    expect(fromEach.length).toBeGreaterThan(BIG_DIR_FILES);
  });
});

describe('subtree walks through indexes', () => {
  it('list exactly what the whole-$MFT catalog lists, and fall back to it past the budget', async () => {
    const image = ntfsFixture('ntfs-make.sh', [String(BIG_DIR_FILES)]);
    const viaCatalog = await openNtfs(await FileDevice.open(image));
    await viaCatalog.catalog();
    const shape = (tree: { path: string; entries: { name: string; type: string; size: number; inode: number; mtimeMs: number }[] }[]) =>
      tree.map((d) => [d.path, d.entries.map((e) => `${e.name}|${e.type}|${e.size}|${e.inode}|${Math.round(e.mtimeMs)}`).sort()]);
    for (const path of ['/deep', '/unicode', '/dos', '/compressed', '/links', '/big']) {
      const viaIndex = await openNtfs(await FileDevice.open(image));
      expect(shape(await viaIndex.walkTree(path)), path).toEqual(shape(await viaCatalog.walkTree(path)));
    }
    const fresh = await openNtfs(await FileDevice.open(image));
    await expect(fresh.walkTree('/junction')).rejects.toMatchObject({ errno: 'ENOTDIR' });
    const lines: string[] = [];
    await fresh.walkEach('/dos', { directory: (p) => lines.push(p), entry: (name) => lines.push(name) });
    expect(lines).toEqual(['/dos', 'CASE.txt', 'case.txt', 'Long File Name.txt', 'Program Files', '/dos/Program Files']);
  });
});
