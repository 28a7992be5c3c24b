// The regf base block (the first 4096 bytes of a hive file, and the first 512 bytes of a
// transaction log): signature, sequence numbers, version, root cell, hive bins size, checksum.
// Spec: libyal/libregf "Windows NT Registry File (REGF) format" and msuhanov's "Windows
// registry file format specification", section "Base block". Quirks relied on: the checksum is
// the XOR of the first 508 bytes taken as 127 little-endian u32, with 0 mapped to 1 and
// 0xffffffff mapped to 0xfffffffe; a hive is dirty when primary != secondary sequence number.

import { magic, struct, u32le, u64leBig, bytes, type Decoded } from '../binary/index.js';
import { CorruptError } from '../errors.js';

export const BASE_BLOCK_SIZE = 4096;
/** Offsets inside the hive file are relative to the first hbin, which follows the base block. */
export const HBIN_START = 4096;

export const REGF_BASE_BLOCK = struct('regf base block', {
  signature: magic('regf'), //      0x000
  primarySequence: u32le, //        0x004
  secondarySequence: u32le, //      0x008
  lastWritten: u64leBig, //         0x00c FILETIME
  majorVersion: u32le, //           0x014 1
  minorVersion: u32le, //           0x018 3..6
  fileType: u32le, //               0x01c 0 primary, 1 old log, 2 old log (alt), 6 new log
  fileFormat: u32le, //             0x020 1 = direct memory load
  rootCellOffset: u32le, //         0x024 relative to the first hbin
  hiveBinsDataSize: u32le, //       0x028
  clusteringFactor: u32le, //       0x02c
  fileName: bytes(64), //           0x030 UTF-16LE, partial path
  reserved: bytes(396), //          0x070 RmId, LogId, flags, TmId, 'rmtm', last reorganized
  checksum: u32le, //               0x1fc
});
export type RegfBaseBlock = Decoded<typeof REGF_BASE_BLOCK.fields>;

/** The base block checksum: XOR of the first 127 dwords, with the two reserved results remapped. */
export function baseBlockChecksum(block: Uint8Array, at = 0): number {
  const view = new DataView(block.buffer, block.byteOffset + at, 508);
  let sum = 0;
  for (let i = 0; i < 508; i += 4) sum ^= view.getUint32(i, true);
  sum >>>= 0;
  if (sum === 0) return 1;
  if (sum === 0xffffffff) return 0xfffffffe;
  return sum;
}

export interface BaseBlockInfo extends RegfBaseBlock {
  checksumValid: boolean;
  dirty: boolean;
  /** The embedded file name, decoded. */
  embeddedName: string;
  version: string;
}

/** Decodes and checks a base block; throws CorruptError on a bad signature or a short file. */
export function decodeBaseBlock(bytes: Uint8Array, options: { at?: number; origin?: number; structure?: string } = {}): BaseBlockInfo {
  const at = options.at ?? 0;
  if (bytes.length - at < 512) {
    throw new CorruptError(`truncated: a base block needs 512 bytes, have ${Math.max(0, bytes.length - at)}`, {
      structure: options.structure ?? 'regf base block',
      offset: (options.origin ?? 0) + at,
    });
  }
  const block = REGF_BASE_BLOCK.decode(bytes, { at, origin: options.origin ?? 0 });
  const units: number[] = [];
  for (let i = 0; i + 1 < 64; i += 2) {
    const u = (block.fileName[i] as number) | ((block.fileName[i + 1] as number) << 8);
    if (u === 0) break;
    units.push(u);
  }
  return {
    ...block,
    checksumValid: baseBlockChecksum(bytes, at) === block.checksum,
    dirty: block.primarySequence !== block.secondarySequence,
    embeddedName: String.fromCharCode(...units),
    version: `${block.majorVersion}.${block.minorVersion}`,
  };
}
