// The writer side for the patch issue: a new initramfs = the original bytes unchanged, zero
// padding to a 4-byte boundary (the kernel requires each cpio to start aligned), and one
// uncompressed newc archive with the given entries and a TRAILER!!!. Measured on Debian 12
// guests (shared/guests/README.md): such an appended segment is what makes added modules
// visible. `segmentConflicts` lists entries that would clobber something the kernel keeps
// differently: a directory entry over a symlink (lib -> usr/lib) replaces the symlink.

import { type CpioEntry, type CpioTree, S_IFDIR, S_IFLNK, S_IFREG, writeCpioArchive } from '../../fs/cpio/index.js';
import { splitPath } from '../../fs/path.js';

const encoder = new TextEncoder();

export interface SegmentEntryOptions {
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

function base(name: string, mode: number, options: SegmentEntryOptions, data: Uint8Array, nlink: number): CpioEntry {
  return {
    name: splitPath(name).join('/'),
    ino: 0, // numbered by buildSegment
    mode,
    uid: options.uid ?? 0,
    gid: options.gid ?? 0,
    nlink,
    mtime: options.mtime ?? 0,
    devMajor: 0,
    devMinor: 0,
    rdevMajor: 0,
    rdevMinor: 0,
    data,
  };
}

export function fileEntry(args: { path: string; data: Uint8Array } & SegmentEntryOptions): CpioEntry {
  return base(args.path, S_IFREG | ((args.mode ?? 0o644) & 0o7777), args, args.data, 1);
}

export function directoryEntry(args: { path: string } & SegmentEntryOptions): CpioEntry {
  return base(args.path, S_IFDIR | ((args.mode ?? 0o755) & 0o7777), args, new Uint8Array(0), 2);
}

export function symlinkEntry(args: { path: string; target: string } & SegmentEntryOptions): CpioEntry {
  return base(args.path, S_IFLNK | 0o777, args, encoder.encode(args.target), 1);
}

/** First inode number given to entries without one: away from the small numbers generators use. */
const FIRST_INO = 0x52480000;

/** A newc archive (with trailer) holding `entries`, as appended by appendSegment; entries with ino 0 are numbered in order. */
export function buildSegment(entries: readonly CpioEntry[]): Uint8Array {
  const numbered = entries.map((entry, i) => (entry.ino === 0 ? { ...entry, ino: FIRST_INO + i } : entry));
  return writeCpioArchive({ format: 'newc', entries: numbered });
}

export function appendSegment(args: { original: Uint8Array; entries: readonly CpioEntry[] }): Uint8Array {
  const segment = buildSegment(args.entries);
  const padding = (4 - (args.original.length % 4)) % 4;
  const out = new Uint8Array(args.original.length + padding + segment.length);
  out.set(args.original, 0);
  out.set(segment, args.original.length + padding);
  return out;
}

export interface SegmentConflict {
  path: string;
  problem: string;
}

/** Entries that would replace a symlink of the existing tree (lib -> usr/lib) or change an entry's type. */
export function segmentConflicts(tree: CpioTree, entries: readonly CpioEntry[]): SegmentConflict[] {
  const conflicts: SegmentConflict[] = [];
  for (const entry of entries) {
    const existing = tree.find(entry.name, false);
    if (existing === undefined) continue;
    const existingType = existing.mode & 0o170000;
    const newType = entry.mode & 0o170000;
    if (existingType === S_IFLNK && newType !== S_IFLNK) {
      conflicts.push({ path: entry.name, problem: `replaces the symlink ${entry.name} -> ${existing.target ?? ''}` });
    } else if (existingType !== newType) {
      conflicts.push({ path: entry.name, problem: 'changes the type of an existing entry' });
    }
  }
  return conflicts;
}
