// LZNT1 decompression, the NTFS compression of files with the compressed flag: data is cut
// into compression units (2^compression_unit clusters, 16 for 4 KiB clusters); a unit stored
// in fewer clusters than its size holds a sequence of chunks, each a 2-byte header (size-3 in
// bits 0-11, compressed flag in bit 15) and up to 4096 bytes of output. Compressed chunks are
// flag bytes followed by 8 tokens: a literal byte, or a 16-bit back-reference whose split
// between offset and length depends on the position inside the chunk.
// Spec: [MS-XCA] 2.5 "LZNT1"; libyal libfwnt "LZNT1 compression".

import { CorruptError } from '../../errors.js';

const CHUNK = 4096;

/**
 * Decompresses `input` into `output` (whose length is the unit size); returns the bytes
 * produced. Output beyond what the chunks produce stays zero (as Windows reads it).
 */
export function decompressLznt1(input: Uint8Array, output: Uint8Array, origin = 0): number {
  let inPos = 0;
  let outPos = 0;
  while (inPos + 2 <= input.length && outPos < output.length) {
    const header = input[inPos]! | (input[inPos + 1]! << 8);
    if (header === 0) break;
    const chunkSize = (header & 0x0fff) + 1;
    const chunkStart = inPos + 2;
    const chunkEnd = chunkStart + chunkSize;
    if (chunkEnd > input.length) throw new CorruptError('LZNT1 chunk runs past the compression unit', { structure: 'LZNT1 chunk', offset: origin + inPos });
    const outChunkStart = outPos;
    const outChunkEnd = Math.min(output.length, outChunkStart + CHUNK);
    if ((header & 0x8000) === 0) {
      // An uncompressed chunk: its bytes as they are.
      const n = Math.min(chunkSize, outChunkEnd - outPos);
      output.set(input.subarray(chunkStart, chunkStart + n), outPos);
      outPos += n;
    } else {
      let p = chunkStart;
      while (p < chunkEnd && outPos < outChunkEnd) {
        const tags = input[p++]!;
        for (let bit = 0; bit < 8 && p < chunkEnd && outPos < outChunkEnd; bit++) {
          if ((tags & (1 << bit)) === 0) {
            output[outPos++] = input[p++]!;
            continue;
          }
          if (p + 2 > chunkEnd) throw new CorruptError('LZNT1 token is truncated', { structure: 'LZNT1 chunk', offset: origin + p });
          const token = input[p]! | (input[p + 1]! << 8);
          p += 2;
          const position = outPos - outChunkStart;
          let lengthBits = 12;
          for (let i = position - 1; i >= 0x10; i >>= 1) lengthBits--;
          const length = (token & ((1 << lengthBits) - 1)) + 3;
          const distance = (token >>> lengthBits) + 1;
          if (distance > position) throw new CorruptError(`LZNT1 back-reference ${distance} reaches before its chunk`, { structure: 'LZNT1 chunk', offset: origin + p - 2 });
          const n = Math.min(length, outChunkEnd - outPos);
          for (let i = 0; i < n; i++, outPos++) output[outPos] = output[outPos - distance]!;
        }
      }
    }
    inPos = chunkEnd;
    // A chunk that produced less than 4096 bytes is zero-padded to its 4 KiB (as ntfs-3g does);
    // the next chunk's output starts at the next 4 KiB boundary.
    if (outPos < outChunkEnd && inPos + 2 <= input.length && (input[inPos]! | (input[inPos + 1]! << 8)) !== 0) {
      output.fill(0, outPos, outChunkEnd);
      outPos = outChunkEnd;
    }
  }
  return outPos;
}
