// FAT test fixtures made by the real tools: mkfs.fat builds the volume, mtools fills it
// (directories, long, mixed-case and Unicode names, a directory of many files that spans
// clusters, a deleted file, a fragmented file), and the same tools are the oracles (mdir
// listings, mcopy extraction, fsck.fat -n).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { requireTool } from '../../helpers/tools.js';
import type { FileSystem } from '../../../src/fs/types.js';

const ENV = { ...process.env, LC_ALL: 'C.UTF-8', MTOOLS_SKIP_CHECK: '1', MTOOLS_NO_VFAT: '' };

export function requireFatTools(): void {
  for (const tool of ['mkfs.fat', 'fsck.fat', 'mcopy', 'mdir', 'mmd', 'mdel', 'mtype']) requireTool(tool);
}

/** Runs an mtools command (UTF-8 names, geometry checks off). */
export function mtools(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', env: ENV, maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface FatSpec {
  fat: 12 | 16 | 32;
  sizeKiB: number;
  sectorSize?: number;
  sectorsPerCluster?: number;
  label?: string;
}

export function makeFat(args: { path: string; spec: FatSpec }): string {
  const { spec } = args;
  const options = ['-F', String(spec.fat), '-i', 'ABCD1234'];
  if (spec.sectorSize) options.push('-S', String(spec.sectorSize));
  if (spec.sectorsPerCluster) options.push('-s', String(spec.sectorsPerCluster));
  if (spec.label) options.push('-n', spec.label);
  execFileSync('mkfs.fat', [...options, '-C', args.path, String(spec.sizeKiB)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return args.path;
}

/** Deterministic bytes. */
export function bytesOf(seed: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < length; i += 32) {
    out.set(block.subarray(0, Math.min(32, length - i)), i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export const UNICODE_NAMES = ['日本語のファイル.txt', 'ünïcödé long name.dat', 'Ωmega—dash.bin'];

/**
 * Fills an image through mtools: the ESP layout (EFI/Boot/BOOTX64.EFI, EFI/Microsoft/Boot/
 * bootmgfw.efi and BCD), long, mixed-case, lower-case and Unicode names, `many` small files in
 * one directory, a deleted file and a fragmented one. Returns the host directory it staged.
 */
export function populate(args: { image: string; work: string; many?: number; big?: number }): void {
  const { image, work } = args;
  const stage = join(work, 'stage');
  mkdirSync(stage, { recursive: true });
  const put = (guest: string, data: Uint8Array): void => {
    const host = join(stage, createHash('md5').update(guest).digest('hex'));
    writeFileSync(host, data);
    mtools('mcopy', ['-o', '-i', image, host, `::${guest}`]);
  };
  mtools('mmd', ['-i', image, '::/EFI', '::/EFI/Boot', '::/EFI/Microsoft', '::/EFI/Microsoft/Boot', '::/Many', '::/Deep', '::/Deep/Er', '::/Deep/Er/Still']);
  const boot = bytesOf('bootmgfw', args.big ?? 150_000);
  put('/EFI/Boot/BOOTX64.EFI', boot);
  put('/EFI/Microsoft/Boot/bootmgfw.efi', boot);
  put('/EFI/Microsoft/Boot/BCD', bytesOf('bcd', 28_672));
  put('/A long file name with spaces.txt', bytesOf('long', 1234));
  put('/MixedCase.Txt', bytesOf('mixed', 10));
  put('/lower.txt', bytesOf('lower', 0));
  put('/UPPER.TXT', bytesOf('upper', 4097));
  put('/Deep/Er/Still/leaf.bin', bytesOf('leaf', 70_000));
  for (const name of UNICODE_NAMES) put(`/${name}`, bytesOf(name, 777));
  put('/doomed.txt', bytesOf('doomed', 5000));
  // Fragment: a, gap, b, delete a, then a file larger than the gap.
  put('/frag-a.bin', bytesOf('a', 3000));
  put('/frag-b.bin', bytesOf('b', 3000));
  mtools('mdel', ['-i', image, '::/frag-a.bin']);
  put('/fragmented.bin', bytesOf('fragmented', 20_000));
  mtools('mdel', ['-i', image, '::/doomed.txt']);
  for (let i = 0; i < (args.many ?? 120); i++) put(`/Many/file number ${i}.txt`, bytesOf(`many${i}`, 100 + i));
}

/** mdir's recursive bare listing: '/path' for files, '/path/' for directories, sorted. */
export function mdirList(image: string): string[] {
  return mtools('mdir', ['-/', '-a', '-b', '-i', image, '::'])
    .split('\n')
    .filter((l) => l.startsWith('::/'))
    .map((l) => l.slice(2))
    .sort();
}

/** Extracts every file with mcopy into `dir`; returns guest path → bytes. */
export function mcopyTree(image: string, dir: string): Map<string, Uint8Array> {
  mkdirSync(dir, { recursive: true });
  mtools('mcopy', ['-s', '-n', '-i', image, '::/*', dir]);
  const out = new Map<string, Uint8Array>();
  const walk = (host: string, guest: string): void => {
    for (const name of readdirSync(host)) {
      const h = join(host, name);
      const g = `${guest}/${name}`;
      if (statSync(h).isDirectory()) walk(h, g);
      else out.set(g, new Uint8Array(readFileSync(h)));
    }
  };
  walk(dir, '');
  return out;
}

/** fsck.fat -n -v: exit code and output. */
export function fsck(image: string): { code: number | null; output: string } {
  const r = spawnSync('fsck.fat', ['-n', '-v', image], { encoding: 'utf8' });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Used and total clusters from fsck.fat's summary line ("img: 5 files, 5/8167 clusters"). */
export function fsckClusters(output: string): { used: number; total: number } {
  const m = /(\d+) files, (\d+)\/(\d+) clusters/.exec(output);
  if (!m) throw new Error(`no summary in fsck.fat output:\n${output}`);
  return { used: Number(m[2]), total: Number(m[3]) };
}

/** Our recursive listing (directories end in '/') and every file's bytes. */
export async function ourTree(fs: FileSystem): Promise<{ list: string[]; files: Map<string, Uint8Array> }> {
  const list: string[] = [];
  const files = new Map<string, Uint8Array>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir)) {
      const path = `${dir === '/' ? '' : dir}/${e.name}`;
      if (e.type === 'directory') {
        list.push(`${path}/`);
        await walk(path);
      } else {
        list.push(path);
        files.set(path, await fs.readFile(path));
      }
    }
  };
  await walk('/');
  return { list: list.sort(), files };
}

export function expectSameAsMtools(args: { image: string; ours: { list: string[]; files: Map<string, Uint8Array> }; work: string }): number {
  expect(args.ours.list).toEqual(mdirList(args.image));
  const oracle = mcopyTree(args.image, args.work);
  expect([...args.ours.files.keys()].sort()).toEqual([...oracle.keys()].sort());
  let compared = 0;
  for (const [path, data] of oracle) {
    expect(Buffer.from(args.ours.files.get(path) as Uint8Array).equals(Buffer.from(data)), path).toBe(true);
    compared++;
  }
  if (process.env.FAT_ORACLE_COUNT) console.log(`FAT-ORACLE files=${compared} entries=${args.ours.list.length}`);
  return compared;
}

