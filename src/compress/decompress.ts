// One entry point over the decompressors: `decompressStream` decodes the single stream
// (gzip member, xz stream, zstd frame, lz4 legacy frame, bzip2 stream, lzma stream) that
// starts at `start`, detected by magic unless `format` is given, and says how many input
// bytes it used. `decompressAll` decodes a whole file the way the command-line tools do:
// streams of the same format back to back (gzip members, zstd frames, xz streams with their
// 4-byte-aligned stream padding), with one output bound for all of them together.

import { CorruptError, UnsupportedError } from '../errors.js';
import { bunzip2Stream } from './bzip2.js';
import { detectCompression } from './detect.js';
import { gunzipMember } from './gzip.js';
import { unlz4Legacy } from './lz4-legacy.js';
import { unlzma } from './lzma.js';
import type { Compression, DecompressOptions, DecompressResult } from './types.js';
import { unxz } from './xz.js';
import { unzstdFrame } from './zstd.js';

export interface StreamResult extends DecompressResult {
  format: Compression;
}

const DECODERS: Record<Compression, (data: Uint8Array, options: DecompressOptions) => DecompressResult> = {
  gzip: gunzipMember,
  xz: unxz,
  lzma: unlzma,
  zstd: unzstdFrame,
  'lz4-legacy': unlz4Legacy,
  bzip2: bunzip2Stream,
};

export function decompressStream(data: Uint8Array, options: DecompressOptions & { format?: Compression }): StreamResult {
  const start = options.start ?? 0;
  const detected = options.format ?? detectCompression(data, start);
  const offset = (options.baseOffset ?? 0) + start;
  if (detected === undefined) throw new CorruptError('no known compression magic', { structure: 'compressed stream', offset });
  if (detected === 'lzo') throw new UnsupportedError('lzo-compressed data is not supported', { structure: 'lzo stream', offset });
  const result = DECODERS[detected](data, options);
  return { ...result, format: detected };
}

/** Decodes every stream of the first stream's format in `data`, concatenating the outputs. */
export function decompressAll(data: Uint8Array, options: DecompressOptions & { format?: Compression }): StreamResult {
  const first = decompressStream(data, options);
  const parts: Uint8Array[] = [first.output];
  let total = first.output.length;
  let pos = (options.start ?? 0) + first.consumed;
  const base = options.baseOffset ?? 0;
  // Bounded: every stream consumes at least its magic.
  while (pos < data.length) {
    let next = pos;
    if (first.format === 'xz') while (next < data.length && data[next] === 0) next++; // stream padding
    if (next >= data.length) {
      pos = next;
      break;
    }
    const format = detectCompression(data, next);
    const skippable = first.format === 'zstd' && data[next + 3] === 0x18 && data[next + 2] === 0x4d && data[next + 1] === 0x2a && ((data[next] ?? 0) & 0xf0) === 0x50;
    if (format !== first.format && !skippable) {
      throw new CorruptError(`trailing data after the ${first.format} stream`, { structure: `${first.format} stream`, offset: base + next });
    }
    const result = decompressStream(data, { ...options, start: next, format: first.format, maxOutput: options.maxOutput - total });
    parts.push(result.output);
    total += result.output.length;
    pos = next + result.consumed;
  }
  const output = parts.length === 1 ? first.output : new Uint8Array(total);
  if (parts.length > 1) {
    let at = 0;
    for (const part of parts) {
      output.set(part, at);
      at += part.length;
    }
  }
  return { output, consumed: pos - (options.start ?? 0), format: first.format };
}
