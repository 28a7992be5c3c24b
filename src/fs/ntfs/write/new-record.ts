// Builders for what a new file or directory consists of: the FILE record header (NTFS 3.1
// layout with the record number at 0x2c), $STANDARD_INFORMATION (3.x, 72 bytes, with the
// parent's security id), $FILE_NAME (also the $I30 key), an empty $I30 $INDEX_ROOT, and
// Win32 name validation. Names go in the Win32 namespace (1), or Win32&DOS (3) / DOS (2) when
// the writer adds 8.3 aliases (short-name.ts decides).
// Spec: ntfs-3g layout.h STANDARD_INFORMATION / FILE_NAME_ATTR / INDEX_ROOT; Microsoft
// "Naming Files, Paths, and Namespaces" (forbidden characters, trailing dot/space).

import { UnsupportedError } from '../../../errors.js';
import { AT_END, AT_FILE_NAME, AT_INDEX_ROOT, AT_STANDARD_INFORMATION } from '../attribute-types.js';
import { buildResident } from './record-edit.js';

export const FILE_ATTRIBUTE_ARCHIVE = 0x20;
export const FILE_ATTR_DUP_FILE_NAME_INDEX_PRESENT = 0x10000000;
export const NAMESPACE_WIN32 = 1;

/** Refuses names Windows cannot open. */
export function checkWin32Name(name: string): void {
  if (name.length === 0 || name.length > 255) throw new UnsupportedError(`name "${name}" must have 1 to 255 UTF-16 units`);
  if (/[\u0000-\u001f"*/:<>?\\|]/.test(name)) throw new UnsupportedError(`name "${name}" contains a character Windows forbids`);
  if (/[. ]$/.test(name)) throw new UnsupportedError(`name "${name}" ends with a dot or space, which Windows cannot open`);
  if (name === '.' || name === '..') throw new UnsupportedError(`name "${name}" is reserved`);
}

export function filetime(date: Date): bigint {
  return BigInt(date.getTime()) * 10000n + 116444736000000000n;
}

export function standardInformation(args: { time: bigint; fileAttributes: number; securityId: number }): Uint8Array {
  const out = new Uint8Array(0x48);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) v.setBigUint64(i * 8, args.time, true);
  v.setUint32(0x20, args.fileAttributes, true);
  v.setUint32(0x34, args.securityId, true);
  return out;
}

export function fileNameValue(args: { parentRecord: number; parentSequence: number; time: bigint; allocatedSize: number; dataSize: number; fileAttributes: number; name: string; namespace: number }): Uint8Array {
  const { name } = args;
  const out = new Uint8Array(0x42 + name.length * 2);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, (BigInt(args.parentSequence) << 48n) | BigInt(args.parentRecord), true);
  for (let i = 0; i < 4; i++) v.setBigUint64(8 + i * 8, args.time, true);
  v.setBigUint64(0x28, BigInt(args.allocatedSize), true);
  v.setBigUint64(0x30, BigInt(args.dataSize), true);
  v.setUint32(0x38, args.fileAttributes, true);
  out[0x40] = name.length;
  out[0x41] = args.namespace;
  for (let i = 0; i < name.length; i++) v.setUint16(0x42 + 2 * i, name.charCodeAt(i), true);
  return out;
}

/** The value of an empty $I30 $INDEX_ROOT. */
export function emptyIndexRoot(args: { blockSize: number; clusterSize: number }): Uint8Array {
  const out = new Uint8Array(0x30);
  const v = new DataView(out.buffer);
  v.setUint32(0x00, AT_FILE_NAME, true);
  v.setUint32(0x04, 1, true); // COLLATION_FILE_NAME
  v.setUint32(0x08, args.blockSize, true);
  out[0x0c] = args.blockSize >= args.clusterSize ? args.blockSize / args.clusterSize : args.blockSize / 512;
  v.setUint32(0x10, 0x10, true); // entries_offset
  v.setUint32(0x14, 0x20, true); // index_length
  v.setUint32(0x18, 0x20, true); // allocated_size
  v.setUint16(0x20 + 8, 0x10, true); // end entry length
  v.setUint16(0x20 + 12, 2, true); // INDEX_ENTRY_END
  return out;
}

/** A fixed-up (unprotected) FILE record holding `attributes` (already built, instances 0..n-1). */
export function buildRecord(args: { recordSize: number; recordNumber: number; sequence: number; flags: number; attributes: Uint8Array[] }): Uint8Array {
  const { recordSize: rs } = args;
  const out = new Uint8Array(rs);
  const v = new DataView(out.buffer);
  const usaCount = rs / 512 + 1;
  const attrsOffset = (0x30 + usaCount * 2 + 7) & ~7;
  out.set([0x46, 0x49, 0x4c, 0x45]); // FILE
  v.setUint16(0x04, 0x30, true);
  v.setUint16(0x06, usaCount, true);
  v.setUint16(0x10, args.sequence, true);
  v.setUint16(0x12, 1, true); // link count
  v.setUint16(0x14, attrsOffset, true);
  v.setUint16(0x16, args.flags, true);
  v.setUint32(0x1c, rs, true);
  v.setUint16(0x28, args.attributes.length, true); // next_attr_instance
  v.setUint32(0x2c, args.recordNumber, true);
  let at = attrsOffset;
  for (const a of args.attributes) {
    if (at + a.length + 8 > rs) throw new UnsupportedError('the new record does not fit its attributes');
    out.set(a, at);
    at += a.length;
  }
  v.setUint32(at, AT_END, true);
  v.setUint32(0x18, at + 8, true);
  return out;
}

/** A free, formatted record (what ntfs-3g writes into newly added $MFT space). */
export function freeRecord(args: { recordSize: number; recordNumber: number }): Uint8Array {
  return buildRecord({ ...args, sequence: 1, flags: 0, attributes: [] });
}

export function siAttribute(value: Uint8Array): Uint8Array {
  return buildResident({ type: AT_STANDARD_INFORMATION, name: '', instance: 0, flags: 0, value });
}
export function fnAttribute(value: Uint8Array, instance: number): Uint8Array {
  return buildResident({ type: AT_FILE_NAME, name: '', instance, flags: 0, value, indexed: 1 });
}
export function indexRootAttribute(value: Uint8Array, instance: number): Uint8Array {
  return buildResident({ type: AT_INDEX_ROOT, name: '$I30', instance, flags: 0, value });
}
