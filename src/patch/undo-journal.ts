// The undo journal of an in-place commit, and `undo`. Layout (all ours, versioned):
//   "REHOST-UNDO 1\n"  then one line of JSON (the header)  then the old bytes of every range,
//   concatenated in header order.
// The header names the image, its size, each changed range with the SHA-256 of its old and
// new bytes, and the SHA-256 of the data section, so a torn or edited journal is refused.
// The journal is complete and synced before the image is first written (durable.ts), so an
// interrupted commit can always be undone: each range is either old, new, or being written.

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CorruptError, NotFoundError, PreconditionError } from '../errors.js';
import { FileDevice, WritableFileDevice } from '../io/file-device.js';
import { sha256Hex } from './hash.js';
import { writeDurably } from './durable.js';

export const UNDO_MAGIC = 'REHOST-UNDO 1\n';
/** Headers beyond this are not ours (a journal of 1 GiB of 4 KiB ranges is ~30 MiB of JSON). */
const MAX_HEADER_BYTES = 256 * 1024 * 1024;

export interface UndoRange {
  offset: number;
  length: number;
  oldSha256: string;
  newSha256: string;
}

export interface UndoHeader {
  version: 1;
  /** Absolute path of the image written in place. */
  image: string;
  imageSize: number;
  createdAt: string;
  ranges: UndoRange[];
  dataSha256: string;
}

export interface UndoData {
  header: UndoHeader;
  /** Old bytes per range, in header order. */
  old: Uint8Array[];
}

export async function writeUndoJournal(args: { journalPath: string; imagePath: string; imageSize: number; ranges: { offset: number; old: Uint8Array; new: Uint8Array }[] }): Promise<UndoHeader> {
  const data = Buffer.concat(args.ranges.map((r) => r.old));
  const header: UndoHeader = {
    version: 1,
    image: resolve(args.imagePath),
    imageSize: args.imageSize,
    createdAt: new Date().toISOString(),
    ranges: args.ranges.map((r) => ({ offset: r.offset, length: r.old.length, oldSha256: sha256Hex(r.old), newSha256: sha256Hex(r.new) })),
    dataSha256: sha256Hex(data),
  };
  const head = Buffer.from(`${UNDO_MAGIC}${JSON.stringify(header)}\n`, 'utf8');
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
    const magic = Buffer.from(await file.read(0, Math.min(UNDO_MAGIC.length, file.size))).toString('latin1');
    if (magic !== UNDO_MAGIC) throw bad(journalPath, 'not a rehost undo journal (bad magic)', 0);
    // The header line ends at the first newline after the magic.
    let end = -1;
    const step = 64 * 1024;
    let scanned = UNDO_MAGIC.length;
    while (end < 0 && scanned < file.size) {
      if (scanned - UNDO_MAGIC.length > MAX_HEADER_BYTES) throw bad(journalPath, 'journal header too long', UNDO_MAGIC.length);
      const piece = await file.read(scanned, Math.min(step, file.size - scanned));
      const nl = piece.indexOf(0x0a);
      if (nl >= 0) end = scanned + nl;
      scanned += piece.length;
    }
    if (end < 0) throw bad(journalPath, 'journal header is not terminated', UNDO_MAGIC.length);
    const text = Buffer.from(await file.read(UNDO_MAGIC.length, end - UNDO_MAGIC.length)).toString('utf8');
    let header: UndoHeader;
    try {
      header = JSON.parse(text) as UndoHeader;
    } catch {
      throw bad(journalPath, 'journal header is not JSON', UNDO_MAGIC.length);
    }
    checkHeader(journalPath, header);
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

function checkHeader(journalPath: string, h: UndoHeader): void {
  const isHash = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  const ok =
    h !== null &&
    typeof h === 'object' &&
    h.version === 1 &&
    typeof h.image === 'string' &&
    Number.isSafeInteger(h.imageSize) &&
    h.imageSize >= 0 &&
    Array.isArray(h.ranges) &&
    isHash(h.dataSha256) &&
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
        isHash(r.newSha256),
    );
  if (!ok) throw bad(journalPath, 'journal header is malformed', UNDO_MAGIC.length);
}

export interface UndoResult {
  image: string;
  /** Ranges written back. */
  restored: number;
  /** Ranges that already held the old bytes (an interrupted commit never reached them). */
  untouched: number;
}

/**
 * Restores the image named by the journal to its bytes before the commit, then re-reads every
 * range to verify. Refuses (before writing anything) when the image size differs or a range
 * holds neither the old nor the new bytes: the image changed since, and restoring would corrupt it.
 */
export async function undo(journalPath: string): Promise<UndoResult> {
  const { header, old } = await readUndoJournal(journalPath);
  const size = await stat(header.image).then(
    (s) => s.size,
    () => {
      throw new NotFoundError(`the image the journal names is not there: ${header.image}`, { path: header.image, kind: 'image' });
    },
  );
  if (size !== header.imageSize) {
    throw new PreconditionError(`${header.image} is ${size} bytes; the journal was written for ${header.imageSize}`, { path: header.image });
  }
  const image = await WritableFileDevice.openExisting(header.image);
  try {
    const toRestore: number[] = [];
    let untouched = 0;
    for (const [i, range] of header.ranges.entries()) {
      const current = sha256Hex(await image.read(range.offset, range.length));
      if (current === range.oldSha256) untouched++;
      else if (current === range.newSha256) toRestore.push(i);
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
    await image.flush();
    for (const range of header.ranges) {
      if (sha256Hex(await image.read(range.offset, range.length)) !== range.oldSha256) {
        throw new CorruptError(`bytes ${range.offset}+${range.length} did not read back as restored`, { path: header.image, offset: range.offset });
      }
    }
    return { image: header.image, restored: toRestore.length, untouched };
  } finally {
    await image.close();
  }
}
