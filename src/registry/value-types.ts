// Registry value types (winnt.h REG_*) and the typed decoding of value data. Quirks relied on:
// REG_SZ/EXPAND_SZ/LINK are UTF-16LE and may or may not end with a NUL (and may carry junk
// after the first NUL, which Windows ignores); REG_MULTI_SZ is NUL-separated with a final
// empty string, but the terminators are often missing; DWORD is 4 bytes LE, DWORD_BIG_ENDIAN
// 4 bytes BE, QWORD 8 bytes LE. Any other type, or a size that does not fit the type, is kept
// as raw bytes.

export const REG_NONE = 0;
export const REG_SZ = 1;
export const REG_EXPAND_SZ = 2;
export const REG_BINARY = 3;
export const REG_DWORD = 4;
export const REG_DWORD_BIG_ENDIAN = 5;
export const REG_LINK = 6;
export const REG_MULTI_SZ = 7;
export const REG_RESOURCE_LIST = 8;
export const REG_FULL_RESOURCE_DESCRIPTOR = 9;
export const REG_RESOURCE_REQUIREMENTS_LIST = 10;
export const REG_QWORD = 11;

export const VALUE_TYPE_NAMES: Record<number, string> = {
  0: 'REG_NONE', 1: 'REG_SZ', 2: 'REG_EXPAND_SZ', 3: 'REG_BINARY', 4: 'REG_DWORD', 5: 'REG_DWORD_BIG_ENDIAN',
  6: 'REG_LINK', 7: 'REG_MULTI_SZ', 8: 'REG_RESOURCE_LIST', 9: 'REG_FULL_RESOURCE_DESCRIPTOR',
  10: 'REG_RESOURCE_REQUIREMENTS_LIST', 11: 'REG_QWORD',
};

export function typeName(type: number): string {
  return VALUE_TYPE_NAMES[type] ?? `0x${type.toString(16)}`;
}

export type TypedValue =
  | { type: 'string'; regType: number; value: string }
  | { type: 'multi-string'; regType: number; value: string[] }
  | { type: 'dword'; regType: number; value: number }
  | { type: 'qword'; regType: number; value: bigint }
  | { type: 'bytes'; regType: number; value: Uint8Array };

const utf16 = new TextDecoder('utf-16le');

/** A UTF-16LE string up to its first NUL (or the end; an odd last byte is dropped). */
export function decodeRegString(data: Uint8Array): string {
  let end = data.length & ~1;
  for (let i = 0; i + 1 < end; i += 2) {
    if (data[i] === 0 && data[i + 1] === 0) {
      end = i;
      break;
    }
  }
  return utf16.decode(data.subarray(0, end));
}

/** NUL-separated UTF-16LE strings; stops at an empty string (the list terminator) or the end. */
export function decodeMultiString(data: Uint8Array): string[] {
  const out: string[] = [];
  const end = data.length & ~1;
  let start = 0;
  for (let i = 0; i <= end; i += 2) {
    if (i === end || (data[i] === 0 && data[i + 1] === 0)) {
      if (i === start) break;
      out.push(utf16.decode(data.subarray(start, i)));
      start = i + 2;
    }
  }
  return out;
}

export function decodeTyped(regType: number, data: Uint8Array): TypedValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (regType) {
    case REG_SZ:
    case REG_EXPAND_SZ:
    case REG_LINK:
      return { type: 'string', regType, value: decodeRegString(data) };
    case REG_MULTI_SZ:
      return { type: 'multi-string', regType, value: decodeMultiString(data) };
    case REG_DWORD:
      if (data.length === 4) return { type: 'dword', regType, value: view.getUint32(0, true) };
      break;
    case REG_DWORD_BIG_ENDIAN:
      if (data.length === 4) return { type: 'dword', regType, value: view.getUint32(0, false) };
      break;
    case REG_QWORD:
      if (data.length === 8) return { type: 'qword', regType, value: view.getBigUint64(0, true) };
      break;
  }
  return { type: 'bytes', regType, value: data };
}

/** Encodes a string as UTF-16LE with a terminating NUL (what Windows stores for REG_SZ). */
export function encodeRegString(value: string): Uint8Array {
  const out = new Uint8Array(value.length * 2 + 2);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    out[i * 2] = c & 0xff;
    out[i * 2 + 1] = c >> 8;
  }
  return out;
}

/** Encodes strings as REG_MULTI_SZ: each NUL-terminated, then a final NUL. */
export function encodeMultiString(values: readonly string[]): Uint8Array {
  const total = values.reduce((n, s) => n + s.length * 2 + 2, 2);
  const out = new Uint8Array(total);
  let at = 0;
  for (const s of values) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      out[at++] = c & 0xff;
      out[at++] = c >> 8;
    }
    at += 2;
  }
  return out;
}
