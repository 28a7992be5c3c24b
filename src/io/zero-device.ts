// A device of a given size that reads as zeros: the base under an image with no backing file.

import type { AllocationRun, BlockDevice } from './block-device.js';
import { checkRange } from './checks.js';

export class ZeroDevice implements BlockDevice {
  constructor(readonly size: number) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'zero device' });
    return new Uint8Array(length);
  }

  async allocation(offset: number, length: number): Promise<AllocationRun[]> {
    return [{ offset, length, kind: 'zero' }];
  }
}
