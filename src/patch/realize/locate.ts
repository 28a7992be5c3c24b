// Shared reading for realizers: where a planned guest path lives (volume + path inside it),
// and its current state read through the GuestView. A plan may name a file by its guest path
// (/boot/grub/grub.cfg with volume 'p1' for a separate /boot) or by its path inside the
// volume (/grub/grub.cfg on 'p1'); both land on the same file.

import { PreconditionError } from '../../errors.js';
import type { FileSystem } from '../../fs/types.js';
import { sha256Hex } from '../hash.js';
import { pathState, statOrAbsent, type PathState } from '../state.js';
import type { GuestView } from './types.js';

export interface Located {
  volume: string;
  /** The path inside the volume. */
  path: string;
  fs: FileSystem;
}

/** The volume and in-volume path of a planned path; `volume` is the plan's volume id. */
export async function locate(args: { guest: GuestView; volume: string; path: string }): Promise<Located> {
  const { guest, volume, path } = args;
  const resolved = guest.resolve(path);
  const target = resolved.volume === volume ? resolved : { volume, path };
  return { ...target, fs: await guest.fs(target.volume) };
}

/** The state of a located path ('absent', a content sha256, 'symlink:…', 'directory', 'other'). */
export function stateOf(at: Located): Promise<PathState> {
  return pathState(at.fs, at.path);
}

/** A regular file's bytes and hash; PreconditionError when it is missing or not a file. */
export async function readRegular(args: { at: Located; what: string }): Promise<{ content: Uint8Array; sha256: string }> {
  const { at, what } = args;
  // The file's kind from a stat, then one read: the hash is of the very bytes returned.
  const stat = await statOrAbsent(at.fs, at.path);
  if (stat?.type !== 'file') {
    const state = stat === undefined ? 'absent' : stat.type === 'symlink' ? `symlink:${stat.target ?? ''}` : stat.type;
    throw new PreconditionError(`${what}: ${at.volume}:${at.path} is ${state === 'absent' ? 'missing' : state}, not the regular file the plan read`, {
      path: at.path,
      found: state,
    });
  }
  const content = await at.fs.readFile(at.path);
  return { content, sha256: sha256Hex(content) };
}
