// A growable output buffer with a hard bound: the one place every decompressor collects its
// output, so a decompression bomb stops at `maxOutput` bytes (a CorruptError) instead of
// exhausting memory. Growth doubles, capped at the bound, so memory stays within 2× output.

import { CorruptError } from '../errors.js';

export class BoundedOutput {
  private buffer: Uint8Array;
  length = 0;

  private readonly maxOutput: number;
  private readonly structure: string;
  private readonly offset: number;

  constructor(args: { maxOutput: number; structure: string; offset: number; initial?: number }) {
    this.maxOutput = args.maxOutput;
    this.structure = args.structure;
    this.offset = args.offset;
    this.buffer = new Uint8Array(Math.max(16, Math.min(args.initial ?? 64 * 1024, args.maxOutput)));
  }

  /** Throws when `extra` more bytes would pass the bound. */
  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed > this.maxOutput) {
      throw new CorruptError(`output exceeds the ${this.maxOutput}-byte bound (decompression bomb or wrong bound)`, {
        structure: this.structure,
        offset: this.offset,
      });
    }
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(Math.min(size, this.maxOutput));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  push(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
  }

  /** Direct access for decoders that copy matches inside the output (LZ77 back-references). */
  get bytes(): Uint8Array {
    return this.buffer;
  }

  result(): Uint8Array {
    return this.buffer.length === this.length ? this.buffer : this.buffer.slice(0, this.length);
  }
}
