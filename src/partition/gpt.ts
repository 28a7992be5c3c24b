// GUID Partition Tables (UEFI 2.10 §5.3): the primary header at LBA 1 with its entry array,
// and the backup header in the disk's last LBA with its array just before it. Both carry
// CRC-32s (header over HeaderSize bytes with its own CRC field zeroed; entries over
// NumberOfPartitionEntries × SizeOfPartitionEntry bytes). A bad primary falls back to the
// backup with a warning, as the firmware does; both bad is a CorruptError. Works for any
// logical sector size (512 and 4096 in practice).

import { struct, magic, u32le, u64le, u64leBig, bytes, utf16 } from '../binary/struct.js';
import { crc32 } from '../binary/checksum.js';
import { decodeGuid, encodeGuid } from '../binary/guid.js';
import { CorruptError, RehostError } from '../errors.js';
import type { BlockDevice } from '../io/block-device.js';
import type { Diagnostics } from '../diagnostics.js';
import type { Partition, SectorWrite } from './types.js';
import { gptTypeName } from './type-names.js';
import { partitionSlice } from './slice.js';
import { encodeMbr } from './mbr.js';

export const GPT_SIGNATURE = 'EFI PART';
export const GPT_REVISION_1_0 = 0x00010000;

export const GPT_HEADER = struct('GPT header', {
  signature: magic(GPT_SIGNATURE), //      0x00
  revision: u32le, //                      0x08  0x00010000
  headerSize: u32le, //                    0x0c  92 ≤ size ≤ logical block size
  headerCrc32: u32le, //                   0x10  over headerSize bytes, this field zeroed
  reserved: u32le, //                      0x14
  myLba: u64le, //                         0x18
  alternateLba: u64le, //                  0x20
  firstUsableLba: u64le, //                0x28
  lastUsableLba: u64le, //                 0x30
  diskGuid: bytes(16), //                  0x38
  partitionEntryLba: u64le, //             0x48
  numberOfPartitionEntries: u32le, //      0x50
  sizeOfPartitionEntry: u32le, //          0x54  128 × 2^n
  partitionEntryArrayCrc32: u32le, //      0x58
});
export type GptHeader = ReturnType<typeof GPT_HEADER.decode>;

export const GPT_ENTRY = struct('GPT partition entry', {
  partitionTypeGuid: bytes(16), //   0x00  all zero = unused
  uniquePartitionGuid: bytes(16), // 0x10
  startingLba: u64le, //             0x20
  endingLba: u64le, //               0x28  inclusive
  attributes: u64leBig, //           0x30
  partitionName: utf16(72), //       0x38  UTF-16LE, NUL-padded
});
export type GptEntry = ReturnType<typeof GPT_ENTRY.decode>;

/** Bound on the entry array read from disk (the usual one is 16 KiB). */
export const MAX_GPT_ARRAY_BYTES = 4 * 1024 * 1024;
const CRC_OFFSET = GPT_HEADER.offsetOf('headerCrc32');
const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

export function hasGptSignature(bytes: Uint8Array, at = 0): boolean {
  for (let i = 0; i < GPT_SIGNATURE.length; i++) if (bytes[at + i] !== GPT_SIGNATURE.charCodeAt(i)) return false;
  return true;
}

/** CRC-32 of a header as stored, with its CRC field taken as zero. */
export function gptHeaderCrc(sector: Uint8Array, headerSize: number): number {
  const copy = sector.slice(0, headerSize);
  copy.fill(0, CRC_OFFSET, CRC_OFFSET + 4);
  return crc32(copy);
}

/**
 * Decodes and checks a header sector read at `lba`. Pure. Returns the header, or the reason
 * it is unusable (not thrown: the caller decides between primary and backup).
 */
export function checkGptHeader(args: { sector: Uint8Array; lba: number; sectorSize: number; deviceSectors: number }): { header: GptHeader } | { problem: string } {
  const { sector, lba, sectorSize, deviceSectors } = args;
  const origin = lba * sectorSize;
  if (!hasGptSignature(sector)) return { problem: 'no "EFI PART" signature' };
  let header: GptHeader;
  try {
    header = GPT_HEADER.decode(sector, { origin });
  } catch (error) {
    if (error instanceof RehostError) return { problem: error.message };
    throw error;
  }
  if (header.headerSize < GPT_HEADER.size || header.headerSize > sectorSize) return { problem: `header size ${header.headerSize} is out of range` };
  const crc = gptHeaderCrc(sector, header.headerSize);
  if (crc !== header.headerCrc32) return { problem: `header CRC32 0x${header.headerCrc32.toString(16)} does not match 0x${crc.toString(16)}` };
  if (header.myLba !== lba) return { problem: `header says it is at LBA ${header.myLba}, found at ${lba}` };
  const entrySize = header.sizeOfPartitionEntry;
  if (entrySize < GPT_ENTRY.size || entrySize % 8 !== 0 || entrySize > 4096) return { problem: `partition entry size ${entrySize} is invalid` };
  const arrayBytes = header.numberOfPartitionEntries * entrySize;
  if (arrayBytes > MAX_GPT_ARRAY_BYTES) return { problem: `partition entry array of ${arrayBytes} bytes is too large` };
  const arraySectors = Math.ceil(arrayBytes / sectorSize);
  if (header.partitionEntryLba + arraySectors > deviceSectors) return { problem: `partition entry array at LBA ${header.partitionEntryLba} lies past the end of the disk` };
  if (header.firstUsableLba > header.lastUsableLba + 1) return { problem: `first usable LBA ${header.firstUsableLba} is after last usable ${header.lastUsableLba}` };
  return { header };
}

export interface DecodedGpt {
  header: GptHeader;
  /** Where the header used was found. */
  headerLba: number;
  diskGuid: string;
  /** Non-empty entries with their 1-based slot number. */
  entries: Array<{ slot: number; entry: GptEntry; offset: number }>;
}

/** Decodes the entry array (already CRC-checked) into its used entries. Pure. */
export function decodeGptEntries(args: { array: Uint8Array; header: GptHeader; origin: number }): DecodedGpt['entries'] {
  const { array, header, origin } = args;
  const entries: DecodedGpt['entries'] = [];
  for (let i = 0; i < header.numberOfPartitionEntries; i++) {
    const at = i * header.sizeOfPartitionEntry;
    const entry = GPT_ENTRY.decode(array, { at, origin });
    if (decodeGuid(entry.partitionTypeGuid) === ZERO_GUID) continue;
    entries.push({ slot: i + 1, entry, offset: origin + at });
  }
  return entries;
}

async function tryHeaderAt(args: { device: BlockDevice; lba: number; sectorSize: number }): Promise<{ gpt: DecodedGpt } | { problem: string }> {
  const { device, lba, sectorSize } = args;
  const deviceSectors = Math.floor(device.size / sectorSize);
  if (lba < 1 || lba >= deviceSectors) return { problem: `LBA ${lba} is outside the disk` };
  const sector = await device.read(lba * sectorSize, sectorSize);
  const checked = checkGptHeader({ sector, lba, sectorSize, deviceSectors });
  if ('problem' in checked) return checked;
  const { header } = checked;
  const arrayOffset = header.partitionEntryLba * sectorSize;
  const array = await device.read(arrayOffset, header.numberOfPartitionEntries * header.sizeOfPartitionEntry);
  const crc = crc32(array);
  if (crc !== header.partitionEntryArrayCrc32) {
    return { problem: `partition entry array CRC32 0x${header.partitionEntryArrayCrc32.toString(16)} does not match 0x${crc.toString(16)}` };
  }
  return { gpt: { header, headerLba: lba, diskGuid: decodeGuid(header.diskGuid), entries: decodeGptEntries({ array, header, origin: arrayOffset }) } };
}

/** Finds a valid GPT (primary, else backup with a warning) or throws CorruptError. */
export async function readGpt(args: { device: BlockDevice; sectorSize: number; diagnostics: Diagnostics }): Promise<DecodedGpt> {
  const { device, sectorSize, diagnostics } = args;
  const lastLba = Math.floor(device.size / sectorSize) - 1;
  const primary = await tryHeaderAt({ device, lba: 1, sectorSize });
  if ('gpt' in primary) {
    const alternate = primary.gpt.header.alternateLba;
    const backup = await tryHeaderAt({ device, lba: alternate, sectorSize });
    if ('problem' in backup) {
      diagnostics.report({
        severity: 'warning',
        code: 'gpt-backup-invalid',
        message: `backup GPT header at LBA ${alternate} is unusable: ${backup.problem}`,
        structure: 'GPT backup header',
        offset: alternate * sectorSize,
      });
    }
    return primary.gpt;
  }
  const backup = await tryHeaderAt({ device, lba: lastLba, sectorSize });
  if ('gpt' in backup) {
    diagnostics.report({
      severity: 'warning',
      code: 'gpt-primary-invalid',
      message: `primary GPT header is unusable (${primary.problem}); using the backup at LBA ${lastLba}`,
      structure: 'GPT header',
      offset: sectorSize,
    });
    return backup.gpt;
  }
  throw new CorruptError(`no usable GPT: primary ${primary.problem}; backup ${backup.problem}`, { structure: 'GPT header', offset: sectorSize });
}

/** The partitions of a decoded GPT, as slices of `device`. */
export function gptPartitions(args: { device: BlockDevice; gpt: DecodedGpt; sectorSize: number; diagnostics: Diagnostics }): Partition[] {
  const { device, gpt, sectorSize, diagnostics } = args;
  const partitions: Partition[] = [];
  for (const { slot, entry, offset } of gpt.entries) {
    if (entry.endingLba < entry.startingLba) {
      diagnostics.report({
        severity: 'warning',
        code: 'gpt-entry-inverted',
        message: `GPT entry ${slot} ends (LBA ${entry.endingLba}) before it starts (LBA ${entry.startingLba}); skipped`,
        structure: 'GPT partition entry',
        offset,
      });
      continue;
    }
    if (entry.startingLba < gpt.header.firstUsableLba || entry.endingLba > gpt.header.lastUsableLba) {
      diagnostics.report({
        severity: 'warning',
        code: 'gpt-entry-outside-usable',
        message: `GPT entry ${slot} (LBA ${entry.startingLba}–${entry.endingLba}) lies outside the usable range ${gpt.header.firstUsableLba}–${gpt.header.lastUsableLba}`,
        structure: 'GPT partition entry',
        offset,
      });
    }
    const start = entry.startingLba * sectorSize;
    const size = (entry.endingLba - entry.startingLba + 1) * sectorSize;
    const typeGuid = decodeGuid(entry.partitionTypeGuid);
    const partition: Partition = {
      index: slot,
      start,
      size,
      type: gptTypeName(typeGuid),
      typeId: typeGuid,
      guid: decodeGuid(entry.uniquePartitionGuid),
      name: entry.partitionName,
      attributes: entry.attributes.toString(),
      device: partitionSlice({ device, start, size, index: slot, structure: 'GPT partition entry', entryOffset: offset, diagnostics }),
    };
    partitions.push(partition);
  }
  return partitions;
}

export interface GptPartitionSpec {
  /** 1-based entry slot; defaults to the position in the list. */
  index?: number;
  typeGuid: string;
  guid: string;
  firstLba: number;
  /** Inclusive. */
  lastLba: number;
  attributes?: bigint;
  name?: string;
}

export interface GptLayout {
  diskGuid: string;
  /** Size of the disk in logical sectors. */
  diskSectors: number;
  sectorSize?: number;
  entryCount?: number;
  firstUsableLba?: number;
  lastUsableLba?: number;
  partitions: GptPartitionSpec[];
}

/**
 * Encodes a protective MBR, primary header and array, backup array and backup header.
 * Returns the sectors to write (absolute offsets).
 */
export function encodeGpt(layout: GptLayout): SectorWrite[] {
  const sectorSize = layout.sectorSize ?? 512;
  const entryCount = layout.entryCount ?? 128;
  const entrySize = GPT_ENTRY.size;
  const array = new Uint8Array(Math.ceil((entryCount * entrySize) / sectorSize) * sectorSize);
  const arraySectors = array.length / sectorSize;
  const lastLba = layout.diskSectors - 1;
  const firstUsableLba = layout.firstUsableLba ?? 2 + arraySectors;
  const lastUsableLba = layout.lastUsableLba ?? lastLba - 1 - arraySectors;
  layout.partitions.forEach((p, i) => {
    const slot = p.index ?? i + 1;
    if (slot < 1 || slot > entryCount) throw new RangeError(`GPT slot ${slot} out of range`);
    GPT_ENTRY.encode(
      {
        partitionTypeGuid: encodeGuid(p.typeGuid),
        uniquePartitionGuid: encodeGuid(p.guid),
        startingLba: p.firstLba,
        endingLba: p.lastLba,
        attributes: p.attributes ?? 0n,
        partitionName: p.name ?? '',
      },
      array,
      (slot - 1) * entrySize,
    );
  });
  const arrayCrc = crc32(array.subarray(0, entryCount * entrySize));
  const header = (myLba: number, alternateLba: number, partitionEntryLba: number): Uint8Array => {
    const sector = new Uint8Array(sectorSize);
    GPT_HEADER.encode(
      {
        signature: new Uint8Array(0),
        revision: GPT_REVISION_1_0,
        headerSize: GPT_HEADER.size,
        headerCrc32: 0,
        reserved: 0,
        myLba,
        alternateLba,
        firstUsableLba,
        lastUsableLba,
        diskGuid: encodeGuid(layout.diskGuid),
        partitionEntryLba,
        numberOfPartitionEntries: entryCount,
        sizeOfPartitionEntry: entrySize,
        partitionEntryArrayCrc32: arrayCrc,
      },
      sector,
    );
    new DataView(sector.buffer).setUint32(CRC_OFFSET, gptHeaderCrc(sector, GPT_HEADER.size), true);
    return sector;
  };
  const backupArrayLba = lastLba - arraySectors;
  const [protective] = encodeMbr({
    primary: [{ type: 0xee, startLba: 1, sectorCount: Math.min(lastLba, 0xffffffff) }],
    sectorSize,
  });
  return [
    protective as SectorWrite,
    { offset: sectorSize, bytes: header(1, lastLba, 2) },
    { offset: 2 * sectorSize, bytes: array },
    { offset: backupArrayLba * sectorSize, bytes: array },
    { offset: lastLba * sectorSize, bytes: header(lastLba, 1, backupArrayLba) },
  ];
}
