// Setting an inode's mtime ourselves, because the ext2fs package exposes no utimes. Used only
// while libext2fs has the filesystem closed (between umount and mount in flush), so that no
// cached copy inside libext2fs can overwrite it. Layout: kernel Documentation/filesystems/ext4/
// (group descriptors: bg_inode_table_lo 0x08 / _hi 0x28; inode: i_mtime 0x10, l_i_checksum_lo
// 0x7C, i_extra_isize 0x80, i_checksum_hi 0x82, i_mtime_extra 0x88). The inode checksum under
// metadata_csum is crc32c(seed, inode number, generation, inode with both checksum fields
// zeroed), seed = crc32c(~0, uuid) or s_checksum_seed with metadata_csum_seed; the kernel's
// crc32c has no pre/post inversion, so ours is wrapped accordingly.

import { crc32c } from '../../binary/checksum.js';
import { CorruptError, UnsupportedError } from '../../errors.js';
import type { ExtSuperblock } from './superblock.js';

const INCOMPAT_64BIT = 0x80;
const INCOMPAT_META_BG = 0x10;
const INCOMPAT_CSUM_SEED = 0x2000;
const RO_COMPAT_METADATA_CSUM = 0x400;

/** The kernel's crc32c_le(seed, data): no inversion on entry or exit. */
function rawCrc32c(seed: number, data: Uint8Array): number {
  return ~crc32c(data, ~seed >>> 0) >>> 0;
}

function le32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
}

/** Where the group descriptor of `group` lives, or UnsupportedError for meta_bg layouts. */
export function groupDescriptorOffset(sb: ExtSuperblock, group: number): { offset: number; size: number } {
  if (sb.raw.s_feature_incompat & INCOMPAT_META_BG) {
    throw new UnsupportedError('setting times on a meta_bg filesystem is not supported', { structure: 'ext group descriptor' });
  }
  const size = sb.raw.s_feature_incompat & INCOMPAT_64BIT ? sb.raw.s_desc_size : 32;
  if (size < 32 || size > 1024) throw new CorruptError(`group descriptor size ${size}`, { structure: 'ext superblock', offset: 1024 + 0xfe });
  return { offset: (sb.firstDataBlock + 1) * sb.blockSize + group * size, size };
}

/** Absolute offset of inode `ino` given its group's descriptor bytes. */
export function inodeOffset(sb: ExtSuperblock, descriptor: Uint8Array, ino: number): number {
  const view = new DataView(descriptor.buffer, descriptor.byteOffset, descriptor.byteLength);
  const lo = view.getUint32(0x08, true);
  const hi = descriptor.length >= 0x2c ? view.getUint32(0x28, true) : 0;
  const table = lo + hi * 2 ** 32;
  const index = (ino - 1) % sb.inodesPerGroup;
  return table * sb.blockSize + index * sb.inodeSize;
}

/** Writes `mtime` into an inode's bytes (seconds, and the extra field when the inode has one). */
export function setInodeMtime(inode: Uint8Array, mtime: Date): void {
  const view = new DataView(inode.buffer, inode.byteOffset, inode.byteLength);
  const ms = mtime.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  view.setUint32(0x10, seconds >>> 0, true);
  const extra = inode.length > 128 ? view.getUint16(0x80, true) : 0;
  if (extra >= 0x0c) {
    // Bits 0-1 extend the seconds past 2038 (epoch bits), bits 2-31 hold nanoseconds.
    const epoch = Math.floor((seconds - (seconds | 0)) / 2 ** 32) & 3;
    view.setUint32(0x88, ((nanos << 2) | epoch) >>> 0, true);
  }
}

/** Recomputes the metadata_csum inode checksum in place; does nothing without metadata_csum. */
export function updateInodeChecksum(sb: ExtSuperblock, ino: number, inode: Uint8Array): void {
  if (!(sb.raw.s_feature_ro_compat & RO_COMPAT_METADATA_CSUM)) return;
  const view = new DataView(inode.buffer, inode.byteOffset, inode.byteLength);
  const seed = sb.raw.s_feature_incompat & INCOMPAT_CSUM_SEED ? sb.raw.s_checksum_seed : rawCrc32c(0xffffffff, sb.raw.s_uuid);
  const hasHi = inode.length > 128 && view.getUint16(0x80, true) >= 4;
  view.setUint16(0x7c, 0, true);
  if (hasHi) view.setUint16(0x82, 0, true);
  let crc = rawCrc32c(seed, le32(ino));
  crc = rawCrc32c(crc, le32(view.getUint32(0x64, true))); // i_generation
  crc = rawCrc32c(crc, inode);
  view.setUint16(0x7c, crc & 0xffff, true);
  if (hasHi) view.setUint16(0x82, crc >>> 16, true);
}
