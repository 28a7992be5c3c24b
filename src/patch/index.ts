// Patches and the transactional write path: patch kinds as data with preconditions, their
// application and descriptions, the transaction (overlay, verify, commit) and undo.

export type { Expect, Patch, PatchResult, PatchTarget, WriteFilePatch, DeleteFilePatch, EditConfigPatch, AppendInitramfsPatch, MaskUnitPatch, DisableSysvPatch, SysvLink, MakeDirectoryPatch, RemovePathPatch, RemoveExpect, MakeSymlinkPatch } from './types.js';
export type { ConfigEdit } from './config-edit.js';
export { applyConfigEdit } from './config-edit.js';
export type { TableEdit, TableFormat, TableMatch } from './table.js';
export { TABLE_FIELDS } from './table.js';
export type { ShellVarEdit } from './shell-vars.js';
export type { KernelArgEdit } from './kernel-args.js';
export type { BootEntryEdit, BootEntryFormat } from './boot-entries.js';
export type { ModuleListEdit, ModprobeEdit } from './module-lists.js';
export { applyPatch, maskPath, stopLinkPath, SYSTEMD_ADMIN_DIR } from './apply.js';
export { describePatch } from './describe.js';
export { pathState, treeState, listTree, type PathState, type TreeEntry } from './state.js';
export { sha256Hex } from './hash.js';
export { applyAndCommit, openTransaction, Transaction, type OpenTransactionOptions, type ChangeJournal, type JournalEntry, type VerifyOptions } from './transaction.js';
export { defaultJournalPath, type CommitMode, type CommitOutcome, type CommitProgress } from './commit.js';
export { undo, readUndoJournal, UNDO_MAGIC, type UndoHeader, type UndoRange, type UndoResult } from './undo-journal.js';
export { applyCopyIn, expectAt, planCopy, planCopyIn, planMakeDirectories, planRemovePath, scanLocal, summarizeJournal, type CopyInPlan, type CopyItem } from './guest-write.js';
