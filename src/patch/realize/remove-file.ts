// Realizer for 'remove-file': a file that would mislead the guest on new hardware (the LVM
// devices file naming the old disks' WWIDs, a stale blkid cache). It becomes a delete-file
// patch expecting the hash of what is there now; a file already gone needs nothing.
// Precondition: the path is a regular file (a symlink or directory there is not what was planned).

import { PreconditionError } from '../../errors.js';
import type { Patch } from '../types.js';
import { locate, stateOf } from './locate.js';
import type { Realizer } from './types.js';

export const realizeRemoveFile: Realizer<'remove-file'> = async ({ planned, guest }) => {
  const at = await locate({ guest, volume: planned.volume, path: planned.path });
  const state = await stateOf(at);
  if (state === 'absent') return [];
  if (state === 'directory' || state === 'other' || state.startsWith('symlink:')) {
    throw new PreconditionError(`${planned.path} is ${state}, not the regular file the plan would remove`, { path: planned.path, found: state, expected: 'a regular file' });
  }
  const patch: Patch = { kind: 'delete-file', volume: at.volume, path: at.path, expect: { sha256: state }, reason: `${planned.rule}` };
  return [patch];
};
