// Sequential read-ahead over a device: when a read starts where the previous one ended, the
// next range of the same length is requested at once, so a converter's write of one window
// overlaps the read of the next instead of alternating with it (qemu-img convert keeps
// several requests in flight for the same reason). Only one window is held ahead, so memory
// stays bounded by one read; a non-sequential read simply drops it.

import type { AllocationRun, BlockDevice } from './block-device.js';
import { checkRange } from './checks.js';

/** Reads smaller than this are metadata lookups, not streaming: no read-ahead. */
const MIN_STREAMING_READ = 256 * 1024;

export class ReadAheadDevice implements BlockDevice {
  readonly size: number;
  private ahead: { offset: number; length: number; bytes: Promise<Uint8Array> } | undefined;
  private lastEnd = -1;

  constructor(private readonly base: BlockDevice) {
    this.size = base.size;
    if (base.allocation) this.allocation = (offset, length) => base.allocation!(offset, length);
  }

  allocation?(offset: number, length: number): Promise<AllocationRun[]>;

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'read-ahead device' });
    let result: Promise<Uint8Array>;
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead !== undefined && ahead.offset === offset && ahead.length === length) result = ahead.bytes;
    else result = this.base.read(offset, length);
    const sequential = offset === this.lastEnd;
    this.lastEnd = offset + length;
    const next = offset + length;
    if (sequential && length >= MIN_STREAMING_READ && next + length <= this.size) {
      const bytes = this.base.read(next, length);
      // A failed read-ahead is reported only if that range is then asked for.
      bytes.catch(() => {});
      this.ahead = { offset: next, length, bytes };
    }
    return result;
  }

  async close(): Promise<void> {
    this.ahead = undefined;
    await this.base.close?.();
  }
}
