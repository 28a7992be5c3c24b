// FILE records: the fixed header of every MFT entry (signature, fixup array, sequence number,
// link count, flags, base record reference) followed by attribute records up to an 0xFFFFFFFF
// end marker. Spec: libyal libfsntfs "MFT entry"; ntfs-3g layout.h MFT_RECORD.
// Quirks relied on: fixups must be applied before anything past the first 510 bytes is read;
// the record number field at 0x2c only exists from NTFS 3.1 (XP) on; a non-zero base
// reference marks an extension record that belongs to another (base) record.

import { struct, magic, u16le, u32le, u64le, u64leBig, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';
import { applyFixups, encodeFixups } from './fixups.js';
import { decodeAttribute, type AttributeRecord } from './attribute.js';
import { AT_END } from './attribute-types.js';

export const FILE_RECORD_HEADER = struct('NTFS FILE record header', {
  magic: magic('FILE'), //              0x00
  usa_ofs: u16le, //                    0x04
  usa_count: u16le, //                  0x06
  lsn: u64leBig, //                     0x08
  sequence_number: u16le, //            0x10
  link_count: u16le, //                 0x12
  attrs_offset: u16le, //               0x14
  flags: u16le, //                      0x16  in use 0x1, directory 0x2
  bytes_in_use: u32le, //               0x18
  bytes_allocated: u32le, //            0x1c
  base_mft_record: u64le, //            0x20  MFT reference (48-bit record, 16-bit sequence)
  next_attr_instance: u16le, //         0x28
  reserved: u16le, //                   0x2a
  mft_record_number: u32le, //          0x2c  NTFS 3.1+
});
export type FileRecordHeader = Decoded<typeof FILE_RECORD_HEADER.fields>;

export const FILE_MAGIC = 0x454c4946; // 'FILE' little-endian
export const BAAD_MAGIC = 0x44414142; // 'BAAD': chkdsk marked the record bad

export interface FileRecord {
  recordNumber: number;
  sequence: number;
  linkCount: number;
  flags: number;
  /** Record number of the base record (meaningful when isExtension). */
  baseRecord: number;
  /** True for an extension record: its base reference (record and sequence) is non-zero. */
  isExtension: boolean;
  attributes: AttributeRecord[];
}

/** Max attributes in one record: the smallest attribute is 0x18 bytes. */
const MIN_ATTRIBUTE = 0x18;

/**
 * Applies fixups to `bytes[at, at+size)` in place and decodes the record. `origin` is the
 * absolute offset of `bytes[0]` for errors; `maxCluster` bounds data runs.
 */
export function decodeFileRecord(args: { bytes: Uint8Array; at?: number; size: number; origin: number; recordNumber: number; maxCluster: number }): FileRecord {
  const { bytes, size, origin, recordNumber, maxCluster } = args;
  const at = args.at ?? 0;
  const structure = FILE_RECORD_HEADER.name;
  if (at + size > bytes.length || size < 512) throw new CorruptError('truncated FILE record', { structure, offset: origin + at });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(at, true) !== FILE_MAGIC) {
    const what = view.getUint32(at, true) === BAAD_MAGIC ? 'record marked BAAD' : 'bad signature: expected "FILE"';
    throw new CorruptError(`${what} (MFT record ${recordNumber})`, { structure, offset: origin + at });
  }
  applyFixups({ bytes, at, size, origin, structure });
  return decodeFixedRecord({ bytes, view, at, size, origin, recordNumber, maxCluster });
}

/** Decodes a record whose fixups are already applied. */
export function decodeFixedRecord(args: { bytes: Uint8Array; view: DataView; at: number; size: number; origin: number; recordNumber: number; maxCluster: number }): FileRecord {
  const { bytes, view, at, size, origin, recordNumber, maxCluster } = args;
  const structure = FILE_RECORD_HEADER.name;
  const attrsOffset = view.getUint16(at + 0x14, true);
  const bytesInUse = view.getUint32(at + 0x18, true);
  if (bytesInUse > size || bytesInUse < 0x30) {
    throw new CorruptError(`bytes in use ${bytesInUse} does not fit a ${size}-byte record`, { structure, offset: origin + at + 0x18 });
  }
  if (attrsOffset < 0x2a || attrsOffset + 4 > bytesInUse || (attrsOffset & 7) !== 0) {
    throw new CorruptError(`attribute offset ${attrsOffset} is invalid`, { structure, offset: origin + at + 0x14 });
  }
  const baseLow = view.getUint32(at + 0x20, true);
  const baseHigh = view.getUint16(at + 0x24, true);
  const record: FileRecord = {
    recordNumber,
    sequence: view.getUint16(at + 0x10, true),
    linkCount: view.getUint16(at + 0x12, true),
    flags: view.getUint16(at + 0x16, true),
    baseRecord: baseHigh * 0x100000000 + baseLow,
    isExtension: baseLow !== 0 || view.getUint32(at + 0x24, true) !== 0,
    attributes: [],
  };
  const end = at + bytesInUse;
  let cursor = at + attrsOffset;
  for (let count = 0; count <= size / MIN_ATTRIBUTE; count++) {
    if (cursor + 4 > end) throw new CorruptError('attributes run past bytes in use without an end marker', { structure, offset: origin + cursor });
    const type = view.getUint32(cursor, true);
    if (type === AT_END) return record;
    const attribute = decodeAttribute({ bytes, view, at: cursor, end, origin, recordNumber, maxCluster });
    record.attributes.push(attribute);
    cursor += view.getUint32(cursor + 4, true);
  }
  throw new CorruptError('too many attributes in one record', { structure, offset: origin + at });
}

/**
 * Encodes a record header into `into` (the writer's side) and protects it with fixups:
 * attributes must already be in place after attrs_offset.
 */
export function encodeFileRecord(args: { header: FileRecordHeader; into: Uint8Array; size: number; usn: number }): Uint8Array {
  FILE_RECORD_HEADER.encode(args.header, args.into, 0);
  encodeFixups({ bytes: args.into, size: args.size, usn: args.usn });
  return args.into;
}
