// Random create/grow/shrink/delete/mkdir/rmdir/link sequences against an in-memory model, on
// a volume whose free space is fragmented (so big files need $ATTRIBUTE_LISTs), which holds
// ntfs-3g-made compressed and sparse files (rewritten as plain streams when picked) and a
// directory with DOS names (so new names there get 8.3 aliases). Our reader and checkNtfs
// check the model along the way; at the end ntfs-3g (ntfsls -R, ntfsls -x, ntfscat,
// ntfsfix -n), libfsntfs (fsntfsinfo -H) and checkNtfs check the volume.
// REHOST_LONG=1 runs thousands of operations (NTFS_WRITE_SEQUENCES=N sets the seed count).

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openNtfsWritable, checkNtfs, openNtfs, isShortName } from '../../../../src/fs/ntfs/index.js';
import { FileDevice } from '../../../../src/io/index.js';
import { requireTool, tempDir } from '../../../helpers/tools.js';
import { UnsupportedError } from '../../../../src/errors.js';
import { bytesOf, fsntfsTree, materialize, makeVolume, ntfsCat, ntfsfixClean, ntfsTree, ourTree, overlayOf } from './helpers.js';
import { withNtfs3g } from './oracles.js';

class Rng {
  constructor(private s: number) {}
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

const NAMES = ['a', 'B', 'readme.txt', 'Ärger', 'файл', '名前', 'x y z', 'long-' + 'n'.repeat(80), 'drv.sys', 'data.bin', 'Q', 'zz', 'Program Data', 'setup.inf'];

export interface SequenceStats {
  ops: Record<string, number>;
  attributeLists: number;
  ntfscat: number;
  checks: number;
}

function compressible(length: number, seed: number): Uint8Array {
  const line = new TextEncoder().encode(`compressible ${seed} `);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = line[i % line.length]!;
  return out;
}

/** The shared starting volume: fragmented free space, compressed/sparse files, a DOS-named directory. */
async function baseVolume(dir: string): Promise<{ image: string; files: Map<string, Uint8Array>; dirs: string[] }> {
  const raw = makeVolume(dir, 'random-base.img', 40);
  const files = new Map<string, Uint8Array>();
  await withNtfs3g({ image: raw, dir, options: ['compression'] }, (mnt) => {
    execFileSync('mkdir', [join(mnt, 'dos'), join(mnt, 'packed')]);
    execFileSync('setfattr', ['-n', 'system.ntfs_attrib_be', '-v', '0x00000810', join(mnt, 'packed')]);
    writeFileSync(join(mnt, 'dos/Existing Long Name.txt'), 'dos');
    execFileSync('setfattr', ['-n', 'system.ntfs_dos_name', '-v', 'EXISTI~1.TXT', join(mnt, 'dos/Existing Long Name.txt')]);
    for (let i = 0; i < 6; i++) writeFileSync(join(mnt, `packed/c${i}.txt`), compressible(40_000 + i * 30_000, i));
    execFileSync('truncate', ['-s', '3M', join(mnt, 'sparse.bin')]);
    execFileSync('truncate', ['-s', '1M', join(mnt, 'packed/sparse2.bin')]);
  });
  files.set('/dos/Existing Long Name.txt', new TextEncoder().encode('dos'));
  for (let i = 0; i < 6; i++) files.set(`/packed/c${i}.txt`, compressible(40_000 + i * 30_000, i));
  files.set('/sparse.bin', new Uint8Array(3 << 20));
  files.set('/packed/sparse2.bin', new Uint8Array(1 << 20));
  // Fragment the free space: 3000 one-cluster files, every other one deleted.
  const overlay = await overlayOf(raw);
  const fs = await openNtfsWritable(overlay);
  await fs.mkdir('/frag');
  for (let i = 0; i < 3000; i++) await fs.writeFile(`/frag/f${i}`, bytesOf(4000, i));
  for (let i = 0; i < 3000; i += 2) await fs.unlink(`/frag/f${i}`);
  await fs.flush();
  for (let i = 1; i < 3000; i += 2) files.set(`/frag/f${i}`, bytesOf(4000, i));
  const image = await materialize({ source: raw, overlay, out: join(dir, 'random-base-frag.img') });
  return { image, files, dirs: ['/dos', '/packed', '/frag'] };
}

async function runSequence(args: { seed: number; steps: number; dir: string; base: { image: string; files: Map<string, Uint8Array>; dirs: string[] } }): Promise<SequenceStats> {
  const { seed, steps, dir, base } = args;
  const overlay = await overlayOf(base.image);
  const fs = await openNtfsWritable(overlay);
  const rng = new Rng(seed);
  // Model: path → inode id; inode id → content. Links share an id.
  const paths = new Map<string, number>();
  const content = new Map<number, Uint8Array>();
  let nextId = 1;
  for (const [path, data] of base.files) {
    paths.set(path, nextId);
    content.set(nextId++, data);
  }
  const dirs = new Set<string>(['', ...base.dirs]);
  const fold = (p: string): string => p.toUpperCase();
  const taken = (p: string): boolean => [...paths.keys(), ...dirs].some((q) => fold(q) === fold(p));
  const size = (): number => {
    const r = rng.next();
    return r < 0.5 ? rng.int(1500) : r < 0.9 ? rng.int(300_000) : 1_000_000 + rng.int(3_000_000);
  };
  const stats: SequenceStats = { ops: {}, attributeLists: 0, ntfscat: 0, checks: 0 };
  const count = (op: string): void => {
    stats.ops[op] = (stats.ops[op] ?? 0) + 1;
  };
  // The ntfs-3g-made DOS name keeps /dos a directory with aliases, so it is never removed.
  const KEEP = '/dos/Existing Long Name.txt';
  const userPaths = (): string[] => [...paths.keys()].filter((p) => !p.startsWith('/frag/') && p !== KEEP);
  // Direct children of /dos created by create/mkdir: each has a DOS name (links get none).
  const aliased = new Set<string>([KEEP]);
  const inDosDir = (p: string): boolean => p.startsWith('/dos/') && p.indexOf('/', 5) < 0;
  for (let step = 0; step < steps; step++) {
    const act = async (): Promise<void> => {
      const op = rng.int(13);
      const parent = rng.pick([...dirs].filter((d) => d !== '/frag'));
      try {
        if (op < 4) {
          const path = `${parent}/${rng.pick(NAMES)}${rng.int(20)}`;
          if (taken(path)) return;
          const data = bytesOf(size(), seed * 100_000 + step);
          await fs.writeFile(path, data);
          paths.set(path, nextId);
          content.set(nextId++, data);
          if (inDosDir(path)) aliased.add(path);
          count('create');
        } else if (op < 6 && userPaths().length > 0) {
          const path = rng.pick(userPaths());
          const data = bytesOf(size(), seed * 100_000 + step); // grow or shrink, resident or not
          await fs.writeFile(path, data);
          content.set(paths.get(path)!, data);
          count('rewrite');
        } else if (op < 8 && paths.size > 0) {
          const anyPath = [...paths.keys()].filter((p) => p !== KEEP);
          const path = rng.next() < 0.3 || userPaths().length === 0 ? rng.pick(anyPath) : rng.pick(userPaths());
          // Removing any Win32 name of a file in /dos removes the file's DOS name there (ntfs-3g's
          // rule); a Win32&DOS name (an 8.3 long name) keeps its alias, being it.
          if (inDosDir(path)) for (const [q, id] of paths) if (id === paths.get(path) && inDosDir(q) && !isShortName(q.slice(5))) aliased.delete(q);
          aliased.delete(path);
          await fs.unlink(path);
          const id = paths.get(path)!;
          paths.delete(path);
          if (![...paths.values()].includes(id)) content.delete(id);
          count('unlink');
        } else if (op < 9) {
          const path = `${parent}/${rng.pick(NAMES)}-d${rng.int(5)}`;
          if (taken(path) || path.split('/').length > 6) return;
          await fs.mkdir(path);
          dirs.add(path);
          if (inDosDir(path)) aliased.add(path);
          count('mkdir');
        } else if (op < 10) {
          const empty = [...dirs].filter((d) => d !== '' && ![...paths.keys(), ...dirs].some((p) => p.startsWith(d + '/')));
          if (empty.length === 0) return;
          const path = rng.pick(empty);
          await fs.rmdir(path);
          dirs.delete(path);
          aliased.delete(path);
          count('rmdir');
        } else if (userPaths().length > 0) {
          const existing = rng.pick(userPaths());
          const path = `${parent}/${rng.pick(NAMES)}-l${rng.int(20)}`;
          if (taken(path)) return;
          await fs.link(existing, path);
          paths.set(path, paths.get(existing)!);
          count('link');
        }
      } catch (error) {
        // A full volume refuses cleanly (the model stays as it was); make room and go on.
        if (!(error instanceof UnsupportedError) || !/no room/.test(error.message)) throw new Error(`seed ${seed} step ${step}: ${(error as Error).stack}`);
        count('refused (volume full)');
        const biggest = [...new Set(userPaths().map((p) => paths.get(p)!))].sort((x, y) => content.get(y)!.length - content.get(x)!.length)[0];
        for (const [p, id] of [...paths]) {
          if (id !== biggest) continue;
          await fs.unlink(p);
          if (inDosDir(p)) for (const [q, other] of paths) if (other === id && inDosDir(q) && !isShortName(q.slice(5))) aliased.delete(q);
          paths.delete(p);
          aliased.delete(p);
          count('unlink');
        }
        if (biggest !== undefined) content.delete(biggest);
      }
    };
    await act();
    if (step % 100 === 99 || step === steps - 1) {
      for (const [path, id] of paths) {
        if (path.startsWith('/frag/') && rng.next() < 0.95) continue;
        expect(Buffer.compare(Buffer.from(await fs.readFile(path)), Buffer.from(content.get(id)!)), `seed ${seed} step ${step} ${path}`).toBe(0);
      }
      await fs.flush();
      expect((await checkNtfs(overlay)).problems, `seed ${seed} step ${step}`).toEqual([]);
      stats.checks++;
    }
  }
  await fs.flush();
  const out = await materialize({ source: base.image, overlay, out: join(dir, `r${seed}-out.img`) });
  const fix = ntfsfixClean(out);
  expect(fix.ok, fix.output).toBe(true);
  const report = await checkNtfs(await FileDevice.open(out));
  expect(report.problems).toEqual([]);
  const expected = [...paths.keys(), ...[...dirs].filter((d) => d !== '').map((d) => d + '/')].sort();
  expect(ntfsTree(out)).toEqual(expected);
  const bmp = (p: string): boolean => !/[\u{10000}-\u{10FFFF}]/u.test(p);
  expect(fsntfsTree(out).filter(bmp)).toEqual(expected.map((p) => p.replace(/\/$/, '')).filter(bmp).sort());
  const reader = await openNtfs(await FileDevice.open(out));
  expect(await ourTree(reader)).toEqual(expected);
  // Every entry of /dos made by create/mkdir has a DOS name, links have none: `ntfsls -x`
  // lists the DOS (or Win32&DOS) names and skips Win32-only ones.
  const short = execFileSync('ntfsls', ['-x', '-p', '/dos', out], { encoding: 'utf8' }).split('\n').filter((l) => l && l !== '.');
  expect(short.length, `${short.join('|')} vs ${[...aliased].join('|')}`).toBe(aliased.size);
  for (const name of short) expect(name, name).toMatch(/^[^.]{1,8}(\.[^.]{1,3})?$/);
  const links = new Map<number, number>();
  for (const id of paths.values()) links.set(id, (links.get(id) ?? 0) + 1);
  let i = 0;
  for (const [path, id] of paths) {
    // The untouched /frag files are sampled; every other file is read and counted.
    if (path.startsWith('/frag/') && (i++ % 100 !== 0 || links.get(id) !== 1)) continue;
    const data = content.get(id)!;
    expect(Buffer.compare(Buffer.from(await reader.readFile(path)), Buffer.from(data)), path).toBe(0);
    expect((await reader.stat(path)).nlink, `nlink ${path}`).toBe(links.get(id));
    if (!path.startsWith('/frag/') && i++ % 4 !== 0) continue;
    expect(Buffer.compare(Buffer.from(ntfsCat(out, path)), Buffer.from(data)), `ntfscat ${path}`).toBe(0);
    stats.ntfscat++;
  }
  for (const path of paths.keys()) {
    if (path.startsWith('/frag/')) continue;
    const file = await reader.mft.loadFile((await reader.stat(path)).inode!);
    if (file.attributeList) stats.attributeLists++;
  }
  return stats;
}

describe('NTFS writer: random operations against a model', () => {
  for (const tool of ['mkntfs', 'ntfscat', 'ntfsls', 'ntfsfix', 'fsntfsinfo', 'ntfs-3g', 'setfattr']) requireTool(tool);
  const dir = tempDir();
  const long = process.env.REHOST_LONG === '1';
  const sequences = Number(process.env.NTFS_WRITE_SEQUENCES) > 0 ? Number(process.env.NTFS_WRITE_SEQUENCES) : long ? 12 : 2;
  const steps = long ? 600 : 150;
  let base: Awaited<ReturnType<typeof baseVolume>>;
  beforeAll(async () => {
    base = await baseVolume(dir);
  }, 60_000);
  const totals: SequenceStats = { ops: {}, attributeLists: 0, ntfscat: 0, checks: 0 };
  for (let seed = 1; seed <= sequences; seed++) {
    it(`seed ${seed}: ${steps} steps`, async () => {
      const t0 = Date.now();
      const stats = await runSequence({ seed, steps, dir, base });
      for (const [op, n] of Object.entries(stats.ops)) totals.ops[op] = (totals.ops[op] ?? 0) + n;
      totals.attributeLists += stats.attributeLists;
      totals.ntfscat += stats.ntfscat;
      totals.checks += stats.checks;
      if (process.env.NTFS_WRITE_STATS) process.stderr.write(`seed ${seed}: ${JSON.stringify(stats)} in ${Date.now() - t0} ms; totals ${JSON.stringify(totals)}\n`);
    }, long ? 600_000 : 60_000);
  }
});
