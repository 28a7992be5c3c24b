// The only code that writes the user's files. Three modes:
//  - backed (default): a new qcow2 holding only the changed chunks, whose backing file is the
//    untouched source (relative to the output, with its format recorded), as `qemu-img create
//    -b SRC -F FMT` would make it;
//  - standalone: a full image in a chosen format through the image writers;
//  - in place (raw and qcow2 sources): an undo journal of the old bytes of every range to be
//    overwritten (and, for qcow2, the old file length) is written and synced first, then the
//    image is written (qcow2: in phases, fsync after each), then read back.
// Backed and standalone outputs go through writeDurably (partial name, fsync, rename).

import { realpath } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { FileDevice, WritableFileDevice } from '../io/file-device.js';
import type { OverlayDevice } from '../io/overlay-device.js';
import type { DiskImage } from '../image/types.js';
import { writerByName } from '../image/convert.js';
import { CorruptError, PreconditionError, UnsupportedError } from '../errors.js';
import { writeDurably } from './durable.js';
import { writeUndoJournal, type JournalRange, type UndoHeader } from './undo-journal.js';
import { planQcow2InPlace, type Qcow2InPlacePlan, type Qcow2InPlaceStats } from '../image/qcow2/in-place.js';
import { openImage } from '../image/open.js';
import { sha256Hex } from './hash.js';

export type CommitMode =
  | { mode: 'backed'; output: string }
  | { mode: 'standalone'; output: string; format: string; subformat?: string }
  | { mode: 'in-place'; journalPath?: string };

export interface CommitProgress {
  onProgress?: (done: number, total: number) => void;
  /** In place into a qcow2: called as each write phase begins ('data', 'L2 tables', …). */
  onPhase?: (phase: string) => void;
}

export interface CommitOutcome {
  mode: CommitMode['mode'];
  /** The file written: the new image, or the source itself in place. */
  output: string;
  format: string;
  backing?: { filename: string; format: string };
  journalPath?: string;
  changedBytes: number;
  /** In place into a qcow2: how the changed guest clusters were written. */
  qcow2?: Qcow2InPlaceStats;
}


async function refuseSourceAsOutput(image: DiskImage, output: string): Promise<void> {
  const out = resolve(output);
  for (const file of image.files) {
    const real = await realpath(file).catch(() => resolve(file));
    const outReal = await realpath(out).catch(() => out);
    if (real === outReal) throw new PreconditionError(`the output ${output} is the source image itself; use in-place mode to write the source`, { path: output });
  }
}

export async function commitBacked(args: { image: DiskImage; overlay: OverlayDevice; output: string } & CommitProgress): Promise<CommitOutcome> {
  const { image, overlay, output } = args;
  await refuseSourceAsOutput(image, output);
  const source = image.files[0];
  if (source === undefined || image.details.container !== undefined) {
    throw new UnsupportedError(`a ${image.format} disk inside a ${String(image.details.container ?? 'package')} cannot be a qcow2 backing file; commit standalone instead`, { kind: 'backing' });
  }
  // qemu resolves a relative backing name against the overlay's directory.
  const backingFile = relative(dirname(resolve(output)), resolve(source)) || resolve(source);
  const backing = { filename: backingFile, format: image.format };
  await writeDurably(output, async (out) => {
    await writerByName('qcow2').write({ source: overlay.changesOnly(), output: out, backing, ...(args.onProgress ? { onProgress: args.onProgress } : {}) });
  });
  return { mode: 'backed', output, format: 'qcow2', backing, changedBytes: changedBytes(overlay) };
}

export async function commitStandalone(
  args: { image: DiskImage; overlay: OverlayDevice; output: string; format: string; subformat?: string } & CommitProgress,
): Promise<CommitOutcome> {
  const { image, overlay, output } = args;
  await refuseSourceAsOutput(image, output);
  const writer = writerByName(args.format);
  if (args.subformat !== undefined && !writer.subformats.includes(args.subformat)) {
    throw new UnsupportedError(`${writer.name} has no subformat ${args.subformat}; choose one of: ${writer.subformats.join(', ') || '(none)'}`, { kind: 'format' });
  }
  await writeDurably(output, async (out) => {
    await writer.write({
      source: overlay,
      output: out,
      ...(args.subformat !== undefined ? { subformat: args.subformat } : {}),
      ...(args.onProgress ? { onProgress: args.onProgress } : {}),
    });
  });
  return { mode: 'standalone', output, format: writer.name, changedBytes: changedBytes(overlay) };
}

function changedBytes(overlay: OverlayDevice): number {
  return overlay.changes().reduce((sum, c) => sum + c.data.length, 0);
}

/** Changed chunks whose bytes really differ from the source, merged into contiguous ranges. */
async function changedRanges(image: DiskImage, overlay: OverlayDevice): Promise<{ offset: number; old: Uint8Array; new: Uint8Array }[]> {
  const ranges: { offset: number; old: Uint8Array[]; new: Uint8Array[]; end: number }[] = [];
  for (const change of overlay.changes()) {
    const old = await image.device.read(change.offset, change.data.length);
    if (Buffer.compare(old, change.data) === 0) continue;
    const last = ranges[ranges.length - 1];
    if (last && last.end === change.offset) {
      last.old.push(old);
      last.new.push(change.data);
      last.end += change.data.length;
    } else ranges.push({ offset: change.offset, old: [old], new: [change.data], end: change.offset + change.data.length });
  }
  return ranges.map((r) => ({ offset: r.offset, old: Buffer.concat(r.old), new: Buffer.concat(r.new) }));
}

export function defaultJournalPath(imagePath: string): string {
  return `${imagePath}.rehost-undo`;
}

type InPlaceResult = CommitOutcome & { journal: UndoHeader };

/**
 * Writes the overlay's changes into the source image itself: raw by overwriting the changed
 * ranges, qcow2 through the in-place planner (src/image/qcow2/in-place.ts). Either way the
 * undo journal (old bytes of every range overwritten, the file's old length) is complete and
 * synced before the first byte of the image is written, and the result is read back.
 */
export async function commitInPlace(args: { image: DiskImage; overlay: OverlayDevice; journalPath?: string } & CommitProgress): Promise<InPlaceResult> {
  const { image } = args;
  const path = image.files[0];
  if (path === undefined || image.files.length !== 1 || image.details.container !== undefined) {
    throw new UnsupportedError(`in-place commit needs a single-file raw or qcow2 image; this ${image.format} has ${image.files.length} file(s)`, { kind: 'in place' });
  }
  if (image.format !== 'raw' && image.format !== 'qcow2') {
    throw new UnsupportedError(`in-place commit supports raw and qcow2 images only; this is ${image.format}`, { kind: 'in place' });
  }
  if (image.format === 'raw' && image.backing !== undefined) throw new UnsupportedError('in-place commit to a raw image with a backing file is not supported', { kind: 'in place' });
  const journalPath = args.journalPath ?? defaultJournalPath(path);
  const exists = await realpath(journalPath).then(
    () => true,
    () => false,
  );
  if (exists) throw new PreconditionError(`an undo journal already exists at ${journalPath}; undo or remove it first`, { path: journalPath });
  return image.format === 'qcow2' ? commitQcow2InPlace({ ...args, path, journalPath }) : commitRawInPlace({ ...args, path, journalPath });
}

async function commitRawInPlace(args: { image: DiskImage; overlay: OverlayDevice; path: string; journalPath: string } & CommitProgress): Promise<InPlaceResult> {
  const { image, overlay, path, journalPath } = args;
  const ranges = await changedRanges(image, overlay);
  const journal = await writeUndoJournal({ journalPath, imagePath: path, format: 'raw', imageSize: image.device.size, ranges });
  const target = await WritableFileDevice.openExisting(path);
  try {
    if (target.size !== image.device.size) throw new PreconditionError(`${path} changed size while the transaction was open`, { path });
    const total = ranges.reduce((sum, r) => sum + r.new.length, 0);
    let done = 0;
    for (const range of ranges) {
      await target.write(range.offset, range.new);
      done += range.new.length;
      args.onProgress?.(done, total);
    }
    await target.flush();
    for (const range of ranges) {
      if (sha256Hex(await target.read(range.offset, range.new.length)) !== sha256Hex(range.new)) {
        throw new CorruptError(`bytes ${range.offset}+${range.new.length} of ${path} did not read back as written; undo with ${journalPath}`, { path, offset: range.offset });
      }
    }
  } finally {
    await target.close();
  }
  return { mode: 'in-place', output: path, format: 'raw', journalPath, journal, changedBytes: ranges.reduce((s, r) => s + r.new.length, 0) };
}

async function commitQcow2InPlace(args: { image: DiskImage; overlay: OverlayDevice; path: string; journalPath: string } & CommitProgress): Promise<InPlaceResult> {
  const { image, overlay, path, journalPath } = args;
  const changed = (await changedRanges(image, overlay)).map((r) => ({ offset: r.offset, length: r.new.length }));
  const source = await FileDevice.open(path);
  let plan: Qcow2InPlacePlan;
  let ranges: JournalRange[];
  try {
    plan = await planQcow2InPlace({ file: source, guest: overlay, changed, path });
    ranges = await journalRanges({ plan, file: source });
  } finally {
    await source.close();
  }
  const journal = await writeUndoJournal({ journalPath, imagePath: path, format: 'qcow2', imageSize: plan.fileSize, committedSize: plan.committedSize, ranges });
  const target = await WritableFileDevice.openExisting(path);
  try {
    if (target.size !== plan.fileSize) throw new PreconditionError(`${path} changed size while the transaction was open`, { path });
    const total = plan.phases.reduce((sum, p) => sum + p.writes.reduce((s, w) => s + w.data.length, 0), 0);
    let done = 0;
    // Each phase is durable before the next begins: data before the refcounts that count it,
    // refcounts before the L2/L1 entries that reference it (see in-place.ts).
    for (const phase of plan.phases) {
      args.onPhase?.(phase.name);
      for (const write of phase.writes) {
        await target.write(write.offset, write.data);
        done += write.data.length;
        args.onProgress?.(done, total);
      }
      await target.flush();
    }
  } finally {
    await target.close();
  }
  await verifyGuestRanges({ path, overlay, changed, journalPath });
  return { mode: 'in-place', output: path, format: 'qcow2', journalPath, journal, changedBytes: changed.reduce((s, r) => s + r.length, 0), qcow2: plan.stats };
}

/**
 * The undo ranges of a plan: every write's part inside the old file length (beyond it, undo
 * truncates), grouped by range, with the contents written there in order. Ranges written
 * more than once (refcount blocks, the header) must coincide exactly; any other overlap is a
 * planning error, refused before anything is written.
 */
async function journalRanges(args: { plan: Qcow2InPlacePlan; file: FileDevice }): Promise<JournalRange[]> {
  const { plan, file } = args;
  const byRange = new Map<string, { offset: number; length: number; written: Uint8Array[] }>();
  for (const phase of plan.phases) {
    for (const write of phase.writes) {
      const end = Math.min(write.offset + write.data.length, plan.fileSize);
      if (end <= write.offset) continue;
      const key = `${write.offset}:${end - write.offset}`;
      const entry = byRange.get(key) ?? { offset: write.offset, length: end - write.offset, written: [] };
      entry.written.push(write.data.subarray(0, end - write.offset));
      byRange.set(key, entry);
    }
  }
  const sorted = [...byRange.values()].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1] as { offset: number; length: number };
    const current = sorted[i] as { offset: number };
    if (previous.offset + previous.length > current.offset) {
      throw new CorruptError(`planned writes at ${previous.offset} and ${current.offset} overlap; nothing was written`, { structure: 'qcow2 in-place plan', offset: current.offset });
    }
  }
  const out: JournalRange[] = [];
  for (const range of sorted) {
    const final = range.written[range.written.length - 1] as Uint8Array;
    out.push({ offset: range.offset, old: await file.read(range.offset, range.length), new: final, states: range.written.slice(0, -1) });
  }
  return out;
}

/** Re-opens the image from scratch and checks every changed guest range reads as the overlay. */
async function verifyGuestRanges(args: { path: string; overlay: OverlayDevice; changed: { offset: number; length: number }[]; journalPath: string }): Promise<void> {
  const { path, overlay, changed, journalPath } = args;
  const reopened = await openImage(path, { format: 'qcow2' });
  try {
    for (const range of changed) {
      const expected = await overlay.read(range.offset, range.length);
      if (Buffer.compare(await reopened.device.read(range.offset, range.length), expected) !== 0) {
        throw new CorruptError(`guest bytes ${range.offset}+${range.length} of ${path} did not read back as written; undo with ${journalPath}`, { path, offset: range.offset });
      }
    }
  } finally {
    await reopened.close();
  }
}
