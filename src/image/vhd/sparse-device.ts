// The guest disk of a dynamic or differencing VHD: the BAT maps each block to a sector bitmap
// followed by the block's data. A sector whose bitmap bit is set is read from the block; any
// other sector reads as zeros (dynamic) or from the parent (differencing), as the VHD spec's
// "Block Allocation Table and Data Blocks" section says. Quirks relied on: the bitmap is
// most-significant-bit first (sector 0 is bit 7 of byte 0, as in blktap's libvhd); a parent
// shorter than the child reads as zeros past its end.

import type { AllocationRun, BlockDevice } from '../../io/block-device.js';
import { allocationOf, coalesceRuns } from '../../io/block-device.js';
import { checkRange } from '../../io/checks.js';
import { BAT_UNUSED } from './dynamic-header.js';

const SECTOR = 512;
/** Bitmaps kept in memory; each is block_size / 4096 bytes (512 for 2 MiB blocks). */
const BITMAP_CACHE_ENTRIES = 256;

export interface VhdSparseLayout {
  file: BlockDevice;
  size: number;
  blockSize: number;
  /** Bytes of the sector bitmap in front of each block (a multiple of 512). */
  bitmapSize: number;
  /** BAT entries: sector offset of each block's bitmap, or BAT_UNUSED. */
  bat: Uint32Array;
  /** The parent's guest disk for differencing images. */
  parent?: BlockDevice;
}

type Source = { kind: 'file'; fileOffset: number } | { kind: 'absent' };

export class VhdSparseDevice implements BlockDevice {
  readonly size: number;
  private readonly bitmaps = new Map<number, Uint8Array>();

  constructor(private readonly layout: VhdSparseLayout) {
    this.size = layout.size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'VHD guest disk' });
    const out = new Uint8Array(length);
    for (const piece of await this.pieces(offset, length)) {
      const at = piece.offset - offset;
      if (piece.source.kind === 'file') {
        out.set(await this.layout.file.read(piece.source.fileOffset, piece.length), at);
      } else if (this.layout.parent) {
        out.set(await readParent({ parent: this.layout.parent, offset: piece.offset, length: piece.length }), at);
      }
    }
    return out;
  }

  async allocation(offset: number, length: number): Promise<AllocationRun[]> {
    checkRange({ offset, length, size: this.size, name: 'VHD guest disk' });
    const runs: AllocationRun[] = [];
    for (const piece of await this.pieces(offset, length)) {
      if (piece.source.kind === 'file') {
        runs.push({ offset: piece.offset, length: piece.length, kind: 'data' });
      } else if (this.layout.parent && piece.offset < this.layout.parent.size) {
        const inParent = Math.min(piece.length, this.layout.parent.size - piece.offset);
        runs.push(...(await allocationOf(this.layout.parent, piece.offset, inParent)));
        if (inParent < piece.length) runs.push({ offset: piece.offset + inParent, length: piece.length - inParent, kind: 'zero' });
      } else {
        runs.push({ offset: piece.offset, length: piece.length, kind: 'zero' });
      }
    }
    return coalesceRuns(runs);
  }

  /** Splits a guest range into maximal pieces that come from one place. */
  private async pieces(offset: number, length: number): Promise<Array<{ offset: number; length: number; source: Source }>> {
    const { blockSize, bitmapSize, bat } = this.layout;
    const out: Array<{ offset: number; length: number; source: Source }> = [];
    const push = (start: number, len: number, source: Source): void => {
      const last = out[out.length - 1];
      if (last && last.offset + last.length === start && continues(last, source)) last.length += len;
      else out.push({ offset: start, length: len, source });
    };
    const end = offset + length;
    let position = offset;
    while (position < end) {
      const block = Math.floor(position / blockSize);
      const blockStart = block * blockSize;
      const blockEnd = Math.min(end, blockStart + blockSize);
      const entry = bat[block] ?? BAT_UNUSED;
      if (entry === BAT_UNUSED) {
        push(position, blockEnd - position, { kind: 'absent' });
        position = blockEnd;
        continue;
      }
      const bitmap = await this.bitmap(block, entry);
      const dataStart = entry * SECTOR + bitmapSize;
      while (position < blockEnd) {
        const sector = Math.floor((position - blockStart) / SECTOR);
        const present = ((bitmap[sector >> 3] ?? 0) & (0x80 >> (sector & 7))) !== 0;
        // Extend over following sectors with the same bit.
        let runEnd = Math.min(blockEnd, blockStart + (sector + 1) * SECTOR);
        while (runEnd < blockEnd) {
          const next = (runEnd - blockStart) / SECTOR;
          const nextPresent = ((bitmap[next >> 3] ?? 0) & (0x80 >> (next & 7))) !== 0;
          if (nextPresent !== present) break;
          runEnd = Math.min(blockEnd, runEnd + SECTOR);
        }
        push(position, runEnd - position, present ? { kind: 'file', fileOffset: dataStart + (position - blockStart) } : { kind: 'absent' });
        position = runEnd;
      }
    }
    return out;
  }

  private async bitmap(block: number, entry: number): Promise<Uint8Array> {
    const cached = this.bitmaps.get(block);
    if (cached) return cached;
    const bitmap = await this.layout.file.read(entry * SECTOR, this.layout.bitmapSize);
    if (this.bitmaps.size >= BITMAP_CACHE_ENTRIES) {
      const oldest = this.bitmaps.keys().next().value;
      if (oldest !== undefined) this.bitmaps.delete(oldest);
    }
    this.bitmaps.set(block, bitmap);
    return bitmap;
  }
}

/** Whether `next` extends the previous piece: both absent, or file bytes that follow on. */
function continues(previous: { length: number; source: Source }, next: Source): boolean {
  const a = previous.source;
  if (a.kind === 'absent' && next.kind === 'absent') return true;
  if (a.kind === 'file' && next.kind === 'file') return a.fileOffset + previous.length === next.fileOffset;
  return false;
}

/** Reads from a parent disk, as zeros past its end. */
async function readParent({ parent, offset, length }: { parent: BlockDevice; offset: number; length: number }): Promise<Uint8Array> {
  if (offset + length <= parent.size) return parent.read(offset, length);
  const out = new Uint8Array(length);
  if (offset < parent.size) out.set(await parent.read(offset, parent.size - offset), 0);
  return out;
}
