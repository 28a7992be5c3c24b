// make-directory patches for the missing levels of a folder inside one volume, each level its
// own patch so undo removes exactly what rehost created; a level that exists as something other
// than a folder fails the precondition.

import { PreconditionError } from '../../errors.js';
import type { FileSystem } from '../../fs/types.js';
import { pathState } from '../state.js';
import type { Patch } from '../types.js';

/** make-directory patches for every missing level of `dir` (a path inside the volume). */
export async function directoryPatches(args: { fs: FileSystem; volume: string; dir: string; reason: string }): Promise<Patch[]> {
  const out: Patch[] = [];
  let path = '';
  for (const part of args.dir.split('/').filter((p) => p !== '')) {
    path += `/${part}`;
    const state = await pathState(args.fs, path);
    if (state === 'directory') continue;
    if (state !== 'absent') throw new PreconditionError(`${args.volume}:${path} is ${state}, not a folder`, { path, found: state });
    out.push({ kind: 'make-directory', volume: args.volume, path, expect: 'absent', reason: args.reason });
  }
  return out;
}
