// The VHDX metadata region ([MS-VHDX] 2.6): a 64 KiB table of items, then the items. We decode
// the system items every reader needs — file parameters (block size, LeaveBlocksAllocated,
// HasParent), virtual disk size, logical and physical sector size, page 83 data (the virtual
// disk id) and the parent locator (key/value pairs in UTF-16LE). An unknown item marked
// IsRequired means the file relies on something we do not understand: UnsupportedError.

import { CorruptError, UnsupportedError } from '../../errors.js';
import { assertWithin, decodeGuid, isPowerOfTwo } from '../../binary/index.js';
import {
  FILE_PARAMETERS_HAS_PARENT, FILE_PARAMETERS_LEAVE_BLOCKS_ALLOCATED, GUIDS, MAX_TABLE_ENTRIES, METADATA_FLAG_IS_REQUIRED,
  METADATA_TABLE_SIZE, MIB, VhdxFileParameters, VhdxMetadataTableEntry, VhdxMetadataTableHeader, VhdxParentLocatorEntry,
  VhdxParentLocatorHeader,
} from './structures.js';

/** The largest virtual disk the specification allows (64 TiB). */
const MAX_VIRTUAL_DISK_SIZE = 64 * 1024 * 1024 * MIB;

export interface VhdxMetadata {
  blockSize: number;
  leaveBlocksAllocated: boolean;
  hasParent: boolean;
  virtualDiskSize: number;
  logicalSectorSize: number;
  physicalSectorSize: number;
  virtualDiskId: string;
  parentLocator?: { locatorType: string; entries: Map<string, string> };
}

/** Decodes the metadata region held in `region` (read from `regionOffset` of the file). */
export function decodeMetadata(region: Uint8Array, regionOffset: number): VhdxMetadata {
  const header = VhdxMetadataTableHeader.decode(region, { origin: regionOffset });
  if (header.entryCount > MAX_TABLE_ENTRIES) {
    throw new CorruptError(`metadata table has ${header.entryCount} entries (at most ${MAX_TABLE_ENTRIES})`, { structure: 'VHDX metadata table', offset: regionOffset });
  }
  const items = new Map<string, Uint8Array>();
  for (let i = 0; i < header.entryCount; i++) {
    const at = VhdxMetadataTableHeader.size + i * VhdxMetadataTableEntry.size;
    const entry = VhdxMetadataTableEntry.decode(region, { at, origin: regionOffset });
    const id = decodeGuid(entry.itemId);
    const where = { structure: 'VHDX metadata table entry', offset: regionOffset + at };
    if (entry.length === 0) continue;
    if (entry.offset < METADATA_TABLE_SIZE || entry.length > MIB) {
      throw new CorruptError(`metadata item ${id} at ${entry.offset}+${entry.length} overlaps the table or is longer than 1 MiB`, where);
    }
    assertWithin({ offset: entry.offset, length: entry.length, limit: region.length }, where);
    if (items.has(id)) throw new CorruptError(`metadata item ${id} appears twice`, where);
    const known = (Object.values(GUIDS) as string[]).includes(id);
    if (!known && (entry.flags & METADATA_FLAG_IS_REQUIRED) !== 0) {
      throw new UnsupportedError(`required metadata item ${id} is not known`, where);
    }
    items.set(id, region.subarray(entry.offset, entry.offset + entry.length));
  }
  const item = (id: string, name: string, minimum: number): Uint8Array => {
    const value = items.get(id);
    if (!value) throw new CorruptError(`the required metadata item ${name} is missing`, { structure: 'VHDX metadata table', offset: regionOffset });
    if (value.length < minimum) throw new CorruptError(`metadata item ${name} is ${value.length} bytes, expected ${minimum}`, { structure: 'VHDX metadata table', offset: regionOffset });
    return value;
  };
  const u32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
  const where = { structure: 'VHDX metadata', offset: regionOffset };

  const parameters = VhdxFileParameters.decode(item(GUIDS.fileParameters, 'file parameters', 8));
  const blockSize = parameters.blockSize;
  if (!isPowerOfTwo(blockSize) || blockSize < MIB || blockSize > 256 * MIB) {
    throw new CorruptError(`block size ${blockSize} is not a power of two between 1 MiB and 256 MiB`, where);
  }
  const sizeBytes = item(GUIDS.virtualDiskSize, 'virtual disk size', 8);
  const rawSize = new DataView(sizeBytes.buffer, sizeBytes.byteOffset, 8).getBigUint64(0, true);
  const logicalSectorSize = u32(item(GUIDS.logicalSectorSize, 'logical sector size', 4));
  const physicalSectorSize = u32(item(GUIDS.physicalSectorSize, 'physical sector size', 4));
  if (logicalSectorSize !== 512 && logicalSectorSize !== 4096) throw new CorruptError(`logical sector size ${logicalSectorSize} is not 512 or 4096`, where);
  if (physicalSectorSize !== 512 && physicalSectorSize !== 4096) throw new CorruptError(`physical sector size ${physicalSectorSize} is not 512 or 4096`, where);
  if (rawSize === 0n || rawSize > BigInt(MAX_VIRTUAL_DISK_SIZE) || rawSize % BigInt(logicalSectorSize) !== 0n) {
    throw new CorruptError(`virtual disk size ${rawSize} is not a multiple of the ${logicalSectorSize}-byte sector up to 64 TiB`, where);
  }
  const virtualDiskId = items.has(GUIDS.page83Data) ? decodeGuid(item(GUIDS.page83Data, 'page 83 data', 16)) : '';
  const metadata: VhdxMetadata = {
    blockSize,
    leaveBlocksAllocated: (parameters.flags & FILE_PARAMETERS_LEAVE_BLOCKS_ALLOCATED) !== 0,
    hasParent: (parameters.flags & FILE_PARAMETERS_HAS_PARENT) !== 0,
    virtualDiskSize: Number(rawSize),
    logicalSectorSize,
    physicalSectorSize,
    virtualDiskId,
  };
  const locator = items.get(GUIDS.parentLocator);
  if (locator) metadata.parentLocator = decodeParentLocator(locator, regionOffset);
  return metadata;
}

function decodeParentLocator(bytes: Uint8Array, regionOffset: number): NonNullable<VhdxMetadata['parentLocator']> {
  const where = { structure: 'VHDX parent locator', offset: regionOffset };
  const header = VhdxParentLocatorHeader.decode(bytes, { origin: regionOffset });
  const entries = new Map<string, string>();
  const text = (offset: number, length: number): string => {
    assertWithin({ offset, length, limit: bytes.length }, where);
    return new TextDecoder('utf-16le').decode(bytes.subarray(offset, offset + length));
  };
  for (let i = 0; i < header.keyValueCount; i++) {
    const at = VhdxParentLocatorHeader.size + i * VhdxParentLocatorEntry.size;
    const entry = VhdxParentLocatorEntry.decode(bytes, { at, origin: regionOffset });
    entries.set(text(entry.keyOffset, entry.keyLength), text(entry.valueOffset, entry.valueLength));
  }
  return { locatorType: decodeGuid(header.locatorType), entries };
}
