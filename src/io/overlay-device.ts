// Copy-on-write over a read-only device: writes land in aligned chunks held in memory, reads
// merge them over the base. The source is never written; a commit step later decides where
// the changed chunks go (a qcow2 overlay, a standalone image, or in place with an undo
// journal). Chunks are kept sorted by index so commits and journals walk them in disk order.

import type { AllocationRun, BlockDevice, WritableBlockDevice } from './block-device.js';
import { coalesceRuns } from './block-device.js';
import { checkRange } from './checks.js';

export interface ChangedChunk {
  offset: number;
  data: Uint8Array;
}

export class OverlayDevice implements WritableBlockDevice {
  readonly size: number;
  readonly chunkSize: number;
  private readonly chunks = new Map<number, Uint8Array>();

  constructor(
    private readonly base: BlockDevice,
    options: { chunkSize?: number } = {},
  ) {
    this.size = base.size;
    this.chunkSize = options.chunkSize ?? 4096;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'overlay' });
    if (this.chunks.size === 0) return this.base.read(offset, length);
    const cs = this.chunkSize;
    const out = new Uint8Array(length);
    let pos = offset;
    const end = offset + length;
    while (pos < end) {
      const index = Math.floor(pos / cs);
      const chunkStart = index * cs;
      const chunk = this.chunks.get(index);
      if (chunk) {
        const to = Math.min(end, chunkStart + cs);
        out.set(chunk.subarray(pos - chunkStart, to - chunkStart), pos - offset);
        pos = to;
        continue;
      }
      // Extend over consecutive base-backed chunks and read them in one go.
      let runEnd = Math.min(end, chunkStart + cs);
      while (runEnd < end && !this.chunks.has(Math.floor(runEnd / cs))) runEnd = Math.min(end, runEnd + cs);
      out.set(await this.base.read(pos, runEnd - pos), pos - offset);
      pos = runEnd;
    }
    return out;
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange({ offset, length: data.length, size: this.size, name: 'overlay' });
    const cs = this.chunkSize;
    let pos = offset;
    const end = offset + data.length;
    while (pos < end) {
      const index = Math.floor(pos / cs);
      const chunkStart = index * cs;
      const chunkLength = Math.min(cs, this.size - chunkStart);
      let chunk = this.chunks.get(index);
      const to = Math.min(end, chunkStart + chunkLength);
      if (!chunk) {
        const whole = pos === chunkStart && to === chunkStart + chunkLength;
        chunk = whole ? new Uint8Array(chunkLength) : await this.base.read(chunkStart, chunkLength);
        this.chunks.set(index, chunk);
      }
      chunk.set(data.subarray(pos - offset, to - offset), pos - chunkStart);
      pos = to;
    }
  }

  async flush(): Promise<void> {}

  async allocation(offset: number, length: number): Promise<AllocationRun[]> {
    checkRange({ offset, length, size: this.size, name: 'overlay' });
    const baseRuns = this.base.allocation ? await this.base.allocation(offset, length) : [{ offset, length, kind: 'data' as const }];
    if (this.chunks.size === 0) return baseRuns;
    const out: AllocationRun[] = [];
    const cs = this.chunkSize;
    for (const run of baseRuns) {
      let pos = run.offset;
      const end = run.offset + run.length;
      while (pos < end) {
        const index = Math.floor(pos / cs);
        const to = Math.min(end, (index + 1) * cs);
        out.push({ offset: pos, length: to - pos, kind: this.chunks.has(index) ? 'data' : run.kind });
        pos = to;
      }
    }
    return coalesceRuns(out);
  }

  /** True when nothing was written. */
  get clean(): boolean {
    return this.chunks.size === 0;
  }

  /** The changed chunks in disk order; chunk data is the full new content of that chunk. */
  changes(): ChangedChunk[] {
    return [...this.chunks.keys()]
      .sort((a, b) => a - b)
      .map((index) => ({ offset: index * this.chunkSize, data: this.chunks.get(index) as Uint8Array }));
  }

  /**
   * A view whose allocation lists only the written chunks as data and everything else as
   * zero: what a qcow2 backed by the source must store, and no more.
   */
  changesOnly(): BlockDevice {
    return {
      size: this.size,
      read: (offset, length) => this.read(offset, length),
      allocation: async (offset, length): Promise<AllocationRun[]> => {
        const runs: AllocationRun[] = [];
        let position = offset;
        for (const change of this.changes()) {
          const start = Math.max(position, change.offset);
          const end = Math.min(offset + length, change.offset + change.data.length);
          if (end <= start) continue;
          if (start > position) runs.push({ offset: position, length: start - position, kind: 'zero' });
          runs.push({ offset: start, length: end - start, kind: 'data' });
          position = end;
        }
        if (position < offset + length) runs.push({ offset: position, length: offset + length - position, kind: 'zero' });
        return coalesceRuns(runs);
      },
    };
  }

  /** Forgets every write. */
  discard(): void {
    this.chunks.clear();
  }
}
