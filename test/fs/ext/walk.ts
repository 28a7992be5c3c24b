// Test helper: walks a FileSystem the way `rehost ls -R` + `cat` would, collecting every
// entry's type, size, mode and (for regular files) sha256, bounded so a corrupt directory
// cycle cannot make a test run forever.

import { createHash } from 'node:crypto';
import type { FileSystem } from '../../../src/fs/types.js';

export interface WalkEntry {
  path: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  sha256?: string;
  target?: string;
}

export async function walk(fs: FileSystem, options: { maxEntries?: number; readFiles?: boolean; skip?: (path: string) => boolean } = {}): Promise<Map<string, WalkEntry>> {
  const max = options.maxEntries ?? 100_000;
  const out = new Map<string, WalkEntry>();
  const queue = ['/'];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    for (const entry of await fs.readdir(dir)) {
      const path = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
      if (options.skip?.(path)) continue;
      if (out.size >= max) throw new Error(`more than ${max} entries`);
      const st = await fs.stat(path);
      const item: WalkEntry = { path, type: st.type, size: st.size, mode: st.mode ?? 0, uid: st.uid ?? 0, gid: st.gid ?? 0 };
      if (st.type === 'symlink') item.target = st.target;
      if (st.type === 'file' && options.readFiles !== false) {
        item.sha256 = createHash('sha256').update(await fs.readFile(path)).digest('hex');
      }
      out.set(path, item);
      if (st.type === 'directory') queue.push(path);
    }
  }
  return out;
}

/** Differences between our walk and the oracle's (debugfs), as readable lines; [] when they agree. */
export function compareWalks(ours: Map<string, WalkEntry>, oracle: Map<string, WalkEntry>): string[] {
  const problems: string[] = [];
  for (const path of oracle.keys()) if (!ours.has(path)) problems.push(`missing ${path}`);
  for (const [path, mine] of ours) {
    const theirs = oracle.get(path);
    if (!theirs) {
      problems.push(`extra ${path}`);
      continue;
    }
    if (mine.type !== theirs.type) problems.push(`${path}: type ${mine.type} vs ${theirs.type}`);
    if (mine.mode !== theirs.mode) problems.push(`${path}: mode ${mine.mode.toString(8)} vs ${theirs.mode.toString(8)}`);
    if (mine.uid !== theirs.uid || mine.gid !== theirs.gid) problems.push(`${path}: owner ${mine.uid}:${mine.gid} vs ${theirs.uid}:${theirs.gid}`);
    if (mine.type !== 'directory' && mine.size !== theirs.size) problems.push(`${path}: size ${mine.size} vs ${theirs.size}`);
    if (mine.sha256 !== theirs.sha256) problems.push(`${path}: sha256 differs`);
    if (mine.target !== theirs.target) problems.push(`${path}: target ${mine.target} vs ${theirs.target}`);
  }
  return problems;
}
