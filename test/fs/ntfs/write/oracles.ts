// One verification of a written volume against every oracle: ntfsfix -n clean, checkNtfs
// clean, the same tree for ntfs-3g (ntfsls -R), libfsntfs (fsntfsinfo -H) and our reader, and
// the same bytes for our reader and ntfscat (every file, or a sample of `catSample`).

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { checkNtfs, openNtfs } from '../../../../src/fs/ntfs/index.js';
import { FileDevice } from '../../../../src/io/index.js';
import { fsntfsTree, ntfsCat, ntfsfixClean, ntfsTree, ourTree } from './helpers.js';

export interface Verified {
  files: number;
  ntfscat: number;
  clustersInUse: number;
  recordsInUse: number;
}

export async function verifyAll(args: { image: string; files: Map<string, Uint8Array>; dirs?: Iterable<string>; catSample?: number }): Promise<Verified> {
  const { image, files } = args;
  const fix = ntfsfixClean(image);
  expect(fix.ok, fix.output).toBe(true);
  const report = await checkNtfs(await FileDevice.open(image));
  expect(report.problems).toEqual([]);
  const expected = [...files.keys(), ...[...(args.dirs ?? [])].map((d) => d + '/')].sort();
  expect(ntfsTree(image)).toEqual(expected);
  const bmp = (p: string): boolean => !/[\u{10000}-\u{10FFFF}]/u.test(p);
  expect(fsntfsTree(image).filter(bmp)).toEqual(expected.map((p) => p.replace(/\/$/, '')).filter(bmp).sort());
  const fs = await openNtfs(await FileDevice.open(image));
  expect(await ourTree(fs)).toEqual(expected);
  const every = Math.max(1, Math.floor(files.size / (args.catSample ?? files.size)));
  let i = 0;
  let cat = 0;
  for (const [path, data] of files) {
    expect(Buffer.compare(Buffer.from(await fs.readFile(path)), Buffer.from(data)), path).toBe(0);
    if (i++ % every === 0) {
      expect(Buffer.compare(Buffer.from(ntfsCat(image, path)), Buffer.from(data)), `ntfscat ${path}`).toBe(0);
      cat++;
    }
  }
  return { files: files.size, ntfscat: cat, clustersInUse: report.clustersInUse, recordsInUse: report.recordsInUse };
}

/** Mounts `image` with ntfs-3g (read-write unless `readOnly`), runs `body`, unmounts. */
export async function withNtfs3g<T>(args: { image: string; dir: string; readOnly?: boolean; options?: string[] }, body: (mnt: string) => Promise<T> | T): Promise<T> {
  const mnt = join(args.dir, `mnt-${Date.now()}-${Math.floor(Math.random() * 1e6)}`);
  mkdirSync(mnt);
  const opts = [...(args.readOnly ? ['ro'] : []), ...(args.options ?? [])];
  const r = spawnSync('ntfs-3g', [...(opts.length ? ['-o', opts.join(',')] : []), args.image, mnt], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ntfs-3g mount failed: ${r.stderr}`);
  try {
    return await body(mnt);
  } finally {
    const u = spawnSync('umount', [mnt]);
    if (u.status !== 0) spawnSync('fusermount', ['-u', mnt]);
  }
}

export function readMounted(mnt: string, path: string): Uint8Array {
  return new Uint8Array(readFileSync(join(mnt, path)));
}
