// Counts what passes through a device: bytes and reads. Audits report bytes read as a share
// of the image size, and tests assert that an operation stayed within its metadata.

import type { AllocationRun, BlockDevice } from './block-device.js';

export class CountingDevice implements BlockDevice {
  bytesRead = 0;
  reads = 0;
  constructor(private readonly base: BlockDevice) {}

  get size(): number {
    return this.base.size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    this.reads++;
    this.bytesRead += length;
    return this.base.read(offset, length);
  }

  async allocation(offset: number, length: number): Promise<AllocationRun[]> {
    return this.base.allocation ? this.base.allocation(offset, length) : [{ offset, length, kind: 'data' }];
  }
}
