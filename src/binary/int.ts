// Checked integer helpers: on-disk 64-bit values become numbers only when exact, and sizes
// read from disk are checked against their container before anything is allocated.

import { CorruptError, type ErrorDetail } from '../errors.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** bigint → number, or CorruptError when the value is not exact as a number. */
export function toSafeNumber(value: bigint, detail: ErrorDetail): number {
  if (value < 0n || value > MAX_SAFE) {
    throw new CorruptError(`value ${value} does not fit in 2^53`, detail);
  }
  return Number(value);
}

/** Reads a little-endian u64 as a checked number. */
export function readU64LE(view: DataView, at: number, detail: ErrorDetail): number {
  return toSafeNumber(view.getBigUint64(at, true), detail);
}

export function readU64BE(view: DataView, at: number, detail: ErrorDetail): number {
  return toSafeNumber(view.getBigUint64(at, false), detail);
}

/** Throws CorruptError unless `[offset, offset+length)` lies inside `[0, limit)`. */
export function assertWithin(
  range: { offset: number; length: number; limit: number },
  detail: ErrorDetail,
): void {
  const { offset, length, limit } = range;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > limit) {
    throw new CorruptError(`range ${offset}+${length} lies outside its container of ${limit} bytes`, detail);
  }
}

/** Throws CorruptError when a size read from disk exceeds what may be allocated for it. */
export function assertAllocation(size: number, max: number, detail: ErrorDetail): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > max) {
    throw new CorruptError(`size ${size} exceeds the bound of ${max} bytes`, detail);
  }
}

export function divCeil(a: number, b: number): number {
  return Math.ceil(a / b);
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

export function isPowerOfTwo(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0 && Number.isInteger(Math.log2(value));
}
