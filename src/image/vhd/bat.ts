// The VHD block allocation table (VHD specification 1.0, "Block Allocation Table and Data
// Blocks"): one big-endian u32 per block, the sector offset of the block's sector bitmap (the
// data follows it), or all ones when the block is not stored. Every stored block a read could
// reach must lie inside the file, as qemu checks too (a truncated copy shows up here).

import { CorruptError } from '../../errors.js';
import { BAT_UNUSED } from './dynamic-header.js';

const SECTOR = 512;

export interface DecodedVhdBat {
  bat: Uint32Array;
  /** Bytes of the sector bitmap before each block's data: one bit per sector, in whole sectors. */
  bitmapSize: number;
  allocatedBlocks: number;
}

/** Decodes the BAT entries that cover `virtualSize` (`bytes` holds exactly those, read from `tableOffset`). */
export function decodeBat(args: { bytes: Uint8Array; tableOffset: number; blockSize: number; virtualSize: number; fileSize: number }): DecodedVhdBat {
  const { bytes, tableOffset, blockSize, virtualSize, fileSize } = args;
  const blocks = Math.ceil(virtualSize / blockSize);
  if (bytes.length < blocks * 4) throw new CorruptError(`BAT of ${bytes.length} bytes is shorter than its ${blocks} entries`, { structure: 'VHD BAT', offset: tableOffset });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bitmapSize = Math.ceil(blockSize / SECTOR / 8 / SECTOR) * SECTOR;
  const bat = new Uint32Array(blocks);
  let allocatedBlocks = 0;
  for (let i = 0; i < blocks; i++) {
    const entry = view.getUint32(i * 4, false);
    bat[i] = entry;
    if (entry === BAT_UNUSED) continue;
    allocatedBlocks++;
    const used = Math.min(blockSize, virtualSize - i * blockSize);
    const start = entry * SECTOR;
    if (start + bitmapSize + used > fileSize) {
      throw new CorruptError(`BAT entry ${i} points to block at ${start}, past the end of the file (${fileSize} bytes; truncated?)`, { structure: 'VHD BAT', offset: tableOffset + i * 4 });
    }
  }
  return { bat, bitmapSize, allocatedBlocks };
}
