// A file's content as a device: the concatenation of its extents (one for most files, several
// for a multi-extent file over 4 GiB), each already checked to lie inside the image.

import type { BlockDevice } from '../../io/block-device.js';
import { checkRange } from '../../io/checks.js';

export interface Extent {
  /** Absolute byte offset of the data in the image. */
  start: number;
  length: number;
}

export class ExtentDevice implements BlockDevice {
  readonly size: number;
  private readonly starts: number[] = [];

  constructor(
    private readonly base: BlockDevice,
    private readonly extents: Extent[],
  ) {
    let size = 0;
    for (const e of extents) {
      this.starts.push(size);
      size += e.length;
    }
    this.size = size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'ISO 9660 file' });
    const out = new Uint8Array(length);
    let done = 0;
    for (let i = 0; i < this.extents.length && done < length; i++) {
      const e = this.extents[i] as Extent;
      const logical = this.starts[i] as number;
      const pos = offset + done;
      if (pos >= logical + e.length || pos < logical) continue;
      const n = Math.min(e.length - (pos - logical), length - done);
      out.set(await this.base.read(e.start + (pos - logical), n), done);
      done += n;
    }
    return out;
  }
}
