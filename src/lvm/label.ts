// LVM2 physical-volume label: a 32-byte label header ("LABELONE") in one of the first four
// 512-byte sectors, followed (at offset_xl inside that sector) by the PV header ("LVM2 001"
// type): the PV uuid, the device size, and two zero-terminated lists of disk locations, data
// areas then metadata areas. Layout: LVM2 lib/format_text/layout.h and lib/label/label.h.
// Quirks: crc_xl covers from offset_xl to the end of the sector; the uuid is 32 characters
// without dashes on disk and shown 6-4-4-4-4-4-6 in the metadata text.

import { ascii, magic, struct, u32le, u64le } from '../binary/struct.js';
import { CorruptError } from '../errors.js';
import { lvmCrc } from './crc.js';

export const SECTOR = 512;
/** Number of leading sectors scanned for a label. */
export const LABEL_SCAN_SECTORS = 4;

export const LABEL_HEADER = struct('LVM label header', {
  id: magic('LABELONE'), //   0x00
  sector_xl: u64le, //        0x08  sector number of this label
  crc_xl: u32le, //           0x10  from offset_xl (0x14) to the end of the sector
  offset_xl: u32le, //        0x14  PV header offset from the start of the label
  type: ascii(8), //          0x18  "LVM2 001"
});

export const PV_HEADER = struct('LVM PV header', {
  pv_uuid: ascii(32), //      0x00
  device_size_xl: u64le, //   0x20  bytes
});

export const DISK_LOCN = struct('LVM disk location', {
  offset: u64le, //           0x00  bytes from the start of the device
  size: u64le, //             0x08  bytes (0 for a data area: up to the end)
});

export interface DiskLocation {
  offset: number;
  size: number;
}

export interface PvLabel {
  /** Sector (0..3) the label sits in. */
  sector: number;
  /** PV uuid with dashes, as in the metadata text. */
  uuid: string;
  deviceSize: number;
  dataAreas: DiskLocation[];
  metadataAreas: DiskLocation[];
}

/** 'AbCdEf...' (32) → 'AbCdEf-....-...' in LVM's 6-4-4-4-4-4-6 grouping. */
export function formatPvUuid(raw: string): string {
  const groups = [6, 4, 4, 4, 4, 4, 6];
  const parts: string[] = [];
  let at = 0;
  for (const n of groups) {
    parts.push(raw.slice(at, at + n));
    at += n;
  }
  return parts.join('-');
}

function isLabelAt(head: Uint8Array, sector: number): boolean {
  const at = sector * SECTOR;
  if (head.length < at + SECTOR) return false;
  return new TextDecoder('latin1').decode(head.subarray(at, at + 8)) === 'LABELONE';
}

/** Which of the first four sectors holds "LABELONE", or -1. */
export function findLabelSector(head: Uint8Array): number {
  for (let s = 0; s < LABEL_SCAN_SECTORS; s++) if (isLabelAt(head, s)) return s;
  return -1;
}

/**
 * Decodes the label and PV header from the first 2048 bytes of a device. Throws CorruptError
 * when the label is there but its checksum, type or lists are wrong.
 */
export function readPvLabel(head: Uint8Array, options: { origin?: number; deviceSize?: number } = {}): PvLabel {
  const origin = options.origin ?? 0;
  const sector = findLabelSector(head);
  if (sector < 0) throw new CorruptError('no LVM2 label (LABELONE) in the first four sectors', { structure: 'LVM label header', offset: origin });
  const at = sector * SECTOR;
  const label = LABEL_HEADER.decode(head, { at, origin });
  const where = { structure: 'LVM label header', offset: origin + at };
  if (label.sector_xl !== sector) throw new CorruptError(`label says it is in sector ${label.sector_xl}, found in ${sector}`, where);
  const crc = lvmCrc(head.subarray(at + 0x14, at + SECTOR));
  if (crc !== label.crc_xl) throw new CorruptError(`label checksum 0x${label.crc_xl.toString(16)} does not match 0x${crc.toString(16)}`, where);
  if (label.type !== 'LVM2 001') throw new CorruptError(`label type ${JSON.stringify(label.type)} is not "LVM2 001"`, where);
  if (label.offset_xl < LABEL_HEADER.size || label.offset_xl + PV_HEADER.size > SECTOR) {
    throw new CorruptError(`PV header offset ${label.offset_xl} lies outside the label sector`, where);
  }
  let pos = at + label.offset_xl;
  const pv = PV_HEADER.decode(head, { at: pos, origin });
  if (!/^[A-Za-z0-9!#]{32}$/.test(pv.pv_uuid)) {
    throw new CorruptError('PV uuid is not 32 uuid characters', { structure: 'LVM PV header', offset: origin + pos });
  }
  pos += PV_HEADER.size;
  const lists: DiskLocation[][] = [[], []];
  for (const list of lists) {
    for (;;) {
      // Each list is zero-terminated and must end inside the label sector.
      if (pos + DISK_LOCN.size > at + SECTOR) throw new CorruptError('disk location list runs past the label sector', { structure: 'LVM PV header', offset: origin + pos });
      const locn = DISK_LOCN.decode(head, { at: pos, origin });
      pos += DISK_LOCN.size;
      if (locn.offset === 0 && locn.size === 0) break;
      list.push({ offset: locn.offset, size: locn.size });
    }
  }
  const [dataAreas, metadataAreas] = lists as [DiskLocation[], DiskLocation[]];
  return { sector, uuid: formatPvUuid(pv.pv_uuid), deviceSize: pv.device_size_xl, dataAreas, metadataAreas };
}
