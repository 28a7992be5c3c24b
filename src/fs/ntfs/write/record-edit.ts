// In-memory editing of one FILE record (fixups already removed): find an attribute, replace
// it with bytes of another length (later attributes shift, bytes_in_use follows), and build
// the non-resident attribute form the writer produces (unnamed or named, never compressed).
// Spec: ntfs-3g layout.h MFT_RECORD / ATTR_RECORD; libyal libfsntfs "The attribute".
// Quirks relied on: attributes stay 8-aligned; the end marker 0xFFFFFFFF plus 4 bytes follows
// the last attribute and counts in bytes_in_use; an empty non-resident attribute has
// highest_vcn -1 and a mapping-pairs array of the terminator alone.

import { UnsupportedError } from '../../../errors.js';
import { AT_END } from '../attribute-types.js';
import { encodeRuns, type DataRun } from '../runlist.js';

export function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}
export function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function nameAt(b: Uint8Array, at: number): string {
  const len = b[at + 9]!;
  const off = u16(b, at + 10);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(u16(b, at + off + 2 * i));
  return s;
}

/** Offset of the first attribute of `type` named `name` in a fixed-up record, or -1. */
export function findAttribute(record: Uint8Array, type: number, name: string): number {
  let at = u16(record, 0x14);
  const end = u32(record, 0x18);
  for (let i = 0; i < 1024 && at + 8 <= end; i++) {
    const t = u32(record, at);
    if (t === AT_END) return -1;
    const length = u32(record, at + 4);
    if (length < 0x18) return -1;
    if (t === type && nameAt(record, at) === name) return at;
    at += length;
  }
  return -1;
}

/** Replaces the attribute at `at` by `replacement`, shifting what follows; refuses when the record overflows. */
export function replaceAttribute(record: Uint8Array, at: number, replacement: Uint8Array): void {
  const oldLength = u32(record, at + 4);
  const inUse = u32(record, 0x18);
  const allocated = u32(record, 0x1c);
  const newInUse = inUse - oldLength + replacement.length;
  if (newInUse > allocated || newInUse > record.length) {
    throw new UnsupportedError(`the attribute does not fit its MFT record (${newInUse} > ${allocated} bytes); this edit does not move attributes to extension records`, { structure: 'NTFS FILE record' });
  }
  const tail = record.slice(at + oldLength, inUse);
  record.set(replacement, at);
  record.set(tail, at + replacement.length);
  if (newInUse < inUse) record.fill(0, newInUse, inUse);
  new DataView(record.buffer, record.byteOffset).setUint32(0x18, newInUse, true);
}

/** A non-resident attribute record for `runs` (contiguous VCNs from 0) and the given sizes. */
export function buildNonResident(args: { type: number; name: string; instance: number; flags: number; runs: readonly DataRun[]; dataSize: number; clusterSize: number }): Uint8Array {
  const { type, name, instance, flags, runs, dataSize, clusterSize } = args;
  const clusters = runs.reduce((n, r) => n + r.length, 0);
  const pairs = encodeRuns(runs);
  const mappingOffset = (0x40 + name.length * 2 + 7) & ~7;
  const length = (mappingOffset + pairs.length + 7) & ~7;
  const out = new Uint8Array(length);
  const v = new DataView(out.buffer);
  v.setUint32(0x00, type, true);
  v.setUint32(0x04, length, true);
  out[0x08] = 1;
  out[0x09] = name.length;
  v.setUint16(0x0a, 0x40, true);
  v.setUint16(0x0c, flags, true);
  v.setUint16(0x0e, instance, true);
  v.setBigUint64(0x10, 0n, true); // lowest_vcn
  v.setBigInt64(0x18, BigInt(clusters - 1), true); // highest_vcn, -1 when empty
  v.setUint16(0x20, mappingOffset, true);
  out[0x22] = 0; // compression_unit
  v.setBigUint64(0x28, BigInt(clusters * clusterSize), true);
  v.setBigUint64(0x30, BigInt(dataSize), true);
  v.setBigUint64(0x38, BigInt(dataSize), true);
  for (let i = 0; i < name.length; i++) v.setUint16(0x40 + 2 * i, name.charCodeAt(i), true);
  out.set(pairs, mappingOffset);
  return out;
}

/** A resident attribute record holding `value`. */
export function buildResident(args: { type: number; name: string; instance: number; flags: number; value: Uint8Array; indexed?: number }): Uint8Array {
  const { type, name, instance, flags, value } = args;
  const valueOffset = (0x18 + name.length * 2 + 7) & ~7;
  const length = (valueOffset + value.length + 7) & ~7;
  const out = new Uint8Array(length);
  const v = new DataView(out.buffer);
  v.setUint32(0x00, type, true);
  v.setUint32(0x04, length, true);
  out[0x08] = 0;
  out[0x09] = name.length;
  v.setUint16(0x0a, 0x18, true);
  v.setUint16(0x0c, flags, true);
  v.setUint16(0x0e, instance, true);
  v.setUint32(0x10, value.length, true);
  v.setUint16(0x14, valueOffset, true);
  out[0x16] = args.indexed ?? 0;
  for (let i = 0; i < name.length; i++) v.setUint16(0x18 + 2 * i, name.charCodeAt(i), true);
  out.set(value, valueOffset);
  return out;
}

/** Removes the attribute at `at`. */
export function removeAttribute(record: Uint8Array, at: number): void {
  replaceAttribute(record, at, new Uint8Array(0));
}

/**
 * Inserts an attribute in type order (then after attributes of the same type), giving it the
 * record's next instance number unless `keepInstance`; refuses when the record overflows.
 */
export function insertAttribute(record: Uint8Array, attribute: Uint8Array, keepInstance?: number): void {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const type = u32(attribute, 0);
  let at = u16(record, 0x14);
  const end = u32(record, 0x18);
  for (let i = 0; i < 1024 && at + 8 <= end; i++) {
    const t = u32(record, at);
    if (t === AT_END || t > type) break;
    at += u32(record, at + 4);
  }
  const inUse = u32(record, 0x18);
  const allocated = u32(record, 0x1c);
  if (inUse + attribute.length > allocated) {
    throw new UnsupportedError(`the attribute does not fit its MFT record (${inUse + attribute.length} > ${allocated} bytes); this edit does not move attributes to extension records`, { structure: 'NTFS FILE record' });
  }
  const copy = attribute.slice();
  if (keepInstance !== undefined) new DataView(copy.buffer).setUint16(0x0e, keepInstance, true);
  else {
    const next = u16(record, 0x28);
    new DataView(copy.buffer).setUint16(0x0e, next, true);
    view.setUint16(0x28, (next + 1) & 0xffff, true);
  }
  const tail = record.slice(at, inUse);
  record.set(copy, at);
  record.set(tail, at + copy.length);
  view.setUint32(0x18, inUse + copy.length, true);
}
