// A write transaction over one disk image (DESIGN.md "Writes: transactional by construction"):
// the source is opened read-only, an OverlayDevice takes every write, writable filesystems are
// opened on volumes through the overlay, patches are applied and journalled, `verify` re-opens
// the stack from the overlay and re-reads every file written, and `commit` is the only step
// that writes a user's file. Refusals (encrypted volumes, filesystems rehost cannot write,
// ext needing recovery) come from opening the writable filesystems, before any write.

import { ignoreDiagnostics, type Diagnostics } from '../diagnostics.js';
import { CorruptError, NotFoundError, PreconditionError, UnsafeStateError, UnsupportedError } from '../errors.js';
import { discoverVolumes, type Volume } from '../fs/discover.js';
import { openFileSystem } from '../fs/open.js';
import type { FileSystem, WritableFileSystem } from '../fs/types.js';
import { openExtWritable } from '../fs/ext/index.js';
import { openNtfsWritable } from '../fs/ntfs/index.js';
import { openFatWritable } from '../fs/fat/index.js';
import { isWritable } from '../io/block-device.js';
import { OverlayDevice } from '../io/overlay-device.js';
import { openImage } from '../image/open.js';
import type { DiskImage } from '../image/types.js';
import { applyPatch } from './apply.js';
import { describePatch } from './describe.js';
import { pathState } from './state.js';
import type { Patch, PatchResult } from './types.js';
import { commitBacked, commitInPlace, commitStandalone, type CommitMode, type CommitOutcome, type CommitProgress } from './commit.js';
import type { UndoHeader } from './undo-journal.js';

export interface OpenTransactionOptions {
  imagePath: string;
  /** Image format, skipping the probe. */
  format?: string;
  /** Overlay chunk size (default 4 KiB: ext blocks and 4Kn sectors). */
  chunkSize?: number;
  diagnostics?: Diagnostics;
}

export interface VerifyOptions {
  /**
   * Called with the volumes freshly discovered from the overlay after every written file read
   * back as journalled: the place to re-inspect and re-plan (which must then propose nothing).
   * Throwing aborts verification, and with it the commit.
   */
  recheck?: (volumes: Volume[]) => Promise<void>;
}

export interface JournalEntry extends PatchResult {
  description: string;
}

/** The change journal for reports: every patch with its targets' before/after states. */
export interface ChangeJournal {
  image: string;
  format: string;
  patches: JournalEntry[];
  verified?: { files: number };
  commit?: CommitOutcome;
  undo?: UndoHeader;
}

const WRITERS: Record<string, (device: Parameters<typeof openExtWritable>[0], diagnostics: Diagnostics) => Promise<WritableFileSystem>> = {
  ext2: (d, diagnostics) => openExtWritable(d, { diagnostics }),
  ext3: (d, diagnostics) => openExtWritable(d, { diagnostics }),
  ext4: (d, diagnostics) => openExtWritable(d, { diagnostics }),
  ntfs: (d, diagnostics) => openNtfsWritable(d, { diagnostics }),
  vfat: (d, diagnostics) => openFatWritable(d, { diagnostics }),
};

export class Transaction {
  private volumeList?: Volume[];
  private readonly open = new Map<string, WritableFileSystem>();
  private readonly entries: JournalEntry[] = [];
  private verified?: { files: number };
  private finished = false;

  readonly image: DiskImage;
  readonly overlay: OverlayDevice;
  private readonly diagnostics: Diagnostics;

  private constructor(parts: { image: DiskImage; overlay: OverlayDevice; diagnostics: Diagnostics }) {
    this.image = parts.image;
    this.overlay = parts.overlay;
    this.diagnostics = parts.diagnostics;
  }

  static async open(options: OpenTransactionOptions): Promise<Transaction> {
    const diagnostics = options.diagnostics ?? ignoreDiagnostics;
    const image = await openImage(options.imagePath, { ...(options.format !== undefined ? { format: options.format } : {}), diagnostics });
    const overlay = new OverlayDevice(image.device, { chunkSize: options.chunkSize ?? 4096 });
    return new Transaction({ image, overlay, diagnostics });
  }

  /** The volumes on the guest disk, seen through the overlay. */
  async volumes(): Promise<Volume[]> {
    this.volumeList ??= (await discoverVolumes(this.overlay, { diagnostics: this.diagnostics })).volumes;
    return this.volumeList;
  }

  /** Opens (once) a writable filesystem on a volume; refuses encrypted, unwritable and unsafe volumes. */
  async writableFileSystem(volumeId: string): Promise<WritableFileSystem> {
    this.assertOpen();
    const existing = this.open.get(volumeId);
    if (existing) return existing;
    const volume = (await this.volumes()).find((v) => v.id === volumeId);
    if (!volume) throw new NotFoundError(`no volume ${volumeId} on ${this.image.filename}`, { kind: 'volume', path: volumeId });
    const kind = volume.filesystem.kind;
    if (volume.filesystem.encrypted) {
      throw new UnsafeStateError(`volume ${volumeId} is encrypted (${kind}); rehost does not write encrypted volumes`, { kind, path: volumeId });
    }
    if (volume.unreadable !== undefined) throw new UnsupportedError(`volume ${volumeId} cannot be read: ${volume.unreadable}`, { kind: 'volume', path: volumeId });
    const writer = WRITERS[kind];
    if (!writer) throw new UnsupportedError(`rehost cannot write ${kind} filesystems (volume ${volumeId})`, { kind, path: volumeId });
    if (!isWritable(volume.device)) throw new UnsupportedError(`volume ${volumeId} is not writable through the overlay`, { kind: 'volume', path: volumeId });
    const fs = await writer(volume.device, this.diagnostics);
    this.open.set(volumeId, fs);
    return fs;
  }

  /** Applies patches in order; every needed filesystem is opened (and refused) before the first write. */
  async apply(patches: readonly Patch[]): Promise<JournalEntry[]> {
    this.assertOpen();
    for (const patch of patches) {
      if (patch.volume === undefined) throw new PreconditionError(`patch has no volume: ${describePatch(patch)}`, { kind: patch.kind });
    }
    for (const id of new Set(patches.map((p) => p.volume as string))) await this.writableFileSystem(id);
    const done: JournalEntry[] = [];
    for (const patch of patches) {
      const fs = await this.writableFileSystem(patch.volume as string);
      const entry = { ...(await applyPatch(fs, patch)), volume: patch.volume as string, description: describePatch(patch) };
      this.entries.push(entry);
      done.push(entry);
    }
    this.verified = undefined;
    return done;
  }

  /** Flushes every open filesystem onto the overlay. */
  async flush(): Promise<void> {
    for (const fs of this.open.values()) await fs.flush();
  }

  /**
   * Re-opens the stack from the overlay (fresh discovery, fresh read-only filesystems) and
   * compares every target each patch left with its journalled state. Throws CorruptError on a mismatch.
   */
  async verify(options: VerifyOptions = {}): Promise<{ files: number }> {
    this.assertOpen();
    await this.flush();
    const expected = new Map<string, Map<string, string>>();
    for (const entry of this.entries) {
      const volume = entry.volume as string;
      const paths = expected.get(volume) ?? new Map<string, string>();
      for (const t of entry.targets) paths.set(t.path, t.after);
      expected.set(volume, paths);
    }
    const { volumes } = await discoverVolumes(this.overlay, { diagnostics: this.diagnostics });
    let files = 0;
    for (const [volumeId, paths] of expected) {
      const volume = volumes.find((v) => v.id === volumeId);
      if (!volume) throw new CorruptError(`volume ${volumeId} is gone after writing`, { structure: 'partition table' });
      const fs: FileSystem = await openFileSystem(volume.device, { diagnostics: this.diagnostics, kind: volume.filesystem.kind });
      try {
        for (const [path, after] of paths) {
          const found = await pathState(fs, path);
          if (found !== after) throw new CorruptError(`verification failed: ${volumeId}:${path} reads back as ${found}, expected ${after}`, { path });
          files++;
        }
      } finally {
        await fs.close?.();
      }
    }
    await options.recheck?.(volumes);
    this.verified = { files };
    return this.verified;
  }

  /**
   * Verifies, then writes the result as `mode` says. Side-by-side outputs (backed, standalone)
   * leave the transaction open, so one set of changes can be written several ways; in place
   * finishes it (the overlay's base is now the changed image).
   */
  async commit(mode: CommitMode, options: CommitProgress & VerifyOptions = {}): Promise<ChangeJournal> {
    this.assertOpen();
    await this.verify(options.recheck ? { recheck: options.recheck } : {});
    const progress: CommitProgress = options.onProgress ? { onProgress: options.onProgress } : {};
    for (const fs of this.open.values()) await fs.close?.();
    this.open.clear();
    const args = { image: this.image, overlay: this.overlay, ...progress };
    let outcome: CommitOutcome;
    let undoHeader: UndoHeader | undefined;
    if (mode.mode === 'backed') outcome = await commitBacked({ ...args, output: mode.output });
    else if (mode.mode === 'standalone') {
      outcome = await commitStandalone({ ...args, output: mode.output, format: mode.format, ...(mode.subformat !== undefined ? { subformat: mode.subformat } : {}) });
    } else {
      const result = await commitInPlace({ ...args, ...(mode.journalPath !== undefined ? { journalPath: mode.journalPath } : {}) });
      const { journal, ...rest } = result;
      outcome = rest;
      undoHeader = journal;
    }
    if (mode.mode === 'in-place') this.finished = true;
    return { ...this.journal(), commit: outcome, ...(undoHeader ? { undo: undoHeader } : {}) };
  }

  journal(): ChangeJournal {
    return {
      image: this.image.filename,
      format: this.image.format,
      patches: [...this.entries],
      ...(this.verified ? { verified: this.verified } : {}),
    };
  }

  async close(): Promise<void> {
    for (const fs of this.open.values()) await fs.close?.().catch(() => {});
    this.open.clear();
    this.finished = true;
    await this.image.close();
  }

  private assertOpen(): void {
    if (this.finished) throw new PreconditionError('this transaction is already committed or closed');
  }
}

export function openTransaction(options: OpenTransactionOptions): Promise<Transaction> {
  return Transaction.open(options);
}

/**
 * The whole write path in one call, as `rehost apply` needs it: open, apply every patch
 * (refusals before the first write), verify (with `recheck`), commit, close. Nothing of the
 * user's is written unless every step before the commit succeeded.
 */
export async function applyAndCommit(
  args: OpenTransactionOptions & { patches: readonly Patch[]; commit: CommitMode } & CommitProgress & VerifyOptions,
): Promise<ChangeJournal> {
  const tx = await openTransaction(args);
  try {
    await tx.apply(args.patches);
    return await tx.commit(args.commit, {
      ...(args.onProgress ? { onProgress: args.onProgress } : {}),
      ...(args.recheck ? { recheck: args.recheck } : {}),
    });
  } finally {
    await tx.close();
  }
}
