// The contract between a Plan (src/rules: PlannedPatch templates, no bytes) and the patches
// applied inside a Transaction: a realizer reads the guest through a GuestView, re-checks the
// planned patch's precondition structurally against what it reads (PreconditionError when the
// guest no longer matches the facts the plan was made from), and returns concrete Patches whose
// `expect` hashes are those of the bytes it read.

import type { FileSystem } from '../../fs/types.js';
import type { PlannedPatch } from '../../rules/types.js';
import type { Patch } from '../types.js';

/** One operating system's filesystems as the guest mounts them. */
export interface GuestView {
  /** Volume id of the root filesystem ('p2', 'vg/root'). */
  root: string;
  /** Mount point → volume id, '/' included ('/boot' → 'p1'). */
  mounts: Record<string, string>;
  /** The filesystem of a volume (through the transaction's overlay when applying). */
  fs(volume: string): Promise<FileSystem>;
  /** A guest absolute path → the volume holding it and the path inside that volume (longest mount prefix). */
  resolve(guestPath: string): { volume: string; path: string };
}

export type Realizer<K extends PlannedPatch['kind']> = (args: { planned: Extract<PlannedPatch, { kind: K }>; guest: GuestView }) => Promise<Patch[]>;
