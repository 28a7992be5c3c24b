// The guest disk of a VMDK: its extents laid end to end, each a device of its own (a sparse
// extent, a slice of a flat file, or zeros). Reads and allocation queries are split at extent
// boundaries. ParentView gives a parent disk the child's size: a parent may be smaller (its
// missing tail reads as zeros) or larger (its tail is not part of the child).

import type { AllocationRun, BlockDevice } from '../../io/block-device.js';
import { coalesceRuns } from '../../io/block-device.js';
import { checkRange } from '../../io/checks.js';

export interface PlacedExtent {
  /** Byte offset of the extent in the guest disk. */
  readonly start: number;
  readonly device: BlockDevice;
}

export class VmdkDiskDevice implements BlockDevice {
  readonly size: number;

  constructor(
    private readonly extents: readonly PlacedExtent[],
    private readonly name: string,
  ) {
    const last = extents[extents.length - 1];
    this.size = last ? last.start + last.device.size : 0;
  }

  /** Calls `visit` for each extent piece of `[offset, offset+length)`, in order. */
  private async each<T>(range: { offset: number; length: number }, visit: (piece: { extent: PlacedExtent; inExtent: number; length: number }) => Promise<T>): Promise<T[]> {
    const { offset, length } = range;
    const results: T[] = [];
    let index = this.find(offset);
    let pos = offset;
    const end = offset + length;
    while (pos < end) {
      const extent = this.extents[index];
      if (!extent) break;
      const n = Math.min(end, extent.start + extent.device.size) - pos;
      if (n > 0) results.push(await visit({ extent, inExtent: pos - extent.start, length: n }));
      pos += Math.max(0, n);
      index++;
    }
    return results;
  }

  /** Index of the extent holding `offset` (binary search; extents are sorted and adjacent). */
  private find(offset: number): number {
    let lo = 0;
    let hi = this.extents.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.extents[mid] as PlacedExtent).start <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: this.name });
    const pieces = await this.each({ offset, length }, ({ extent, inExtent, length: n }) => extent.device.read(inExtent, n));
    if (pieces.length === 1) return pieces[0] as Uint8Array;
    const out = new Uint8Array(length);
    let at = 0;
    for (const piece of pieces) {
      out.set(piece, at);
      at += piece.length;
    }
    return out;
  }

  async allocation(offset: number, length: number): Promise<AllocationRun[]> {
    checkRange({ offset, length, size: this.size, name: this.name });
    const pieces = await this.each({ offset, length }, async ({ extent, inExtent, length: n }) => {
      const runs = extent.device.allocation ? await extent.device.allocation(inExtent, n) : [{ offset: inExtent, length: n, kind: 'data' as const }];
      return runs.map((r) => ({ ...r, offset: r.offset + extent.start }));
    });
    return coalesceRuns(pieces.flat());
  }
}

export class ParentView implements BlockDevice {
  constructor(
    private readonly parent: BlockDevice,
    readonly size: number,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'VMDK parent' });
    const inParent = Math.max(0, Math.min(length, this.parent.size - offset));
    if (inParent === length) return this.parent.read(offset, length);
    const out = new Uint8Array(length);
    if (inParent > 0) out.set(await this.parent.read(offset, inParent));
    return out;
  }

  async allocation(offset: number, length: number): Promise<AllocationRun[]> {
    checkRange({ offset, length, size: this.size, name: 'VMDK parent' });
    const inParent = Math.max(0, Math.min(length, this.parent.size - offset));
    const runs: AllocationRun[] = [];
    if (inParent > 0) {
      runs.push(...(this.parent.allocation ? await this.parent.allocation(offset, inParent) : [{ offset, length: inParent, kind: 'data' as const }]));
    }
    if (inParent < length) runs.push({ offset: offset + inParent, length: length - inParent, kind: 'zero' });
    return coalesceRuns(runs);
  }
}
