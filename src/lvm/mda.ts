// LVM2 metadata area: a 512-byte header (checksum, magic " LVM2 x[5A%r0N*>", version 1, the
// area's start and size) followed by raw locations, each pointing at one copy of the VG
// metadata text inside the circular buffer that follows the header. Layout: LVM2
// lib/format_text/layout.h (mda_header, raw_locn). Quirks: text that reaches the end of the
// area wraps round to just after the 512-byte header; raw_locn flag 1 marks an ignored area;
// the header checksum covers bytes 4..511 and each text's checksum covers the text itself.

import { bytes, struct, u32le, u64le } from '../binary/struct.js';
import { CorruptError } from '../errors.js';
import { lvmCrc } from './crc.js';

export const MDA_HEADER_SIZE = 512;
export const MDA_MAGIC = ' LVM2 x[5A%r0N*>';
export const RAW_LOCN_IGNORED = 0x1;

export const MDA_HEADER = struct('LVM mda header', {
  checksum_xl: u32le, //  0x00  crc of bytes 0x04..0x1ff
  magic: bytes(16), //    0x04  " LVM2 x[5A%r0N*>"
  version: u32le, //      0x14  1
  start: u64le, //        0x18  absolute offset of this area
  size: u64le, //         0x20  size of this area including the header
});

export const RAW_LOCN = struct('LVM raw location', {
  offset: u64le, //       0x00  from the start of the area
  size: u64le, //         0x08  bytes of metadata text
  checksum: u32le, //     0x10  crc of the text
  flags: u32le, //        0x14  RAW_LOCN_IGNORED
});

export interface MdaHeader {
  start: number;
  size: number;
  locations: Array<{ offset: number; size: number; checksum: number; ignored: boolean }>;
}

/** Decodes the 512-byte header of a metadata area read from absolute offset `origin`. */
export function readMdaHeader(header: Uint8Array, origin: number): MdaHeader {
  const raw = MDA_HEADER.decode(header, { origin });
  const where = { structure: 'LVM mda header', offset: origin };
  const magic = new TextDecoder('latin1').decode(raw.magic);
  if (magic !== MDA_MAGIC) throw new CorruptError(`bad mda magic ${JSON.stringify(magic)}`, where);
  const crc = lvmCrc(header.subarray(4, MDA_HEADER_SIZE));
  if (crc !== raw.checksum_xl) throw new CorruptError(`mda header checksum 0x${raw.checksum_xl.toString(16)} does not match 0x${crc.toString(16)}`, where);
  if (raw.version !== 1) throw new CorruptError(`mda version ${raw.version} is not 1`, where);
  if (raw.start !== origin) throw new CorruptError(`mda header says it starts at ${raw.start}, found at ${origin}`, where);
  if (raw.size <= MDA_HEADER_SIZE) throw new CorruptError(`mda size ${raw.size} leaves no room for metadata`, where);
  const locations: MdaHeader['locations'] = [];
  for (let at = MDA_HEADER.size; at + RAW_LOCN.size <= MDA_HEADER_SIZE; at += RAW_LOCN.size) {
    const locn = RAW_LOCN.decode(header, { at, origin });
    if (locn.offset === 0 && locn.size === 0 && locn.checksum === 0 && locn.flags === 0) break;
    locations.push({ offset: locn.offset, size: locn.size, checksum: locn.checksum, ignored: (locn.flags & RAW_LOCN_IGNORED) !== 0 });
  }
  return { start: raw.start, size: raw.size, locations };
}

/**
 * The byte ranges (absolute) holding one metadata text, split in two where it wraps round the
 * circular buffer. Throws CorruptError when the location does not fit the area.
 */
export function metadataRanges(mda: MdaHeader, location: { offset: number; size: number }): Array<{ offset: number; length: number }> {
  const where = { structure: 'LVM raw location', offset: mda.start };
  const { offset, size } = location;
  if (offset < MDA_HEADER_SIZE || offset >= mda.size || size <= 0 || size > mda.size - MDA_HEADER_SIZE) {
    throw new CorruptError(`metadata at ${offset}+${size} does not fit an area of ${mda.size} bytes`, where);
  }
  const first = Math.min(size, mda.size - offset);
  const ranges = [{ offset: mda.start + offset, length: first }];
  if (first < size) ranges.push({ offset: mda.start + MDA_HEADER_SIZE, length: size - first });
  return ranges;
}

/** Joins the pieces of a metadata text, checks its crc, and decodes it (text is NUL-free ASCII/UTF-8). */
export function decodeMetadataText(pieces: Uint8Array[], expected: number, origin: number): string {
  let crc: number | undefined;
  let total = 0;
  for (const piece of pieces) {
    crc = lvmCrc(piece, crc);
    total += piece.length;
  }
  if (crc !== expected) {
    throw new CorruptError(`metadata text checksum 0x${expected.toString(16)} does not match 0x${(crc ?? 0).toString(16)}`, { structure: 'LVM metadata text', offset: origin });
  }
  const joined = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    joined.set(piece, at);
    at += piece.length;
  }
  // The text is NUL-terminated inside `size` in some writers; cut there.
  const nul = joined.indexOf(0);
  return new TextDecoder('utf-8').decode(nul < 0 ? joined : joined.subarray(0, nul));
}
