// The ESX sparse extent header ("COWD", VMware Virtual Disk Format 1.1, "ESX Server Sparse
// Extent Header"): the extent type VMFSSPARSE, used by ESX 2/3 redo logs and snapshots. Its
// grain directory and grain tables have the same shape as the hosted sparse extent's, except
// that every grain table holds 4096 entries and all fields are 32-bit sector counts.

import { struct, u32le, magic, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';
import { isPowerOfTwo } from '../../binary/int.js';
import { MAX_GRAIN_SECTORS } from './sparse-header.js';

export const COWD_GTES_PER_GT = 4096;

export const CowdHeader = struct('VMDK COWD header', {
  magicNumber: magic('COWD'), // 0x00
  version: u32le,             // 0x04  1
  flags: u32le,               // 0x08  3
  numSectors: u32le,          // 0x0c  capacity in sectors
  grainSize: u32le,           // 0x10  sectors
  gdOffset: u32le,            // 0x14  sectors
  numGDEntries: u32le,        // 0x18
  freeSector: u32le,          // 0x1c  next free sector
  // 0x20: root geometry or parent file name (redo logs), generation, name, description; unused here.
});
export type CowdHeader = Decoded<typeof CowdHeader['fields']>;

export function isCowdHeader(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x43 && bytes[1] === 0x4f && bytes[2] === 0x57 && bytes[3] === 0x44;
}

export function decodeCowdHeader(bytes: Uint8Array, origin: number): CowdHeader {
  const header = CowdHeader.decode(bytes, { origin });
  if (!isPowerOfTwo(header.grainSize) || header.grainSize > MAX_GRAIN_SECTORS) {
    throw new CorruptError(`grain size of ${header.grainSize} sectors is not a power of two up to ${MAX_GRAIN_SECTORS}`, {
      structure: 'VMDK COWD header',
      offset: origin + CowdHeader.offsetOf('grainSize'),
    });
  }
  return header;
}
