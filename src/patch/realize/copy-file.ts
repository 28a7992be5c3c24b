// Realizer for 'copy-file': one file of a volume copied to another path of the same volume
// (Windows Boot Manager to the UEFI fallback loader, \EFI\Boot\BOOTX64.EFI). The source must
// still hash to what the plan read; the destination must still be what the plan saw ('absent'
// or the old file's hash) — or already the copy, which needs nothing. Missing folders become
// make-directory patches so undo removes them.

import { PreconditionError } from '../../errors.js';
import type { Patch } from '../types.js';
import { locate, readRegular, stateOf } from './locate.js';
import type { Realizer } from './types.js';
import { directoryPatches } from './directories.js';

export const realizeCopyFile: Realizer<'copy-file'> = async ({ planned, guest }) => {
  const from = await locate({ guest, volume: planned.volume, path: planned.from });
  const { content, sha256 } = await readRegular({ at: from, what: planned.rule });
  if (sha256 !== planned.sha256) throw new PreconditionError(`${planned.volume}:${planned.from} changed since the plan (sha256 ${sha256}, the plan read ${planned.sha256})`, { path: planned.from });
  const to = await locate({ guest, volume: planned.volume, path: planned.to });
  const state = await stateOf(to);
  if (state === sha256) return [];
  if (state !== planned.replace) throw new PreconditionError(`${planned.volume}:${planned.to} is ${state}, the plan saw ${planned.replace}`, { path: planned.to, found: state, expected: planned.replace });
  const out: Patch[] = await directoryPatches({ fs: to.fs, volume: to.volume, dir: to.path.slice(0, to.path.lastIndexOf('/')), reason: planned.rule });
  out.push({ kind: 'write-file', volume: to.volume, path: to.path, expect: state === 'absent' ? 'absent' : { sha256: state }, content, reason: `copy of ${planned.from} (${planned.rule})` });
  return out;
};
