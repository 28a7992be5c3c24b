// The space-efficient sparse extent header (seSparse, ESXi 5.5+ snapshots on VMFS 6): a
// 64-bit "constant header" whose magic is 0xcafebabe with version 0x0000000200000001. The
// layout follows qemu's block/vmdk.c (VMDKSESparseConstHeader). rehost only recognises it
// and reports its fields: reading seSparse (its journal, free bitmap and 4 KiB grains with
// 64-bit grain table entries) is not implemented.

import { struct, u64le, u64leBig, type Decoded } from '../../binary/struct.js';
import { UnsupportedError } from '../../errors.js';

export const SESPARSE_MAGIC = 0xcafebaben;

export const SeSparseConstHeader = struct('VMDK seSparse constant header', {
  magic: u64leBig,               // 0x00  0x00000000cafebabe
  version: u64leBig,             // 0x08  0x0000000200000001
  capacity: u64le,               // 0x10  sectors
  grainSize: u64le,              // 0x18  sectors (8: 4 KiB)
  grainTableSize: u64le,         // 0x20  sectors per grain table
  flags: u64leBig,               // 0x28
  reserved1: u64leBig,           // 0x30
  reserved2: u64leBig,           // 0x38
  reserved3: u64leBig,           // 0x40
  reserved4: u64leBig,           // 0x48
  volatileHeaderOffset: u64le,   // 0x50  sectors
  volatileHeaderSize: u64le,     // 0x58
  journalHeaderOffset: u64le,    // 0x60
  journalHeaderSize: u64le,      // 0x68
  journalOffset: u64le,          // 0x70
  journalSize: u64le,            // 0x78
  grainDirOffset: u64le,         // 0x80
  grainDirSize: u64le,           // 0x88
  grainTablesOffset: u64le,      // 0x90
  grainTablesSize: u64le,        // 0x98
  freeBitmapOffset: u64le,       // 0xa0
  freeBitmapSize: u64le,         // 0xa8
  backmapOffset: u64le,          // 0xb0
  backmapSize: u64le,            // 0xb8
  grainsOffset: u64le,           // 0xc0
  grainsSize: u64le,             // 0xc8
});
export type SeSparseConstHeader = Decoded<typeof SeSparseConstHeader['fields']>;

export function isSeSparseHeader(bytes: Uint8Array): boolean {
  if (bytes.length < 16) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getBigUint64(0, true) === SESPARSE_MAGIC && view.getBigUint64(8, true) === 0x0000000200000001n;
}

/** Throws the UnsupportedError that describes an seSparse extent, with its header fields as details. */
export function rejectSeSparse(bytes: Uint8Array, origin: number): never {
  let fields: Record<string, unknown> = {};
  try {
    const header = SeSparseConstHeader.decode(bytes, { origin });
    fields = Object.fromEntries(
      Object.entries(header).map(([key, value]) => [key, typeof value === 'bigint' ? `0x${value.toString(16)}` : value]),
    );
  } catch {
    // A header too damaged to list is still an seSparse extent by its magic.
  }
  throw new UnsupportedError('VMDK seSparse extents are not supported (recognised by their header)', {
    structure: 'VMDK seSparse constant header',
    offset: origin,
    kind: 'vmdk-sesparse',
    header: fields,
  });
}
