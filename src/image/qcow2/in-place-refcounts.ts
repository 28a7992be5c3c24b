// The refcount structures of a qcow2 file as an editable model, for the in-place writer
// (docs/interop/qcow2.txt, "Host cluster management"): a refcount table of big-endian u64
// refcount block offsets (bits 9-63; 0 = no block), each block one cluster of
// 2^refcount_order-bit entries, one per host cluster. Entries of 16, 32 and 64 bits are
// big-endian; sub-byte widths (1, 2, 4 bits) pack from the least significant bit of each byte
// (the spec: "bit 0 means the least significant bit in this context"), as qemu does.
// Blocks are loaded on demand and edited in memory; `dirtyBlocks()` hands the changed ones to
// the writer, which decides when they reach the file.

import type { BlockDevice } from '../../io/block-device.js';
import { CorruptError, UnsupportedError } from '../../errors.js';
import type { Qcow2Header } from './header.js';

const TWO_32 = 2 ** 32;
/** qemu's QCOW_MAX_REFTABLE_SIZE: larger refcount tables are refused. */
export const MAX_REFCOUNT_TABLE_BYTES = 8 * 1024 * 1024;

/** Reads entry `index` of a refcount block whose entries are 2^order bits wide. */
export function getRefcount(args: { block: Uint8Array; index: number; order: number }): number {
  const { block, index, order } = args;
  const bits = 2 ** order;
  if (bits < 8) {
    const bit = index * bits;
    const byte = block[bit >> 3] as number;
    return (byte >> (bit & 7)) & ((1 << bits) - 1);
  }
  const at = index * (bits / 8);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (bits === 8) return block[at] as number;
  if (bits === 16) return view.getUint16(at);
  if (bits === 32) return view.getUint32(at);
  const hi = view.getUint32(at);
  const lo = view.getUint32(at + 4);
  if (hi >= 2 ** 21) throw new CorruptError(`refcount ${hi}:${lo} exceeds 2^53`, { structure: 'qcow2 refcount block' });
  return hi * TWO_32 + lo;
}

/** Writes entry `index`; `value` must fit in 2^order bits (the caller checks against maxRefcount). */
export function setRefcount(args: { block: Uint8Array; index: number; order: number; value: number }): void {
  const { block, index, order, value } = args;
  const bits = 2 ** order;
  if (bits < 8) {
    const bit = index * bits;
    const mask = ((1 << bits) - 1) << (bit & 7);
    const byte = block[bit >> 3] as number;
    block[bit >> 3] = (byte & ~mask) | ((value << (bit & 7)) & mask);
    return;
  }
  const at = index * (bits / 8);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  if (bits === 8) block[at] = value;
  else if (bits === 16) view.setUint16(at, value);
  else if (bits === 32) view.setUint32(at, value);
  else {
    view.setUint32(at, Math.floor(value / TWO_32));
    view.setUint32(at + 4, value % TWO_32);
  }
}

/** The largest refcount 2^order bits hold (bounded by 2^53 - 1). */
export function maxRefcount(order: number): number {
  return order >= 6 ? Number.MAX_SAFE_INTEGER : 2 ** (2 ** order) - 1;
}

interface LoadedBlock {
  offset: number;
  bytes: Uint8Array;
  /** True for blocks this model created (not yet in the file). */
  created: boolean;
  dirty: boolean;
}

export class RefcountModel {
  readonly clusterSize: number;
  readonly order: number;
  /** Refcount entries per block. */
  readonly perBlock: number;
  readonly max: number;
  /** Block offsets by table index, as read (0 = none). */
  readonly table: Float64Array;
  private readonly blocks = new Map<number, LoadedBlock>();

  private readonly file: BlockDevice;

  private constructor(parts: { file: BlockDevice; header: Qcow2Header; table: Float64Array }) {
    const { file, header, table } = parts;
    this.file = file;
    this.clusterSize = header.clusterSize;
    this.order = header.refcountOrder;
    this.perBlock = (header.clusterSize * 8) / 2 ** header.refcountOrder;
    this.max = maxRefcount(header.refcountOrder);
    this.table = table;
  }

  /** Reads and validates the refcount table the header points to. */
  static async load(file: BlockDevice, header: Qcow2Header): Promise<RefcountModel> {
    const { clusterSize } = header;
    const bytes = header.refcountTableClusters * clusterSize;
    const where = { structure: 'qcow2 header', offset: 0x30 };
    if (header.refcountTableClusters === 0 || bytes > MAX_REFCOUNT_TABLE_BYTES) {
      throw new CorruptError(`refcount_table_clusters ${header.refcountTableClusters} is outside 1..${MAX_REFCOUNT_TABLE_BYTES / clusterSize}`, { ...where, offset: 0x38 });
    }
    if (header.refcountTableOffset === 0 || header.refcountTableOffset % clusterSize !== 0 || header.refcountTableOffset + bytes > file.size) {
      throw new CorruptError(`refcount table (${bytes} bytes at ${header.refcountTableOffset}) is unaligned or outside the file of ${file.size} bytes`, where);
    }
    const raw = await file.read(header.refcountTableOffset, bytes);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const table = new Float64Array(bytes / 8);
    for (let i = 0; i < table.length; i++) {
      const hi = view.getUint32(i * 8);
      const lo = view.getUint32(i * 8 + 4);
      const at = header.refcountTableOffset + i * 8;
      if ((lo & 0x1ff) !== 0 || hi >= 2 ** 21) throw new CorruptError(`refcount table entry ${i} has reserved bits set`, { structure: 'qcow2 refcount table', offset: at });
      const offset = hi * TWO_32 + lo;
      if (offset === 0) continue;
      if (offset % clusterSize !== 0 || offset + clusterSize > file.size) {
        throw new CorruptError(`refcount block ${i} at ${offset} is unaligned or outside the file of ${file.size} bytes`, { structure: 'qcow2 refcount table', offset: at });
      }
      table[i] = offset;
    }
    return new RefcountModel({ file, header, table });
  }

  blockIndex(cluster: number): number {
    return Math.floor(cluster / this.perBlock);
  }

  /** True when block `index` exists in the file or was created here. */
  hasBlock(index: number): boolean {
    return this.blocks.has(index) || (index < this.table.length && (this.table[index] ?? 0) !== 0);
  }

  private async block(index: number): Promise<LoadedBlock | undefined> {
    const loaded = this.blocks.get(index);
    if (loaded !== undefined) return loaded;
    const offset = index < this.table.length ? (this.table[index] ?? 0) : 0;
    if (offset === 0) return undefined;
    const block: LoadedBlock = { offset, bytes: await this.file.read(offset, this.clusterSize), created: false, dirty: false };
    this.blocks.set(index, block);
    return block;
  }

  /** The refcount of a host cluster (0 where no block covers it). */
  async get(cluster: number): Promise<number> {
    const block = await this.block(this.blockIndex(cluster));
    return block === undefined ? 0 : getRefcount({ block: block.bytes, index: cluster % this.perBlock, order: this.order });
  }

  /** Adds `delta` to a cluster's refcount; refuses overflow and underflow. */
  async add(cluster: number, delta: number): Promise<void> {
    const block = await this.block(this.blockIndex(cluster));
    if (block === undefined) throw new CorruptError(`host cluster ${cluster} has no refcount block`, { structure: 'qcow2 refcount table', offset: cluster * this.clusterSize });
    const index = cluster % this.perBlock;
    const value = getRefcount({ block: block.bytes, index, order: this.order }) + delta;
    if (value < 0) {
      throw new CorruptError(`refcount of host cluster at ${cluster * this.clusterSize} would drop below zero`, { structure: 'qcow2 refcount block', offset: block.offset });
    }
    if (value > this.max) {
      throw new UnsupportedError(`refcount of host cluster at ${cluster * this.clusterSize} would exceed ${this.max} (refcount_bits ${2 ** this.order})`, {
        structure: 'qcow2 refcount block',
        offset: block.offset,
      });
    }
    setRefcount({ block: block.bytes, index, order: this.order, value });
    block.dirty = true;
  }

  /** Registers a new, all-zero block for table index `index` at host `offset`. */
  createBlock(index: number, offset: number): void {
    if (this.hasBlock(index)) throw new CorruptError(`refcount block ${index} already exists`, { structure: 'qcow2 refcount table' });
    this.blocks.set(index, { offset, bytes: new Uint8Array(this.clusterSize), created: true, dirty: true });
  }

  /** The host offset of block `index` (0 when none). */
  blockOffset(index: number): number {
    return this.blocks.get(index)?.offset ?? (index < this.table.length ? (this.table[index] ?? 0) : 0);
  }

  /** Table indexes of blocks created here. */
  createdBlocks(): number[] {
    return [...this.blocks.entries()].filter(([, b]) => b.created).map(([i]) => i).sort((a, b) => a - b);
  }

  /** Copies of every block changed since the last call, in offset order; marks them clean. */
  takeDirtyBlocks(): Array<{ offset: number; bytes: Uint8Array }> {
    const out: Array<{ offset: number; bytes: Uint8Array }> = [];
    for (const block of this.blocks.values()) {
      if (!block.dirty) continue;
      out.push({ offset: block.offset, bytes: block.bytes.slice() });
      block.dirty = false;
    }
    return out.sort((a, b) => a.offset - b.offset);
  }

  /**
   * The last host cluster at or after `from` whose refcount is not zero, or -1. Only blocks
   * that exist are read; clusters without a block are free.
   */
  async lastUsedFrom(from: number): Promise<number> {
    let last = -1;
    for (let index = this.blockIndex(from); index < this.table.length; index++) {
      const block = await this.block(index);
      if (block === undefined) continue;
      const start = Math.max(0, from - index * this.perBlock);
      for (let i = this.perBlock - 1; i >= start; i--) {
        if (getRefcount({ block: block.bytes, index: i, order: this.order }) !== 0) {
          last = index * this.perBlock + i;
          break;
        }
      }
    }
    return last;
  }
}
