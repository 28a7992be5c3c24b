// The VHD dynamic disk header ("cxsparse", 1024 big-endian bytes at the footer's data offset)
// and its eight parent locator entries (VHD specification 1.0, "Dynamic Disk Header Format").
// Quirks relied on: qemu never checks this header's checksum and some real files carry a stale
// one (the dfvfs differencing sample was edited after it was computed), so a mismatch is a
// warning, not an error; the spec's "data offset" is all ones (qemu notes MS tools want all
// 64 bits set); the parent name is UTF-16 big-endian while the W2ru/W2ku locator data is
// UTF-16 little-endian.

import { ascii, bytes, magic, onesComplementByteSum, struct, u32be, u64be, u64beBig, utf16, type Decoded } from '../../binary/index.js';

export const DYNAMIC_HEADER_SIZE = 1024;
export const DYNAMIC_HEADER_COOKIE = 'cxsparse';
export const PARENT_LOCATOR_COUNT = 8;
/** BAT value of a block that is not stored. */
export const BAT_UNUSED = 0xffffffff;

export const VhdDynamicHeader = struct('VHD dynamic header', {
  cookie: magic(DYNAMIC_HEADER_COOKIE), // 0x000 "cxsparse"
  dataOffset: u64beBig,                  // 0x008 unused, all ones
  tableOffset: u64be,                    // 0x010 absolute offset of the BAT
  headerVersion: u32be,                  // 0x018 0x00010000
  maxTableEntries: u32be,                // 0x01c BAT entries
  blockSize: u32be,                      // 0x020 bytes of data per block (2 MiB by default)
  checksum: u32be,                       // 0x024 one's complement of the byte sum
  parentUniqueId: bytes(16),             // 0x028 the parent footer's unique id
  parentTimeStamp: u32be,                // 0x038 the parent's modification time (VHD epoch)
  reserved1: u32be,                      // 0x03c
  parentUnicodeName: utf16(512, false),  // 0x040 UTF-16BE file name of the parent
  parentLocatorEntries: bytes(192),      // 0x240 8 × VhdParentLocatorEntry
  reserved2: bytes(256),                 // 0x300
});
export type VhdDynamicHeader = Decoded<typeof VhdDynamicHeader.fields>;

export const VhdParentLocatorEntry = struct('VHD parent locator entry', {
  platformCode: ascii(4),     // 0x00 "W2ru", "W2ku", "Wi2r", "Wi2k", "Mac ", "MacX", or zero
  platformDataSpace: u32be,   // 0x04 space reserved (sectors per spec; some writers store bytes)
  platformDataLength: u32be,  // 0x08 bytes of locator data
  reserved: u32be,            // 0x0c
  platformDataOffset: u64be,  // 0x10 absolute file offset of the locator data
});
export type VhdParentLocatorEntry = Decoded<typeof VhdParentLocatorEntry.fields>;

export function dynamicHeaderChecksum(bytes: Uint8Array): number {
  const copy = bytes.slice(0, DYNAMIC_HEADER_SIZE);
  const at = VhdDynamicHeader.offsetOf('checksum');
  copy.fill(0, at, at + 4);
  return onesComplementByteSum(copy);
}

/** The parent locator entries that name a platform, each with its absolute offset for errors. */
export function parentLocatorEntries(header: VhdDynamicHeader, origin: number): Array<VhdParentLocatorEntry & { entryOffset: number }> {
  const out: Array<VhdParentLocatorEntry & { entryOffset: number }> = [];
  const base = origin + VhdDynamicHeader.offsetOf('parentLocatorEntries');
  for (let i = 0; i < PARENT_LOCATOR_COUNT; i++) {
    const entry = VhdParentLocatorEntry.decode(header.parentLocatorEntries, { at: i * VhdParentLocatorEntry.size, origin: base });
    if (entry.platformCode === '') continue;
    out.push({ ...entry, entryOffset: base + i * VhdParentLocatorEntry.size });
  }
  return out;
}

/** Encodes a dynamic header with its checksum filled in. */
export function encodeDynamicHeader(header: Omit<VhdDynamicHeader, 'checksum' | 'cookie'>): Uint8Array {
  const out = VhdDynamicHeader.encode({ ...header, cookie: new Uint8Array(0), checksum: 0 });
  new DataView(out.buffer).setUint32(VhdDynamicHeader.offsetOf('checksum'), dynamicHeaderChecksum(out), false);
  return out;
}
