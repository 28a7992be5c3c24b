// A read cache over a device: fixed-size aligned blocks in an LRU, with in-flight reads shared
// so two callers asking for the same block cause one read. Metadata-heavy layers (NTFS MFT,
// registry, qcow2 tables) sit on this instead of caching on their own.

import type { AllocationRun, BlockDevice } from './block-device.js';
import { checkRange } from './checks.js';

export class CachedDevice implements BlockDevice {
  readonly size: number;
  private readonly blocks = new Map<number, Promise<Uint8Array>>();
  private readonly blockSize: number;
  private readonly maxBlocks: number;

  constructor(
    private readonly base: BlockDevice,
    options: { blockSize?: number; maxBytes?: number } = {},
  ) {
    this.size = base.size;
    this.blockSize = options.blockSize ?? 64 * 1024;
    this.maxBlocks = Math.max(4, Math.floor((options.maxBytes ?? 64 * 1024 * 1024) / this.blockSize));
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'cached device' });
    const bs = this.blockSize;
    const first = Math.floor(offset / bs);
    const last = Math.floor((offset + Math.max(length, 1) - 1) / bs);
    if (length === 0) return new Uint8Array(0);
    // Large reads bypass the cache: they are file contents, not metadata.
    if (last - first + 1 > this.maxBlocks / 4) return this.base.read(offset, length);
    const out = new Uint8Array(length);
    const parts = [];
    for (let b = first; b <= last; b++) parts.push(this.block(b));
    const blocks = await Promise.all(parts);
    let written = 0;
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i] as Uint8Array;
      const blockStart = (first + i) * bs;
      const from = Math.max(offset, blockStart) - blockStart;
      const to = Math.min(offset + length, blockStart + block.length) - blockStart;
      out.set(block.subarray(from, to), written);
      written += to - from;
    }
    return out;
  }

  allocation?(offset: number, length: number): Promise<AllocationRun[]>;

  private block(index: number): Promise<Uint8Array> {
    const hit = this.blocks.get(index);
    if (hit) {
      this.blocks.delete(index);
      this.blocks.set(index, hit);
      return hit;
    }
    const start = index * this.blockSize;
    const length = Math.min(this.blockSize, this.size - start);
    const pending = this.base.read(start, length);
    this.blocks.set(index, pending);
    pending.catch(() => this.blocks.delete(index));
    if (this.blocks.size > this.maxBlocks) {
      const oldest = this.blocks.keys().next().value as number;
      this.blocks.delete(oldest);
    }
    return pending;
  }

  static wrap(base: BlockDevice, options: { blockSize?: number; maxBytes?: number } = {}): CachedDevice {
    const cached = new CachedDevice(base, options);
    if (base.allocation) cached.allocation = (offset, length) => base.allocation!(offset, length);
    return cached;
  }
}
