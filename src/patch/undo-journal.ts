// The undo journal of an in-place commit, and `undo`. Layout (all ours, versioned by the magic
// line, which must agree with the header's `version`):
//   "REHOST-UNDO 2\n"  then one line of JSON (the header)  then the old bytes of every range,
//   concatenated in header order.
// The header names the image, its format, its length before the commit (`imageSize`) and after
// it (`committedSize`: a qcow2 commit appends clusters), each overwritten range with the
// SHA-256 of its old bytes, of every intermediate content the commit writes there (`states`: a
// qcow2 refcount block is written once with increments and again with decrements) and of its
// final bytes, and the SHA-256 of the data section, so a torn or edited journal is refused.
// Version 1 journals (raw only, no length change) are still read and undone.
// The journal is complete and synced before the image is first written (durable.ts), so an
// interrupted commit can always be undone: each range holds its old bytes, one of the states
// written, or its final bytes, and the file is no longer than `committedSize`. Undo writes the
// old bytes back and truncates the file to `imageSize`: the result is byte-identical.

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CorruptError, NotFoundError, PreconditionError } from '../errors.js';
import { FileDevice, WritableFileDevice } from '../io/file-device.js';
import { sha256Hex } from './hash.js';
import { writeDurably } from './durable.js';

export const UNDO_MAGIC_V1 = 'REHOST-UNDO 1\n';
export const UNDO_MAGIC_V2 = 'REHOST-UNDO 2\n';
/** The magic this version writes. */
export const UNDO_MAGIC = UNDO_MAGIC_V2;
const MAGIC_LENGTH = UNDO_MAGIC_V2.length;
/** Headers beyond this are not ours (a journal of 1 GiB of 4 KiB ranges is ~30 MiB of JSON). */
const MAX_HEADER_BYTES = 256 * 1024 * 1024;

export interface UndoRange {
  offset: number;
  length: number;
  oldSha256: string;
  newSha256: string;
  /** Version 2: contents written before the final one, in order (a crash may leave any of them). */
  states?: string[];
}

export interface UndoHeaderV1 {
  version: 1;
  /** Absolute path of the image written in place. */
  image: string;
  imageSize: number;
  createdAt: string;
  ranges: UndoRange[];
  dataSha256: string;
}

export interface UndoHeaderV2 {
  version: 2;
  /** Absolute path of the image written in place. */
  image: string;
  /** The image format the commit understood ('raw', 'qcow2'). */
  format: string;
  /** File length before the commit: undo truncates back to it. */
  imageSize: number;
  /** File length after a complete commit (≥ imageSize). */
  committedSize: number;
  createdAt: string;
  /** Overwritten ranges, all inside the first `imageSize` bytes, none overlapping. */
  ranges: UndoRange[];
  dataSha256: string;
}

export type UndoHeader = UndoHeaderV1 | UndoHeaderV2;

export interface UndoData {
  header: UndoHeader;
  /** Old bytes per range, in header order. */
  old: Uint8Array[];
}

/** One range the commit overwrites: its old bytes, the final new bytes, and any contents written before those. */
export interface JournalRange {
  offset: number;
  old: Uint8Array;
  new: Uint8Array;
  states?: Uint8Array[];
}

export async function writeUndoJournal(args: {
  journalPath: string;
  imagePath: string;
  /** The image format (default 'raw'). */
  format?: string;
  /** File length before the commit. */
  imageSize: number;
  /** File length after the commit; defaults to imageSize. */
  committedSize?: number;
  ranges: JournalRange[];
}): Promise<UndoHeaderV2> {
  const data = Buffer.concat(args.ranges.map((r) => r.old));
  const header: UndoHeaderV2 = {
    version: 2,
    image: resolve(args.imagePath),
    format: args.format ?? 'raw',
    imageSize: args.imageSize,
    committedSize: args.committedSize ?? args.imageSize,
    createdAt: new Date().toISOString(),
    ranges: args.ranges.map((r) => ({
      offset: r.offset,
      length: r.old.length,
      oldSha256: sha256Hex(r.old),
      newSha256: sha256Hex(r.new),
      ...(r.states !== undefined && r.states.length > 0 ? { states: r.states.map((s) => sha256Hex(s)) } : {}),
    })),
    dataSha256: sha256Hex(data),
  };
  checkHeader(args.journalPath, header, 2);
  const head = Buffer.from(`${UNDO_MAGIC_V2}${JSON.stringify(header)}\n`, 'utf8');
  await writeDurably(args.journalPath, async (out) => {
    await out.write(0, head);
    await out.write(head.length, data);
  });
  return header;
}

function bad(journalPath: string, message: string, offset: number): CorruptError {
  return new CorruptError(message, { structure: 'rehost undo journal', offset, path: journalPath });
}

export async function readUndoJournal(journalPath: string): Promise<UndoData> {
  const file = await FileDevice.open(journalPath);
  try {
    const magic = Buffer.from(await file.read(0, Math.min(MAGIC_LENGTH, file.size))).toString('latin1');
    const version = magic === UNDO_MAGIC_V1 ? 1 : magic === UNDO_MAGIC_V2 ? 2 : 0;
    if (version === 0) throw bad(journalPath, 'not a rehost undo journal (bad magic)', 0);
    // The header line ends at the first newline after the magic.
    let end = -1;
    const step = 64 * 1024;
    let scanned = MAGIC_LENGTH;
    while (end < 0 && scanned < file.size) {
      if (scanned - MAGIC_LENGTH > MAX_HEADER_BYTES) throw bad(journalPath, 'journal header too long', MAGIC_LENGTH);
      const piece = await file.read(scanned, Math.min(step, file.size - scanned));
      const nl = piece.indexOf(0x0a);
      if (nl >= 0) end = scanned + nl;
      scanned += piece.length;
    }
    if (end < 0) throw bad(journalPath, 'journal header is not terminated', MAGIC_LENGTH);
    const text = Buffer.from(await file.read(MAGIC_LENGTH, end - MAGIC_LENGTH)).toString('utf8');
    let header: UndoHeader;
    try {
      header = JSON.parse(text) as UndoHeader;
    } catch {
      throw bad(journalPath, 'journal header is not JSON', MAGIC_LENGTH);
    }
    checkHeader(journalPath, header, version);
    const dataStart = end + 1;
    const total = header.ranges.reduce((sum, r) => sum + r.length, 0);
    if (dataStart + total !== file.size) throw bad(journalPath, `journal data is ${file.size - dataStart} bytes, header says ${total}`, dataStart);
    const data = await file.read(dataStart, total);
    if (sha256Hex(data) !== header.dataSha256) throw bad(journalPath, 'journal data does not match its checksum', dataStart);
    const old: Uint8Array[] = [];
    let pos = 0;
    for (const range of header.ranges) {
      old.push(data.subarray(pos, pos + range.length));
      pos += range.length;
    }
    return { header, old };
  } finally {
    await file.close();
  }
}

/** Validates a decoded header against the version its magic line announced. */
function checkHeader(journalPath: string, h: UndoHeader, version: 1 | 2): void {
  const isHash = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  const isSize = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  const ok =
    h !== null &&
    typeof h === 'object' &&
    h.version === version &&
    typeof h.image === 'string' &&
    isSize(h.imageSize) &&
    Array.isArray(h.ranges) &&
    isHash(h.dataSha256) &&
    (h.version === 1 || (typeof h.format === 'string' && isSize(h.committedSize) && h.committedSize >= h.imageSize)) &&
    h.ranges.every(
      (r) =>
        r !== null &&
        typeof r === 'object' &&
        Number.isSafeInteger(r.offset) &&
        Number.isSafeInteger(r.length) &&
        r.offset >= 0 &&
        r.length > 0 &&
        r.offset + r.length <= h.imageSize &&
        isHash(r.oldSha256) &&
        isHash(r.newSha256) &&
        (r.states === undefined || (h.version === 2 && Array.isArray(r.states) && r.states.length <= 16 && r.states.every(isHash))),
    );
  if (!ok) throw bad(journalPath, 'journal header is malformed', MAGIC_LENGTH);
  // Ranges are restored independently: overlapping ones would make the result depend on order.
  const sorted = [...h.ranges].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1] as UndoRange;
    const current = sorted[i] as UndoRange;
    if (previous.offset + previous.length > current.offset) throw bad(journalPath, `journal ranges at ${previous.offset} and ${current.offset} overlap`, MAGIC_LENGTH);
  }
}

export interface UndoResult {
  image: string;
  /** Ranges written back. */
  restored: number;
  /** Ranges that already held the old bytes (an interrupted commit never reached them). */
  untouched: number;
  /** Bytes cut off the end of the file (clusters a qcow2 commit appended). */
  truncated: number;
}

/**
 * Restores the image named by the journal to its bytes before the commit, truncates it to its
 * old length, then re-reads every range to verify. Refuses (before writing anything) when the
 * image length lies outside [old length, committed length] or a range holds none of the
 * contents the commit could have left there: the image changed since, and restoring would
 * corrupt it.
 */
export async function undo(journalPath: string): Promise<UndoResult> {
  const { header, old } = await readUndoJournal(journalPath);
  const size = await stat(header.image).then(
    (s) => s.size,
    () => {
      throw new NotFoundError(`the image the journal names is not there: ${header.image}`, { path: header.image, kind: 'image' });
    },
  );
  const committedSize = header.version === 1 ? header.imageSize : header.committedSize;
  if (size < header.imageSize || size > committedSize) {
    const expected = committedSize === header.imageSize ? `${header.imageSize}` : `between ${header.imageSize} and ${committedSize}`;
    throw new PreconditionError(`${header.image} is ${size} bytes; the journal was written for ${expected}`, { path: header.image });
  }
  const image = await WritableFileDevice.openExisting(header.image);
  try {
    const toRestore: number[] = [];
    let untouched = 0;
    for (const [i, range] of header.ranges.entries()) {
      const current = sha256Hex(await image.read(range.offset, range.length));
      if (current === range.oldSha256) untouched++;
      else if (current === range.newSha256 || (range.states ?? []).includes(current)) toRestore.push(i);
      else {
        throw new PreconditionError(`bytes ${range.offset}+${range.length} of ${header.image} changed since the commit; not restoring`, {
          path: header.image,
          offset: range.offset,
        });
      }
    }
    for (const i of toRestore) {
      const range = header.ranges[i] as UndoRange;
      await image.write(range.offset, old[i] as Uint8Array);
    }
    if (size > header.imageSize) await image.truncate(header.imageSize);
    await image.flush();
    for (const range of header.ranges) {
      if (sha256Hex(await image.read(range.offset, range.length)) !== range.oldSha256) {
        throw new CorruptError(`bytes ${range.offset}+${range.length} did not read back as restored`, { path: header.image, offset: range.offset });
      }
    }
    return { image: header.image, restored: toRestore.length, untouched, truncated: size - header.imageSize };
  } finally {
    await image.close();
  }
}
