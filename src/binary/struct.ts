// A small declarative helper for fixed-size on-disk structures: fields in spec order with
// spec names, offsets computed from the order, symmetric decode/encode, and CorruptError on
// a bad magic or a 64-bit value that does not fit a JavaScript number. Variable-length tails
// (names, lists, run lists) are decoded by hand after the fixed header; this helper does not
// try to describe them.

import { CorruptError } from '../errors.js';

export interface Field<T> {
  readonly size: number;
  decode(view: DataView, at: number, where: FieldContext): T;
  encode(view: DataView, at: number, value: T): void;
}

export interface FieldContext {
  structure: string;
  field: string;
  /** Absolute offset of the field on its device, for error messages. */
  offset: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function uint(size: 1 | 2 | 4, littleEndian: boolean): Field<number> {
  return {
    size,
    decode(view, at) {
      if (size === 1) return view.getUint8(at);
      if (size === 2) return view.getUint16(at, littleEndian);
      return view.getUint32(at, littleEndian);
    },
    encode(view, at, value) {
      if (size === 1) view.setUint8(at, value);
      else if (size === 2) view.setUint16(at, value, littleEndian);
      else view.setUint32(at, value, littleEndian);
    },
  };
}

function int(size: 1 | 2 | 4, littleEndian: boolean): Field<number> {
  return {
    size,
    decode(view, at) {
      if (size === 1) return view.getInt8(at);
      if (size === 2) return view.getInt16(at, littleEndian);
      return view.getInt32(at, littleEndian);
    },
    encode(view, at, value) {
      if (size === 1) view.setInt8(at, value);
      else if (size === 2) view.setInt16(at, value, littleEndian);
      else view.setInt32(at, value, littleEndian);
    },
  };
}

/** A u64 that must be an exact JavaScript number (offsets, sizes): larger values are corrupt. */
function u64number(littleEndian: boolean): Field<number> {
  return {
    size: 8,
    decode(view, at, where) {
      const value = view.getBigUint64(at, littleEndian);
      if (value > MAX_SAFE) {
        throw new CorruptError(`${where.field} = ${value} is larger than 2^53`, {
          structure: where.structure,
          offset: where.offset,
        });
      }
      return Number(value);
    },
    encode(view, at, value) {
      view.setBigUint64(at, BigInt(value), littleEndian);
    },
  };
}

function u64big(littleEndian: boolean): Field<bigint> {
  return {
    size: 8,
    decode: (view, at) => view.getBigUint64(at, littleEndian),
    encode: (view, at, value) => view.setBigUint64(at, value, littleEndian),
  };
}

export const u8 = uint(1, true);
export const u16le = uint(2, true);
export const u16be = uint(2, false);
export const u32le = uint(4, true);
export const u32be = uint(4, false);
export const i8 = int(1, true);
export const i16le = int(2, true);
export const i32le = int(4, true);
export const i32be = int(4, false);
/** 64-bit offsets and sizes as numbers, checked against 2^53. */
export const u64le = u64number(true);
export const u64be = u64number(false);
/** 64-bit flags, ids and FILETIMEs as bigint. */
export const u64leBig = u64big(true);
export const u64beBig = u64big(false);

export function bytes(size: number): Field<Uint8Array> {
  return {
    size,
    decode: (view, at) => new Uint8Array(view.buffer, view.byteOffset + at, size).slice(),
    encode(view, at, value) {
      new Uint8Array(view.buffer, view.byteOffset + at, size).set(value.subarray(0, size));
    },
  };
}

/** Fixed-width ASCII/Latin-1 text, cut at the first NUL. */
export function ascii(size: number): Field<string> {
  return {
    size,
    decode(view, at) {
      let text = '';
      for (let i = 0; i < size; i++) {
        const c = view.getUint8(at + i);
        if (c === 0) break;
        text += String.fromCharCode(c);
      }
      return text;
    },
    encode(view, at, value) {
      for (let i = 0; i < size; i++) view.setUint8(at + i, i < value.length ? value.charCodeAt(i) & 0xff : 0);
    },
  };
}

/** Fixed-width UTF-16 text (little- or big-endian), cut at the first NUL. */
export function utf16(size: number, littleEndian = true): Field<string> {
  return {
    size,
    decode(view, at) {
      const units: number[] = [];
      for (let i = 0; i + 1 < size; i += 2) {
        const u = view.getUint16(at + i, littleEndian);
        if (u === 0) break;
        units.push(u);
      }
      return String.fromCharCode(...units);
    },
    encode(view, at, value) {
      for (let i = 0; i + 1 < size; i += 2) {
        const u = i / 2 < value.length ? value.charCodeAt(i / 2) : 0;
        view.setUint16(at + i, u, littleEndian);
      }
    },
  };
}

/** A signature that must match; a mismatch is a CorruptError naming the structure and offset. */
export function magic(expected: string | Uint8Array): Field<Uint8Array> {
  const want = typeof expected === 'string' ? Uint8Array.from(expected, (c) => c.charCodeAt(0)) : expected;
  return {
    size: want.length,
    decode(view, at, where) {
      for (let i = 0; i < want.length; i++) {
        if (view.getUint8(at + i) !== want[i]) {
          throw new CorruptError(`bad signature: expected ${JSON.stringify(printable(want))}`, {
            structure: where.structure,
            offset: where.offset,
          });
        }
      }
      return want;
    },
    encode(view, at) {
      for (let i = 0; i < want.length; i++) view.setUint8(at + i, want[i] as number);
    },
  };
}

function printable(value: Uint8Array): string {
  return Array.from(value, (c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('');
}

type Fields = Record<string, Field<unknown>>;
export type Decoded<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

export interface DecodeOptions {
  /** Where the structure starts inside `bytes`. */
  at?: number;
  /** Absolute device offset of `bytes[0]`, so errors name the true position. */
  origin?: number;
}

export interface Struct<F extends Fields> {
  readonly name: string;
  readonly size: number;
  readonly fields: F;
  offsetOf(field: keyof F & string): number;
  decode(bytes: Uint8Array, options?: DecodeOptions): Decoded<F>;
  /** Writes `value` into `into` (a new buffer of `size` bytes when omitted) and returns it. */
  encode(value: Decoded<F>, into?: Uint8Array, at?: number): Uint8Array;
}

export function struct<F extends Fields>(name: string, fields: F): Struct<F> {
  const offsets = new Map<string, number>();
  let size = 0;
  for (const [key, field] of Object.entries(fields)) {
    offsets.set(key, size);
    size += field.size;
  }
  return {
    name,
    size,
    fields,
    offsetOf(field) {
      const offset = offsets.get(field);
      if (offset === undefined) throw new Error(`${name} has no field ${field}`);
      return offset;
    },
    decode(bytes, options = {}) {
      const at = options.at ?? 0;
      const origin = options.origin ?? 0;
      if (at < 0 || at + size > bytes.length) {
        throw new CorruptError(`truncated: need ${size} bytes, have ${Math.max(0, bytes.length - at)}`, {
          structure: name,
          offset: origin + at,
        });
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(fields)) {
        const rel = at + (offsets.get(key) as number);
        out[key] = field.decode(view, rel, { structure: name, field: key, offset: origin + rel });
      }
      return out as Decoded<F>;
    },
    encode(value, into, at = 0) {
      const target = into ?? new Uint8Array(size);
      if (at < 0 || at + size > target.length) throw new RangeError(`${name}: encode target too small`);
      const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
      for (const [key, field] of Object.entries(fields)) {
        field.encode(view, at + (offsets.get(key) as number), value[key as keyof F]);
      }
      return target;
    },
  };
}
