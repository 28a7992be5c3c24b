// The volume's cluster allocation bitmap ($Bitmap, record 6) held in memory while writing:
// allocation searches forward from a hint (the cluster after a file's last run, so a file
// grows contiguously when it can) and wraps around; freed and allocated bits are tracked as a
// dirty byte range that flush() writes back through $Bitmap's own runs.
// Spec: ntfs-3g lcnalloc.c (allocation near a hint); libyal "$Bitmap".
// Quirk relied on: bits past the last cluster are set (mkntfs pads them); we never touch them.

import { UnsupportedError } from '../../../errors.js';
import type { DataRun } from '../runlist.js';

export class ClusterBitmap {
  private dirtyFrom = Infinity;
  private dirtyTo = -1;

  constructor(
    readonly bits: Uint8Array,
    readonly totalClusters: number,
  ) {}

  isSet(c: number): boolean {
    return ((this.bits[c >>> 3] ?? 0) & (1 << (c & 7))) !== 0;
  }

  private mark(c: number, value: boolean): void {
    const i = c >>> 3;
    if (value) this.bits[i] = this.bits[i]! | (1 << (c & 7));
    else this.bits[i] = this.bits[i]! & ~(1 << (c & 7));
    if (i < this.dirtyFrom) this.dirtyFrom = i;
    if (i > this.dirtyTo) this.dirtyTo = i;
  }

  free(runs: readonly DataRun[]): void {
    for (const run of runs) if (run.lcn >= 0) for (let c = run.lcn; c < run.lcn + run.length; c++) this.mark(c, false);
  }

  /** Marks `runs` in use again (undoes a free() when a change is abandoned). */
  claim(runs: readonly DataRun[]): void {
    for (const run of runs) if (run.lcn >= 0) for (let c = run.lcn; c < run.lcn + run.length; c++) this.mark(c, true);
  }

  /** Allocates `count` clusters, as few runs as first-fit from `hint` gives; VCNs start at `vcn`. */
  allocate(args: { count: number; hint: number; vcn: number }): DataRun[] {
    const { count } = args;
    const runs: DataRun[] = [];
    let remaining = count;
    let vcn = args.vcn;
    const total = this.totalClusters;
    const start = args.hint >= 0 && args.hint < total ? args.hint : 0;
    let c = start;
    let scanned = 0;
    while (remaining > 0 && scanned < total) {
      if (!this.isSet(c)) {
        let n = 0;
        while (n < remaining && c + n < total && !this.isSet(c + n) && scanned + n < total) n++;
        for (let i = 0; i < n; i++) this.mark(c + i, true);
        runs.push({ vcn, lcn: c, length: n });
        vcn += n;
        remaining -= n;
        scanned += n;
        c += n;
      } else {
        c++;
        scanned++;
      }
      if (c >= total) c = 0;
    }
    if (remaining > 0) {
      this.free(runs);
      throw new UnsupportedError(`the volume has no room for ${count} more clusters`, { structure: 'NTFS $Bitmap' });
    }
    return runs;
  }

  /**
   * Allocates `count` clusters as one run when a free extent that long exists (searched from
   * `hint`, wrapping), otherwise as allocate() does. For $MFT growth: every fragment of $MFT
   * costs room in record 0, which must never need an $ATTRIBUTE_LIST.
   */
  allocateContiguous(args: { count: number; hint: number; vcn: number }): DataRun[] {
    const { count } = args;
    const total = this.totalClusters;
    const start = args.hint >= 0 && args.hint < total ? args.hint : 0;
    for (const [from, to] of [[start, total], [0, start]] as const) {
      let runStart = from;
      let length = 0;
      for (let c = from; c < to; c++) {
        if (this.isSet(c)) {
          length = 0;
          runStart = c + 1;
          continue;
        }
        if (++length === count) {
          for (let i = runStart; i < runStart + count; i++) this.mark(i, true);
          return [{ vcn: args.vcn, lcn: runStart, length: count }];
        }
      }
    }
    return this.allocate(args);
  }

  /** The changed byte range since the last call, or undefined. */
  takeDirty(): { offset: number; bytes: Uint8Array } | undefined {
    if (this.dirtyTo < 0) return undefined;
    const out = { offset: this.dirtyFrom, bytes: this.bits.slice(this.dirtyFrom, this.dirtyTo + 1) };
    this.dirtyFrom = Infinity;
    this.dirtyTo = -1;
    return out;
  }
}

/** Appends `more` to `runs`, merging a run that continues the last one on disk. */
export function appendRuns(runs: DataRun[], more: readonly DataRun[]): DataRun[] {
  const out = runs.map((r) => ({ ...r }));
  for (const run of more) {
    const last = out[out.length - 1];
    if (last && last.lcn >= 0 && last.lcn + last.length === run.lcn && last.vcn + last.length === run.vcn) last.length += run.length;
    else out.push({ ...run });
  }
  return out;
}

/** Cuts runs to the first `clusters` clusters; answers the kept and the removed runs. */
export function truncateRuns(runs: readonly DataRun[], clusters: number): { kept: DataRun[]; removed: DataRun[] } {
  const kept: DataRun[] = [];
  const removed: DataRun[] = [];
  for (const run of runs) {
    if (run.vcn + run.length <= clusters) kept.push({ ...run });
    else if (run.vcn >= clusters) removed.push({ ...run });
    else {
      const keep = clusters - run.vcn;
      kept.push({ vcn: run.vcn, lcn: run.lcn, length: keep });
      removed.push({ vcn: clusters, lcn: run.lcn < 0 ? run.lcn : run.lcn + keep, length: run.length - keep });
    }
  }
  return { kept, removed };
}
