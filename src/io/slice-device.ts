// A window onto another device: a partition, a VMDK flat extent, a disk inside an OVA.

import type { AllocationRun, BlockDevice, WritableBlockDevice } from './block-device.js';
import { isWritable } from './block-device.js';
import { checkRange } from './checks.js';
import { CorruptError } from '../errors.js';

export class SliceDevice implements WritableBlockDevice {
  readonly size: number;
  private readonly base: BlockDevice;
  private readonly start: number;
  private readonly name: string;

  constructor(slice: { base: BlockDevice; start: number; size: number; name?: string }) {
    const { base, start, size } = slice;
    this.name = slice.name ?? 'slice';
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(size) || start < 0 || size < 0 || start + size > base.size) {
      throw new CorruptError(`slice ${start}+${size} lies outside a device of ${base.size} bytes`, {
        structure: this.name,
        offset: start,
      });
    }
    this.base = base;
    this.start = start;
    this.size = size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: this.name });
    return this.base.read(this.start + offset, length);
  }

  async allocation(offset: number, length: number): Promise<AllocationRun[]> {
    checkRange({ offset, length, size: this.size, name: this.name });
    if (!this.base.allocation) return [{ offset, length, kind: 'data' }];
    const runs = await this.base.allocation(this.start + offset, length);
    return runs.map((r) => ({ ...r, offset: r.offset - this.start }));
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange({ offset, length: data.length, size: this.size, name: this.name });
    if (!isWritable(this.base)) throw new Error(`${this.name}: base device is read-only`);
    await this.base.write(this.start + offset, data);
  }

  async flush(): Promise<void> {
    if (isWritable(this.base)) await this.base.flush();
  }
}
