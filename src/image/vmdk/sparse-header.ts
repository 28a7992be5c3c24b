// The hosted sparse extent header ("KDMV", VMware Virtual Disk Format 1.1 / 5.0, section
// "Hosted Sparse Extent Header"): a 512-byte sector at the start of every monolithicSparse,
// twoGbMaxExtentSparse and streamOptimized extent. Quirks relied on: a streamOptimized extent
// may record gdOffset = GD_AT_END and keep the real header in a footer 1024 bytes before the
// end of the file; version 3 is streamOptimized; a grain table entry of 1 means "zero grain".

import { struct, u8, u16le, u32le, u64le, u64leBig, magic, bytes, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';
import { isPowerOfTwo } from '../../binary/int.js';

export const SECTOR = 512;

/** gdOffset value meaning "the grain directory is found through the footer". */
export const GD_AT_END = 0xffffffffffffffffn;

export const SPARSE_FLAGS = {
  /** Bit 0: the newline-detection characters below are valid. */
  newlineDetect: 1 << 0,
  /** Bit 1: a redundant grain directory is kept at rgdOffset. */
  redundantGrainTable: 1 << 1,
  /** Bit 2: a grain table entry of 1 marks a grain that reads as zeros. */
  zeroedGrainTableEntry: 1 << 2,
  /** Bit 16: grains are compressed (streamOptimized). */
  compressedGrains: 1 << 16,
  /** Bit 17: metadata and grains are preceded by markers (streamOptimized). */
  markers: 1 << 17,
} as const;

export const COMPRESSION_DEFLATE = 1;

/** The raw layout. gdOffset is kept as bigint because GD_AT_END does not fit a number. */
export const SparseExtentHeader = struct('VMDK sparse extent header', {
  magicNumber: magic('KDMV'),   // 0x00
  version: u32le,               // 0x04  1, 2 (zeroed-grain GTEs) or 3 (streamOptimized)
  flags: u32le,                 // 0x08
  capacity: u64le,              // 0x0c  sectors
  grainSize: u64le,             // 0x14  sectors
  descriptorOffset: u64le,      // 0x1c  sectors, 0 when there is no embedded descriptor
  descriptorSize: u64le,        // 0x24  sectors
  numGTEsPerGT: u32le,          // 0x2c  512 in every known writer
  rgdOffset: u64le,             // 0x30  sectors
  gdOffset: u64leBig,           // 0x38  sectors, or GD_AT_END
  overHead: u64le,              // 0x40  sectors before the first grain
  uncleanShutdown: u8,          // 0x48
  singleEndLineChar: u8,        // 0x49  '\n'
  nonEndLineChar: u8,           // 0x4a  ' '
  doubleEndLineChar1: u8,       // 0x4b  '\r'
  doubleEndLineChar2: u8,       // 0x4c  '\n'
  compressAlgorithm: u16le,     // 0x4d  0 none, 1 deflate
  pad: bytes(433),              // 0x4f
});
export type SparseExtentHeader = Decoded<typeof SparseExtentHeader['fields']>;

/** Largest grain accepted: 2 MiB. Every known writer uses 64 KiB; the bound caps buffers. */
export const MAX_GRAIN_SECTORS = 4096;
/** Largest guest disk accepted: 256 TiB (VMFS caps at 62 TiB, hosted sparse at 8 TiB). */
export const MAX_CAPACITY_BYTES = 2 ** 48;
export const MAX_GTES_PER_GT = 4096;

export function isSparseExtentHeader(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x4b && bytes[1] === 0x44 && bytes[2] === 0x4d && bytes[3] === 0x56;
}

/** Decodes and checks the fields every reader depends on; the caller checks offsets against the file. */
export function decodeSparseHeader(bytes: Uint8Array, origin: number): SparseExtentHeader {
  const header = SparseExtentHeader.decode(bytes, { origin });
  const where = (field: keyof SparseExtentHeader & string) => ({ structure: 'VMDK sparse extent header', offset: origin + SparseExtentHeader.offsetOf(field) });
  if (header.version < 1 || header.version > 3) {
    throw new CorruptError(`unknown sparse extent version ${header.version}`, where('version'));
  }
  if (!isPowerOfTwo(header.grainSize) || header.grainSize < 1 || header.grainSize > MAX_GRAIN_SECTORS) {
    throw new CorruptError(`grain size of ${header.grainSize} sectors is not a power of two between 1 and ${MAX_GRAIN_SECTORS}`, where('grainSize'));
  }
  if (header.numGTEsPerGT < 1 || header.numGTEsPerGT > MAX_GTES_PER_GT) {
    throw new CorruptError(`${header.numGTEsPerGT} entries per grain table is outside 1..${MAX_GTES_PER_GT}`, where('numGTEsPerGT'));
  }
  if (header.capacity * SECTOR > MAX_CAPACITY_BYTES) {
    throw new CorruptError(`capacity of ${header.capacity} sectors is absurd (over ${MAX_CAPACITY_BYTES} bytes)`, where('capacity'));
  }
  if ((header.flags & SPARSE_FLAGS.compressedGrains) !== 0 && header.compressAlgorithm !== COMPRESSION_DEFLATE) {
    throw new CorruptError(`compressed grains with unknown algorithm ${header.compressAlgorithm}`, where('compressAlgorithm'));
  }
  return header;
}

/** A header with the newline-detection characters every writer sets. */
export function newSparseHeader(fields: {
  version: number;
  flags: number;
  capacity: number;
  grainSize: number;
  descriptorOffset: number;
  descriptorSize: number;
  rgdOffset: number;
  gdOffset: bigint;
  overHead: number;
  compressAlgorithm: number;
}): SparseExtentHeader {
  return {
    magicNumber: new Uint8Array([0x4b, 0x44, 0x4d, 0x56]),
    numGTEsPerGT: 512,
    uncleanShutdown: 0,
    singleEndLineChar: 0x0a,
    nonEndLineChar: 0x20,
    doubleEndLineChar1: 0x0d,
    doubleEndLineChar2: 0x0a,
    pad: new Uint8Array(433),
    ...fields,
  };
}
