// The VHDX block allocation table ([MS-VHDX] 2.5): 64-bit entries, state in bits 0-2 and the
// file offset in MiB in bits 20-63. After every `chunkRatio` payload entries comes the entry of
// that chunk's sector bitmap block (chunkRatio = 2^23 × logical sector size / block size). A
// non-differencing file needs entries only up to the last payload block; a differencing one
// a whole number of chunks. Decoding checks every entry a read could follow: states that are
// defined, offsets inside the file and past the 1 MiB header area, and partially present
// blocks only in differencing files with a present sector bitmap.

import { CorruptError } from '../../errors.js';
import type { VhdxMetadata } from './metadata.js';
import {
  MIB, PAYLOAD_BLOCK_FULLY_PRESENT, PAYLOAD_BLOCK_NOT_PRESENT, PAYLOAD_BLOCK_PARTIALLY_PRESENT, PAYLOAD_BLOCK_UNDEFINED,
  PAYLOAD_BLOCK_UNMAPPED, PAYLOAD_BLOCK_ZERO, SB_BLOCK_NOT_PRESENT, SB_BLOCK_PRESENT, SECTORS_PER_BITMAP_BLOCK,
} from './structures.js';

const PAYLOAD_STATES = new Set([
  PAYLOAD_BLOCK_NOT_PRESENT, PAYLOAD_BLOCK_UNDEFINED, PAYLOAD_BLOCK_ZERO, PAYLOAD_BLOCK_UNMAPPED, PAYLOAD_BLOCK_FULLY_PRESENT, PAYLOAD_BLOCK_PARTIALLY_PRESENT,
]);

export interface BatLayout {
  chunkRatio: number;
  dataBlocks: number;
  bitmapBlocks: number;
  /** Entries the BAT must hold for this disk. */
  totalEntries: number;
}

export function batLayout(metadata: Pick<VhdxMetadata, 'blockSize' | 'logicalSectorSize' | 'virtualDiskSize' | 'hasParent'>): BatLayout {
  const chunkRatio = (SECTORS_PER_BITMAP_BLOCK * metadata.logicalSectorSize) / metadata.blockSize;
  const dataBlocks = Math.ceil(metadata.virtualDiskSize / metadata.blockSize);
  const bitmapBlocks = Math.ceil(dataBlocks / chunkRatio);
  const totalEntries = metadata.hasParent ? bitmapBlocks * (chunkRatio + 1) : dataBlocks + Math.floor((dataBlocks - 1) / chunkRatio);
  return { chunkRatio, dataBlocks, bitmapBlocks, totalEntries };
}

export interface DecodedBat extends BatLayout {
  /** Payload block states, one per block. */
  states: Uint8Array;
  /** File offset (bytes) of each present or partially present block; 0 otherwise. */
  offsets: Float64Array;
  /** File offset of each chunk's sector bitmap block, or -1. */
  bitmapOffsets: Float64Array;
  /** Blocks whose data is (at least partly) in this file. */
  present: number;
}

/** Decodes `bytes` (the BAT's first totalEntries × 8 bytes, read from `batOffset`). */
export function decodeBat(args: { bytes: Uint8Array; batOffset: number; metadata: VhdxMetadata; fileSize: number }): DecodedBat {
  const { bytes, batOffset, metadata, fileSize } = args;
  const layout = batLayout(metadata);
  const { chunkRatio, dataBlocks, bitmapBlocks, totalEntries } = layout;
  if (bytes.length < totalEntries * 8) {
    throw new CorruptError(`BAT of ${bytes.length} bytes is shorter than its ${totalEntries} entries`, { structure: 'VHDX BAT', offset: batOffset });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entry = (index: number): { state: number; offset: number } => {
    const low = view.getUint32(index * 8, true);
    const high = view.getUint32(index * 8 + 4, true);
    // FileOffsetMB is bits 20-63: (high << 12) | (low >>> 20), in MiB.
    return { state: low & 7, offset: (high * 4096 + (low >>> 20)) * MIB };
  };
  const where = (index: number) => ({ structure: 'VHDX BAT', offset: batOffset + index * 8 });

  const bitmapOffsets = new Float64Array(bitmapBlocks).fill(-1);
  for (let chunk = 0; chunk < bitmapBlocks; chunk++) {
    const index = chunk * (chunkRatio + 1) + chunkRatio;
    if (index >= totalEntries) break;
    const { state, offset } = entry(index);
    if (state === SB_BLOCK_PRESENT) {
      if (offset < MIB || offset + MIB > fileSize) {
        throw new CorruptError(`sector bitmap entry ${index} points to ${offset}, outside the file (${fileSize} bytes)`, where(index));
      }
      bitmapOffsets[chunk] = offset;
    } else if (state !== SB_BLOCK_NOT_PRESENT) {
      throw new CorruptError(`sector bitmap entry ${index} has state ${state}`, where(index));
    }
  }

  const states = new Uint8Array(dataBlocks);
  const offsets = new Float64Array(dataBlocks);
  let present = 0;
  for (let block = 0; block < dataBlocks; block++) {
    const index = block + Math.floor(block / chunkRatio);
    const { state, offset } = entry(index);
    if (!PAYLOAD_STATES.has(state)) throw new CorruptError(`payload block ${block} has the undefined state ${state}`, where(index));
    states[block] = state;
    if (state !== PAYLOAD_BLOCK_FULLY_PRESENT && state !== PAYLOAD_BLOCK_PARTIALLY_PRESENT) continue;
    const used = Math.min(metadata.blockSize, metadata.virtualDiskSize - block * metadata.blockSize);
    if (offset < MIB || offset + used > fileSize) {
      throw new CorruptError(`BAT entry ${index} (payload block ${block}) points to ${offset}, past the end of the file (${fileSize} bytes; truncated?)`, where(index));
    }
    if (state === PAYLOAD_BLOCK_PARTIALLY_PRESENT) {
      if (!metadata.hasParent) throw new CorruptError(`payload block ${block} is partially present in a disk without a parent`, where(index));
      if ((bitmapOffsets[Math.floor(block / chunkRatio)] ?? -1) < 0) throw new CorruptError(`payload block ${block} is partially present but its chunk has no sector bitmap`, where(index));
    }
    offsets[block] = offset;
    present++;
  }
  return { ...layout, states, offsets, bitmapOffsets, present };
}
