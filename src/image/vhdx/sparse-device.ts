// The guest disk of a VHDX ([MS-VHDX] 2.5): the BAT gives each payload block a state and a
// 1 MiB-aligned file offset, with one sector bitmap entry after every `chunkRatio` payload
// entries. FULLY_PRESENT blocks are read from the file; PARTIALLY_PRESENT blocks (differencing
// only) take each sector from the file when its bit in the chunk's sector bitmap is set (bit 0
// of byte 0 is the first sector) and from the parent otherwise; NOT_PRESENT blocks come from
// the parent, or read as zeros without one; ZERO, UNMAPPED and UNDEFINED blocks read as zeros
// (the latter two promise no contents, and zeros are what qemu returns for them).

import type { AllocationRun, BlockDevice } from '../../io/block-device.js';
import { allocationOf, coalesceRuns } from '../../io/block-device.js';
import { checkRange } from '../../io/checks.js';
import { PAYLOAD_BLOCK_FULLY_PRESENT, PAYLOAD_BLOCK_NOT_PRESENT, PAYLOAD_BLOCK_PARTIALLY_PRESENT } from './structures.js';

const BITMAP_CACHE_ENTRIES = 64;

export interface VhdxSparseLayout {
  /** The file as replayed from the log. */
  file: BlockDevice;
  size: number;
  blockSize: number;
  logicalSectorSize: number;
  chunkRatio: number;
  /** Payload block states, one per block (BAT bits 0-2). */
  states: Uint8Array;
  /** File offset of each payload block (bytes), where the state stores one. */
  offsets: Float64Array;
  /** File offset of each chunk's sector bitmap block, or -1 when absent. */
  bitmapOffsets: Float64Array;
  parent?: BlockDevice;
}

type Source = { kind: 'file'; fileOffset: number } | { kind: 'parent' } | { kind: 'zero' };

export class VhdxSparseDevice implements BlockDevice {
  readonly size: number;
  private readonly bitmaps = new Map<number, Uint8Array>();

  constructor(private readonly layout: VhdxSparseLayout) {
    this.size = layout.size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'VHDX guest disk' });
    const out = new Uint8Array(length);
    for (const piece of await this.pieces(offset, length)) {
      const at = piece.offset - offset;
      if (piece.source.kind === 'file') out.set(await this.layout.file.read(piece.source.fileOffset, piece.length), at);
      else if (piece.source.kind === 'parent' && this.layout.parent) out.set(await readParent({ parent: this.layout.parent, offset: piece.offset, length: piece.length }), at);
    }
    return out;
  }

  async allocation(offset: number, length: number): Promise<AllocationRun[]> {
    checkRange({ offset, length, size: this.size, name: 'VHDX guest disk' });
    const runs: AllocationRun[] = [];
    const parent = this.layout.parent;
    for (const piece of await this.pieces(offset, length)) {
      if (piece.source.kind === 'file') runs.push({ offset: piece.offset, length: piece.length, kind: 'data' });
      else if (piece.source.kind === 'parent' && parent && piece.offset < parent.size) {
        const inParent = Math.min(piece.length, parent.size - piece.offset);
        runs.push(...(await allocationOf(parent, piece.offset, inParent)));
        if (inParent < piece.length) runs.push({ offset: piece.offset + inParent, length: piece.length - inParent, kind: 'zero' });
      } else runs.push({ offset: piece.offset, length: piece.length, kind: 'zero' });
    }
    return coalesceRuns(runs);
  }

  private async pieces(offset: number, length: number): Promise<Array<{ offset: number; length: number; source: Source }>> {
    const { blockSize, states, offsets, logicalSectorSize: sector } = this.layout;
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
      const state = states[block] ?? PAYLOAD_BLOCK_NOT_PRESENT;
      const fileBase = offsets[block] ?? 0;
      if (state === PAYLOAD_BLOCK_FULLY_PRESENT) {
        push(position, blockEnd - position, { kind: 'file', fileOffset: fileBase + (position - blockStart) });
      } else if (state === PAYLOAD_BLOCK_PARTIALLY_PRESENT) {
        const bitmap = await this.blockBitmap(block);
        while (position < blockEnd) {
          const s = Math.floor((position - blockStart) / sector);
          const present = ((bitmap[s >> 3] ?? 0) >> (s & 7)) & 1;
          let runEnd = Math.min(blockEnd, blockStart + (s + 1) * sector);
          while (runEnd < blockEnd) {
            const n = (runEnd - blockStart) / sector;
            if ((((bitmap[n >> 3] ?? 0) >> (n & 7)) & 1) !== present) break;
            runEnd = Math.min(blockEnd, runEnd + sector);
          }
          push(position, runEnd - position, present ? { kind: 'file', fileOffset: fileBase + (position - blockStart) } : { kind: 'parent' });
          position = runEnd;
        }
        continue;
      } else if (state === PAYLOAD_BLOCK_NOT_PRESENT && this.layout.parent) {
        push(position, blockEnd - position, { kind: 'parent' });
      } else {
        push(position, blockEnd - position, { kind: 'zero' });
      }
      position = blockEnd;
    }
    return out;
  }

  /** The part of the chunk's sector bitmap that covers `block`. */
  private async blockBitmap(block: number): Promise<Uint8Array> {
    const cached = this.bitmaps.get(block);
    if (cached) return cached;
    const { chunkRatio, blockSize, logicalSectorSize, bitmapOffsets, file } = this.layout;
    const chunk = Math.floor(block / chunkRatio);
    const bytesPerBlock = blockSize / logicalSectorSize / 8;
    const base = bitmapOffsets[chunk] ?? -1;
    // Validated at open: a partially present block always has a present bitmap.
    const bitmap = base < 0 ? new Uint8Array(bytesPerBlock) : await file.read(base + (block % chunkRatio) * bytesPerBlock, bytesPerBlock);
    if (this.bitmaps.size >= BITMAP_CACHE_ENTRIES) {
      const oldest = this.bitmaps.keys().next().value;
      if (oldest !== undefined) this.bitmaps.delete(oldest);
    }
    this.bitmaps.set(block, bitmap);
    return bitmap;
  }
}

/** Whether `next` extends the previous piece: same kind, and for file bytes, contiguous. */
function continues(previous: { length: number; source: Source }, next: Source): boolean {
  const a = previous.source;
  if (a.kind === 'file' && next.kind === 'file') return a.fileOffset + previous.length === next.fileOffset;
  return a.kind === next.kind;
}

async function readParent({ parent, offset, length }: { parent: BlockDevice; offset: number; length: number }): Promise<Uint8Array> {
  if (offset + length <= parent.size) return parent.read(offset, length);
  const out = new Uint8Array(length);
  if (offset < parent.size) out.set(await parent.read(offset, parent.size - offset), 0);
  return out;
}

