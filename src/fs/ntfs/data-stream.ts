// Reads the bytes of one attribute (a file's $DATA stream, an index allocation, $MFT itself)
// as a BlockDevice: resident values from the record; non-resident data through its runs,
// with sparse runs and everything past the initialized size reading as zeros; compressed
// attributes one compression unit at a time through LZNT1.
// Spec: libyal libfsntfs "Compression"; ntfs-3g compress.c ntfs_compressed_attr_pread.
// Quirks relied on: a compression unit whose clusters are all allocated is stored raw; one
// with a sparse tail holds LZNT1 chunks in its allocated clusters; an all-sparse unit is zeros.

import type { BlockDevice } from '../../io/block-device.js';
import { CorruptError, UnsupportedError } from '../../errors.js';
import { SPARSE_LCN, type DataRun } from './runlist.js';
import { decompressLznt1 } from './lznt1.js';
import { ATTR_COMPRESSION_MASK, ATTR_IS_ENCRYPTED } from './attribute-types.js';

/** What a stream needs to know about its (merged) attribute. */
export interface StreamSource {
  resident: boolean;
  value: Uint8Array | undefined;
  flags: number;
  dataSize: number;
  initializedSize: number;
  compressionUnit: number;
  runs: readonly DataRun[];
  /** For error messages, e.g. "record 42 $DATA:stream". */
  description: string;
}

/** Finds the index of the run that holds `vcn` (runs sorted by VCN), or -1. */
function findRun(runs: readonly DataRun[], vcn: number): number {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const run = runs[mid]!;
    if (vcn < run.vcn) hi = mid - 1;
    else if (vcn >= run.vcn + run.length) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export class AttributeStream implements BlockDevice {
  readonly size: number;
  private readonly unitBytes: number;

  private readonly device: BlockDevice;
  private readonly clusterSize: number;
  private readonly source: StreamSource;

  constructor(args: { device: BlockDevice; clusterSize: number; source: StreamSource }) {
    const { device, clusterSize, source } = args;
    this.device = device;
    this.clusterSize = clusterSize;
    this.source = source;
    this.size = source.dataSize;
    if (!source.resident && (source.flags & ATTR_IS_ENCRYPTED) !== 0) {
      throw new UnsupportedError(`${source.description} is EFS-encrypted`, { structure: 'NTFS attribute' });
    }
    const compressed = !source.resident && (source.flags & ATTR_COMPRESSION_MASK) !== 0;
    if (compressed && source.compressionUnit === 0) {
      throw new CorruptError(`${source.description} is compressed but has no compression unit`, { structure: 'NTFS attribute' });
    }
    this.unitBytes = compressed ? clusterSize * 2 ** source.compressionUnit : 0;
    if (!source.resident) {
      // The runs must map every cluster up to the initialized size (sparse runs count).
      const last = source.runs[source.runs.length - 1];
      const mapped = last ? (last.vcn + last.length) * clusterSize : 0;
      if (Math.min(source.initializedSize, source.dataSize) > mapped) {
        throw new CorruptError(`${source.description}: ${source.initializedSize} initialized bytes but runs map only ${mapped}`, { structure: 'NTFS attribute' });
      }
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new CorruptError(`read of ${length} bytes at ${offset} past the end of ${this.source.description} (${this.size} bytes)`, { structure: 'NTFS attribute' });
    }
    const out = new Uint8Array(length);
    if (length === 0) return out;
    if (this.source.resident) {
      const value = this.source.value!;
      out.set(value.subarray(Math.min(offset, value.length), Math.min(offset + length, value.length)));
      return out;
    }
    const initialized = Math.min(this.source.initializedSize, this.size);
    const end = Math.min(offset + length, initialized);
    if (end <= offset) return out;
    if (this.unitBytes > 0) await this.readCompressed(out, offset, end);
    else await this.readPlain({ out, from: offset, to: end, base: offset });
    return out;
  }

  /** Copies `[from, to)` of the stream into `out` at `from - base`, through the runs. */
  private async readPlain(args: { out: Uint8Array; from: number; to: number; base: number }): Promise<void> {
    const { out, from, to, base } = args;
    const cs = this.clusterSize;
    const runs = this.source.runs;
    let position = from;
    const pending: Promise<void>[] = [];
    while (position < to) {
      const vcn = Math.floor(position / cs);
      const index = findRun(runs, vcn);
      if (index < 0) {
        throw new CorruptError(`${this.source.description}: no run maps VCN ${vcn}`, { structure: 'NTFS data run' });
      }
      const run = runs[index]!;
      const runEnd = Math.min(to, (run.vcn + run.length) * cs);
      if (run.lcn !== SPARSE_LCN) {
        const deviceOffset = run.lcn * cs + (position - run.vcn * cs);
        const at = position - base;
        const n = runEnd - position;
        pending.push(this.device.read(deviceOffset, n).then((bytes) => out.set(bytes, at)));
        if (pending.length >= 64) await Promise.all(pending.splice(0));
      }
      position = runEnd;
    }
    await Promise.all(pending);
  }

  private async readCompressed(out: Uint8Array, from: number, to: number): Promise<void> {
    const unit = this.unitBytes;
    const cs = this.clusterSize;
    const unitClusters = unit / cs;
    for (let unitStart = Math.floor(from / unit) * unit; unitStart < to; unitStart += unit) {
      const firstVcn = unitStart / cs;
      // Count the allocated clusters of this unit and whether it has any sparse part.
      let allocated = 0;
      let sparse = 0;
      let vcn = firstVcn;
      while (vcn < firstVcn + unitClusters) {
        const index = findRun(this.source.runs, vcn);
        if (index < 0) break;
        const run = this.source.runs[index]!;
        const n = Math.min(run.vcn + run.length, firstVcn + unitClusters) - vcn;
        if (run.lcn === SPARSE_LCN) sparse += n;
        else allocated += n;
        vcn += n;
      }
      const wantFrom = Math.max(from, unitStart);
      const wantTo = Math.min(to, unitStart + unit);
      if (allocated === 0) continue; // all sparse: zeros
      if (sparse === 0 && allocated === unitClusters) {
        await this.readPlain({ out, from: wantFrom, to: wantTo, base: from });
        continue;
      }
      const stored = new Uint8Array(allocated * cs);
      await this.readPlain({ out: stored, from: unitStart, to: unitStart + allocated * cs, base: unitStart });
      const plain = new Uint8Array(unit);
      decompressLznt1(stored, plain);
      out.set(plain.subarray(wantFrom - unitStart, wantTo - unitStart), wantFrom - from);
    }
  }
}
