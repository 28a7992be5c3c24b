// The guest disk of a qcow2 image as a BlockDevice (docs/interop/qcow2.txt, "Cluster
// mapping"). A guest range is first mapped to segments (host data, zeros, backing, compressed)
// through the L1 table and cached L2 tables, then read: neighbouring data clusters that are
// also neighbours in the file become one file read, zeros are never read, and unallocated
// ranges read through to the backing device (zeros past its end, as qemu does). allocation()
// reports the same segments, so converters never read holes. Quirk relied on: qemu reads a
// data cluster whose tail lies past the end of the file as zeros there; so do we, while a
// cluster that starts past the end is corrupt.

import type { AllocationRun, BlockDevice } from '../../io/block-device.js';
import { allocationOf, coalesceRuns } from '../../io/block-device.js';
import { checkRange } from '../../io/checks.js';
import type { Qcow2Header } from './header.js';
import { decodeStandard, decodeSubcluster, standardOffset, type EntryContext, type Mapping } from './l2-entry.js';
import { decompressCluster } from './compressed.js';

export type Segment =
  | { kind: 'data'; offset: number; length: number; host: number }
  | { kind: 'zero'; offset: number; length: number }
  | { kind: 'backing'; offset: number; length: number }
  | { kind: 'compressed'; offset: number; length: number; host: number; compressedLength: number; clusterStart: number };

/** Total bytes of L2 tables kept in memory. */
const L2_CACHE_BYTES = 32 * 1024 * 1024;
const COMPRESSED_CACHE_ENTRIES = 16;
const SUBCLUSTERS = 32;
const PARALLEL_READS = 8;

export interface Qcow2DeviceOptions {
  file: BlockDevice;
  header: Qcow2Header;
  /** L2 table offsets by L1 index; 0 where no table is allocated. Already validated. */
  l1: Float64Array;
  backing?: BlockDevice;
}

export class Qcow2Device implements BlockDevice {
  readonly size: number;
  private readonly file: BlockDevice;
  private readonly header: Qcow2Header;
  private readonly l1: Float64Array;
  private readonly backing: BlockDevice | undefined;
  private readonly clusterSize: number;
  private readonly subclusterSize: number;
  private readonly l2Cache = new Map<number, Promise<Uint8Array>>();
  private readonly l2CacheLimit: number;
  private readonly compressedCache = new Map<number, Uint8Array>();

  constructor(options: Qcow2DeviceOptions) {
    this.file = options.file;
    this.header = options.header;
    this.l1 = options.l1;
    this.backing = options.backing;
    this.size = options.header.size;
    this.clusterSize = options.header.clusterSize;
    this.subclusterSize = options.header.extendedL2 ? this.clusterSize / SUBCLUSTERS : this.clusterSize;
    this.l2CacheLimit = Math.max(4, Math.floor(L2_CACHE_BYTES / this.clusterSize));
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'qcow2 guest disk' });
    const segments = await this.map(offset, length);
    const only = segments[0];
    if (segments.length === 1 && only !== undefined && only.kind === 'data' && only.host + length <= this.file.size) {
      return this.file.read(only.host, length);
    }
    const out = new Uint8Array(length);
    // File and backing reads of one request run side by side, a bounded number at a time;
    // decompression stays in order since it is CPU-bound and shares a cache.
    let pending: Array<Promise<void>> = [];
    for (const segment of segments) {
      const at = segment.offset - offset;
      switch (segment.kind) {
        case 'zero':
          break;
        case 'data': {
          // A tail past the end of the file reads as zeros (qemu's behaviour, see header).
          const available = Math.max(0, Math.min(segment.length, this.file.size - segment.host));
          if (available > 0) pending.push(this.file.read(segment.host, available).then((bytes) => out.set(bytes, at)));
          break;
        }
        case 'compressed': {
          const cluster = await this.compressedCluster(segment);
          const from = segment.offset - segment.clusterStart;
          out.set(cluster.subarray(from, from + segment.length), at);
          break;
        }
        case 'backing': {
          const backing = this.backing;
          if (backing === undefined) break;
          const end = Math.min(segment.offset + segment.length, backing.size);
          if (end > segment.offset) pending.push(backing.read(segment.offset, end - segment.offset).then((bytes) => out.set(bytes, at)));
          break;
        }
      }
      if (pending.length >= PARALLEL_READS) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    return out;
  }

  async allocation(offset: number, length: number): Promise<AllocationRun[]> {
    checkRange({ offset, length, size: this.size, name: 'qcow2 guest disk' });
    const runs: AllocationRun[] = [];
    for (const segment of await this.map(offset, length)) {
      if (segment.kind === 'data' || segment.kind === 'compressed') {
        runs.push({ offset: segment.offset, length: segment.length, kind: 'data' });
      } else if (segment.kind === 'zero' || this.backing === undefined) {
        runs.push({ offset: segment.offset, length: segment.length, kind: 'zero' });
      } else {
        const backing = this.backing;
        const end = Math.min(segment.offset + segment.length, backing.size);
        if (end > segment.offset) runs.push(...(await allocationOf(backing, segment.offset, end - segment.offset)));
        const zeroFrom = Math.max(segment.offset, end);
        if (zeroFrom < segment.offset + segment.length) {
          runs.push({ offset: zeroFrom, length: segment.offset + segment.length - zeroFrom, kind: 'zero' });
        }
      }
    }
    return coalesceRuns(runs);
  }

  /**
   * Guest bytes this image itself stores (data and compressed clusters), not its backing.
   * Counted per distinct L2 table, so an L1 table whose entries all name one table costs one
   * table's worth of work, not one per entry.
   */
  async allocatedBytes(): Promise<number> {
    const { clusterSize } = this;
    const entries = this.header.l2Entries;
    const totalClusters = Math.ceil(this.size / clusterSize);
    const perTable = new Map<number, number>();
    let total = 0;
    for (let l1Index = 0; l1Index * entries < totalClusters; l1Index++) {
      const l2Offset = this.l1[l1Index] ?? 0;
      if (l2Offset === 0) continue;
      const count = Math.min(entries, totalClusters - l1Index * entries);
      const key = count === entries ? l2Offset : -1;
      let bytes = key >= 0 ? perTable.get(key) : undefined;
      if (bytes === undefined) {
        bytes = countStored({ table: await this.l2Table(l2Offset), count, clusterSize, extendedL2: this.header.extendedL2 });
        if (key >= 0) perTable.set(key, bytes);
      }
      total += bytes;
    }
    return total;
  }

  /**
   * Maps `[offset, offset+length)` to segments in guest order. Neighbouring data segments that
   * are also neighbours in the file are merged, as are neighbouring zero and backing segments.
   */
  async map(offset: number, length: number): Promise<Segment[]> {
    const segments: Segment[] = [];
    const end = offset + length;
    const { clusterSize, subclusterSize } = this;
    const l2Span = clusterSize * this.header.l2Entries;
    const unallocated = this.backing !== undefined ? 'backing' : 'zero';
    let position = offset;
    while (position < end) {
      const l1Index = Math.floor(position / l2Span);
      const l2Offset = this.l1[l1Index] ?? 0;
      const spanEnd = Math.min(end, (l1Index + 1) * l2Span);
      if (l2Offset === 0) {
        push(segments, { kind: unallocated, offset: position, length: spanEnd - position });
        position = spanEnd;
        continue;
      }
      const table = await this.l2Table(l2Offset);
      const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
      while (position < spanEnd) {
        const clusterIndex = Math.floor(position / clusterSize);
        const clusterStart = clusterIndex * clusterSize;
        const l2Index = clusterIndex - l1Index * this.header.l2Entries;
        const entryAt = l2Index * (this.header.extendedL2 ? 16 : 8);
        const hi = view.getUint32(entryAt);
        const lo = view.getUint32(entryAt + 4);
        const context: EntryContext = {
          clusterBits: this.header.clusterBits,
          clusterSize,
          fileSize: this.file.size,
          at: l2Offset + entryAt,
        };
        const clusterEnd = Math.min(spanEnd, clusterStart + clusterSize);
        if (!this.header.extendedL2 || (hi & 0x40000000) !== 0) {
          const mapping = decodeStandard(hi, lo, context);
          addMapping({ segments, mapping, offset: position, length: clusterEnd - position, rangeStart: clusterStart, clusterStart, unallocated });
          position = clusterEnd;
          continue;
        }
        const bitmapHi = view.getUint32(entryAt + 8);
        const bitmapLo = view.getUint32(entryAt + 12);
        while (position < clusterEnd) {
          const index = Math.floor((position - clusterStart) / subclusterSize);
          const subStart = clusterStart + index * subclusterSize;
          const subEnd = Math.min(clusterEnd, subStart + subclusterSize);
          const mapping = decodeSubcluster({ hi, lo, bitmapHi, bitmapLo, index, subclusterSize, context });
          addMapping({ segments, mapping, offset: position, length: subEnd - position, rangeStart: subStart, clusterStart, unallocated });
          position = subEnd;
        }
      }
    }
    return segments;
  }

  private l2Table(offset: number): Promise<Uint8Array> {
    const hit = this.l2Cache.get(offset);
    if (hit !== undefined) {
      this.l2Cache.delete(offset);
      this.l2Cache.set(offset, hit);
      return hit;
    }
    const pending = this.file.read(offset, this.clusterSize);
    this.l2Cache.set(offset, pending);
    pending.catch(() => this.l2Cache.delete(offset));
    if (this.l2Cache.size > this.l2CacheLimit) {
      const oldest = this.l2Cache.keys().next().value as number;
      this.l2Cache.delete(oldest);
    }
    return pending;
  }

  private async compressedCluster(segment: Extract<Segment, { kind: 'compressed' }>): Promise<Uint8Array> {
    const hit = this.compressedCache.get(segment.host);
    if (hit !== undefined) return hit;
    const compressed = await this.file.read(segment.host, segment.compressedLength);
    const cluster = decompressCluster({ compressed, clusterSize: this.clusterSize, type: this.header.compressionType, offset: segment.host });
    this.compressedCache.set(segment.host, cluster);
    if (this.compressedCache.size > COMPRESSED_CACHE_ENTRIES) {
      this.compressedCache.delete(this.compressedCache.keys().next().value as number);
    }
    return cluster;
  }
}

/** Bytes of guest data the first `count` entries of an L2 table store in this file. */
function countStored(args: { table: Uint8Array; count: number; clusterSize: number; extendedL2: boolean }): number {
  const { table, count, clusterSize, extendedL2 } = args;
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const entrySize = extendedL2 ? 16 : 8;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const hi = view.getUint32(i * entrySize);
    const lo = view.getUint32(i * entrySize + 4);
    if (hi & 0x40000000) total += clusterSize;
    else if (extendedL2) total += popcount(view.getUint32(i * entrySize + 12)) * (clusterSize / SUBCLUSTERS);
    else if ((lo & 1) === 0 && standardOffset(hi, lo) !== 0) total += clusterSize;
  }
  return total;
}

function popcount(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function addMapping(args: {
  segments: Segment[];
  mapping: Mapping;
  /** Guest offset of the part wanted. */
  offset: number;
  length: number;
  /** Guest offset the mapping's host offset corresponds to. */
  rangeStart: number;
  clusterStart: number;
  unallocated: 'backing' | 'zero';
}): void {
  const { segments, mapping, offset, length, rangeStart, clusterStart } = args;
  switch (mapping.kind) {
    case 'data':
      push(segments, { kind: 'data', offset, length, host: mapping.host + (offset - rangeStart) });
      return;
    case 'zero':
      push(segments, { kind: 'zero', offset, length });
      return;
    case 'unallocated':
      push(segments, { kind: args.unallocated, offset, length });
      return;
    case 'compressed':
      segments.push({ kind: 'compressed', offset, length, host: mapping.host, compressedLength: mapping.length, clusterStart });
      return;
  }
}

function push(segments: Segment[], segment: Segment): void {
  const last = segments[segments.length - 1];
  if (last !== undefined && last.kind === segment.kind && last.offset + last.length === segment.offset) {
    if (last.kind === 'zero' || last.kind === 'backing') {
      last.length += segment.length;
      return;
    }
    if (last.kind === 'data' && segment.kind === 'data' && last.host + last.length === segment.host) {
      last.length += segment.length;
      return;
    }
  }
  segments.push(segment);
}
