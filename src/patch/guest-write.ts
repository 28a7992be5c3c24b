// Planning guest writes like virt-copy-in and guestfish mkdir / rm: from a local tree or a
// guest path to the patches (write-file, make-directory, make-symlink, remove-path) that a
// Transaction applies. Every read that can refuse (a symlink on NTFS, a special file, names that
// collide on NTFS, a missing guest directory, a file in the way of a directory) runs while
// planning, before the first write. copy-in reads each local file only when its patch is applied,
// so memory holds one file at a time. Nothing here prints; progress goes to a callback.

// Synchronous local reads: thousands of small files cost far less than through the thread pool.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { NotFoundError, PreconditionError, UnsupportedError } from '../errors.js';
import { dirnamePath, joinPath, splitPath } from '../fs/path.js';
import type { FileSystem } from '../fs/types.js';
import { pathState, statOrAbsent, treeState } from './state.js';
import type { JournalEntry, Transaction } from './transaction.js';
import type { Expect, Patch, RemoveExpect, RemovePathPatch } from './types.js';

/** One local thing to copy, found by the scan that runs before any write. */
export type CopyItem =
  | { type: 'directory'; local: string; guest: string; mode: number }
  | { type: 'file'; local: string; guest: string; mode: number; size: number }
  | { type: 'symlink'; local: string; guest: string; target: string };

/** A planned copy-in: each local item with its patch (a write-file's content is read when applied). */
export interface CopyInPlan {
  planned: { item: CopyItem; patch: Patch }[];
  files: number;
  directories: number;
  /** The bytes of all local files. */
  bytes: number;
}

const childPath = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/** The counts a person reads after a write. */
export function summarizeJournal(entries: JournalEntry[]): { applied: number; already: number } {
  return { applied: entries.filter((e) => e.outcome === 'applied').length, already: entries.filter((e) => e.outcome === 'already').length };
}

/** Every local path below the sources, parents first, refusing what the guest cannot hold. */
export function scanLocal(sources: string[], guestDir: string): CopyItem[] {
  const items: CopyItem[] = [];
  const visit = (local: string, guest: string): void => {
    const st = lstatSync(local);
    if (st.isDirectory()) {
      items.push({ type: 'directory', local, guest, mode: st.mode & 0o7777 });
      const names = readdirSync(local).sort();
      for (const name of names) visit(join(local, name), childPath(guest, name));
    } else if (st.isFile()) {
      items.push({ type: 'file', local, guest, mode: st.mode & 0o7777, size: st.size });
    } else if (st.isSymbolicLink()) {
      items.push({ type: 'symlink', local, guest, target: readlinkSync(local) });
    } else {
      throw new UnsupportedError(`${local} is a device, FIFO or socket; copy-in copies files, directories and symlinks`, { path: local });
    }
  };
  for (const source of sources) {
    const name = basename(source.replace(/\/+$/, '')) || basename(source);
    if (name === '' || name === '.' || name === '..') throw new PreconditionError(`cannot tell the name to give ${source} in the guest`, { path: source });
    visit(source, childPath(guestDir, name));
  }
  return items;
}

/** The precondition for writing `path`: absent, or the content found there (copy-in overwrites files, as cp does). */
export async function expectAt(fs: FileSystem, path: string): Promise<{ expect: Expect; type?: string }> {
  const state = await pathState(fs, path);
  if (state === 'absent') return { expect: 'absent' };
  if (state === 'directory' || state === 'other') return { expect: 'absent', type: state };
  if (state.startsWith('symlink:')) return { expect: 'absent', type: 'symlink' };
  return { expect: { sha256: state }, type: 'file' };
}

/** The patch that puts one local item at its guest path (a write-file's content is read when it is applied). */
export async function planCopy(args: { fs: FileSystem; volume: string; item: CopyItem }): Promise<Patch> {
  const { fs, volume, item } = args;
  const reason = `copy-in ${item.local}`;
  if (item.type === 'directory') {
    const stat = await statOrAbsent(fs, item.guest);
    if (stat && stat.type !== 'directory') throw new PreconditionError(`${volume}:${item.guest} exists and is not a directory`, { path: item.guest });
    return { kind: 'make-directory', volume, path: item.guest, expect: stat ? 'directory' : 'absent', mode: item.mode, reason };
  }
  const { expect, type } = await expectAt(fs, item.guest);
  if (item.type === 'symlink') {
    if (type === 'directory') throw new PreconditionError(`${volume}:${item.guest} is a directory; cannot put the symlink ${item.local} there`, { path: item.guest });
    if (type === 'symlink') {
      // Only the same link counts as there already; another link is not replaced silently.
      const current = await fs.stat(item.guest);
      if (current.target !== item.target) throw new PreconditionError(`${volume}:${item.guest} is a symlink to ${current.target ?? '?'}, not ${item.target}`, { path: item.guest });
    }
    return { kind: 'make-symlink', volume, path: item.guest, target: item.target, expect, reason };
  }
  if (type !== undefined && type !== 'file') throw new PreconditionError(`${volume}:${item.guest} is a ${type}; cannot copy the file ${item.local} over it`, { path: item.guest });
  return { kind: 'write-file', volume, path: item.guest, expect, content: new Uint8Array(0), mode: item.mode, reason };
}

/** Scans the local sources and reads every guest target's state: refuses before anything is written. */
export async function planCopyIn(args: { fs: FileSystem; volume: string; sources: string[]; guestDir: string }): Promise<CopyInPlan> {
  const { fs, volume } = args;
  const dirStat = await statOrAbsent(fs, args.guestDir);
  if (dirStat?.type !== 'directory') {
    throw new NotFoundError(`${volume}:${args.guestDir} is not a directory in the guest (make it with rehost mkdir -p)`, { path: args.guestDir, errno: dirStat ? 'ENOTDIR' : 'ENOENT' });
  }
  const items = scanLocal(args.sources, args.guestDir);
  if (fs.kind === 'ntfs') {
    const link = items.find((i) => i.type === 'symlink');
    if (link) throw new UnsupportedError(`${link.local} is a symlink; rehost does not create symlinks on NTFS (copy the target instead)`, { path: link.local });
  }
  const seen = new Map<string, string>();
  const planned: CopyInPlan['planned'] = [];
  for (const item of items) {
    if (fs.kind === 'ntfs') {
      // NTFS names are case-insensitive: two local names may land on one guest file.
      const key = item.guest.toUpperCase();
      const other = seen.get(key);
      if (other !== undefined) throw new PreconditionError(`${other} and ${item.local} would be the same file on NTFS (names differ only in case)`, { path: item.guest });
      seen.set(key, item.local);
    }
    planned.push({ item, patch: await planCopy({ fs, volume, item }) });
  }
  return {
    planned,
    files: items.filter((i) => i.type === 'file').length,
    directories: items.filter((i) => i.type === 'directory').length,
    bytes: items.reduce((sum, i) => sum + (i.type === 'file' ? i.size : 0), 0),
  };
}

/** Applies a planned copy-in, reading each local file just before its patch; reports bytes copied after each item. */
export async function applyCopyIn(args: { tx: Transaction; plan: CopyInPlan; onProgress?: (done: number, total: number) => void }): Promise<void> {
  let done = 0;
  for (const { item, patch } of args.plan.planned) {
    if (patch.kind === 'write-file') {
      // Read now, apply, drop: one file in memory at a time.
      const read = readFileSync(item.local);
      if (read.length !== (item.type === 'file' ? item.size : -1)) throw new PreconditionError(`${item.local} changed size while being copied`, { path: item.local });
      // A plain Uint8Array view of the same bytes, not a Buffer: Buffer#slice shares memory, and
      // the ext engine transfers each slice's ArrayBuffer to its worker, which would detach the
      // whole file after its first chunk.
      await args.tx.apply([{ ...patch, content: new Uint8Array(read.buffer, read.byteOffset, read.byteLength) }]);
      done += read.length;
    } else await args.tx.apply([patch]);
    args.onProgress?.(done, args.plan.bytes);
  }
}

/** The make-directory patches for `path` (with `parents`, one per level, like mkdir -p). */
export async function planMakeDirectories(args: { fs: FileSystem; volume: string; path: string; parents: boolean }): Promise<Patch[]> {
  const { fs, volume } = args;
  const parts = splitPath(args.path);
  if (parts.length === 0) throw new PreconditionError('the root directory always exists', { path: '/' });
  const levels = args.parents ? parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`) : [`/${parts.join('/')}`];
  if (!args.parents) {
    const parent = await statOrAbsent(fs, dirnamePath(args.path));
    if (parent?.type !== 'directory') {
      throw new NotFoundError(`${volume}:${dirnamePath(args.path)} is not a directory (use -p to make the missing parents)`, { path: dirnamePath(args.path), errno: parent ? 'ENOTDIR' : 'ENOENT' });
    }
  }
  const patches: Patch[] = [];
  for (const level of levels) {
    const stat = await statOrAbsent(fs, level);
    if (stat && stat.type !== 'directory') throw new PreconditionError(`${volume}:${level} exists and is not a directory`, { path: level });
    patches.push({ kind: 'make-directory', volume, path: level, expect: stat ? 'directory' : 'absent', reason: 'rehost mkdir' });
  }
  return patches;
}

/** The remove-path patch for `path`, its precondition the state found now (a whole tree's with `recursive`). */
export async function planRemovePath(args: { fs: FileSystem; volume: string; path: string; recursive: boolean }): Promise<RemovePathPatch> {
  const { fs, volume } = args;
  const path = joinPath(args.path);
  if (path === '/') throw new PreconditionError('refusing to remove the root directory of a volume', { path });
  const stat = await statOrAbsent(fs, path);
  if (!stat) throw new NotFoundError(`${volume}:${path} does not exist`, { path, errno: 'ENOENT' });
  let expect: RemoveExpect;
  if (stat.type === 'directory') {
    const empty = (await fs.readdir(path)).length === 0;
    if (!empty && !args.recursive) throw new PreconditionError(`${volume}:${path} is a directory that is not empty; use -r to remove it with everything below it`, { path });
    expect = empty ? 'directory' : { tree: (await treeState(fs, path)).slice('tree:'.length) };
  } else if (stat.type === 'symlink') expect = { symlink: stat.target ?? '' };
  else if (stat.type === 'file') expect = { sha256: await pathState(fs, path) };
  else throw new UnsupportedError(`${volume}:${path} is a special file; rehost rm removes files, symlinks and directories`, { path });
  return { kind: 'remove-path', volume, path, expect, reason: 'rehost rm' };
}
