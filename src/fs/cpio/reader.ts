// Reads one cpio archive (any of the four formats, detected from the first header) from a
// byte array, up to and including its TRAILER!!! entry. Every size is checked against the
// remaining input before it is used; the crc format's checksum (sum of the data bytes) is
// verified for regular files. Padding is computed from the archive's start, which is how
// GNU cpio and the kernel (which requires 4-byte aligned newc archives) agree.

import { CorruptError } from '../../errors.js';
import { ALIGNMENT, HEADER_SIZE, decodeHeader, detectCpioFormat } from './headers.js';
import { type CpioArchive, type CpioEntry, type CpioFormat, S_IFMT, S_IFREG, TRAILER_NAME } from './types.js';

/** Longer names than this are treated as corruption (Linux PATH_MAX is 4096). */
export const MAX_NAME_SIZE = 65536;

export interface ReadCpioOptions {
  start?: number;
  /** Absolute offset of `data[0]`, for error messages. */
  baseOffset?: number;
  /** Whether the crc format's checksums are verified (default true). */
  verifyChecksums?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder('utf-8');

function alignUp(value: number, alignment: number): number {
  return alignment === 1 ? value : Math.ceil(value / alignment) * alignment;
}

export function byteSum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum = (sum + (data[i] as number)) >>> 0;
  return sum;
}

export function readCpioArchive(data: Uint8Array, options: ReadCpioOptions = {}): CpioArchive {
  const start = options.start ?? 0;
  const base = options.baseOffset ?? 0;
  const format: CpioFormat | undefined = detectCpioFormat(data, start);
  if (format === undefined) throw new CorruptError('no cpio magic', { structure: 'cpio header', offset: base + start });
  const align = ALIGNMENT[format];
  const entries: CpioEntry[] = [];
  const offsets: number[] = [];
  let pos = start;
  // Bounded: every entry advances by at least its header size.
  for (;;) {
    const at = pos;
    const found = detectCpioFormat(data, at);
    if (found !== format) {
      throw new CorruptError(found === undefined ? 'missing cpio magic (archive ends without TRAILER!!!)' : `cpio format changes from ${format} to ${found} inside an archive`, {
        structure: 'cpio header',
        offset: base + at,
      });
    }
    const h = decodeHeader({ data, at, format, baseOffset: base });
    const nameStart = at + HEADER_SIZE[format];
    if (h.namesize === 0 || h.namesize > MAX_NAME_SIZE) throw new CorruptError(`cpio namesize ${h.namesize} is invalid`, { structure: 'cpio header', offset: base + at });
    if (nameStart + h.namesize > data.length) throw new CorruptError('cpio name runs past the end of the data', { structure: 'cpio header', offset: base + at });
    const nameBytes = data.subarray(nameStart, nameStart + h.namesize - 1);
    if (data[nameStart + h.namesize - 1] !== 0) throw new CorruptError('cpio name is not NUL-terminated', { structure: 'cpio header', offset: base + nameStart });
    const dataStart = start + alignUp(nameStart + h.namesize - start, align);
    const dataEnd = dataStart + h.filesize;
    if (dataEnd > data.length) throw new CorruptError(`cpio file data (${h.filesize} bytes) runs past the end of the data`, { structure: 'cpio entry', offset: base + at });
    let name: string;
    let rawName: Uint8Array | undefined;
    try {
      name = utf8.decode(nameBytes);
    } catch {
      name = lossy.decode(nameBytes);
      rawName = nameBytes.slice();
    }
    const entry: CpioEntry = {
      name,
      ino: h.ino,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      nlink: h.nlink,
      mtime: h.mtime,
      devMajor: h.devMajor,
      devMinor: h.devMinor,
      rdevMajor: h.rdevMajor,
      rdevMinor: h.rdevMinor,
      data: data.subarray(dataStart, dataEnd),
      ...(format === 'crc' ? { check: h.check } : {}),
      ...(rawName !== undefined ? { rawName } : {}),
    };
    pos = start + alignUp(dataEnd - start, align);
    if (name === TRAILER_NAME) return { format, start, end: Math.min(pos, data.length), entries, trailer: entry, offsets };
    if (format === 'crc' && (options.verifyChecksums ?? true) && (h.mode & S_IFMT) === S_IFREG && byteSum(entry.data) !== h.check) {
      throw new CorruptError(`cpio crc checksum mismatch for ${name}`, { structure: 'cpio entry', offset: base + at });
    }
    entries.push(entry);
    offsets.push(at);
  }
}
