// $FILE_NAME (0x30): parent directory reference, four FILETIMEs, sizes as of the last name
// change, file attributes, and the name in one of four namespaces (POSIX, Win32, DOS,
// Win32&DOS). The same layout is the key of every $I30 index entry.
// Spec: libyal libfsntfs "The file name attribute"; ntfs-3g layout.h FILE_NAME_ATTR.
// Quirks relied on: the sizes here go stale (Windows updates them lazily), so file sizes come
// from $DATA; a DOS-only name (namespace 2) is a second name of a file that also has a Win32 one.

import { struct, u8, u32le, u64le, u64leBig, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';

export const FILE_NAME_HEADER = struct('NTFS $FILE_NAME', {
  parent_directory: u64leBig, //       0x00  MFT reference
  creation_time: u64leBig, //          0x08  FILETIME
  last_data_change_time: u64leBig, //  0x10
  last_mft_change_time: u64leBig, //   0x18
  last_access_time: u64leBig, //       0x20
  allocated_size: u64le, //            0x28
  data_size: u64le, //                 0x30
  file_attributes: u32le, //           0x38
  reparse_or_ea: u32le, //             0x3c
  file_name_length: u8, //             0x40  UTF-16 units
  file_name_type: u8, //               0x41  namespace
});

export interface FileName {
  parentRecord: number;
  parentSequence: number;
  creationTime: bigint;
  modificationTime: bigint;
  mftChangeTime: bigint;
  accessTime: bigint;
  allocatedSize: number;
  dataSize: number;
  fileAttributes: number;
  reparseTag: number;
  namespace: number;
  name: string;
}

/** Reads `units` UTF-16LE code units at `at` (no surrogate checks: NTFS names are UCS-2). */
export function readUtf16(bytes: Uint8Array, at: number, units: number): string {
  if (units <= 0) return '';
  if (units <= 64) {
    let s = '';
    for (let i = 0; i < units; i++) s += String.fromCharCode(bytes[at + 2 * i]! | (bytes[at + 2 * i + 1]! << 8));
    return s;
  }
  const codes = new Array<number>(units);
  for (let i = 0; i < units; i++) codes[i] = bytes[at + 2 * i]! | (bytes[at + 2 * i + 1]! << 8);
  return String.fromCharCode(...codes);
}

export function decodeFileName(value: Uint8Array, origin: number): FileName {
  const structure = FILE_NAME_HEADER.name;
  if (value.length < 0x42) throw new CorruptError(`$FILE_NAME of ${value.length} bytes is too short`, { structure, offset: origin });
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const units = value[0x40]!;
  if (0x42 + units * 2 > value.length) throw new CorruptError(`name of ${units} units runs past the attribute`, { structure, offset: origin + 0x40 });
  const sizes = (at: number): number => {
    const hi = view.getUint32(at + 4, true);
    if (hi > 0x1fffff) throw new CorruptError('size does not fit 2^53', { structure, offset: origin + at });
    return hi * 0x100000000 + view.getUint32(at, true);
  };
  return {
    parentRecord: view.getUint16(4, true) * 0x100000000 + view.getUint32(0, true),
    parentSequence: view.getUint16(6, true),
    creationTime: view.getBigUint64(0x08, true),
    modificationTime: view.getBigUint64(0x10, true),
    mftChangeTime: view.getBigUint64(0x18, true),
    accessTime: view.getBigUint64(0x20, true),
    allocatedSize: sizes(0x28),
    dataSize: sizes(0x30),
    fileAttributes: view.getUint32(0x38, true),
    reparseTag: view.getUint32(0x3c, true),
    namespace: value[0x41]!,
    name: readUtf16(value, 0x42, units),
  };
}

export function encodeFileName(name: FileName): Uint8Array {
  const out = new Uint8Array(0x42 + name.name.length * 2);
  FILE_NAME_HEADER.encode(
    {
      parent_directory: (BigInt(name.parentSequence) << 48n) | BigInt(name.parentRecord),
      creation_time: name.creationTime,
      last_data_change_time: name.modificationTime,
      last_mft_change_time: name.mftChangeTime,
      last_access_time: name.accessTime,
      allocated_size: name.allocatedSize,
      data_size: name.dataSize,
      file_attributes: name.fileAttributes,
      reparse_or_ea: name.reparseTag,
      file_name_length: name.name.length,
      file_name_type: name.namespace,
    } as Decoded<typeof FILE_NAME_HEADER.fields>,
    out,
  );
  for (let i = 0; i < name.name.length; i++) {
    const c = name.name.charCodeAt(i);
    out[0x42 + 2 * i] = c & 0xff;
    out[0x43 + 2 * i] = c >>> 8;
  }
  return out;
}
