// GUIDs in Microsoft's mixed-endian layout (first three fields little-endian, last eight bytes
// as stored) — GPT, VHDX, NTFS object ids, registry — and in plain big-endian (RFC 4122) form.

import { CorruptError } from '../errors.js';

const hex = (b: Uint8Array, from: number, to: number): string =>
  Array.from(b.subarray(from, to), (x) => x.toString(16).padStart(2, '0')).join('');

/** Decodes a 16-byte mixed-endian GUID into lower-case `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export function decodeGuid(bytes: Uint8Array, at = 0): string {
  const b = bytes.subarray(at, at + 16);
  if (b.length < 16) throw new CorruptError('truncated GUID', { structure: 'GUID', offset: at });
  const d1 = [b[3], b[2], b[1], b[0]] as number[];
  const d2 = [b[5], b[4]] as number[];
  const d3 = [b[7], b[6]] as number[];
  const h = (xs: number[]): string => xs.map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h(d1)}-${h(d2)}-${h(d3)}-${hex(b, 8, 10)}-${hex(b, 10, 16)}`;
}

/** Decodes a 16-byte big-endian (RFC 4122 byte order) UUID. */
export function decodeUuidBE(bytes: Uint8Array, at = 0): string {
  const b = bytes.subarray(at, at + 16);
  if (b.length < 16) throw new CorruptError('truncated UUID', { structure: 'UUID', offset: at });
  return `${hex(b, 0, 4)}-${hex(b, 4, 6)}-${hex(b, 6, 8)}-${hex(b, 8, 10)}-${hex(b, 10, 16)}`;
}

function parseHex(text: string): number[] {
  const clean = text.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(clean)) throw new RangeError(`not a GUID: ${text}`);
  const out: number[] = [];
  for (let i = 0; i < 32; i += 2) out.push(parseInt(clean.slice(i, i + 2), 16));
  return out;
}

/** Encodes a GUID string in the mixed-endian layout. */
export function encodeGuid(text: string, into: Uint8Array = new Uint8Array(16), at = 0): Uint8Array {
  const b = parseHex(text);
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  order.forEach((src, i) => (into[at + i] = b[src] as number));
  return into;
}

/** Encodes a UUID string in big-endian order. */
export function encodeUuidBE(text: string, into: Uint8Array = new Uint8Array(16), at = 0): Uint8Array {
  parseHex(text).forEach((x, i) => (into[at + i] = x));
  return into;
}

/** A random version-4 GUID string. */
export function randomGuid(): string {
  return globalThis.crypto.randomUUID();
}
