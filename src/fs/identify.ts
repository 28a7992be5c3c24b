// Names what a volume holds from its signatures, before any reader is chosen: filesystems we
// read (NTFS, ext2/3/4, FAT12/16/32), ones we only name (XFS, btrfs, exFAT, ReFS, HFS+, swap, ISO9660),
// and states that block reading or writing (BitLocker, LUKS). Reports can then say exactly
// what they could not read instead of "unknown".

import type { BlockDevice } from '../io/block-device.js';
import { decodeUuidBE } from '../binary/guid.js';
import { readExtSuperblock } from './ext/superblock.js';
import { decodeBootSector, volumeIdText } from './fat/boot-sector.js';

export interface VolumeIdentity {
  /** 'ntfs' | 'ext2' | 'ext3' | 'ext4' | 'xfs' | 'btrfs' | 'vfat' | 'exfat' | 'refs' | 'hfsplus' |
   *  'swap' | 'iso9660' | 'bitlocker' | 'luks' | 'lvm2-pv' | 'linux-raid' | 'squashfs' | 'f2fs' | 'unknown' */
  kind: string;
  /** True when rehost has a reader for this kind. */
  readable: boolean;
  /** True when the volume is encrypted (BitLocker, LUKS). */
  encrypted?: boolean;
  /** The filesystem (or swap / LUKS) UUID as blkid prints it, where the signature carries one. */
  uuid?: string;
}

const ascii = (bytes: Uint8Array, from: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(from, from + length));

async function head(device: BlockDevice, length: number): Promise<Uint8Array> {
  return device.read(0, Math.min(length, device.size));
}

export async function identifyVolume(device: BlockDevice): Promise<VolumeIdentity> {
  if (device.size < 512) return { kind: 'unknown', readable: false };
  const b = await head(device, 0x10100 <= device.size ? 0x10100 : Math.min(device.size, 69632));
  const oem = ascii(b, 3, 8);
  if (oem === 'NTFS    ') return { kind: 'ntfs', readable: true };
  if (oem === '-FVE-FS-') return { kind: 'bitlocker', readable: false, encrypted: true };
  if (oem === 'EXFAT   ') return { kind: 'exfat', readable: false };
  if (ascii(b, 3, 4) === 'ReFS') return { kind: 'refs', readable: false };
  if (ascii(b, 0, 6) === 'LUKS\xba\xbe') return withUuid({ kind: 'luks', readable: false, encrypted: true }, luksUuid(b));
  if (ascii(b, 0, 4) === 'XFSB') return withUuid({ kind: 'xfs', readable: false }, binaryUuid(b, 32)); // xfs_sb sb_uuid at 32
  if (ascii(b, 0, 4) === 'hsqs') return { kind: 'squashfs', readable: false };
  for (let sector = 0; sector < 4 && (sector + 1) * 512 <= b.length; sector++) {
    if (ascii(b, sector * 512, 8) === 'LABELONE' && ascii(b, sector * 512 + 24, 8) === 'LVM2 001') {
      return { kind: 'lvm2-pv', readable: true };
    }
  }
  if (b.length >= 1024 + 0x80) {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (view.getUint16(1024 + 56, true) === 0xef53) return withUuid({ kind: extKind(b), readable: true }, binaryUuid(b, 1024 + 0x68)); // s_uuid
    if (ascii(b, 1024, 2) === 'H+' || ascii(b, 1024, 2) === 'HX') return { kind: 'hfsplus', readable: false };
    if (view.getUint32(1024, true) === 0xf2f52010) return { kind: 'f2fs', readable: false };
  }
  if (b.length >= 4096 + 4 && new DataView(b.buffer, b.byteOffset).getUint32(4096, true) === 0xa92b4efc) {
    return { kind: 'linux-raid', readable: false };
  }
  if (b.length >= 4096) {
    const swap = ascii(b, 4096 - 10, 10);
    // swap_header v1 (include/linux/swap.h): bootbits[1024], version, last_page, nr_badpages, uuid[16].
    if (swap === 'SWAPSPACE2') return withUuid({ kind: 'swap', readable: false }, binaryUuid(b, 1024 + 12));
    if (swap === 'SWAP-SPACE') return { kind: 'swap', readable: false };
  }
  if (b.length >= 0x10048 && ascii(b, 0x10040, 8) === '_BHRfS_M') return { kind: 'btrfs', readable: false };
  if (b.length >= 0x8006 && ascii(b, 0x8001, 5) === 'CD001') return { kind: 'iso9660', readable: true };
  if (b[510] === 0x55 && b[511] === 0xaa) {
    const fat = fatIdentity(b, device.size);
    if (fat) return fat;
  }
  return { kind: 'unknown', readable: false };
}

function withUuid(identity: VolumeIdentity, uuid: string | undefined): VolumeIdentity {
  return uuid === undefined ? identity : { ...identity, uuid };
}

/** A 16-byte UUID field in RFC 4122 byte order; undefined when all zero (none was set). */
function binaryUuid(b: Uint8Array, at: number): string | undefined {
  if (b.length < at + 16) return undefined;
  const bytes = b.subarray(at, at + 16);
  if (bytes.every((x) => x === 0)) return undefined;
  return decodeUuidBE(bytes);
}

/** LUKS1/LUKS2 keep the UUID as text, 40 bytes at offset 168 (cryptsetup on-disk format). */
function luksUuid(b: Uint8Array): string | undefined {
  const text = ascii(b, 168, 40).replace(/\0.*$/s, '');
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text) ? text.toLowerCase() : undefined;
}

/** ext2, ext3 or ext4 by blkid's rule (the ext reader's superblock decode); 'ext4' when the
 *  superblock is too damaged to tell, so the reader gets to say what is wrong. */
function extKind(head: Uint8Array): string {
  try {
    return readExtSuperblock(head, { at: 1024, origin: 0 }).kind;
  } catch {
    return 'ext4';
  }
}

/**
 * FAT12/16/32 by BS_FilSysType ("FAT32   ", "FAT12   ", "FAT16   ", "FAT     ") or, when that
 * string is blank or absent, by a BPB that validates (pure decode of sector 0: cheap). A named
 * volume whose BPB is damaged is still 'vfat', so the reader gets to say what is wrong.
 */
function fatIdentity(b: Uint8Array, size: number): VolumeIdentity | undefined {
  const named = ascii(b, 82, 5) === 'FAT32' || ascii(b, 54, 3) === 'FAT';
  const blank = /^[ \0]{8}$/.test(ascii(b, 54, 8)) || /^[ \0]{8}$/.test(ascii(b, 82, 8));
  if (!named && !blank) return undefined;
  try {
    const g = decodeBootSector(b, size);
    return withUuid({ kind: 'vfat', readable: true }, g.volumeId !== undefined ? volumeIdText(g.volumeId) : undefined);
  } catch {
    return named ? { kind: 'vfat', readable: true } : undefined;
  }
}
