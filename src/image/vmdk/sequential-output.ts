// Appends to an output device through large buffers, so a writer that produces many small
// records (64 KiB grains, 512-byte markers) still reaches the disk in multi-MiB writes. Two
// buffers alternate: one is being written while the other fills, so reading and compressing
// the source overlaps with writing the output.

import type { WritableBlockDevice } from '../../io/block-device.js';

const BUFFER_BYTES = 8 * 1024 * 1024;

export class SequentialOutput {
  private buffers = [new Uint8Array(BUFFER_BYTES), new Uint8Array(BUFFER_BYTES)];
  private current = 0;
  private used = 0;
  /** Byte offset where the bytes of the current buffer start. */
  private flushedTo: number;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly output: WritableBlockDevice,
    start: number,
  ) {
    this.flushedTo = start;
  }

  /** Offset the next appended byte lands at. */
  get position(): number {
    return this.flushedTo + this.used;
  }

  async append(bytes: Uint8Array): Promise<void> {
    if (bytes.length >= BUFFER_BYTES) {
      await this.flush();
      await this.output.write(this.flushedTo, bytes);
      this.flushedTo += bytes.length;
      return;
    }
    if (this.used + bytes.length > BUFFER_BYTES) await this.startWrite();
    (this.buffers[this.current] as Uint8Array).set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Appends zeros up to the next multiple of `alignment`. */
  async pad(alignment: number): Promise<void> {
    const rest = this.position % alignment;
    if (rest !== 0) await this.append(new Uint8Array(alignment - rest));
  }

  /** Hands the current buffer to the device and switches to the other once its write is done. */
  private async startWrite(): Promise<void> {
    await this.pending;
    if (this.used === 0) return;
    const data = (this.buffers[this.current] as Uint8Array).subarray(0, this.used);
    const write = this.output.write(this.flushedTo, data);
    // A failed write surfaces at the next flush; until then it must not count as unhandled.
    write.catch(() => {});
    this.pending = write;
    this.flushedTo += this.used;
    this.used = 0;
    this.current ^= 1;
  }

  /** Writes everything appended so far and waits for it. */
  async flush(): Promise<void> {
    await this.startWrite();
    await this.pending;
  }
}
