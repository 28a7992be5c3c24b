// LZMA "alone" format (.lzma, what `lzma`/`xz --format=lzma` write and the kernel's unlzma
// reads): 13-byte header [properties byte lc/lp/pb][u32le dictionary size][u64le uncompressed
// size, all ones = unknown, then an end marker ends the data], then the range-coded LZMA
// stream. Our own decoder, written from the LZMA specification (lzma-specification.txt in
// the LZMA SDK), because the packaged LZMA-JS can neither bound its output (a bomb would fill
// memory) nor say how many input bytes the stream used (an initramfs may continue after it).
// The whole output is kept, so the "dictionary" is the output itself and distances are
// checked against what has been produced.

import { CorruptError } from '../errors.js';
import { BoundedOutput } from './output-buffer.js';
import type { DecompressOptions, DecompressResult } from './types.js';

const PROB_INIT = 1024;
const NUM_STATES = 12;
const POS_STATES_MAX = 16;
const END_POS_MODEL_INDEX = 14;
const NUM_FULL_DISTANCES = 128;
const MATCH_MIN_LEN = 2;

class RangeDecoder {
  range = 0xffffffff;
  code = 0;
  private readonly data: Uint8Array;
  private readonly baseOffset: number;
  pos: number;
  constructor(args: { data: Uint8Array; pos: number; baseOffset: number }) {
    this.data = args.data;
    this.pos = args.pos;
    this.baseOffset = args.baseOffset;
    if (this.next() !== 0) throw this.corrupt('range coder does not start with a zero byte');
    for (let i = 0; i < 4; i++) this.code = ((this.code * 256) + this.next()) >>> 0;
    if (this.code === this.range) throw this.corrupt('range coder initial code is invalid');
  }
  corrupt(message: string): CorruptError {
    return new CorruptError(message, { structure: 'lzma stream', offset: this.baseOffset + this.pos });
  }
  private next(): number {
    if (this.pos >= this.data.length) throw this.corrupt('truncated lzma stream');
    return this.data[this.pos++] as number;
  }
  private normalize(): void {
    if (this.range < 0x1000000) {
      this.range = (this.range * 256) >>> 0;
      this.code = ((this.code * 256) + this.next()) >>> 0;
    }
  }
  bit(probs: Uint16Array, index: number): number {
    const prob = probs[index] as number;
    const bound = (this.range >>> 11) * prob;
    let bit: number;
    if (this.code < bound) {
      this.range = bound;
      probs[index] = prob + ((2048 - prob) >> 5);
      bit = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      probs[index] = prob - (prob >> 5);
      bit = 1;
    }
    this.normalize();
    return bit;
  }
  direct(count: number): number {
    let result = 0;
    for (let i = 0; i < count; i++) {
      this.range = this.range >>> 1;
      let bit = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        bit = 1;
      }
      result = result * 2 + bit;
      this.normalize();
    }
    return result;
  }
  tree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) + this.bit(probs, base + m);
    return m - (1 << bits);
  }
  reverseTree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let symbol = 0;
    for (let i = 0; i < bits; i++) {
      const bit = this.bit(probs, base + m);
      m = (m << 1) + bit;
      symbol |= bit << i;
    }
    return symbol;
  }
}

/** Length coder: choice, choice2, low[16][8], mid[16][8], high[256]. */
class LengthDecoder {
  private readonly probs = new Uint16Array(2 + POS_STATES_MAX * 8 * 2 + 256).fill(PROB_INIT);
  decode(rc: RangeDecoder, posState: number): number {
    if (rc.bit(this.probs, 0) === 0) return rc.tree(this.probs, 2 + posState * 8, 3);
    if (rc.bit(this.probs, 1) === 0) return 8 + rc.tree(this.probs, 2 + POS_STATES_MAX * 8 + posState * 8, 3);
    return 16 + rc.tree(this.probs, 2 + POS_STATES_MAX * 16, 8);
  }
}

export function unlzma(data: Uint8Array, options: DecompressOptions): DecompressResult {
  const start = options.start ?? 0;
  const base = options.baseOffset ?? 0;
  const fail = (message: string, at: number): CorruptError => new CorruptError(message, { structure: 'lzma stream', offset: base + at });
  if (start + 13 > data.length) throw fail('truncated lzma header', start);
  let props = data[start] as number;
  if (props >= 9 * 5 * 5) throw fail(`invalid lzma properties byte ${props}`, start);
  const lc = props % 9;
  props = Math.floor(props / 9);
  const lp = props % 5;
  const pb = Math.floor(props / 5);
  if (lc + lp > 12) throw fail('lzma lc + lp too large', start);
  const view = new DataView(data.buffer, data.byteOffset + start, 13);
  const sizeLow = view.getUint32(5, true);
  const sizeHigh = view.getUint32(9, true);
  const sizeKnown = !(sizeLow === 0xffffffff && sizeHigh === 0xffffffff);
  const unpackSize = sizeHigh * 2 ** 32 + sizeLow;
  if (sizeKnown && unpackSize > options.maxOutput) throw fail(`lzma header declares ${unpackSize} bytes, more than the ${options.maxOutput}-byte bound`, start + 5);

  const rc = new RangeDecoder({ data, pos: start + 13, baseOffset: base });
  const out = new BoundedOutput({ maxOutput: options.maxOutput, structure: 'lzma stream', offset: base + start, initial: sizeKnown ? Math.max(16, unpackSize) : 1 << 20 });
  const literalProbs = new Uint16Array(0x300 << (lc + lp)).fill(PROB_INIT);
  const isMatch = new Uint16Array(NUM_STATES << 4).fill(PROB_INIT);
  const isRep = new Uint16Array(NUM_STATES).fill(PROB_INIT);
  const isRepG0 = new Uint16Array(NUM_STATES).fill(PROB_INIT);
  const isRepG1 = new Uint16Array(NUM_STATES).fill(PROB_INIT);
  const isRepG2 = new Uint16Array(NUM_STATES).fill(PROB_INIT);
  const isRep0Long = new Uint16Array(NUM_STATES << 4).fill(PROB_INIT);
  const posSlot = new Uint16Array(4 << 6).fill(PROB_INIT);
  const posDecoders = new Uint16Array(1 + NUM_FULL_DISTANCES - END_POS_MODEL_INDEX).fill(PROB_INIT);
  const align = new Uint16Array(16).fill(PROB_INIT);
  const lenDecoder = new LengthDecoder();
  const repLenDecoder = new LengthDecoder();
  const pbMask = (1 << pb) - 1;
  const lpMask = (1 << lp) - 1;
  let state = 0;
  let rep0 = 0;
  let rep1 = 0;
  let rep2 = 0;
  let rep3 = 0;

  const decodeDistance = (len: number): number => {
    const lenState = Math.min(len, 3);
    const slot = rc.tree(posSlot, lenState << 6, 6);
    if (slot < 4) return slot;
    const directBits = (slot >> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** directBits;
    if (slot < END_POS_MODEL_INDEX) return dist + rc.reverseTree(posDecoders, dist - slot, directBits);
    dist += rc.direct(directBits - 4) * 16;
    return dist + rc.reverseTree(align, 0, 4);
  };

  const copyMatch = (distance: number, length: number): void => {
    if (distance >= out.length) throw rc.corrupt(`match distance ${distance + 1} points before the start of the output`);
    if (sizeKnown) length = Math.min(length, unpackSize - out.length);
    out.reserve(length);
    const bytes = out.bytes;
    let dst = out.length;
    let src = dst - distance - 1;
    for (let i = 0; i < length; i++) bytes[dst++] = bytes[src++] as number;
    out.length += length;
  };

  for (;;) {
    if (sizeKnown && out.length >= unpackSize) break;
    const posState = out.length & pbMask;
    if (rc.bit(isMatch, (state << 4) + posState) === 0) {
      const prev = out.length > 0 ? (out.bytes[out.length - 1] as number) : 0;
      const probBase = 0x300 * (((out.length & lpMask) << lc) + (prev >> (8 - lc)));
      let symbol = 1;
      if (state >= 7) {
        if (rep0 >= out.length) throw rc.corrupt('literal match byte before the start of the output');
        let matchByte = out.bytes[out.length - rep0 - 1] as number;
        while (symbol < 0x100) {
          const matchBit = (matchByte >> 7) & 1;
          matchByte <<= 1;
          const bit = rc.bit(literalProbs, probBase + ((1 + matchBit) << 8) + symbol);
          symbol = (symbol << 1) | bit;
          if (matchBit !== bit) break;
        }
      }
      while (symbol < 0x100) symbol = (symbol << 1) | rc.bit(literalProbs, probBase + symbol);
      out.reserve(1);
      out.bytes[out.length++] = symbol & 0xff;
      state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      continue;
    }
    let len: number;
    if (rc.bit(isRep, state) === 0) {
      rep3 = rep2;
      rep2 = rep1;
      rep1 = rep0;
      len = lenDecoder.decode(rc, posState);
      state = state < 7 ? 7 : 10;
      rep0 = decodeDistance(len);
      if (rep0 === 0xffffffff) {
        // End-of-payload marker.
        if (sizeKnown && out.length !== unpackSize) throw rc.corrupt('lzma end marker before the declared size');
        if (rc.code !== 0) throw rc.corrupt('lzma stream does not end cleanly');
        break;
      }
    } else {
      if (out.length === 0) throw rc.corrupt('lzma repeat match at the start of the output');
      if (rc.bit(isRepG0, state) === 0) {
        if (rc.bit(isRep0Long, (state << 4) + posState) === 0) {
          state = state < 7 ? 9 : 11;
          copyMatch(rep0, 1);
          continue;
        }
      } else {
        let dist: number;
        if (rc.bit(isRepG1, state) === 0) dist = rep1;
        else {
          if (rc.bit(isRepG2, state) === 0) dist = rep2;
          else {
            dist = rep3;
            rep3 = rep2;
          }
          rep2 = rep1;
        }
        rep1 = rep0;
        rep0 = dist;
      }
      len = repLenDecoder.decode(rc, posState);
      state = state < 7 ? 8 : 11;
    }
    copyMatch(rep0, len + MATCH_MIN_LEN);
  }
  return { output: out.result(), consumed: rc.pos - start };
}
