// Helpers for comparing the NTFS reader with ntfs-3g: parse `ntfsls -R -l -a -s -i` output
// into per-directory listings, hash files through ntfscat, and list our side the same way.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import type { NtfsFileSystem } from '../../../src/fs/ntfs/index.js';

export interface ListedEntry {
  inode: number;
  size: number;
}

/** ntfsls -R -l -i output → directory path → name → {inode, size}; '.' and '..' dropped. */
export function parseNtfsls(text: string): Map<string, Map<string, ListedEntry>> {
  const out = new Map<string, Map<string, ListedEntry>>();
  let current: Map<string, ListedEntry> | undefined;
  for (const line of text.split('\n')) {
    const header = /^(\/.*):$/.exec(line);
    if (header) {
      current = new Map();
      out.set(header[1]!, current);
      continue;
    }
    const row = /^\s*(\d+)\s+(\d+)\s+\w{3}\s+\d+\s+\d\d:\d\d\s+\d{4}\s(.*)$/.exec(line);
    if (row && current) {
      const name = row[3]!;
      if (name === '.' || name === '..') continue;
      current.set(name, { inode: Number(row[1]), size: Number(row[2]) });
    }
  }
  return out;
}

/** Our walkTree in the same shape. */
export async function ourListing(fs: NtfsFileSystem): Promise<Map<string, Map<string, ListedEntry & { type: string }>>> {
  const out = new Map<string, Map<string, ListedEntry & { type: string }>>();
  for (const dir of await fs.walkTree('/')) {
    const entries = new Map<string, ListedEntry & { type: string }>();
    for (const e of dir.entries) entries.set(e.name, { inode: e.inode, size: e.size, type: e.type });
    out.set(dir.path, entries);
  }
  return out;
}

/** Differences between two listings (names, inodes, sizes), as readable lines. */
export function diffListings(
  expected: Map<string, Map<string, ListedEntry>>,
  actual: Map<string, Map<string, ListedEntry>>,
  options: { sizeOf?: (dir: string, name: string, ours: ListedEntry) => number } = {},
): string[] {
  const problems: string[] = [];
  for (const [dir, want] of expected) {
    const got = actual.get(dir);
    if (!got) {
      problems.push(`missing directory ${dir}`);
      continue;
    }
    for (const [name, entry] of want) {
      const ours = got.get(name);
      if (!ours) problems.push(`missing ${dir}/${name}`);
      else if (ours.inode !== entry.inode || (options.sizeOf?.(dir, name, ours) ?? ours.size) !== entry.size) {
        problems.push(`${dir}/${name}: ntfsls inode ${entry.inode} size ${entry.size}, ours inode ${ours.inode} size ${ours.size}`);
      }
    }
    for (const name of got.keys()) if (!want.has(name)) problems.push(`extra ${dir}/${name}`);
  }
  for (const dir of actual.keys()) if (!expected.has(dir)) problems.push(`extra directory ${dir}`);
  return problems;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function ntfscatSha(image: string, path: string, stream?: string): string {
  const args = stream ? ['-a', 'DATA', '-n', stream, image, path] : [image, path];
  return sha256(execFileSync('ntfscat', args, { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }));
}
