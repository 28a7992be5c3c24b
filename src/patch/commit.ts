// The only code that writes the user's files. Three modes:
//  - backed (default): a new qcow2 holding only the changed chunks, whose backing file is the
//    untouched source (relative to the output, with its format recorded), as `qemu-img create
//    -b SRC -F FMT` would make it;
//  - standalone: a full image in a chosen format through the image writers;
//  - in place (raw sources only): an undo journal of the old bytes is written and synced
//    first, then the changed ranges, then fsync.
// Backed and standalone outputs go through writeDurably (partial name, fsync, rename).

import { realpath } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { WritableFileDevice } from '../io/file-device.js';
import type { OverlayDevice } from '../io/overlay-device.js';
import type { DiskImage } from '../image/types.js';
import { writerByName } from '../image/convert.js';
import { CorruptError, PreconditionError, UnsupportedError } from '../errors.js';
import { writeDurably } from './durable.js';
import { writeUndoJournal, type UndoHeader } from './undo-journal.js';
import { sha256Hex } from './hash.js';

export type CommitMode =
  | { mode: 'backed'; output: string }
  | { mode: 'standalone'; output: string; format: string; subformat?: string }
  | { mode: 'in-place'; journalPath?: string };

export interface CommitProgress {
  onProgress?: (done: number, total: number) => void;
}

export interface CommitOutcome {
  mode: CommitMode['mode'];
  /** The file written: the new image, or the source itself in place. */
  output: string;
  format: string;
  backing?: { filename: string; format: string };
  journalPath?: string;
  changedBytes: number;
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

export async function commitInPlace(args: { image: DiskImage; overlay: OverlayDevice; journalPath?: string } & CommitProgress): Promise<CommitOutcome & { journal: UndoHeader }> {
  const { image, overlay } = args;
  if (image.format === 'qcow2') {
    throw new UnsupportedError(
      'in-place commit to a qcow2 image is not supported yet: guest writes would need a qcow2 writer that allocates clusters and updates refcounts inside the existing file; commit to a backed qcow2 (the default) or --standalone instead',
      { kind: 'qcow2 in place' },
    );
  }
  const path = image.files[0];
  if (image.format !== 'raw' || image.files.length !== 1 || image.backing !== undefined || path === undefined) {
    throw new UnsupportedError(`in-place commit supports raw images only; this is ${image.format}`, { kind: 'in place' });
  }
  const journalPath = args.journalPath ?? defaultJournalPath(path);
  const exists = await realpath(journalPath).then(
    () => true,
    () => false,
  );
  if (exists) throw new PreconditionError(`an undo journal already exists at ${journalPath}; undo or remove it first`, { path: journalPath });
  const ranges = await changedRanges(image, overlay);
  const journal = await writeUndoJournal({ journalPath, imagePath: path, imageSize: image.device.size, ranges });
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
