// Patches as data: each says what it changes, on which volume, and what it expects to find
// there first (the precondition). The planner fills them; applyPatch carries them out;
// describePatch explains them. File contents are bytes; everything else is plain JSON.

import type { CpioEntry } from '../fs/cpio/index.js';
import type { ConfigEdit } from './config-edit.js';

/** What the target must be before the patch: a regular file with this content hash, or nothing. */
export type Expect = { sha256: string } | 'absent';

interface PatchBase {
  /** The volume the path lives on ('p1', 'vg/root', …, as discovery names them). */
  volume?: string;
  /** Why this patch exists, for the plan and the report. */
  reason?: string;
}

export interface WriteFilePatch extends PatchBase {
  kind: 'write-file';
  path: string;
  expect: Expect;
  content: Uint8Array;
  mode?: number;
}

export interface DeleteFilePatch extends PatchBase {
  kind: 'delete-file';
  path: string;
  expect: { sha256: string };
}

export interface EditConfigPatch extends PatchBase {
  kind: 'edit-config';
  path: string;
  expect: { sha256: string };
  edit: ConfigEdit;
}

export interface AppendInitramfsPatch extends PatchBase {
  kind: 'append-initramfs';
  path: string;
  /** The original initramfs; its bytes stay the prefix of the result. */
  expect: { sha256: string };
  entries: CpioEntry[];
}

export interface MaskUnitPatch extends PatchBase {
  kind: 'mask-unit';
  /** The unit name, e.g. 'open-vm-tools.service'; the mask is /etc/systemd/system/<unit> -> /dev/null. */
  unit: string;
  /** What is at /etc/systemd/system/<unit> now (usually nothing). */
  expect: Expect;
}

export interface SysvLink {
  /** e.g. /etc/rc2.d/S01open-vm-tools */
  path: string;
  /** e.g. ../init.d/open-vm-tools */
  target: string;
}

export interface DisableSysvPatch extends PatchBase {
  kind: 'disable-sysv';
  service: string;
  /** The start links to turn into stop links (S<NN>name -> K<NN>name, as `update-rc.d disable`). */
  links: SysvLink[];
}

export interface MakeDirectoryPatch extends PatchBase {
  kind: 'make-directory';
  path: string;
  /** 'absent' to create it, 'directory' when the plan saw it there already. The parent must exist (`mkdir -p` is one patch per level). */
  expect: 'absent' | 'directory';
  mode?: number;
}

/**
 * What must be at the path before `remove-path` removes it: a regular file with this content,
 * a symlink with this target, an empty directory, or (for `rm -r`) a directory tree whose
 * listing hashes to `tree` (see treeState in state.ts).
 */
export type RemoveExpect = { sha256: string } | { symlink: string } | 'directory' | { tree: string };

export interface RemovePathPatch extends PatchBase {
  kind: 'remove-path';
  path: string;
  expect: RemoveExpect;
}

export interface MakeSymlinkPatch extends PatchBase {
  kind: 'make-symlink';
  path: string;
  target: string;
  expect: Expect;
}

export type Patch =
  | WriteFilePatch
  | DeleteFilePatch
  | EditConfigPatch
  | AppendInitramfsPatch
  | MaskUnitPatch
  | DisableSysvPatch
  | MakeDirectoryPatch
  | RemovePathPatch
  | MakeSymlinkPatch;

/** A file the patch left behind and its content hash ('absent' when removed; `symlink:` + target for links). */
export interface PatchTarget {
  path: string;
  before: string;
  after: string;
}

/** What applying one patch did, for the change journal. */
export interface PatchResult {
  kind: Patch['kind'];
  volume?: string;
  /** 'applied', or 'already' when the result was there before (nothing written). */
  outcome: 'applied' | 'already';
  targets: PatchTarget[];
}
