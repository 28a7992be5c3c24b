// LZ4 legacy frame, the format `lz4 -l` writes and the kernel's initramfs/zImage decoder
// reads (lib/decompress_unlz4.c): magic 0x184C2102, then blocks of [u32le compressed size]
// [LZ4 block], each decoding to at most 8 MiB. The frame has no end marker: it ends at the
// end of the data, at a zero size word (padding), or where another legacy magic restarts it
// (concatenated frames), as in the kernel. The LZ4 block format (lz4_Block_format.md):
// sequences of [token: literal length hi nibble, match length lo nibble][extra literal length
// bytes of 255…][literals][u16le offset][extra match length bytes], match length + 4; the
// last sequence is literals only.

import { CorruptError } from '../errors.js';
import { BoundedOutput } from './output-buffer.js';
import type { DecompressOptions, DecompressResult } from './types.js';

const LEGACY_MAGIC = 0x184c2102;
const LEGACY_BLOCK_MAX = 8 * 1024 * 1024;
/** LZ4_compressBound(8 MiB): a larger stated size cannot be a legacy block. */
const LEGACY_COMPRESSED_MAX = LEGACY_BLOCK_MAX + Math.floor(LEGACY_BLOCK_MAX / 255) + 16;

function u32(data: Uint8Array, at: number): number {
  return ((data[at] as number) | ((data[at + 1] as number) << 8) | ((data[at + 2] as number) << 16) | ((data[at + 3] as number) << 24)) >>> 0;
}

/** Decodes one LZ4 block `data[from, to)` onto the end of `out`; legacy-frame blocks are independent, so matches stay inside the block. */
export function decodeLz4Block(args: { data: Uint8Array; from: number; to: number; out: BoundedOutput; maxBlockOutput: number; baseOffset: number }): void {
  const { data, to, out } = args;
  let pos = args.from;
  const blockStart = out.length;
  const fail = (message: string): CorruptError => new CorruptError(message, { structure: 'lz4 block', offset: args.baseOffset + pos });
  while (pos < to) {
    const token = data[pos++] as number;
    let literals = token >> 4;
    if (literals === 15) {
      for (;;) {
        if (pos >= to) throw fail('truncated literal length');
        const b = data[pos++] as number;
        literals += b;
        if (b !== 255) break;
      }
    }
    if (pos + literals > to) throw fail('literals run past the block');
    if (out.length - blockStart + literals > args.maxBlockOutput) throw fail('block decodes to more than its maximum size');
    out.reserve(literals);
    // Short runs by hand: a subarray view per sequence costs more than the copy.
    if (literals < 32) {
      const bytes = out.bytes;
      let dst = out.length;
      for (let i = 0; i < literals; i++) bytes[dst++] = data[pos + i] as number;
    } else out.bytes.set(data.subarray(pos, pos + literals), out.length);
    out.length += literals;
    pos += literals;
    if (pos === to) return; // the last sequence has no match
    if (pos + 2 > to) throw fail('truncated match offset');
    const distance = (data[pos] as number) | ((data[pos + 1] as number) << 8);
    pos += 2;
    if (distance === 0 || distance > out.length - blockStart) throw fail(`match offset ${distance} points before the block`);
    let length = token & 15;
    if (length === 15) {
      for (;;) {
        if (pos >= to) throw fail('truncated match length');
        const b = data[pos++] as number;
        length += b;
        if (b !== 255) break;
      }
    }
    length += 4;
    if (out.length - blockStart + length > args.maxBlockOutput) throw fail('block decodes to more than its maximum size');
    out.reserve(length);
    const bytes = out.bytes;
    let dst = out.length;
    let src = dst - distance;
    if (distance >= length && length >= 32) bytes.copyWithin(dst, src, src + length);
    else for (let i = 0; i < length; i++) bytes[dst++] = bytes[src++] as number;
    out.length += length;
  }
  throw fail('block ends without a final literal run');
}

export function unlz4Legacy(data: Uint8Array, options: DecompressOptions): DecompressResult {
  const start = options.start ?? 0;
  const base = options.baseOffset ?? 0;
  if (start + 4 > data.length || u32(data, start) !== LEGACY_MAGIC) {
    throw new CorruptError('bad lz4 legacy magic', { structure: 'lz4 legacy frame', offset: base + start });
  }
  const out = new BoundedOutput({ maxOutput: options.maxOutput, structure: 'lz4 legacy frame', offset: base + start });
  let pos = start + 4;
  while (pos + 4 <= data.length) {
    const size = u32(data, pos);
    if (size === LEGACY_MAGIC) {
      pos += 4;
      continue;
    }
    if (size === 0) break; // zero padding after the frame, as the kernel treats it
    if (size > LEGACY_COMPRESSED_MAX) {
      // Not a block: whatever follows the frame (another segment) starts here.
      break;
    }
    if (pos + 4 + size > data.length) throw new CorruptError('lz4 block runs past the end of the data', { structure: 'lz4 legacy frame', offset: base + pos });
    decodeLz4Block({ data, from: pos + 4, to: pos + 4 + size, out, maxBlockOutput: LEGACY_BLOCK_MAX, baseOffset: base });
    pos += 4 + size;
  }
  return { output: out.result(), consumed: pos - start };
}
