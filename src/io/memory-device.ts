// A device over a Uint8Array: tests, decompressed images, and small staged volumes.

import type { WritableBlockDevice } from './block-device.js';
import { checkRange } from './checks.js';

export class MemoryDevice implements WritableBlockDevice {
  constructor(
    readonly bytes: Uint8Array,
    readonly name = 'memory device',
  ) {}

  get size(): number {
    return this.bytes.length;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: this.name });
    return this.bytes.slice(offset, offset + length);
  }

  async write(offset: number, data: Uint8Array): Promise<void> {
    checkRange({ offset, length: data.length, size: this.size, name: this.name });
    this.bytes.set(data, offset);
  }

  async flush(): Promise<void> {}
}
