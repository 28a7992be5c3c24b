// The state of one guest path as preconditions and journals see it: 'absent', the SHA-256 of
// a regular file's content, 'symlink:<target>', or 'directory' / 'other'.

import { NotFoundError } from '../errors.js';
import type { FileSystem, Stat } from '../fs/types.js';
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
  return sha256Hex(await fs.readFile(path));
}

export function expectedState(expect: Expect): PathState {
  return expect === 'absent' ? 'absent' : expect.sha256;
}
