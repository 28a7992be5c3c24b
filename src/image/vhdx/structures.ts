// VHDX on-disk structures ([MS-VHDX] 1.0, section 2): the file type identifier, the two
// headers, the region table, the metadata table and its known items, and the BAT entry
// layout. Everything is little-endian; GUIDs use Microsoft's mixed-endian layout. Checksums
// are CRC-32C over the whole structure (4 KiB header, 64 KiB region table) with the checksum
// field taken as zero.

import { bytes, crc32c, magic, struct, u16le, u32le, u64le, u64leBig, utf16, type Decoded } from '../../binary/index.js';

export const KIB = 1024;
export const MIB = 1024 * 1024;

export const FILE_IDENTIFIER_OFFSET = 0;
export const HEADER_OFFSETS = [64 * KIB, 128 * KIB] as const;
export const REGION_TABLE_OFFSETS = [192 * KIB, 256 * KIB] as const;
export const HEADER_SIZE = 4 * KIB;
export const REGION_TABLE_SIZE = 64 * KIB;
export const METADATA_TABLE_SIZE = 64 * KIB;
export const MAX_TABLE_ENTRIES = 2047;

export const VhdxFileIdentifier = struct('VHDX file identifier', {
  signature: magic('vhdxfile'),  // 0x00
  creator: utf16(512),           // 0x08 UTF-16LE, e.g. "Microsoft Windows 10.0.18363.0"
});

export const VhdxHeader = struct('VHDX header', {
  signature: magic('head'),   // 0x00
  checksum: u32le,            // 0x04 CRC-32C over the 4 KiB header
  sequenceNumber: u64leBig,   // 0x08 the valid header with the larger number is current
  fileWriteGuid: bytes(16),   // 0x10
  dataWriteGuid: bytes(16),   // 0x20 changes when guest-visible data changes (parents' linkage)
  logGuid: bytes(16),         // 0x30 non-zero: the log holds entries to replay
  logVersion: u16le,          // 0x40 0
  version: u16le,             // 0x42 1
  logLength: u32le,           // 0x44 multiple of 1 MiB
  logOffset: u64le,           // 0x48 multiple of 1 MiB, at least 1 MiB
  reserved: bytes(4016),      // 0x50
});
export type VhdxHeader = Decoded<typeof VhdxHeader.fields>;

export const VhdxRegionTableHeader = struct('VHDX region table', {
  signature: magic('regi'), // 0x00
  checksum: u32le,          // 0x04 CRC-32C over the 64 KiB table
  entryCount: u32le,        // 0x08 at most 2047
  reserved: u32le,          // 0x0c
});

export const VhdxRegionTableEntry = struct('VHDX region table entry', {
  guid: bytes(16),   // 0x00
  fileOffset: u64le, // 0x10 multiple of 1 MiB
  length: u32le,     // 0x18 multiple of 1 MiB
  required: u32le,   // 0x1c bit 0: an implementation that does not know the region must fail
});
export type VhdxRegionTableEntry = Decoded<typeof VhdxRegionTableEntry.fields>;

export const VhdxMetadataTableHeader = struct('VHDX metadata table', {
  signature: magic('metadata'), // 0x00
  reserved: u16le,              // 0x08
  entryCount: u16le,            // 0x0a at most 2047
  reserved2: bytes(20),         // 0x0c
});

export const VhdxMetadataTableEntry = struct('VHDX metadata table entry', {
  itemId: bytes(16), // 0x00
  offset: u32le,     // 0x10 from the start of the metadata region, at least 64 KiB
  length: u32le,     // 0x14 at most 1 MiB
  flags: u32le,      // 0x18 bit 0 IsUser, bit 1 IsVirtualDisk, bit 2 IsRequired
  reserved2: u32le,  // 0x1c
});
export type VhdxMetadataTableEntry = Decoded<typeof VhdxMetadataTableEntry.fields>;

export const METADATA_FLAG_IS_USER = 1;
export const METADATA_FLAG_IS_VIRTUAL_DISK = 2;
export const METADATA_FLAG_IS_REQUIRED = 4;

export const VhdxFileParameters = struct('VHDX file parameters', {
  blockSize: u32le, // 0x00 1 MiB … 256 MiB, power of two
  flags: u32le,     // 0x04 bit 0 LeaveBlocksAllocated, bit 1 HasParent
});
export const FILE_PARAMETERS_LEAVE_BLOCKS_ALLOCATED = 1;
export const FILE_PARAMETERS_HAS_PARENT = 2;

export const VhdxParentLocatorHeader = struct('VHDX parent locator header', {
  locatorType: bytes(16), // 0x00 B04AEFB7-D19E-4A81-B789-25B8E9445913 for VHDX parents
  reserved: u16le,        // 0x10
  keyValueCount: u16le,   // 0x12
});

export const VhdxParentLocatorEntry = struct('VHDX parent locator entry', {
  keyOffset: u32le,   // 0x00 from the start of the locator item
  valueOffset: u32le, // 0x04
  keyLength: u16le,   // 0x08 bytes of UTF-16LE
  valueLength: u16le, // 0x0a
});

/** Region and metadata item GUIDs (lower-case, as decodeGuid prints them). */
export const GUIDS = {
  batRegion: '2dc27766-f623-4200-9d64-115e9bfd4a08',
  metadataRegion: '8b7ca206-4790-4b9a-b8fe-575f050f886e',
  fileParameters: 'caa16737-fa36-4d43-b3b6-33f0aa44e76b',
  virtualDiskSize: '2fa54224-cd1b-4876-b211-5dbed83bf4b8',
  page83Data: 'beca12ab-b2e6-4523-93ef-c309e000c746',
  logicalSectorSize: '8141bf1d-a96f-4709-ba47-f233a8faab5f',
  physicalSectorSize: 'cda348c7-445d-4471-9cc9-e9885251c556',
  parentLocator: 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c',
  vhdxParentLocatorType: 'b04aefb7-d19e-4a81-b789-25b8e9445913',
} as const;

/** Payload block states (BAT entry bits 0-2). */
export const PAYLOAD_BLOCK_NOT_PRESENT = 0;
export const PAYLOAD_BLOCK_UNDEFINED = 1;
export const PAYLOAD_BLOCK_ZERO = 2;
export const PAYLOAD_BLOCK_UNMAPPED = 3;
export const PAYLOAD_BLOCK_FULLY_PRESENT = 6;
export const PAYLOAD_BLOCK_PARTIALLY_PRESENT = 7;
export const SB_BLOCK_NOT_PRESENT = 0;
export const SB_BLOCK_PRESENT = 6;

/** The sector bitmap covers 2^23 sectors per 1 MiB block. */
export const SECTORS_PER_BITMAP_BLOCK = 2 ** 23;

/** CRC-32C of `bytes` with the 4-byte checksum field at `checksumAt` taken as zero. */
export function vhdxChecksum(bytes: Uint8Array, checksumAt: number): number {
  const copy = bytes.slice();
  copy.fill(0, checksumAt, checksumAt + 4);
  return crc32c(copy);
}

export function storedChecksum(bytes: Uint8Array, checksumAt: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(checksumAt, true);
}

export function isZeroGuid(guid: Uint8Array): boolean {
  return guid.every((b) => b === 0);
}

