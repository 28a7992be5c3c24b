// MBR (DOS) partition tables: the boot sector's four primary entries and the chain of
// extended boot records (EBRs) that hold logical partitions. Follows the layout every PC
// firmware and the Linux msdos parser use (block/partitions/msdos.c): entry 1 of an EBR is
// relative to that EBR, entry 2 (the link) is relative to the start of the outermost
// extended partition. CHS fields are ignored; only the LBA fields count. Quirks relied on: a
// FAT/NTFS volume boot record also ends in 55 AA, so a sector with a status byte other than
// 0x00/0x80 in any entry, or a VBR signature and no entries, is not taken as a table.

import { struct, u8, u16le, u32le, bytes } from '../binary/struct.js';
import { CorruptError } from '../errors.js';
import type { BlockDevice } from '../io/block-device.js';
import type { Diagnostics } from '../diagnostics.js';
import type { Partition, SectorWrite } from './types.js';
import { MBR_EXTENDED_TYPES, mbrTypeId, mbrTypeName } from './type-names.js';
import { partitionSlice } from './slice.js';

export const MBR_ENTRY = struct('MBR partition entry', {
  status: u8, //          0x00  0x80 = active (bootable)
  firstChs: bytes(3), //  0x01  ignored
  partitionType: u8, //   0x04
  lastChs: bytes(3), //   0x05  ignored
  firstLba: u32le, //     0x08  relative to the table's base (see file header)
  sectorCount: u32le, //  0x0c
});
export type MbrEntry = ReturnType<typeof MBR_ENTRY.decode>;

export const MBR_SECTOR = struct('MBR', {
  bootstrap: bytes(440), //      0x000
  diskSignature: u32le, //       0x1b8
  reserved: u16le, //            0x1bc
  partitionEntries: bytes(64), // 0x1be  four MBR_ENTRY
  bootSignature: u16le, //       0x1fe  0xaa55
});

export const MBR_BOOT_SIGNATURE = 0xaa55;
const ENTRIES_OFFSET = MBR_SECTOR.offsetOf('partitionEntries');
/** A bound on logical partitions; Linux stops at its minor-number limit (a few hundred). */
export const MAX_LOGICAL_PARTITIONS = 256;

export interface DecodedMbr {
  diskSignature: number;
  /** Boot signature present. */
  signed: boolean;
  entries: MbrEntry[];
}

/** Decodes one MBR or EBR sector (at least 512 bytes). Pure. */
export function decodeMbrSector(sector: Uint8Array, origin = 0): DecodedMbr {
  const mbr = MBR_SECTOR.decode(sector, { origin });
  const entries: MbrEntry[] = [];
  for (let i = 0; i < 4; i++) entries.push(MBR_ENTRY.decode(sector, { at: ENTRIES_OFFSET + 16 * i, origin }));
  return { diskSignature: mbr.diskSignature, signed: mbr.bootSignature === MBR_BOOT_SIGNATURE, entries };
}

/** True when a signed sector holds a partition table rather than a volume boot record. */
export function looksLikePartitionTable(sector: Uint8Array, mbr: DecodedMbr): boolean {
  if (!mbr.signed) return false;
  if (mbr.entries.some((e) => e.status !== 0 && e.status !== 0x80)) return false;
  const empty = mbr.entries.every((e) => e.partitionType === 0);
  if (!empty) return true;
  const text = (from: number, length: number): string => String.fromCharCode(...sector.subarray(from, from + length));
  const vbr = text(3, 8) === 'NTFS    ' || text(3, 8) === 'EXFAT   ' || text(0x36, 3) === 'FAT' || text(0x52, 5) === 'FAT32';
  return !vbr;
}

function isEmpty(entry: MbrEntry): boolean {
  return entry.partitionType === 0 || entry.sectorCount === 0;
}

/** Reads the MBR at LBA 0 (already decoded) and walks every extended partition's EBR chain. */
export async function readMbrPartitions(args: {
  device: BlockDevice;
  mbr: DecodedMbr;
  sectorSize: number;
  diagnostics: Diagnostics;
}): Promise<Partition[]> {
  const { device, mbr, sectorSize, diagnostics } = args;
  const partitions: Partition[] = [];
  const make = (entry: MbrEntry, base: number, index: number, kind: Partition['kind'], entryOffset: number): Partition => {
    const start = (base + entry.firstLba) * sectorSize;
    const size = entry.sectorCount * sectorSize;
    const partition: Partition = {
      index,
      start,
      size,
      type: mbrTypeName(entry.partitionType),
      typeId: mbrTypeId(entry.partitionType),
      bootable: entry.status === 0x80,
      kind,
      device: partitionSlice({ device, start, size, index, structure: kind === 'logical' ? 'EBR' : 'MBR', entryOffset, diagnostics }),
    };
    return partition;
  };

  const extended: MbrEntry[] = [];
  mbr.entries.forEach((entry, slot) => {
    if (isEmpty(entry)) return;
    const isExtended = MBR_EXTENDED_TYPES.has(entry.partitionType);
    partitions.push(make(entry, 0, slot + 1, isExtended ? 'extended' : 'primary', ENTRIES_OFFSET + 16 * slot));
    if (isExtended) extended.push(entry);
  });

  // Linux numbers logical partitions from 5 across all extended partitions, in slot order.
  let nextIndex = 5;
  const visited = new Set<number>();
  for (const container of extended) {
    const extendedStart = container.firstLba;
    let ebrLba = extendedStart;
    for (let hops = 0; ; hops++) {
      const ebrOffset = ebrLba * sectorSize;
      if (hops >= MAX_LOGICAL_PARTITIONS) {
        throw new CorruptError(`more than ${MAX_LOGICAL_PARTITIONS} extended boot records`, { structure: 'EBR chain', offset: ebrOffset });
      }
      if (visited.has(ebrLba)) {
        throw new CorruptError(`extended boot record chain loops back to LBA ${ebrLba}`, { structure: 'EBR chain', offset: ebrOffset });
      }
      visited.add(ebrLba);
      if (ebrOffset + 512 > device.size) {
        diagnostics.report({
          severity: 'warning',
          code: 'ebr-past-end',
          message: `extended boot record at LBA ${ebrLba} lies past the end of the disk; logical partitions from here on are missing`,
          structure: 'EBR',
          offset: ebrOffset,
        });
        break;
      }
      const sector = await device.read(ebrOffset, 512);
      const ebr = decodeMbrSector(sector, ebrOffset);
      if (!ebr.signed) {
        diagnostics.report({
          severity: 'warning',
          code: 'ebr-unsigned',
          message: `extended boot record at LBA ${ebrLba} has no 55 AA signature; the logical chain ends here`,
          structure: 'EBR',
          offset: ebrOffset,
        });
        break;
      }
      const [data, link] = ebr.entries as [MbrEntry, MbrEntry, MbrEntry, MbrEntry];
      if (!isEmpty(data) && !MBR_EXTENDED_TYPES.has(data.partitionType)) {
        const logical = make(data, ebrLba, nextIndex++, 'logical', ebrOffset + ENTRIES_OFFSET);
        const containerEnd = (extendedStart + container.sectorCount) * sectorSize;
        if (logical.start < extendedStart * sectorSize || logical.start + logical.size > containerEnd) {
          diagnostics.report({
            severity: 'warning',
            code: 'logical-outside-extended',
            message: `logical partition ${logical.index} lies outside its extended partition`,
            structure: 'EBR',
            offset: ebrOffset + ENTRIES_OFFSET,
          });
        }
        partitions.push(logical);
      }
      if (isEmpty(link) || !MBR_EXTENDED_TYPES.has(link.partitionType)) break;
      ebrLba = extendedStart + link.firstLba;
    }
  }
  return partitions;
}

export interface MbrEntrySpec {
  type: number;
  startLba: number;
  sectorCount: number;
  bootable?: boolean;
}

export interface MbrLogicalSpec extends MbrEntrySpec {
  /** Where this logical partition's EBR goes; the first must be the extended partition's start. */
  ebrLba: number;
}

export interface MbrLayout {
  diskSignature?: number;
  /** Up to four primary entries by slot; `undefined` leaves a slot empty. */
  primary: Array<MbrEntrySpec | undefined>;
  /** Logical partitions inside the (single) extended primary entry, in chain order. */
  logical?: MbrLogicalSpec[];
  sectorSize?: number;
  bootstrap?: Uint8Array;
}

// CHS "beyond 1024 cylinders" marker: tells readers to use the LBA fields.
const CHS_LBA = Uint8Array.of(0xfe, 0xff, 0xff);

function entry(spec: MbrEntrySpec | undefined, relativeTo = 0): MbrEntry {
  if (!spec) return { status: 0, firstChs: new Uint8Array(3), partitionType: 0, lastChs: new Uint8Array(3), firstLba: 0, sectorCount: 0 };
  return {
    status: spec.bootable ? 0x80 : 0,
    firstChs: CHS_LBA,
    partitionType: spec.type,
    lastChs: CHS_LBA,
    firstLba: spec.startLba - relativeTo,
    sectorCount: spec.sectorCount,
  };
}

function sector(args: { diskSignature: number; entries: MbrEntry[]; bootstrap?: Uint8Array }): Uint8Array {
  const out = MBR_SECTOR.encode({
    bootstrap: args.bootstrap ?? new Uint8Array(440),
    diskSignature: args.diskSignature,
    reserved: 0,
    partitionEntries: new Uint8Array(64),
    bootSignature: MBR_BOOT_SIGNATURE,
  });
  args.entries.forEach((e, i) => MBR_ENTRY.encode(e, out, ENTRIES_OFFSET + 16 * i));
  return out;
}

/** Encodes an MBR and, for logical partitions, their EBR chain. Returns the sectors to write. */
export function encodeMbr(layout: MbrLayout): SectorWrite[] {
  const sectorSize = layout.sectorSize ?? 512;
  if (layout.primary.length > 4) throw new RangeError('an MBR has four primary entries');
  const primaries = [0, 1, 2, 3].map((i) => layout.primary[i]);
  const writes: SectorWrite[] = [
    { offset: 0, bytes: sector({ diskSignature: layout.diskSignature ?? 0, entries: primaries.map((p) => entry(p)), bootstrap: layout.bootstrap }) },
  ];
  const logical = layout.logical ?? [];
  if (logical.length === 0) return writes;
  const container = primaries.find((p) => p !== undefined && MBR_EXTENDED_TYPES.has(p.type));
  if (!container) throw new RangeError('logical partitions need an extended primary entry');
  if (logical[0]?.ebrLba !== container.startLba) throw new RangeError('the first EBR must sit at the start of the extended partition');
  logical.forEach((part, i) => {
    const next = logical[i + 1];
    const link: MbrEntrySpec | undefined = next
      ? { type: 0x05, startLba: next.ebrLba, sectorCount: next.startLba + next.sectorCount - next.ebrLba }
      : undefined;
    writes.push({
      offset: part.ebrLba * sectorSize,
      bytes: sector({ diskSignature: 0, entries: [entry(part, part.ebrLba), entry(link, container.startLba), entry(undefined), entry(undefined)] }),
    });
  });
  return writes;
}
