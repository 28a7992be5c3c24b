// The state of one guest path as preconditions and journals see it: 'absent', the SHA-256 of
// a regular file's content, 'symlink:<target>', or 'directory' / 'other'; for `rm -r`, a whole
// subtree's state is 'tree:' + the SHA-256 of its sorted listing of such states.

import { CorruptError, NotFoundError } from '../errors.js';
import { createHash } from 'node:crypto';
import type { FileSystem, Stat } from '../fs/types.js';
import type { BlockDevice } from '../io/block-device.js';
import { sha256Hex } from './hash.js';
import type { Expect } from './types.js';

export type PathState = string;

export async function statOrAbsent(fs: FileSystem, path: string): Promise<Stat | undefined> {
  try {
    return await fs.stat(path);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

export async function pathState(fs: FileSystem, path: string): Promise<PathState> {
  const stat = await statOrAbsent(fs, path);
  if (!stat) return 'absent';
  if (stat.type === 'symlink') return `symlink:${stat.target ?? ''}`;
  if (stat.type !== 'file') return stat.type;
  if (fs.open && stat.size > STREAM_HASH_ABOVE) return hashStream(await fs.open(path));
  return sha256Hex(await fs.readFile(path));
}

/** Files larger than this are hashed piece by piece through `open`, so verifying a large copy-in does not hold it twice. */
const STREAM_HASH_ABOVE = 16 * 1024 * 1024;
const HASH_PIECE = 4 * 1024 * 1024;

async function hashStream(device: BlockDevice): Promise<string> {
  const hash = createHash('sha256');
  for (let offset = 0; offset < device.size; offset += HASH_PIECE) hash.update(await device.read(offset, Math.min(HASH_PIECE, device.size - offset)));
  return hash.digest('hex');
}

export function expectedState(expect: Expect): PathState {
  return expect === 'absent' ? 'absent' : expect.sha256;
}

/** One entry of a subtree listing: its path below the root and its state. */
export interface TreeEntry {
  path: string;
  state: PathState;
}

/** A bound on directory nesting below a listed root: deeper than any real guest, shallow enough to stop a cycle. */
const MAX_TREE_DEPTH = 512;

/**
 * Every entry below `root` (not the root itself), parents before children, in code-unit order
 * of their relative paths, with their states. Directories seen twice (a corrupt volume linking
 * a directory into itself) are refused rather than walked forever.
 */
export async function listTree(fs: FileSystem, root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const seen = new Set<number>();
  const walk = async (dir: string, relative: string, depth: number): Promise<void> => {
    if (depth > MAX_TREE_DEPTH) throw new CorruptError(`directory nesting below ${root} exceeds ${MAX_TREE_DEPTH} levels`, { path: dir });
    const entries = await fs.readdir(dir);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const state = await pathState(fs, full);
      out.push({ path: rel, state });
      if (state !== 'directory') continue;
      const stat = await fs.stat(full);
      if (stat.inode !== undefined) {
        if (seen.has(stat.inode)) throw new CorruptError(`directory ${full} appears twice below ${root}`, { path: full });
        seen.add(stat.inode);
      }
      await walk(full, rel, depth + 1);
    }
  };
  await walk(root, '', 0);
  return out;
}

/** The state `rm -r` expects of a directory tree: 'tree:' + SHA-256 of its listing (one `path\tstate` line per entry). */
export async function treeState(fs: FileSystem, root: string): Promise<PathState> {
  const lines = (await listTree(fs, root)).map((e) => `${e.path}\t${e.state}\n`).join('');
  return `tree:${sha256Hex(new TextEncoder().encode(lines))}`;
}
