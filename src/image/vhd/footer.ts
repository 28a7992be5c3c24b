// The VHD hard disk footer (Microsoft "Virtual Hard Disk Image Format Specification" 1.0,
// section "Hard Disk Footer Format"): 512 big-endian bytes at the end of every VHD, mirrored at
// offset 0 of dynamic and differencing disks. Quirks relied on: creators before Virtual PC 2004
// wrote a 511-byte footer (the last reserved byte is missing); the checksum is the one's
// complement of the byte sum with the checksum field taken as zero; and qemu's `vpc` driver sizes
// the disk from the CHS geometry for creators other than Hyper-V, qemu's force_size, disk2vhd
// and XenServer (block/vpc.c, vpc_open), which `virtualSizeOf` reproduces.

import { ascii, bytes, magic, onesComplementByteSum, struct, u16be, u32be, u64be, u64beBig, u8, type Decoded } from '../../binary/index.js';

export const FOOTER_SIZE = 512;
/** Old creators wrote one byte less; the missing byte is reserved (zero). */
export const SHORT_FOOTER_SIZE = 511;
export const FOOTER_COOKIE = 'conectix';

export const DISK_TYPE_FIXED = 2;
export const DISK_TYPE_DYNAMIC = 3;
export const DISK_TYPE_DIFFERENCING = 4;

/** Seconds between the Unix epoch and the VHD epoch (2000-01-01T00:00:00Z). */
export const VHD_EPOCH_SECONDS = 946684800;

export const VhdFooter = struct('VHD footer', {
  cookie: magic(FOOTER_COOKIE),        // 0x00 "conectix"
  features: u32be,                     // 0x08 bit 1 (reserved) always set
  fileFormatVersion: u32be,            // 0x0c 0x00010000
  dataOffset: u64beBig,                // 0x10 dynamic header offset; all ones for fixed disks
  timeStamp: u32be,                    // 0x18 seconds since 2000-01-01 UTC
  creatorApplication: bytes(4),        // 0x1c "vpc ", "win ", "qemu", "qem2", "tap\0", …
  creatorVersion: u32be,               // 0x20
  creatorHostOs: ascii(4),             // 0x24 "Wi2k" or "Mac "
  originalSize: u64be,                 // 0x28 size at creation, bytes
  currentSize: u64be,                  // 0x30 current size, bytes
  diskGeometryCylinders: u16be,        // 0x38
  diskGeometryHeads: u8,               // 0x3a
  diskGeometrySectorsPerTrack: u8,     // 0x3b
  diskType: u32be,                     // 0x3c 2 fixed, 3 dynamic, 4 differencing
  checksum: u32be,                     // 0x40 one's complement of the byte sum
  uniqueId: bytes(16),                 // 0x44 UUID, big-endian
  savedState: u8,                      // 0x54 1 when the VM was saved (hibernated by the host)
  reserved: bytes(427),                // 0x55
});
export type VhdFooter = Decoded<typeof VhdFooter.fields>;

export function hasFooterCookie(bytes: Uint8Array, at = 0): boolean {
  if (at < 0 || at + 8 > bytes.length) return false;
  for (let i = 0; i < 8; i++) if (bytes[at + i] !== FOOTER_COOKIE.charCodeAt(i)) return false;
  return true;
}

/** The checksum a footer should carry: `bytes` is the 512 (or 511) footer bytes. */
export function footerChecksum(bytes: Uint8Array): number {
  const copy = bytes.slice(0, FOOTER_SIZE);
  copy.fill(0, VhdFooter.offsetOf('checksum'), VhdFooter.offsetOf('checksum') + 4);
  return onesComplementByteSum(copy);
}

/** The creator application as text ("tap\0" keeps its NUL so the qemu table compares exactly). */
export function creatorName(footer: VhdFooter): string {
  return String.fromCharCode(...footer.creatorApplication);
}

/** Creators whose images qemu sizes by current_size instead of the CHS geometry. */
const SIZE_BY_CURRENT_SIZE = new Set(['win ', 'qem2', 'd2v ', 'CTXS', 'tap\0']);
/** The largest CHS geometry: qemu takes current_size for it, since CHS would truncate. */
export const MAX_CHS_SECTORS = 65535 * 16 * 255;

/**
 * The guest disk size as qemu-img reports it. The spec makes current_size authoritative, but
 * Virtual PC (and qemu's own non-force_size images) expose only the CHS capacity, and qemu
 * follows that for every creator outside its table; we match qemu so conversions agree.
 */
export function virtualSizeOf(footer: VhdFooter): number {
  const chsSectors = footer.diskGeometryCylinders * footer.diskGeometryHeads * footer.diskGeometrySectorsPerTrack;
  const useChs = !SIZE_BY_CURRENT_SIZE.has(creatorName(footer));
  if (!useChs || chsSectors === MAX_CHS_SECTORS) return Math.floor(footer.currentSize / 512) * 512;
  return chsSectors * 512;
}

export interface Geometry {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

/** The CHS geometry the VHD specification's appendix computes for a sector count. */
export function geometryFor(totalSectors: number): Geometry {
  const sectors = Math.min(totalSectors, 65535 * 16 * 255);
  let sectorsPerTrack: number;
  let heads: number;
  let cylinderTimesHeads: number;
  if (sectors >= 65535 * 16 * 63) {
    sectorsPerTrack = 255;
    heads = 16;
    cylinderTimesHeads = Math.floor(sectors / sectorsPerTrack);
  } else {
    sectorsPerTrack = 17;
    cylinderTimesHeads = Math.floor(sectors / sectorsPerTrack);
    heads = Math.max(4, Math.floor((cylinderTimesHeads + 1023) / 1024));
    if (cylinderTimesHeads >= heads * 1024 || heads > 16) {
      sectorsPerTrack = 31;
      heads = 16;
      cylinderTimesHeads = Math.floor(sectors / sectorsPerTrack);
    }
    if (cylinderTimesHeads >= heads * 1024) {
      sectorsPerTrack = 63;
      heads = 16;
      cylinderTimesHeads = Math.floor(sectors / sectorsPerTrack);
    }
  }
  return { cylinders: Math.floor(cylinderTimesHeads / heads), heads, sectorsPerTrack };
}

/** Encodes a footer with its checksum filled in. */
export function encodeFooter(footer: Omit<VhdFooter, 'checksum' | 'cookie' | 'reserved'>): Uint8Array {
  const out = VhdFooter.encode({ ...footer, cookie: new Uint8Array(0), checksum: 0, reserved: new Uint8Array(427) });
  new DataView(out.buffer).setUint32(VhdFooter.offsetOf('checksum'), footerChecksum(out), false);
  return out;
}
