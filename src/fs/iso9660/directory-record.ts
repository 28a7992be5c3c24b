// ISO 9660 directory records (ECMA-119 9.1): a directory's extent is a run of records that
// never cross a logical-sector boundary (a zero length byte means "the rest of this sector is
// padding"). Each record: its length, extended-attribute length, the extent and data length
// (both-endian), the recording time (7 bytes, with a GMT offset in 15-minute steps), the file
// flags (0x01 hidden, 0x02 directory, 0x04 associated, 0x80 multi-extent: more records of the
// same file follow), the file identifier, and the System Use area (SUSP/Rock Ridge) after it.

import { i8, struct, u16be, u16le, u32be, u32le, u8, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';

export const DIRECTORY_RECORD = struct('ISO 9660 directory record', {
  length_of_directory_record: u8, //              0
  extended_attribute_record_length: u8, //        1
  location_of_extent_le: u32le, //                2
  location_of_extent_be: u32be, //                6
  data_length_le: u32le, //                       10
  data_length_be: u32be, //                       14
  years_since_1900: u8, //                        18
  month: u8, //                                   19
  day: u8, //                                     20
  hour: u8, //                                    21
  minute: u8, //                                  22
  second: u8, //                                  23
  gmt_offset: i8, //                              24  in 15-minute intervals
  file_flags: u8, //                              25
  file_unit_size: u8, //                          26  interleaving
  interleave_gap_size: u8, //                     27
  volume_sequence_number_le: u16le, //            28
  volume_sequence_number_be: u16be, //            30
  length_of_file_identifier: u8, //               32
});
export type DirectoryRecordHeader = Decoded<typeof DIRECTORY_RECORD.fields>;

export const FLAG_HIDDEN = 0x01;
export const FLAG_DIRECTORY = 0x02;
export const FLAG_ASSOCIATED = 0x04;
export const FLAG_MULTI_EXTENT = 0x80;

/** DIRECTORY_RECORD.size is 33; the identifier starts there. */
export const RECORD_FIXED_SIZE = 33;

export interface DirectoryRecord {
  header: DirectoryRecordHeader;
  /** Raw file identifier bytes (0x00 is '.', 0x01 is '..'). */
  identifier: Uint8Array;
  systemUse: Uint8Array;
  /** Absolute byte offset of the record in the image. */
  offset: number;
  /** Absolute offset of the System Use area. */
  systemUseOffset: number;
}

/** Decodes every record of one directory extent (`data` starts at absolute `origin`). */
export function decodeDirectoryRecords(args: { data: Uint8Array; origin: number; blockSize: number }): DirectoryRecord[] {
  const { data, origin, blockSize } = args;
  const out: DirectoryRecord[] = [];
  let pos = 0;
  // Bounded: each step advances by at least one byte.
  while (pos < data.length) {
    const length = data[pos] as number;
    if (length === 0) {
      pos = (Math.floor(pos / blockSize) + 1) * blockSize;
      continue;
    }
    const at = origin + pos;
    if (length < RECORD_FIXED_SIZE + 1) throw new CorruptError(`directory record length ${length} is below the minimum 34`, { structure: 'ISO 9660 directory record', offset: at });
    if (Math.floor(pos / blockSize) !== Math.floor((pos + length - 1) / blockSize) || pos + length > data.length) {
      throw new CorruptError('directory record crosses a sector boundary or the end of its directory', { structure: 'ISO 9660 directory record', offset: at });
    }
    const header = DIRECTORY_RECORD.decode(data, { at: pos, origin });
    const nameLength = header.length_of_file_identifier;
    if (RECORD_FIXED_SIZE + nameLength > length) {
      throw new CorruptError(`file identifier (${nameLength} bytes) runs past its record (${length} bytes)`, { structure: 'ISO 9660 directory record', offset: at });
    }
    const identifier = data.subarray(pos + RECORD_FIXED_SIZE, pos + RECORD_FIXED_SIZE + nameLength);
    // A padding byte follows an even-length identifier so the System Use area starts even.
    const suStart = RECORD_FIXED_SIZE + nameLength + (nameLength % 2 === 0 ? 1 : 0);
    const systemUse = suStart < length ? data.subarray(pos + suStart, pos + length) : new Uint8Array(0);
    out.push({ header, identifier, systemUse, offset: at, systemUseOffset: at + suStart });
    pos += length;
  }
  return out;
}

/** The 7-byte recording time as a Date (undefined when all zero). */
export function recordingTime(h: Pick<DirectoryRecordHeader, 'years_since_1900' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'gmt_offset'>): Date | undefined {
  if (h.years_since_1900 === 0 && h.month === 0 && h.day === 0) return undefined;
  const utc = Date.UTC(1900 + h.years_since_1900, h.month - 1, h.day, h.hour, h.minute, h.second) - h.gmt_offset * 15 * 60 * 1000;
  return Number.isFinite(utc) ? new Date(utc) : undefined;
}

