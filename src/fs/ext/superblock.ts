// Our own decode of the ext2/3/4 superblock (1024 bytes at byte 1024 of the volume), so that a
// volume is recognised, described and judged safe or unsafe to write before libext2fs ever
// sees it. Layout: kernel Documentation/filesystems/ext4/super.rst ("struct ext4_super_block").
// Quirks relied on: the block size is 1024 << s_log_block_size (the kernel caps it at 64 KiB);
// 64-bit block counts use the _hi halves only when the 64bit incompat feature is set; rev 0
// filesystems have 128-byte inodes and first inode 11 whatever the later fields hold.

import { bytes, struct, u16le, u32le, u64leBig, u8, type Decoded } from '../../binary/struct.js';
import { ascii } from '../../binary/struct.js';
import { crc32c } from '../../binary/checksum.js';
import { decodeUuidBE } from '../../binary/guid.js';
import { CorruptError } from '../../errors.js';
import type { BlockDevice } from '../../io/block-device.js';
import {
  COMPAT_FEATURES,
  COMPAT_HAS_JOURNAL,
  INCOMPAT_64BIT,
  INCOMPAT_FEATURES,
  INCOMPAT_RECOVER,
  RO_COMPAT_FEATURES,
  featureNames,
} from './features.js';

/** Byte offset of the primary superblock inside the volume. */
export const SUPERBLOCK_OFFSET = 1024;
export const EXT_MAGIC = 0xef53;

export const EXT_SUPERBLOCK = struct('ext superblock', {
  s_inodes_count: u32le, //            0x000
  s_blocks_count_lo: u32le, //         0x004
  s_r_blocks_count_lo: u32le, //       0x008
  s_free_blocks_count_lo: u32le, //    0x00C
  s_free_inodes_count: u32le, //       0x010
  s_first_data_block: u32le, //        0x014
  s_log_block_size: u32le, //          0x018
  s_log_cluster_size: u32le, //        0x01C
  s_blocks_per_group: u32le, //        0x020
  s_clusters_per_group: u32le, //      0x024
  s_inodes_per_group: u32le, //        0x028
  s_mtime: u32le, //                   0x02C
  s_wtime: u32le, //                   0x030
  s_mnt_count: u16le, //               0x034
  s_max_mnt_count: u16le, //           0x036
  s_magic: u16le, //                   0x038  0xEF53
  s_state: u16le, //                   0x03A
  s_errors: u16le, //                  0x03C
  s_minor_rev_level: u16le, //         0x03E
  s_lastcheck: u32le, //               0x040
  s_checkinterval: u32le, //           0x044
  s_creator_os: u32le, //              0x048
  s_rev_level: u32le, //               0x04C
  s_def_resuid: u16le, //              0x050
  s_def_resgid: u16le, //              0x052
  s_first_ino: u32le, //               0x054
  s_inode_size: u16le, //              0x058
  s_block_group_nr: u16le, //          0x05A
  s_feature_compat: u32le, //          0x05C
  s_feature_incompat: u32le, //        0x060
  s_feature_ro_compat: u32le, //       0x064
  s_uuid: bytes(16), //                0x068
  s_volume_name: bytes(16), //         0x078
  s_last_mounted: bytes(64), //        0x088
  s_algorithm_usage_bitmap: u32le, //  0x0C8
  s_prealloc_blocks: u8, //            0x0CC
  s_prealloc_dir_blocks: u8, //        0x0CD
  s_reserved_gdt_blocks: u16le, //     0x0CE
  s_journal_uuid: bytes(16), //        0x0D0
  s_journal_inum: u32le, //            0x0E0
  s_journal_dev: u32le, //             0x0E4
  s_last_orphan: u32le, //             0x0E8
  s_hash_seed: bytes(16), //           0x0EC
  s_def_hash_version: u8, //           0x0FC
  s_jnl_backup_type: u8, //            0x0FD
  s_desc_size: u16le, //               0x0FE
  s_default_mount_opts: u32le, //      0x100
  s_first_meta_bg: u32le, //           0x104
  s_mkfs_time: u32le, //               0x108
  s_jnl_blocks: bytes(68), //          0x10C
  s_blocks_count_hi: u32le, //         0x150
  s_r_blocks_count_hi: u32le, //       0x154
  s_free_blocks_count_hi: u32le, //    0x158
  s_min_extra_isize: u16le, //         0x15C
  s_want_extra_isize: u16le, //        0x15E
  s_flags: u32le, //                   0x160
  s_raid_stride: u16le, //             0x164
  s_mmp_interval: u16le, //            0x166
  s_mmp_block: u64leBig, //            0x168
  s_raid_stripe_width: u32le, //       0x170
  s_log_groups_per_flex: u8, //        0x174
  s_checksum_type: u8, //              0x175
  s_encryption_level: u8, //           0x176
  s_reserved_pad: u8, //               0x177
  s_kbytes_written: u64leBig, //       0x178
  s_snapshot_inum: u32le, //           0x180
  s_snapshot_id: u32le, //             0x184
  s_snapshot_r_blocks_count: u64leBig, // 0x188
  s_snapshot_list: u32le, //           0x190
  s_error_count: u32le, //             0x194
  s_first_error_time: u32le, //        0x198
  s_first_error_ino: u32le, //         0x19C
  s_first_error_block: u64leBig, //    0x1A0
  s_first_error_func: bytes(32), //    0x1A8
  s_first_error_line: u32le, //        0x1C8
  s_last_error_time: u32le, //         0x1CC
  s_last_error_ino: u32le, //          0x1D0
  s_last_error_line: u32le, //         0x1D4
  s_last_error_block: u64leBig, //     0x1D8
  s_last_error_func: bytes(32), //     0x1E0
  s_mount_opts: ascii(64), //          0x200
  s_usr_quota_inum: u32le, //          0x240
  s_grp_quota_inum: u32le, //          0x244
  s_overhead_clusters: u32le, //       0x248
  s_backup_bgs: bytes(8), //           0x24C
  s_encrypt_algos: bytes(4), //        0x254
  s_encrypt_pw_salt: bytes(16), //     0x258
  s_lpf_ino: u32le, //                 0x268
  s_prj_quota_inum: u32le, //          0x26C
  s_checksum_seed: u32le, //           0x270
  s_wtime_hi: u8, //                   0x274
  s_mtime_hi: u8, //                   0x275
  s_mkfs_time_hi: u8, //               0x276
  s_lastcheck_hi: u8, //               0x277
  s_first_error_time_hi: u8, //        0x278
  s_last_error_time_hi: u8, //         0x279
  s_first_error_errcode: u8, //        0x27A
  s_last_error_errcode: u8, //         0x27B
  s_encoding: u16le, //                0x27C
  s_encoding_flags: u16le, //          0x27E
  s_orphan_file_inum: u32le, //        0x280
  s_reserved: bytes(376), //           0x284
  s_checksum: u32le, //                0x3FC  crc32c of bytes 0..0x3FB (metadata_csum)
});
export type ExtSuperblockRaw = Decoded<typeof EXT_SUPERBLOCK['fields']>;

/** s_state bits. */
export const STATE_VALID = 0x0001;
export const STATE_ERROR = 0x0002;
export const STATE_ORPHANS = 0x0004;

const ERRORS_BEHAVIOUR: Record<number, string> = { 1: 'continue', 2: 'remount-ro', 3: 'panic' };
const CREATOR_OS: Record<number, string> = { 0: 'Linux', 1: 'Hurd', 2: 'Masix', 3: 'FreeBSD', 4: 'Lites' };
const RO_COMPAT_METADATA_CSUM = 0x0400;

export interface ExtSuperblock {
  /** The raw fields under their spec names. */
  raw: ExtSuperblockRaw;
  /** 'ext2' | 'ext3' | 'ext4', the way blkid tells them apart. */
  kind: 'ext2' | 'ext3' | 'ext4';
  label: string;
  uuid: string;
  lastMounted: string;
  blockSize: number;
  blockCount: number;
  freeBlockCount: number;
  inodeCount: number;
  freeInodeCount: number;
  inodeSize: number;
  blocksPerGroup: number;
  inodesPerGroup: number;
  firstDataBlock: number;
  revision: number;
  creatorOs: string;
  features: { compat: string[]; incompat: string[]; roCompat: string[] };
  state: { valid: boolean; errors: boolean; orphansBeingRecovered: boolean };
  /** What the kernel does on an error: continue, remount-ro, panic. */
  errorsBehaviour: string;
  /** The journal holds transactions not yet replayed (incompat RECOVER). */
  needsRecovery: boolean;
  hasJournal: boolean;
  /** Errors the kernel recorded (s_error_count). */
  errorCount: number;
  mountCount: number;
  lastWrite: Date;
  /** True when metadata_csum is on and the stored crc32c does not match. */
  checksumMismatch: boolean;
}

function latin1(bytesIn: Uint8Array): string {
  const end = bytesIn.indexOf(0);
  const slice = end < 0 ? bytesIn : bytesIn.subarray(0, end);
  return new TextDecoder('utf-8', { fatal: false }).decode(slice);
}

/**
 * Decodes a superblock. `bytes` holds the 1024 superblock bytes at `at` (default 0); `origin`
 * is the absolute device offset of `bytes[0]` for error messages. Throws CorruptError on a
 * bad magic or a geometry no filesystem can have.
 */
export function readExtSuperblock(bytesIn: Uint8Array, options: { at?: number; origin?: number } = {}): ExtSuperblock {
  const at = options.at ?? 0;
  const origin = options.origin ?? SUPERBLOCK_OFFSET;
  const raw = EXT_SUPERBLOCK.decode(bytesIn, { at, origin });
  const where = (field: keyof ExtSuperblockRaw & string) => ({
    structure: 'ext superblock',
    offset: origin + at + EXT_SUPERBLOCK.offsetOf(field),
  });
  if (raw.s_magic !== EXT_MAGIC) {
    throw new CorruptError(`bad ext magic 0x${raw.s_magic.toString(16)} (want 0xef53)`, where('s_magic'));
  }
  if (raw.s_log_block_size > 6) {
    throw new CorruptError(`block size 1024 << ${raw.s_log_block_size} is larger than 64 KiB`, where('s_log_block_size'));
  }
  const blockSize = 1024 << raw.s_log_block_size;
  if (raw.s_blocks_per_group === 0 || raw.s_inodes_per_group === 0) {
    throw new CorruptError('zero blocks or inodes per group', where('s_blocks_per_group'));
  }
  const incompat = raw.s_feature_incompat;
  const is64 = (incompat & INCOMPAT_64BIT) !== 0;
  const blockCount = raw.s_blocks_count_lo + (is64 ? raw.s_blocks_count_hi * 2 ** 32 : 0);
  const freeBlockCount = raw.s_free_blocks_count_lo + (is64 ? raw.s_free_blocks_count_hi * 2 ** 32 : 0);
  const inodeSize = raw.s_rev_level === 0 ? 128 : raw.s_inode_size;
  if (raw.s_rev_level !== 0 && (inodeSize < 128 || inodeSize > blockSize || (inodeSize & (inodeSize - 1)) !== 0)) {
    throw new CorruptError(`inode size ${inodeSize} is not a power of two between 128 and the block size`, where('s_inode_size'));
  }
  const compatNames = featureNames(raw.s_feature_compat, COMPAT_FEATURES, 'compat');
  const incompatNames = featureNames(incompat, INCOMPAT_FEATURES, 'incompat');
  const roCompatNames = featureNames(raw.s_feature_ro_compat, RO_COMPAT_FEATURES, 'ro_compat');
  const hasJournal = (raw.s_feature_compat & COMPAT_HAS_JOURNAL) !== 0;
  // blkid's rule: a journal makes ext3; ext4-only features (extent, 64bit, flex_bg, …) make ext4.
  const ext4Only =
    (incompat & ~(0x0002 | 0x0004 | 0x0008 | 0x0010)) !== 0 || (raw.s_feature_ro_compat & ~(0x0001 | 0x0002 | 0x0004)) !== 0;
  const kind = ext4Only ? 'ext4' : hasJournal ? 'ext3' : 'ext2';
  let checksumMismatch = false;
  if ((raw.s_feature_ro_compat & RO_COMPAT_METADATA_CSUM) !== 0) {
    // The kernel's ext4_superblock_csum is crc32c_le(~0, …) without the final inversion.
    const computed = (crc32c(bytesIn.subarray(at, at + 0x3fc)) ^ 0xffffffff) >>> 0;
    checksumMismatch = computed !== raw.s_checksum;
  }
  return {
    raw,
    kind,
    label: latin1(raw.s_volume_name),
    uuid: decodeUuidBE(raw.s_uuid),
    lastMounted: latin1(raw.s_last_mounted),
    blockSize,
    blockCount,
    freeBlockCount,
    inodeCount: raw.s_inodes_count,
    freeInodeCount: raw.s_free_inodes_count,
    inodeSize,
    blocksPerGroup: raw.s_blocks_per_group,
    inodesPerGroup: raw.s_inodes_per_group,
    firstDataBlock: raw.s_first_data_block,
    revision: raw.s_rev_level,
    creatorOs: CREATOR_OS[raw.s_creator_os] ?? `os_${raw.s_creator_os}`,
    features: { compat: compatNames, incompat: incompatNames, roCompat: roCompatNames },
    state: {
      valid: (raw.s_state & STATE_VALID) !== 0,
      errors: (raw.s_state & STATE_ERROR) !== 0,
      orphansBeingRecovered: (raw.s_state & STATE_ORPHANS) !== 0,
    },
    errorsBehaviour: ERRORS_BEHAVIOUR[raw.s_errors] ?? `unknown_${raw.s_errors}`,
    needsRecovery: (incompat & INCOMPAT_RECOVER) !== 0,
    hasJournal,
    errorCount: raw.s_error_count,
    mountCount: raw.s_mnt_count,
    lastWrite: new Date((raw.s_wtime + raw.s_wtime_hi * 2 ** 32) * 1000),
    checksumMismatch,
  };
}

/** True when the device holds the ext superblock magic at 1024+56. Never throws on short devices. */
export async function probeExt(device: BlockDevice): Promise<boolean> {
  if (device.size < SUPERBLOCK_OFFSET + EXT_SUPERBLOCK.size) return false;
  const magic = await device.read(SUPERBLOCK_OFFSET + EXT_SUPERBLOCK.offsetOf('s_magic'), 2);
  return ((magic[0] as number) | ((magic[1] as number) << 8)) === EXT_MAGIC;
}

/** Reads and decodes the primary superblock of a device. */
export async function readExtSuperblockFrom(device: BlockDevice): Promise<ExtSuperblock> {
  if (device.size < SUPERBLOCK_OFFSET + EXT_SUPERBLOCK.size) {
    throw new CorruptError(`device of ${device.size} bytes is too small for an ext superblock`, {
      structure: 'ext superblock',
      offset: SUPERBLOCK_OFFSET,
    });
  }
  return readExtSuperblock(await device.read(SUPERBLOCK_OFFSET, EXT_SUPERBLOCK.size));
}
