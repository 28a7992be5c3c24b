// The File Allocation Table (fatgen103 section 4): FAT12 entries packed two per three bytes,
// FAT16 16-bit, FAT32 28-bit with the top 4 bits reserved (kept as found on every write).
// Reads come from the active FAT: FAT 0, or on FAT32 with BPB_ExtFlags bit 7 set (mirroring
// off) the FAT numbered in bits 0..3. Writes are kept in memory by chunk and written on
// flush() to every FAT copy, or only to the active one when mirroring is off, so a writer
// never leaves the copies disagreeing. Chain walks are bounded by the cluster count and
// cycle-checked; a link outside 2 .. clusterCount + 1 is a CorruptError naming the cluster
// and the byte offset of its entry.

import { CorruptError } from '../../errors.js';
import type { BlockDevice, WritableBlockDevice } from '../../io/block-device.js';
import type { FatGeometry } from './boot-sector.js';

const CHUNK = 64 * 1024;

/** What a FAT entry means, independent of the FAT width. */
export type FatLink = { kind: 'free' } | { kind: 'next'; cluster: number } | { kind: 'end' } | { kind: 'bad' } | { kind: 'reserved'; value: number };

export class FatTable {
  readonly geometry: FatGeometry;
  /** Which FAT copy is read (and, with mirroring off, the only one written). */
  readonly activeFat: number;
  readonly mirrored: boolean;
  private readonly device: BlockDevice;
  private readonly chunks = new Map<number, Uint8Array>();
  private readonly dirty = new Set<number>();

  constructor(args: { device: BlockDevice; geometry: FatGeometry }) {
    this.device = args.device;
    this.geometry = args.geometry;
    const ext = args.geometry.extFlags;
    this.mirrored = args.geometry.type !== 32 || (ext & 0x80) === 0;
    this.activeFat = this.mirrored ? 0 : ext & 0x0f;
  }

  /** End-of-chain mark written for the last cluster of a chain. */
  get endMark(): number {
    return this.geometry.type === 12 ? 0xfff : this.geometry.type === 16 ? 0xffff : 0x0fffffff;
  }

  /** Byte offset (absolute on the device, in the active FAT) of a cluster's entry. */
  entryOffset(cluster: number): number {
    const g = this.geometry;
    return g.fatOffset + this.activeFat * g.fatBytes + this.relative(cluster);
  }

  /** The raw entry value (28 bits on FAT32). */
  async get(cluster: number): Promise<number> {
    const rel = this.relative(cluster);
    await this.ensure(rel, 4);
    return this.getLoaded(cluster);
  }

  /** Sets an entry (kept in memory until flush); FAT32 keeps the entry's top 4 bits. */
  async set(cluster: number, value: number): Promise<void> {
    const g = this.geometry;
    const rel = this.relative(cluster);
    await this.ensure(rel, 4);
    if (g.type === 12) {
      const v = this.byte(rel) | (this.byte(rel + 1) << 8);
      const nv = cluster & 1 ? (v & 0x000f) | ((value & 0xfff) << 4) : (v & 0xf000) | (value & 0xfff);
      this.setByte(rel, nv & 0xff);
      this.setByte(rel + 1, nv >> 8);
      return;
    }
    this.setByte(rel, value & 0xff);
    this.setByte(rel + 1, (value >> 8) & 0xff);
    if (g.type === 16) return;
    this.setByte(rel + 2, (value >> 16) & 0xff);
    this.setByte(rel + 3, (this.byte(rel + 3) & 0xf0) | ((value >> 24) & 0x0f));
  }

  /** Calls `visit` with every data cluster's entry value, in cluster order (one pass over the FAT). */
  async scan(visit: (cluster: number, value: number) => void): Promise<void> {
    const last = this.geometry.clusterCount + 1;
    for (let cluster = 2; cluster <= last; ) {
      const rel = this.relative(cluster);
      const stop = Math.min(last, cluster + 8192);
      await this.ensure(rel, this.relative(stop) - rel + 4);
      for (; cluster <= stop; cluster++) visit(cluster, this.getLoaded(cluster));
    }
  }

  private relative(cluster: number): number {
    const t = this.geometry.type;
    return t === 12 ? cluster + (cluster >> 1) : cluster * (t / 8);
  }

  private getLoaded(cluster: number): number {
    const t = this.geometry.type;
    const rel = this.relative(cluster);
    if (t === 12) {
      const v = this.byte(rel) | (this.byte(rel + 1) << 8);
      return cluster & 1 ? v >> 4 : v & 0xfff;
    }
    if (t === 16) return this.byte(rel) | (this.byte(rel + 1) << 8);
    return (this.byte(rel) | (this.byte(rel + 1) << 8) | (this.byte(rel + 2) << 16) | (this.byte(rel + 3) << 24)) & 0x0fffffff;
  }

  /** Classifies an entry value. */
  link(value: number): FatLink {
    const t = this.geometry.type;
    const bad = t === 12 ? 0xff7 : t === 16 ? 0xfff7 : 0x0ffffff7;
    if (value === 0) return { kind: 'free' };
    if (value > bad) return { kind: 'end' };
    if (value === bad) return { kind: 'bad' };
    if (value >= 2 && value <= this.geometry.clusterCount + 1) return { kind: 'next', cluster: value };
    return { kind: 'reserved', value };
  }

  /** True when `cluster` names a data cluster. */
  inRange(cluster: number): boolean {
    return cluster >= 2 && cluster <= this.geometry.clusterCount + 1;
  }

  /**
   * The clusters of the chain starting at `first`, in order. `what` names the owner for
   * errors. `limit` stops the walk early (a file needs no more than its size in clusters).
   */
  async chain(args: { first: number; what: string; limit?: number }): Promise<number[]> {
    const { first, what } = args;
    const limit = args.limit ?? Infinity;
    const out: number[] = [];
    if (!this.inRange(first)) {
      throw new CorruptError(`${what} starts at cluster ${first}, outside the data area (2..${this.geometry.clusterCount + 1})`, { structure: 'FAT cluster chain', cluster: first });
    }
    const seen = new Set<number>();
    let cluster = first;
    for (;;) {
      if (seen.has(cluster)) throw new CorruptError(`the cluster chain of ${what} loops back to cluster ${cluster}`, { structure: 'FAT cluster chain', offset: this.entryOffset(cluster), cluster });
      if (seen.size >= this.geometry.clusterCount) throw new CorruptError(`the cluster chain of ${what} is longer than the volume's ${this.geometry.clusterCount} clusters`, { structure: 'FAT cluster chain', offset: this.entryOffset(cluster), cluster });
      seen.add(cluster);
      out.push(cluster);
      if (out.length >= limit) return out;
      const value = await this.get(cluster);
      const link = this.link(value);
      if (link.kind === 'end') return out;
      if (link.kind === 'next') {
        cluster = link.cluster;
        continue;
      }
      const why = link.kind === 'free' ? 'a free entry' : link.kind === 'bad' ? 'a bad-cluster mark' : `0x${value.toString(16)}, outside the data area`;
      throw new CorruptError(`the cluster chain of ${what} is broken at cluster ${cluster}: its FAT entry holds ${why}`, { structure: 'FAT cluster chain', offset: this.entryOffset(cluster), cluster });
    }
  }

  /** Entry 1 of the active FAT (the FAT16/FAT32 clean-shutdown and hard-error bits live here). */
  async entry1(): Promise<number> {
    return this.get(1);
  }

  /** Writes every changed chunk to each FAT copy that must hold it. */
  async flush(device: WritableBlockDevice): Promise<void> {
    const g = this.geometry;
    const copies = this.mirrored ? Array.from({ length: g.numFats }, (_, i) => i) : [this.activeFat];
    for (const index of [...this.dirty].sort((a, b) => a - b)) {
      const chunk = this.chunks.get(index) as Uint8Array;
      for (const copy of copies) await device.write(g.fatOffset + copy * g.fatBytes + index * CHUNK, chunk);
    }
    this.dirty.clear();
  }

  get hasChanges(): boolean {
    return this.dirty.size > 0;
  }

  /** Loads the chunks covering [rel, rel + length) of the FAT (clipped to its size). */
  private async ensure(rel: number, length: number): Promise<void> {
    const g = this.geometry;
    const end = Math.min(g.fatBytes, rel + length);
    for (let index = Math.floor(rel / CHUNK); index * CHUNK < end; index++) {
      if (this.chunks.has(index)) continue;
      const start = index * CHUNK;
      this.chunks.set(index, await this.device.read(g.fatOffset + this.activeFat * g.fatBytes + start, Math.min(CHUNK, g.fatBytes - start)));
    }
  }

  private byte(rel: number): number {
    if (rel >= this.geometry.fatBytes) return 0;
    return (this.chunks.get(Math.floor(rel / CHUNK)) as Uint8Array)[rel % CHUNK] as number;
  }

  private setByte(rel: number, value: number): void {
    const index = Math.floor(rel / CHUNK);
    (this.chunks.get(index) as Uint8Array)[rel % CHUNK] = value;
    this.dirty.add(index);
  }
}
