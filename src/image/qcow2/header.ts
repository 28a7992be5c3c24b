// The qcow2 header (docs/interop/qcow2.txt, "Header"): a big-endian fixed part of 72 bytes in
// version 2 and at least 104 bytes in version 3, followed by header extensions. This file
// declares the layout, decodes it, and checks every field the reader relies on. Quirks: a v3
// header may be 104 bytes long (no compression_type byte, meaning zlib); qemu refuses cluster
// sizes outside 512 B – 2 MiB and L1 tables over 32 MiB, and so do we.

import { struct, magic, u32be, u64be, u64beBig, u8, bytes } from '../../binary/struct.js';
import { CorruptError, UnsupportedError } from '../../errors.js';

export const QCOW2_MAGIC = Uint8Array.of(0x51, 0x46, 0x49, 0xfb); // "QFI\xfb"

/** Fields common to versions 2 and 3. */
export const QCOW2_HEADER_V2 = struct('qcow2 header', {
  magic: magic(QCOW2_MAGIC), //          0x00
  version: u32be, //                      0x04
  backing_file_offset: u64be, //          0x08
  backing_file_size: u32be, //            0x10
  cluster_bits: u32be, //                 0x14
  size: u64be, //                         0x18  virtual disk size in bytes
  crypt_method: u32be, //                 0x20  0 none, 1 AES, 2 LUKS
  l1_size: u32be, //                      0x24  entries
  l1_table_offset: u64be, //              0x28
  refcount_table_offset: u64be, //        0x30
  refcount_table_clusters: u32be, //      0x38
  nb_snapshots: u32be, //                 0x3c
  snapshots_offset: u64be, //             0x40
}); //                                    0x48

/** The version 3 additions, decoded from offset 0x48. */
export const QCOW2_HEADER_V3_TAIL = struct('qcow2 header', {
  incompatible_features: u64beBig, //     0x48
  compatible_features: u64beBig, //       0x50
  autoclear_features: u64beBig, //        0x58
  refcount_order: u32be, //               0x60
  header_length: u32be, //                0x64
}); //                                    0x68

/** Optional fields of a longer v3 header, from offset 0x68. */
export const QCOW2_HEADER_V3_OPTIONAL = struct('qcow2 header', {
  compression_type: u8, //                0x68  0 zlib, 1 zstd
  padding: bytes(7), //                   0x69
}); //                                    0x70

export const INCOMPATIBLE = {
  dirty: 1n << 0n,
  corrupt: 1n << 1n,
  externalDataFile: 1n << 2n,
  compressionType: 1n << 3n,
  extendedL2: 1n << 4n,
} as const;
const KNOWN_INCOMPATIBLE = INCOMPATIBLE.dirty | INCOMPATIBLE.corrupt | INCOMPATIBLE.externalDataFile
  | INCOMPATIBLE.compressionType | INCOMPATIBLE.extendedL2;

export const COMPATIBLE_LAZY_REFCOUNTS = 1n << 0n;

export const MIN_CLUSTER_BITS = 9;
export const MAX_CLUSTER_BITS = 21;
/** qemu's QCOW_MAX_L1_SIZE: larger L1 tables are refused as corrupt. */
export const MAX_L1_BYTES = 32 * 1024 * 1024;
export const MAX_BACKING_NAME = 1023;

export type CompressionType = 'zlib' | 'zstd';

export interface Qcow2Header {
  version: 2 | 3;
  backingFileOffset: number;
  backingFileSize: number;
  clusterBits: number;
  clusterSize: number;
  size: number;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  incompatibleFeatures: bigint;
  compatibleFeatures: bigint;
  autoclearFeatures: bigint;
  refcountOrder: number;
  headerLength: number;
  compressionType: CompressionType;
  extendedL2: boolean;
  dirty: boolean;
  corrupt: boolean;
  externalDataFile: boolean;
  /** Entries per L2 table (a cluster of 8-byte entries, or 16-byte ones with extended L2). */
  l2Entries: number;
}

/** Bytes needed to decode any header: the longest fixed part we understand. */
export const HEADER_READ_SIZE = 0x70;

/**
 * Decodes and validates the header from the first bytes of the file. `fileSize` bounds the
 * tables it points to. Unknown incompatible features are returned for the caller to refuse
 * once it has read the feature name table.
 */
export function decodeHeader(bytes: Uint8Array, fileSize: number): Qcow2Header & { unknownIncompatible: bigint } {
  const base = QCOW2_HEADER_V2.decode(bytes);
  const fail = (message: string, field: string): never => {
    throw new CorruptError(message, { structure: 'qcow2 header', offset: offsetOfField(field) });
  };
  if (base.version !== 2 && base.version !== 3) {
    throw new UnsupportedError(`qcow2 version ${base.version} is not supported (only 2 and 3)`, { structure: 'qcow2 header', offset: 4 });
  }
  if (base.cluster_bits < MIN_CLUSTER_BITS || base.cluster_bits > MAX_CLUSTER_BITS) {
    fail(`cluster_bits ${base.cluster_bits} outside ${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS}`, 'cluster_bits');
  }
  const clusterSize = 2 ** base.cluster_bits;
  let incompatibleFeatures = 0n;
  let compatibleFeatures = 0n;
  let autoclearFeatures = 0n;
  let refcountOrder = 4;
  let headerLength = QCOW2_HEADER_V2.size;
  let compressionTypeByte = 0;
  if (base.version === 3) {
    const tail = QCOW2_HEADER_V3_TAIL.decode(bytes, { at: QCOW2_HEADER_V2.size });
    incompatibleFeatures = tail.incompatible_features;
    compatibleFeatures = tail.compatible_features;
    autoclearFeatures = tail.autoclear_features;
    refcountOrder = tail.refcount_order;
    headerLength = tail.header_length;
    if (headerLength < 0x68 || headerLength > clusterSize || headerLength % 8 !== 0) {
      fail(`header_length ${headerLength} is not a multiple of 8 between 104 and the cluster size`, 'header_length');
    }
    if (refcountOrder > 6) fail(`refcount_order ${refcountOrder} is larger than 6`, 'refcount_order');
    if (headerLength > 0x68) {
      compressionTypeByte = QCOW2_HEADER_V3_OPTIONAL.decode(bytes, { at: 0x68 }).compression_type;
    }
  }
  const hasCompressionBit = (incompatibleFeatures & INCOMPATIBLE.compressionType) !== 0n;
  let compressionType: CompressionType;
  if (compressionTypeByte === 0) compressionType = 'zlib';
  else if (compressionTypeByte === 1) compressionType = 'zstd';
  else throw new UnsupportedError(`qcow2 compression_type ${compressionTypeByte} is not known`, { structure: 'qcow2 header', offset: 0x68 });
  if (compressionTypeByte !== 0 && !hasCompressionBit) {
    fail(`compression_type ${compressionTypeByte} without the compression type incompatible feature`, 'compression_type');
  }

  if (base.crypt_method !== 0) {
    const kind = base.crypt_method === 1 ? 'AES' : base.crypt_method === 2 ? 'LUKS' : `method ${base.crypt_method}`;
    throw new UnsupportedError(`encrypted qcow2 (${kind}) is not supported`, { structure: 'qcow2 header', offset: 0x20, feature: 'encryption' });
  }

  const extendedL2 = (incompatibleFeatures & INCOMPATIBLE.extendedL2) !== 0n;
  if (extendedL2 && base.cluster_bits < 14) {
    fail(`extended L2 entries need clusters of at least 16 KiB, not ${clusterSize}`, 'cluster_bits');
  }
  const l2Entries = clusterSize / (extendedL2 ? 16 : 8);

  // The L1 table must cover the virtual size, and is bounded as qemu bounds it.
  const bytesPerL1Entry = clusterSize * l2Entries;
  const neededL1 = Math.ceil(base.size / bytesPerL1Entry);
  if (neededL1 * 8 > MAX_L1_BYTES) {
    fail(`virtual size ${base.size} needs an L1 table larger than ${MAX_L1_BYTES} bytes`, 'size');
  }
  if (base.l1_size < neededL1) fail(`l1_size ${base.l1_size} is too small for virtual size ${base.size} (needs ${neededL1})`, 'l1_size');
  if (base.l1_size * 8 > MAX_L1_BYTES) fail(`l1_size ${base.l1_size} exceeds ${MAX_L1_BYTES / 8} entries`, 'l1_size');
  if (base.l1_size > 0) {
    if (base.l1_table_offset % clusterSize !== 0) fail(`L1 table offset ${base.l1_table_offset} is not cluster aligned`, 'l1_table_offset');
    if (base.l1_table_offset === 0 || base.l1_table_offset + base.l1_size * 8 > fileSize) {
      fail(`L1 table (${base.l1_size} entries at ${base.l1_table_offset}) lies outside the file of ${fileSize} bytes`, 'l1_table_offset');
    }
  }
  if (base.backing_file_offset !== 0) {
    if (base.backing_file_size > MAX_BACKING_NAME) fail(`backing file name of ${base.backing_file_size} bytes is longer than ${MAX_BACKING_NAME}`, 'backing_file_size');
    if (base.backing_file_offset + base.backing_file_size > Math.min(fileSize, clusterSize)) {
      fail('backing file name lies outside the header cluster', 'backing_file_offset');
    }
  }
  return {
    version: base.version,
    backingFileOffset: base.backing_file_offset,
    backingFileSize: base.backing_file_offset === 0 ? 0 : base.backing_file_size,
    clusterBits: base.cluster_bits,
    clusterSize,
    size: base.size,
    cryptMethod: base.crypt_method,
    l1Size: base.l1_size,
    l1TableOffset: base.l1_table_offset,
    refcountTableOffset: base.refcount_table_offset,
    refcountTableClusters: base.refcount_table_clusters,
    nbSnapshots: base.nb_snapshots,
    snapshotsOffset: base.snapshots_offset,
    incompatibleFeatures,
    compatibleFeatures,
    autoclearFeatures,
    refcountOrder,
    headerLength,
    compressionType,
    extendedL2,
    dirty: (incompatibleFeatures & INCOMPATIBLE.dirty) !== 0n,
    corrupt: (incompatibleFeatures & INCOMPATIBLE.corrupt) !== 0n,
    externalDataFile: (incompatibleFeatures & INCOMPATIBLE.externalDataFile) !== 0n,
    l2Entries,
    unknownIncompatible: incompatibleFeatures & ~KNOWN_INCOMPATIBLE,
  };
}

function offsetOfField(field: string): number {
  if (field in QCOW2_HEADER_V2.fields) return QCOW2_HEADER_V2.offsetOf(field as keyof typeof QCOW2_HEADER_V2.fields);
  if (field in QCOW2_HEADER_V3_TAIL.fields) return QCOW2_HEADER_V2.size + QCOW2_HEADER_V3_TAIL.offsetOf(field as keyof typeof QCOW2_HEADER_V3_TAIL.fields);
  return 0x68;
}

/** The bit numbers set in a feature mask, lowest first. */
export function featureBits(mask: bigint): number[] {
  const bits: number[] = [];
  for (let bit = 0; bit < 64; bit++) if ((mask >> BigInt(bit)) & 1n) bits.push(bit);
  return bits;
}
