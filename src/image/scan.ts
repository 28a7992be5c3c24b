// Walks a guest disk in fixed chunks for writers: allocation runs say where holes are, and
// data chunks that are all zeros count as holes too (as qemu-img convert detects zeros).

import type { BlockDevice } from '../io/block-device.js';
import { allocationOf } from '../io/block-device.js';
import { ReadAheadDevice } from '../io/read-ahead-device.js';

export interface ScannedChunk {
  offset: number;
  length: number;
  /** The bytes, or undefined when the chunk reads as zeros. */
  data?: Uint8Array;
}

export function isAllZero(bytes: Uint8Array): boolean {
  let i = 0;
  // Word-wise where aligned; Uint32 rather than BigUint64, whose reads allocate.
  if (bytes.byteOffset % 4 === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    for (let w = 0; w < words.length; w++) if (words[w] !== 0) return false;
    i = words.length * 4;
  }
  for (; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Yields chunks of `chunkSize` (aligned to it; the last may be shorter) covering the whole
 * device, in order. Chunks in zero runs are never read.
 */
export async function* scanChunks(device: BlockDevice, options: { chunkSize: number; readSize?: number }): AsyncGenerator<ScannedChunk> {
  const { chunkSize } = options;
  const readSize = Math.max(chunkSize, Math.floor((options.readSize ?? 4 * 1024 * 1024) / chunkSize) * chunkSize);
  const runs = await allocationOf(device);
  // Reading the next window while the caller writes this one is most of a converter's speed.
  const source = new ReadAheadDevice(device);
  let runIndex = 0;
  for (let base = 0; base < device.size; base += readSize) {
    const windowEnd = Math.min(device.size, base + readSize);
    // Does any data run touch this window?
    while (runIndex < runs.length && (runs[runIndex]!.offset + runs[runIndex]!.length) <= base) runIndex++;
    let hasData = false;
    for (let r = runIndex; r < runs.length && runs[r]!.offset < windowEnd; r++) {
      if (runs[r]!.kind === 'data') { hasData = true; break; }
    }
    const window = hasData ? await source.read(base, windowEnd - base) : undefined;
    for (let offset = base; offset < windowEnd; offset += chunkSize) {
      const length = Math.min(chunkSize, windowEnd - offset);
      if (!window) { yield { offset, length }; continue; }
      const data = window.subarray(offset - base, offset - base + length);
      yield isAllZero(data) ? { offset, length } : { offset, length, data };
    }
  }
}

/** Like scanChunks, but chunks outside the source's 'data' runs are reported as not stored
 *  (`stored: false`), for writers that leave them to a backing file. */
export async function* scanDataChunks(device: BlockDevice, options: { chunkSize: number }): AsyncGenerator<ScannedChunk & { stored: boolean }> {
  const runs = await allocationOf(device);
  const { chunkSize } = options;
  let next = 0;
  for (const run of runs) {
    if (run.kind !== 'data') continue;
    const first = Math.max(next, Math.floor(run.offset / chunkSize) * chunkSize);
    for (let offset = first; offset < run.offset + run.length; offset += chunkSize) {
      next = offset + chunkSize;
      const length = Math.min(chunkSize, device.size - offset);
      yield { offset, length, data: await device.read(offset, length), stored: true };
    }
  }
}
