// Opening an ext2/3/4 volume: our own superblock decode decides first (recognise, report
// features, judge write safety), then libext2fs is started in its worker and mounted. Reading
// goes ahead on states where it is still meaningful (a journal not replayed gives the state as
// of the last checkpoint, which is reported); writing is refused on any state or feature where
// libext2fs could make things worse: pending journal recovery, recorded errors, an unclean
// unmount, encryption, casefolding, or any incompat/ro_compat feature it does not write.

import type { Diagnostics } from '../../diagnostics.js';
import { ignoreDiagnostics } from '../../diagnostics.js';
import { UnsafeStateError, UnsupportedError } from '../../errors.js';
import type { BlockDevice, WritableBlockDevice } from '../../io/block-device.js';
import { ExtEngine, type ExtEngineLimits } from './engine.js';
import {
  INCOMPAT_FEATURES,
  INCOMPAT_JOURNAL_DEV,
  LIBEXT2FS_WRITABLE_INCOMPAT,
  LIBEXT2FS_WRITABLE_RO_COMPAT,
  RO_COMPAT_FEATURES,
  RO_COMPAT_READONLY,
  featureNames,
} from './features.js';
import { ExtFileSystem, ExtWritableFileSystem } from './filesystem.js';
import { readExtSuperblockFrom, type ExtSuperblock } from './superblock.js';

export interface OpenExtOptions {
  diagnostics?: Diagnostics;
  limits?: ExtEngineLimits;
  maxFileBytes?: number;
}

function reportState(sb: ExtSuperblock, diagnostics: Diagnostics): void {
  const base = { structure: 'ext superblock', offset: 1024 };
  if (sb.needsRecovery) {
    diagnostics.report({ ...base, severity: 'warning', code: 'EXT_NEEDS_RECOVERY', message: 'the journal holds transactions that were never replayed; reading shows the state before them' });
  }
  if (sb.state.errors || sb.errorCount > 0) {
    diagnostics.report({ ...base, severity: 'warning', code: 'EXT_HAS_ERRORS', message: `the filesystem recorded errors (state ${sb.raw.s_state}, ${sb.errorCount} errors)` });
  }
  if (!sb.state.valid) {
    diagnostics.report({ ...base, severity: 'warning', code: 'EXT_NOT_CLEAN', message: 'the filesystem was not cleanly unmounted' });
  }
  if (sb.checksumMismatch) {
    diagnostics.report({ ...base, severity: 'warning', code: 'EXT_SUPERBLOCK_CHECKSUM', message: 'the superblock checksum does not match (metadata_csum)' });
  }
  if (sb.raw.s_last_orphan !== 0) {
    diagnostics.report({ ...base, severity: 'info', code: 'EXT_ORPHANS', message: `orphan inode list starts at inode ${sb.raw.s_last_orphan}` });
  }
}

function refuseJournalDevice(sb: ExtSuperblock): void {
  if ((sb.raw.s_feature_incompat & INCOMPAT_JOURNAL_DEV) !== 0) {
    throw new UnsupportedError('this volume is an external ext journal device, not a filesystem', { structure: 'ext superblock', offset: 1024 });
  }
}

/** Opens an ext2/3/4 volume read-only. */
export async function openExt(device: BlockDevice, options: OpenExtOptions = {}): Promise<ExtFileSystem> {
  const diagnostics = options.diagnostics ?? ignoreDiagnostics;
  const superblock = await readExtSuperblockFrom(device);
  refuseJournalDevice(superblock);
  reportState(superblock, diagnostics);
  const engine = new ExtEngine(device, { writable: undefined, diagnostics, limits: options.limits });
  const fs = new ExtFileSystem({ engine, superblock, diagnostics, maxFileBytes: options.maxFileBytes });
  // Mount now, so a filesystem libext2fs rejects fails at open rather than at first use.
  await engine.call('lstat', ['/'], '/');
  return fs;
}

/** Why writing this volume would be unsafe or unsupported, or undefined when it is fine. */
export function writeRefusal(sb: ExtSuperblock): UnsafeStateError | UnsupportedError | undefined {
  const detail = { structure: 'ext superblock', offset: 1024 };
  if (sb.needsRecovery) return new UnsafeStateError('the ext journal needs recovery (needs_recovery); replay it (e2fsck) before writing', detail);
  if (sb.state.errors) return new UnsafeStateError('the ext filesystem has recorded errors; run e2fsck before writing', detail);
  if (!sb.state.valid) return new UnsafeStateError('the ext filesystem was not cleanly unmounted; run e2fsck before writing', detail);
  if (sb.raw.s_state & 0x0004) return new UnsafeStateError('the ext filesystem is in the middle of orphan recovery', detail);
  const incompat = sb.raw.s_feature_incompat;
  const roCompat = sb.raw.s_feature_ro_compat;
  if (incompat & 0x10000) return new UnsupportedError('ext encryption (encrypt) is not supported for writing', detail);
  if (incompat & 0x20000) return new UnsupportedError('ext casefolding (casefold) is not supported for writing', detail);
  const badIncompat = (incompat & ~LIBEXT2FS_WRITABLE_INCOMPAT) >>> 0;
  if (badIncompat !== 0) {
    return new UnsupportedError(`incompat features libext2fs cannot write: ${featureNames(badIncompat, INCOMPAT_FEATURES, 'incompat').join(', ')}`, detail);
  }
  if (roCompat & RO_COMPAT_READONLY) return new UnsupportedError('the filesystem is marked read-only (ro_compat readonly)', detail);
  const badRoCompat = (roCompat & ~LIBEXT2FS_WRITABLE_RO_COMPAT) >>> 0;
  if (badRoCompat !== 0) {
    return new UnsupportedError(`ro_compat features libext2fs cannot write: ${featureNames(badRoCompat, RO_COMPAT_FEATURES, 'ro_compat').join(', ')}`, detail);
  }
  if (sb.checksumMismatch) return new UnsafeStateError('the superblock checksum does not match; run e2fsck before writing', detail);
  return undefined;
}

/**
 * Opens an ext2/3/4 volume for writing. Pass a copy-on-write device (OverlayDevice) so that the
 * source stays untouched; writes reach it when `flush()` (or `close()`) is called.
 */
export async function openExtWritable(device: WritableBlockDevice, options: OpenExtOptions = {}): Promise<ExtWritableFileSystem> {
  const diagnostics = options.diagnostics ?? ignoreDiagnostics;
  const superblock = await readExtSuperblockFrom(device);
  refuseJournalDevice(superblock);
  reportState(superblock, diagnostics);
  const refusal = writeRefusal(superblock);
  if (refusal) throw refusal;
  const engine = new ExtEngine(device, { writable: device, diagnostics, limits: options.limits });
  const fs = new ExtWritableFileSystem({ engine, device, superblock, diagnostics, maxFileBytes: options.maxFileBytes });
  await engine.call('lstat', ['/'], '/');
  return fs;
}
