// Cell allocation inside the hive bins of a hive being edited. Free cells (positive size) are
// indexed once; allocation takes the best-fitting free cell and splits off the remainder;
// freeing marks the cell free and coalesces it with free neighbours in the same hbin; a new
// hbin is appended only when no free cell is large enough. Spec: msuhanov regf specification
// ("Cells": size < 0 allocated, > 0 free, multiples of 8, never crossing an hbin).

import { CorruptError } from '../errors.js';
import { HBIN_START } from './base-block.js';
import { HBIN_HEADER } from './cells.js';
import type { Hive } from './hive.js';

const HBIN_HEADER_SIZE = 32;

export class CellAllocator {
  /** Free cells: offset → length. */
  private free = new Map<number, number>();
  /** Start offsets of the hbins, ascending, with their sizes. */
  private bins: { start: number; size: number }[] = [];
  /** How many bytes were appended as new hbins. */
  grownBy = 0;

  constructor(private readonly hive: Hive) {
    const view = hive.view;
    for (let bin = HBIN_START; bin < hive.dataEnd; ) {
      const size = view.getUint32(bin + 8, true);
      this.bins.push({ start: bin, size });
      for (let cell = bin + HBIN_HEADER_SIZE; cell < bin + size; ) {
        const raw = view.getInt32(cell, true);
        if (raw > 0) this.free.set(cell, raw);
        cell += raw < 0 ? -raw : raw;
      }
      bin += size;
    }
  }

  /** Allocates a cell with room for `payload` bytes (plus the 4-byte size); returns its offset. */
  allocate(payload: number): number {
    const need = (payload + 4 + 7) & ~7;
    let best = -1;
    let bestSize = Infinity;
    for (const [offset, size] of this.free) {
      if (size >= need && size < bestSize) {
        best = offset;
        bestSize = size;
        if (size === need) break;
      }
    }
    if (best < 0) {
      best = this.appendBin(need);
      bestSize = this.free.get(best)!;
    }
    this.free.delete(best);
    const view = this.hive.view;
    let size = bestSize;
    if (bestSize - need >= 8) {
      const rest = best + need;
      view.setInt32(rest, bestSize - need, true);
      this.hive.markCell(rest, true);
      this.free.set(rest, bestSize - need);
      size = need;
    }
    view.setInt32(best, -size, true);
    this.hive.bytes.fill(0, best + 4, best + size);
    this.hive.markCell(best, true);
    return best;
  }

  /** Marks the cell at `offset` free and merges it with free neighbours in its hbin. */
  release(offset: number): void {
    const view = this.hive.view;
    const raw = view.getInt32(offset, true);
    if (raw >= 0) throw new CorruptError('freeing a cell that is not allocated', { structure: 'hbin cell', offset });
    let start = offset;
    let size = -raw;
    const bin = this.binOf(offset);
    const binEnd = bin.start + bin.size;
    // Merge with the following cell when it is free.
    const next = start + size;
    if (next < binEnd && view.getInt32(next, true) > 0) {
      size += view.getInt32(next, true);
      this.free.delete(next);
      this.hive.markCell(next, false);
    }
    // Merge with the preceding cell when it is free: walk the hbin to find it.
    let previous = -1;
    for (let cell = bin.start + HBIN_HEADER_SIZE; cell < start; ) {
      previous = cell;
      const r = view.getInt32(cell, true);
      cell += r < 0 ? -r : r;
    }
    if (previous >= 0 && view.getInt32(previous, true) > 0) {
      size += view.getInt32(previous, true);
      this.free.delete(previous);
      this.hive.markCell(start, false);
      start = previous;
    }
    view.setInt32(start, size, true);
    this.free.set(start, size);
  }

  private binOf(offset: number): { start: number; size: number } {
    let lo = 0;
    let hi = this.bins.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.bins[mid]!.start <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.bins[lo]!;
  }

  /** Appends an hbin large enough for a cell of `need` bytes; returns the free cell in it. */
  private appendBin(need: number): number {
    const hive = this.hive;
    const size = Math.ceil((need + HBIN_HEADER_SIZE) / 4096) * 4096;
    const start = hive.dataEnd;
    const end = start + size;
    let bytes = hive.bytes;
    if (end > bytes.length) {
      // Grow with headroom so repeated appends do not copy the hive each time.
      const grown = new Uint8Array(Math.max(end, Math.min(bytes.length * 2, bytes.length + (16 << 20))));
      grown.set(bytes.subarray(0, start));
      bytes = grown;
    } else {
      bytes.fill(0, start, end);
    }
    hive.replaceBytes(bytes, end);
    HBIN_HEADER.encode({ signature: new Uint8Array(0) /* magic() writes 'hbin' */, offset: start - HBIN_START, size, reserved: new Uint8Array(8), timestamp: 0n, spare: 0 }, bytes, start);
    const cell = start + HBIN_HEADER_SIZE;
    hive.view.setInt32(cell, size - HBIN_HEADER_SIZE, true);
    hive.markCell(cell, true);
    this.free.set(cell, size - HBIN_HEADER_SIZE);
    this.bins.push({ start, size });
    this.grownBy += size;
    return cell;
  }
}
