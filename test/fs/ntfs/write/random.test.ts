// Random create/grow/shrink/delete/mkdir/rmdir sequences against an in-memory model: our
// reader checks the model along the way, ntfs-3g (ntfsls -R, ntfscat, ntfsfix -n) and
// checkNtfs check the final volume.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNtfsWritable, checkNtfs, openNtfs } from '../../../../src/fs/ntfs/index.js';
import { FileDevice } from '../../../../src/io/index.js';
import { requireTool, tempDir } from '../../../helpers/tools.js';
import { bytesOf, materialize, makeVolume, ntfsCat, ntfsfixClean, ntfsTree, ourTree, overlayOf } from './helpers.js';

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

const NAMES = ['a', 'B', 'readme.txt', 'Ärger', 'файл', '名前', 'x y z', 'long-' + 'n'.repeat(80), 'drv.sys', 'data.bin', 'Q', 'zz'];

async function runSequence(seed: number, steps: number, dir: string): Promise<void> {
  const image = makeVolume(dir, `r${seed}.img`, 32);
  const overlay = await overlayOf(image);
  const fs = await openNtfsWritable(overlay);
  const rng = new Rng(seed);
  const files = new Map<string, Uint8Array>();
  const dirs = new Set<string>(['']);
  const fold = (p: string): string => p.toUpperCase();
  const taken = (p: string): boolean => [...files.keys(), ...dirs].some((q) => fold(q) === fold(p));
  const size = (): number => (rng.next() < 0.6 ? rng.int(1500) : rng.int(300_000));
  for (let step = 0; step < steps; step++) {
    const op = rng.int(10);
    const parent = rng.pick([...dirs]);
    if (op < 4) {
      const path = `${parent}/${rng.pick(NAMES)}${rng.int(20)}`;
      if (taken(path)) continue;
      const data = bytesOf(size(), seed * 1000 + step);
      await fs.writeFile(path, data);
      files.set(path, data);
    } else if (op < 6 && files.size > 0) {
      const path = rng.pick([...files.keys()]);
      const data = bytesOf(size(), seed * 1000 + step); // grow or shrink, resident or not
      await fs.writeFile(path, data);
      files.set(path, data);
    } else if (op < 8 && files.size > 0) {
      const path = rng.pick([...files.keys()]);
      await fs.unlink(path);
      files.delete(path);
    } else if (op < 9) {
      const path = `${parent}/${rng.pick(NAMES)}-d${rng.int(5)}`;
      if (taken(path) || path.split('/').length > 6) continue;
      await fs.mkdir(path);
      dirs.add(path);
    } else {
      const empty = [...dirs].filter((d) => d !== '' && ![...files.keys(), ...dirs].some((p) => p.startsWith(d + '/')));
      if (empty.length === 0) continue;
      const path = rng.pick(empty);
      await fs.rmdir(path);
      dirs.delete(path);
    }
    if (step % 100 === 99) {
      for (const [path, data] of files) expect(Buffer.compare(Buffer.from(await fs.readFile(path)), Buffer.from(data)), `step ${step} ${path}`).toBe(0);
    }
  }
  await fs.flush();
  expect(files.size).toBeGreaterThan(20); // the sequence really built something
  const out = await materialize({ source: image, overlay, out: join(dir, `r${seed}-out.img`) });
  const fix = ntfsfixClean(out);
  expect(fix.ok, fix.output).toBe(true);
  expect((await checkNtfs(await FileDevice.open(out))).problems).toEqual([]);
  const expected = [...files.keys(), ...[...dirs].filter((d) => d !== '').map((d) => d + '/')].sort();
  expect(ntfsTree(out)).toEqual(expected);
  const reader = await openNtfs(await FileDevice.open(out));
  expect(await ourTree(reader)).toEqual(expected);
  let i = 0;
  for (const [path, data] of files) {
    expect(Buffer.compare(Buffer.from(await reader.readFile(path)), Buffer.from(data)), path).toBe(0);
    if (i++ % 5 === 0) expect(Buffer.compare(Buffer.from(ntfsCat(out, path)), Buffer.from(data)), `ntfscat ${path}`).toBe(0);
  }
}

describe('NTFS writer: random operations against a model', () => {
  for (const tool of ['mkntfs', 'ntfscat', 'ntfsls', 'ntfsfix']) requireTool(tool);
  const dir = tempDir();
  // NTFS_WRITE_SEQUENCES=N runs N seeds (a long soak); the default keeps the suite fast.
  const sequences = Number(process.env.NTFS_WRITE_SEQUENCES) > 0 ? Number(process.env.NTFS_WRITE_SEQUENCES) : 3;
  for (let seed = 1; seed <= sequences; seed++) {
    it(`seed ${seed}: 300 steps`, async () => {
      await runSequence(seed, 300, dir);
    }, 60_000);
  }
});
