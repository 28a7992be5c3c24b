// Choosing the VHDX header and region table ([MS-VHDX] 2.2). Of the two headers the valid one
// (signature and CRC-32C) with the larger sequence number is current; if only one is valid it
// is used, with a warning, since a torn header update leaves exactly that. The region table
// has two identical copies; the second stands in when the first is damaged. Unknown regions
// marked required make the file unreadable by design: UnsupportedError.

import type { BlockDevice } from '../../io/block-device.js';
import type { Diagnostics } from '../../diagnostics.js';
import { CorruptError, UnsupportedError } from '../../errors.js';
import { decodeGuid } from '../../binary/index.js';
import {
  GUIDS, HEADER_OFFSETS, HEADER_SIZE, MAX_TABLE_ENTRIES, REGION_TABLE_OFFSETS, REGION_TABLE_SIZE, VhdxFileIdentifier, VhdxHeader,
  VhdxRegionTableEntry, VhdxRegionTableHeader, storedChecksum, vhdxChecksum,
} from './structures.js';

const SIGNATURE = 'vhdxfile';

export function hasVhdxSignature(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE.charCodeAt(i)) return false;
  return true;
}

export interface CurrentHeader {
  header: VhdxHeader;
  offset: number;
}

export async function readCurrentHeader(file: BlockDevice, diagnostics: Diagnostics): Promise<CurrentHeader> {
  const valid: CurrentHeader[] = [];
  for (const offset of HEADER_OFFSETS) {
    if (offset + HEADER_SIZE > file.size) continue;
    const bytes = await file.read(offset, HEADER_SIZE);
    if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'head') continue;
    if (storedChecksum(bytes, 4) !== vhdxChecksum(bytes, 4)) continue;
    valid.push({ header: VhdxHeader.decode(bytes, { origin: offset }), offset });
  }
  const [first, second] = valid;
  if (!first) {
    throw new CorruptError('neither VHDX header (at 64 KiB and 128 KiB) has a valid signature and CRC-32C', { structure: 'VHDX header', offset: HEADER_OFFSETS[0] });
  }
  if (!second) {
    const other = first.offset === HEADER_OFFSETS[0] ? HEADER_OFFSETS[1] : HEADER_OFFSETS[0];
    diagnostics.report({ severity: 'warning', code: 'vhdx-header-invalid', message: `the VHDX header at ${other} is damaged; using the one at ${first.offset}`, structure: 'VHDX header', offset: other });
  }
  const current = second && second.header.sequenceNumber > first.header.sequenceNumber ? second : first;
  if (current.header.version !== 1) {
    throw new UnsupportedError(`VHDX version ${current.header.version} (only 1 is defined)`, { structure: 'VHDX header', offset: current.offset });
  }
  return current;
}

export function decodeCreator(bytes: Uint8Array): string {
  return VhdxFileIdentifier.decode(bytes).creator;
}

export interface Regions {
  bat: { offset: number; length: number };
  metadata: { offset: number; length: number };
}

function decodeRegionTable(bytes: Uint8Array, origin: number): Regions {
  const header = VhdxRegionTableHeader.decode(bytes, { origin });
  if (header.entryCount > MAX_TABLE_ENTRIES) {
    throw new CorruptError(`region table has ${header.entryCount} entries (at most ${MAX_TABLE_ENTRIES})`, { structure: 'VHDX region table', offset: origin });
  }
  const found = new Map<string, { offset: number; length: number }>();
  for (let i = 0; i < header.entryCount; i++) {
    const at = VhdxRegionTableHeader.size + i * VhdxRegionTableEntry.size;
    const entry = VhdxRegionTableEntry.decode(bytes, { at, origin });
    const id = decodeGuid(entry.guid);
    if (id === GUIDS.batRegion || id === GUIDS.metadataRegion) {
      if (found.has(id)) throw new CorruptError(`region ${id} appears twice`, { structure: 'VHDX region table entry', offset: origin + at });
      found.set(id, { offset: entry.fileOffset, length: entry.length });
    } else if ((entry.required & 1) !== 0) {
      throw new UnsupportedError(`required region ${id} is not known`, { structure: 'VHDX region table entry', offset: origin + at });
    }
  }
  const bat = found.get(GUIDS.batRegion);
  const metadata = found.get(GUIDS.metadataRegion);
  if (!bat || !metadata) {
    throw new CorruptError(`region table lacks the ${bat ? 'metadata' : 'BAT'} region`, { structure: 'VHDX region table', offset: origin });
  }
  return { bat, metadata };
}

export async function readRegions(file: BlockDevice, diagnostics: Diagnostics): Promise<Regions> {
  let firstError: unknown;
  for (const offset of REGION_TABLE_OFFSETS) {
    if (offset + REGION_TABLE_SIZE > file.size) {
      firstError ??= new CorruptError('file ends before the region table', { structure: 'VHDX region table', offset });
      continue;
    }
    const bytes = await file.read(offset, REGION_TABLE_SIZE);
    if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'regi' || storedChecksum(bytes, 4) !== vhdxChecksum(bytes, 4)) {
      firstError ??= new CorruptError('region table has a bad signature or CRC-32C', { structure: 'VHDX region table', offset });
      continue;
    }
    try {
      const regions = decodeRegionTable(bytes, offset);
      if (offset !== REGION_TABLE_OFFSETS[0]) {
        diagnostics.report({ severity: 'warning', code: 'vhdx-region-table-copy-used', message: 'the first region table is damaged; using the copy', structure: 'VHDX region table', offset: REGION_TABLE_OFFSETS[0] });
      }
      return regions;
    } catch (error) {
      if (error instanceof UnsupportedError) throw error;
      firstError ??= error;
    }
  }
  throw firstError;
}
