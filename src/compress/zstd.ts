// zstd (RFC 8878), one frame per call: the frame's length is found here by walking its
// header and block headers (every block header states its on-wire size: raw = size, RLE = 1,
// compressed = size), then the frame is decoded by fzstd's streaming decoder, whose output
// goes through BoundedOutput so a bomb stops at the bound. Skippable frames (magic
// 0x184D2A5?) are recognised by `zstdFrameLength` and produce no output.

import { Decompress } from 'fzstd';
import { CorruptError } from '../errors.js';
import { BoundedOutput } from './output-buffer.js';
import type { DecompressOptions, DecompressResult } from './types.js';

const ZSTD_MAGIC = 0xfd2fb528;
const MAX_BLOCK = 128 * 1024;
const FEED_SIZE = 64 * 1024;

function u32(data: Uint8Array, at: number): number {
  return ((data[at] as number) | ((data[at + 1] as number) << 8) | ((data[at + 2] as number) << 16) | ((data[at + 3] as number) << 24)) >>> 0;
}

export interface ZstdFrameInfo {
  length: number;
  skippable: boolean;
  /** Frame_Content_Size when the header states it. */
  contentSize?: number;
  blocks: number;
}

/** Walks one frame starting at `start` and returns its length; throws CorruptError if it runs past the data. */
export function zstdFrameLength(args: { data: Uint8Array; start: number; baseOffset?: number }): ZstdFrameInfo {
  const { data, start } = args;
  const baseOffset = args.baseOffset ?? 0;
  const fail = (message: string, at: number): CorruptError => new CorruptError(message, { structure: 'zstd frame', offset: baseOffset + at });
  if (start + 8 > data.length) throw fail('truncated zstd frame header', start);
  const magic = u32(data, start);
  if ((magic & 0xfffffff0) === 0x184d2a50) {
    const length = 8 + u32(data, start + 4);
    if (start + length > data.length) throw fail('skippable frame runs past the end of the data', start);
    return { length, skippable: true, blocks: 0 };
  }
  if (magic !== ZSTD_MAGIC) throw fail('bad zstd magic', start);
  const descriptor = data[start + 4] as number;
  if (descriptor & 0x08) throw fail('reserved bit set in zstd frame header descriptor', start + 4);
  const fcsFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const hasChecksum = (descriptor & 0x04) !== 0;
  const dictIdSize = [0, 1, 2, 4][descriptor & 3] as number;
  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : ([0, 2, 4, 8][fcsFlag] as number);
  let pos = start + 5 + (singleSegment ? 0 : 1) + dictIdSize;
  let contentSize: number | undefined;
  if (pos + fcsSize > data.length) throw fail('truncated zstd frame header', start);
  if (fcsSize === 1) contentSize = data[pos] as number;
  else if (fcsSize === 2) contentSize = ((data[pos] as number) | ((data[pos + 1] as number) << 8)) + 256;
  else if (fcsSize === 4) contentSize = u32(data, pos);
  else if (fcsSize === 8) contentSize = u32(data, pos) + u32(data, pos + 4) * 2 ** 32;
  pos += fcsSize;
  let blocks = 0;
  for (;;) {
    if (pos + 3 > data.length) throw fail('truncated zstd block header', pos);
    const header = (data[pos] as number) | ((data[pos + 1] as number) << 8) | ((data[pos + 2] as number) << 16);
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) throw fail('reserved zstd block type', pos);
    if (size > MAX_BLOCK) throw fail(`zstd block size ${size} exceeds 128 KiB`, pos);
    pos += 3 + (type === 1 ? 1 : size);
    blocks++;
    if (pos > data.length) throw fail('zstd block runs past the end of the data', pos);
    if (last) break;
  }
  if (hasChecksum) pos += 4;
  if (pos > data.length) throw fail('truncated zstd content checksum', pos);
  return { length: pos - start, skippable: false, blocks, ...(contentSize !== undefined ? { contentSize } : {}) };
}

export function unzstdFrame(data: Uint8Array, options: DecompressOptions): DecompressResult {
  const start = options.start ?? 0;
  const offset = (options.baseOffset ?? 0) + start;
  const frame = zstdFrameLength({ data, start, baseOffset: options.baseOffset ?? 0 });
  if (frame.skippable) return { output: new Uint8Array(0), consumed: frame.length };
  if (frame.contentSize !== undefined && frame.contentSize > options.maxOutput) {
    throw new CorruptError(`zstd frame declares ${frame.contentSize} bytes, more than the ${options.maxOutput}-byte bound`, { structure: 'zstd frame', offset });
  }
  const out = new BoundedOutput({ maxOutput: options.maxOutput, structure: 'zstd frame', offset, initial: frame.contentSize ?? 64 * 1024 });
  try {
    const decoder = new Decompress((chunk) => out.push(chunk));
    // Fed in pieces: given the whole frame at once, fzstd re-slices the remaining input after
    // every block (quadratic in the frame size).
    const end = start + frame.length;
    for (let at = start; at < end; at += FEED_SIZE) decoder.push(data.subarray(at, Math.min(end, at + FEED_SIZE)), at + FEED_SIZE >= end);
  } catch (error) {
    if (error instanceof CorruptError) throw error;
    throw new CorruptError(`zstd data: ${(error as Error).message}`, { structure: 'zstd frame', offset }, { cause: error });
  }
  if (frame.contentSize !== undefined && out.length !== frame.contentSize) {
    throw new CorruptError(`zstd frame produced ${out.length} bytes, its header says ${frame.contentSize}`, { structure: 'zstd frame', offset });
  }
  return { output: out.result(), consumed: frame.length };
}
