// Attribute records inside a FILE record: a common header (type, length, name, flags,
// instance), then either a resident value or a non-resident header with VCN range, sizes and
// the mapping pairs (data runs). Spec: libyal libfsntfs "The attribute"; ntfs-3g layout.h
// ATTR_RECORD. Quirks relied on: the compressed-size field (0x40) only exists when the
// attribute is compressed or sparse (header 0x48 bytes instead of 0x40); names are UTF-16LE
// at name_offset; sizes are only meaningful in the extent whose lowest VCN is 0.

import { struct, u8, u16le, u32le, u64le, bytes, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';
import { decodeRuns, type DataRun } from './runlist.js';
import { ATTR_IS_COMPRESSED, ATTR_IS_SPARSE, ATTRIBUTE_TYPE_NAMES } from './attribute-types.js';

export const ATTRIBUTE_HEADER = struct('NTFS attribute header', {
  type: u32le, //            0x00
  length: u32le, //          0x04  whole attribute record, 8-aligned
  non_resident: u8, //       0x08
  name_length: u8, //        0x09  UTF-16 units
  name_offset: u16le, //     0x0a
  flags: u16le, //           0x0c  compressed 0x1, encrypted 0x4000, sparse 0x8000
  instance: u16le, //        0x0e
});

export const RESIDENT_HEADER = struct('NTFS resident attribute header', {
  value_length: u32le, //    0x10
  value_offset: u16le, //    0x14
  resident_flags: u8, //     0x16  1 = indexed
  reserved: u8, //           0x17
});

export const NON_RESIDENT_HEADER = struct('NTFS non-resident attribute header', {
  lowest_vcn: u64le, //              0x10
  highest_vcn: u64le, //             0x18
  mapping_pairs_offset: u16le, //    0x20
  compression_unit: u8, //           0x22  log2 of clusters per compression unit
  reserved: bytes(5), //             0x23
  allocated_size: u64le, //          0x28
  data_size: u64le, //               0x30
  initialized_size: u64le, //        0x38
});

export type AttributeHeader = Decoded<typeof ATTRIBUTE_HEADER.fields>;
export type ResidentHeader = Decoded<typeof RESIDENT_HEADER.fields>;
export type NonResidentHeader = Decoded<typeof NON_RESIDENT_HEADER.fields>;

/** One attribute record as decoded from a FILE record. */
export interface AttributeRecord {
  type: number;
  name: string;
  flags: number;
  instance: number;
  /** Absolute offset of the attribute header on the device (for errors). */
  offset: number;
  /** Record that holds this attribute (base or extension). */
  recordNumber: number;
  resident: boolean;
  /** Resident value (a view into the record buffer). */
  value: Uint8Array | undefined;
  lowestVcn: number;
  highestVcn: number;
  allocatedSize: number;
  dataSize: number;
  initializedSize: number;
  compressedSize: number;
  compressionUnit: number;
  runs: DataRun[];
}

export function attributeName(type: number): string {
  return ATTRIBUTE_TYPE_NAMES[type] ?? `0x${type.toString(16)}`;
}

function readName(bytes: Uint8Array, at: number, units: number): string {
  if (units === 0) return '';
  let s = '';
  for (let i = 0; i < units; i++) s += String.fromCharCode(bytes[at + 2 * i]! | (bytes[at + 2 * i + 1]! << 8));
  return s;
}

function u64(view: DataView, at: number, structure: string, origin: number): number {
  const lo = view.getUint32(at, true);
  const hi = view.getUint32(at + 4, true);
  if (hi > 0x1fffff) throw new CorruptError('64-bit field does not fit 2^53', { structure, offset: origin + at });
  return hi * 0x100000000 + lo;
}

/**
 * Decodes the attribute at `bytes[at]`, whose record ends at `end`. `origin` is the absolute
 * offset of `bytes[0]`; `maxCluster` bounds data runs.
 */
export function decodeAttribute(args: {
  bytes: Uint8Array;
  view: DataView;
  at: number;
  end: number;
  origin: number;
  recordNumber: number;
  maxCluster: number;
}): AttributeRecord {
  const { bytes, view, at, end, origin, recordNumber, maxCluster } = args;
  const structure = ATTRIBUTE_HEADER.name;
  const type = view.getUint32(at, true);
  const length = view.getUint32(at + 4, true);
  if (length < 0x18 || at + length > end) {
    throw new CorruptError(`attribute ${attributeName(type)} length ${length} does not fit its record`, { structure, offset: origin + at + 4 });
  }
  const nonResident = bytes[at + 8]!;
  const nameLength = bytes[at + 9]!;
  const nameOffset = view.getUint16(at + 10, true);
  const flags = view.getUint16(at + 12, true);
  const instance = view.getUint16(at + 14, true);
  if (nameLength > 0 && nameOffset + nameLength * 2 > length) {
    throw new CorruptError('attribute name lies outside the attribute', { structure, offset: origin + at + 10 });
  }
  const name = readName(bytes, at + nameOffset, nameLength);
  if (nonResident === 0) {
    const valueLength = view.getUint32(at + 0x10, true);
    const valueOffset = view.getUint16(at + 0x14, true);
    if (valueOffset + valueLength > length) {
      throw new CorruptError(`resident value (${valueLength} bytes at ${valueOffset}) lies outside the attribute`, {
        structure: RESIDENT_HEADER.name,
        offset: origin + at + 0x10,
      });
    }
    return {
      type, name, flags, instance, offset: origin + at, recordNumber, resident: true,
      value: bytes.subarray(at + valueOffset, at + valueOffset + valueLength),
      lowestVcn: 0, highestVcn: 0, allocatedSize: valueLength, dataSize: valueLength, initializedSize: valueLength,
      compressedSize: valueLength, compressionUnit: 0, runs: [],
    };
  }
  const nrs = NON_RESIDENT_HEADER.name;
  if (length < 0x40) throw new CorruptError(`non-resident attribute length ${length} is too short`, { structure: nrs, offset: origin + at + 4 });
  const lowestVcn = u64(view, at + 0x10, nrs, origin);
  const highestVcnRaw = view.getBigInt64(at + 0x18, true);
  const highestVcn = highestVcnRaw < 0n ? -1 : u64(view, at + 0x18, nrs, origin);
  const mappingPairsOffset = view.getUint16(at + 0x20, true);
  const compressionUnit = bytes[at + 0x22]!;
  const allocatedSize = u64(view, at + 0x28, nrs, origin);
  const dataSize = u64(view, at + 0x30, nrs, origin);
  const initializedSize = u64(view, at + 0x38, nrs, origin);
  const hasCompressedSize = (flags & (ATTR_IS_COMPRESSED | ATTR_IS_SPARSE)) !== 0 && length >= 0x48;
  const compressedSize = hasCompressedSize ? u64(view, at + 0x40, nrs, origin) : allocatedSize;
  if (mappingPairsOffset < 0x40 || mappingPairsOffset > length) {
    throw new CorruptError(`mapping pairs offset ${mappingPairsOffset} is invalid`, { structure: nrs, offset: origin + at + 0x20 });
  }
  if (compressionUnit > 16) throw new CorruptError(`compression unit 2^${compressionUnit} is invalid`, { structure: nrs, offset: origin + at + 0x22 });
  const runs = decodeRuns({ bytes, at: at + mappingPairsOffset, end: at + length, startVcn: lowestVcn, origin, maxCluster });
  return {
    type, name, flags, instance, offset: origin + at, recordNumber, resident: false, value: undefined,
    lowestVcn, highestVcn, allocatedSize, dataSize, initializedSize, compressedSize, compressionUnit, runs,
  };
}

/** Encodes the common header, then the resident or non-resident header (the writer's side). */
export function encodeAttributeHeader(args: {
  header: AttributeHeader;
  resident?: ResidentHeader;
  nonResident?: NonResidentHeader;
  compressedSize?: number;
}): Uint8Array {
  const { header } = args;
  const out = new Uint8Array(header.length);
  ATTRIBUTE_HEADER.encode(header, out, 0);
  if (args.resident) RESIDENT_HEADER.encode(args.resident, out, ATTRIBUTE_HEADER.size);
  if (args.nonResident) {
    NON_RESIDENT_HEADER.encode(args.nonResident, out, ATTRIBUTE_HEADER.size);
    if (args.compressedSize !== undefined) new DataView(out.buffer).setBigUint64(0x40, BigInt(args.compressedSize), true);
  }
  return out;
}
