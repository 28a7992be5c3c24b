// ext2/3/4 feature flags by name, from the kernel's Documentation/filesystems/ext4/super.rst
// and e2fsprogs lib/ext2fs/ext2_fs.h. Bits we do not know keep a name ("incompat_0x800") so a
// report can still say what it saw. `LIBEXT2FS_WRITABLE_*` lists what libext2fs (1.47) can
// write safely; everything else makes openExtWritable refuse.

export type FeatureTable = ReadonlyArray<readonly [bit: number, name: string]>;

export const COMPAT_FEATURES: FeatureTable = [
  [0x0001, 'dir_prealloc'],
  [0x0002, 'imagic_inodes'],
  [0x0004, 'has_journal'],
  [0x0008, 'ext_attr'],
  [0x0010, 'resize_inode'],
  [0x0020, 'dir_index'],
  [0x0040, 'lazy_bg'],
  [0x0080, 'exclude_inode'],
  [0x0100, 'exclude_bitmap'],
  [0x0200, 'sparse_super2'],
  [0x0400, 'fast_commit'],
  [0x0800, 'stable_inodes'],
  [0x1000, 'orphan_file'],
];

export const INCOMPAT_FEATURES: FeatureTable = [
  [0x0001, 'compression'],
  [0x0002, 'filetype'],
  [0x0004, 'needs_recovery'],
  [0x0008, 'journal_dev'],
  [0x0010, 'meta_bg'],
  [0x0040, 'extent'],
  [0x0080, '64bit'],
  [0x0100, 'mmp'],
  [0x0200, 'flex_bg'],
  [0x0400, 'ea_inode'],
  [0x1000, 'dirdata'],
  [0x2000, 'metadata_csum_seed'],
  [0x4000, 'large_dir'],
  [0x8000, 'inline_data'],
  [0x10000, 'encrypt'],
  [0x20000, 'casefold'],
];

export const RO_COMPAT_FEATURES: FeatureTable = [
  [0x0001, 'sparse_super'],
  [0x0002, 'large_file'],
  [0x0004, 'btree_dir'],
  [0x0008, 'huge_file'],
  [0x0010, 'uninit_bg'],
  [0x0020, 'dir_nlink'],
  [0x0040, 'extra_isize'],
  [0x0080, 'has_snapshot'],
  [0x0100, 'quota'],
  [0x0200, 'bigalloc'],
  [0x0400, 'metadata_csum'],
  [0x0800, 'replica'],
  [0x1000, 'read-only'],
  [0x2000, 'project'],
  [0x4000, 'shared_blocks'],
  [0x8000, 'verity'],
  [0x10000, 'orphan_present'],
];

export const INCOMPAT_RECOVER = 0x0004;
export const INCOMPAT_JOURNAL_DEV = 0x0008;
export const INCOMPAT_64BIT = 0x0080;
export const COMPAT_HAS_JOURNAL = 0x0004;
export const RO_COMPAT_READONLY = 0x1000;

/** Incompat features libext2fs both reads and writes correctly (filetype…large_dir, inline_data). */
export const LIBEXT2FS_WRITABLE_INCOMPAT =
  0x0002 | 0x0004 | 0x0010 | 0x0040 | 0x0080 | 0x0100 | 0x0200 | 0x0400 | 0x2000 | 0x4000 | 0x8000;

/** Ro-compat features libext2fs keeps consistent on write (no snapshots, replicas, shared blocks). */
export const LIBEXT2FS_WRITABLE_RO_COMPAT =
  0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0010 | 0x0020 | 0x0040 | 0x0100 | 0x0200 | 0x0400 | 0x2000 | 0x8000 | 0x10000;

/** Names of the bits set in `flags`, known ones by name and unknown ones as `<prefix>_0x…`. */
export function featureNames(flags: number, table: FeatureTable, prefix: string): string[] {
  const names: string[] = [];
  let rest = flags >>> 0;
  for (const [bit, name] of table) {
    if ((rest & bit) !== 0) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  for (let bit = 0; bit < 32; bit++) {
    const mask = (1 << bit) >>> 0;
    if ((rest & mask) !== 0) names.push(`${prefix}_0x${mask.toString(16)}`);
  }
  return names;
}

/** Bits of `flags` not listed in `table`. */
export function unknownBits(flags: number, table: FeatureTable): number {
  let known = 0;
  for (const [bit] of table) known |= bit;
  return (flags & ~known) >>> 0;
}
