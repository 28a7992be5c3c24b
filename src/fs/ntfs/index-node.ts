// Directory indexes ($I30): $INDEX_ROOT (resident, the B+tree root), INDX blocks in
// $INDEX_ALLOCATION (fixed-up like FILE records), and the index entries both hold: an MFT
// reference, lengths, flags (has-child 0x1, last 0x2), a $FILE_NAME key and, for node
// entries, the child block's VCN in the last 8 bytes.
// Spec: libyal libfsntfs "Index"; ntfs-3g layout.h INDEX_ROOT / INDEX_BLOCK / INDEX_ENTRY.
// Quirks relied on: entries_offset/index_length are relative to the index header (0x10 into
// INDEX_ROOT, 0x18 into an INDX block); the last entry carries no key but may carry a child.

import { struct, magic, u8, u16le, u32le, u64le, u64leBig, bytes, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';

export const INDEX_ROOT_HEADER = struct('NTFS $INDEX_ROOT', {
  type: u32le, //                       0x00  indexed attribute type (0x30 for $I30)
  collation_rule: u32le, //             0x04  1 = COLLATION_FILE_NAME
  index_block_size: u32le, //           0x08
  clusters_per_index_block: u8, //      0x0c
  reserved: bytes(3), //                0x0d
});

export const INDEX_HEADER = struct('NTFS index header', {
  entries_offset: u32le, //   0x00  relative to this header
  index_length: u32le, //     0x04  bytes in use, relative to this header
  allocated_size: u32le, //   0x08
  flags: u8, //               0x0c  1 = LARGE_INDEX (nodes have children)
  reserved: bytes(3), //      0x0d
});

export const INDEX_BLOCK_HEADER = struct('NTFS INDX block header', {
  magic: magic('INDX'), //        0x00
  usa_ofs: u16le, //              0x04
  usa_count: u16le, //            0x06
  lsn: u64leBig, //               0x08
  index_block_vcn: u64le, //      0x10
});

export const INDEX_ENTRY_HEADER = struct('NTFS index entry', {
  indexed_file: u64leBig, //   0x00  MFT reference
  length: u16le, //            0x08
  key_length: u16le, //        0x0a
  flags: u16le, //             0x0c  1 = INDEX_ENTRY_NODE, 2 = INDEX_ENTRY_END
  reserved: u16le, //          0x0e
});
export type IndexEntryHeader = Decoded<typeof INDEX_ENTRY_HEADER.fields>;

export const INDEX_ENTRY_NODE = 1;
export const INDEX_ENTRY_END = 2;
export const INDX_MAGIC = 0x58444e49;

export const COLLATION_FILE_NAME = 1;

export interface IndexEntry {
  recordNumber: number;
  sequence: number;
  flags: number;
  /** The key (a $FILE_NAME for $I30); a view into the node's buffer. */
  key: Uint8Array;
  /** Child block VCN when flags has INDEX_ENTRY_NODE, else -1. */
  childVcn: number;
}

export interface IndexNode {
  /** Entries in collation order; the last one has INDEX_ENTRY_END. */
  entries: IndexEntry[];
  hasChildren: boolean;
}

/**
 * Decodes the entries after the index header at `bytes[headerAt]`; `limit` is where the
 * containing structure ends. `origin` is the absolute offset of `bytes[0]`.
 */
export function decodeIndexEntries(args: { bytes: Uint8Array; headerAt: number; limit: number; origin: number; structure: string }): IndexNode {
  const { bytes, headerAt, limit, origin, structure } = args;
  if (headerAt + INDEX_HEADER.size > limit) throw new CorruptError('index header is truncated', { structure, offset: origin + headerAt });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entriesOffset = view.getUint32(headerAt, true);
  const indexLength = view.getUint32(headerAt + 4, true);
  const flags = bytes[headerAt + 12]!;
  const end = headerAt + indexLength;
  if (entriesOffset < INDEX_HEADER.size || indexLength > limit - headerAt || entriesOffset >= indexLength) {
    throw new CorruptError(`index header (entries at ${entriesOffset}, length ${indexLength}) does not fit`, { structure, offset: origin + headerAt });
  }
  const entries: IndexEntry[] = [];
  let at = headerAt + entriesOffset;
  while (true) {
    if (at + INDEX_ENTRY_HEADER.size > end) throw new CorruptError('index entries run past the node without an end entry', { structure, offset: origin + at });
    const length = view.getUint16(at + 8, true);
    const keyLength = view.getUint16(at + 10, true);
    const entryFlags = view.getUint16(at + 12, true);
    if (length < INDEX_ENTRY_HEADER.size || (length & 7) !== 0 || at + length > end) {
      throw new CorruptError(`index entry length ${length} is invalid`, { structure, offset: origin + at + 8 });
    }
    const isNode = (entryFlags & INDEX_ENTRY_NODE) !== 0;
    const keySpace = length - INDEX_ENTRY_HEADER.size - (isNode ? 8 : 0);
    if (keyLength > keySpace) throw new CorruptError(`index key length ${keyLength} exceeds its entry`, { structure, offset: origin + at + 10 });
    let childVcn = -1;
    if (isNode) {
      const lo = view.getUint32(at + length - 8, true);
      const hi = view.getUint32(at + length - 4, true);
      if (hi > 0x1fffff) throw new CorruptError('child VCN does not fit 2^53', { structure, offset: origin + at + length - 8 });
      childVcn = hi * 0x100000000 + lo;
    }
    entries.push({
      recordNumber: view.getUint16(at + 4, true) * 0x100000000 + view.getUint32(at, true),
      sequence: view.getUint16(at + 6, true),
      flags: entryFlags,
      key: bytes.subarray(at + 16, at + 16 + keyLength),
      childVcn,
    });
    if ((entryFlags & INDEX_ENTRY_END) !== 0) break;
    at += length;
  }
  return { entries, hasChildren: (flags & 1) !== 0 };
}

/** Encodes one index entry (the writer's side): header, key, and child VCN for node entries. */
export function encodeIndexEntry(entry: IndexEntry): Uint8Array {
  const isNode = (entry.flags & INDEX_ENTRY_NODE) !== 0;
  const length = (INDEX_ENTRY_HEADER.size + entry.key.length + 7) & ~7;
  const total = length + (isNode ? 8 : 0);
  const out = new Uint8Array(total);
  INDEX_ENTRY_HEADER.encode(
    {
      indexed_file: (BigInt(entry.sequence) << 48n) | BigInt(entry.recordNumber),
      length: total,
      key_length: entry.key.length,
      flags: entry.flags,
      reserved: 0,
    },
    out,
  );
  out.set(entry.key, INDEX_ENTRY_HEADER.size);
  if (isNode) new DataView(out.buffer).setBigUint64(total - 8, BigInt(entry.childVcn), true);
  return out;
}

export type IndexRootHeader = Decoded<typeof INDEX_ROOT_HEADER.fields>;
export type IndexBlockHeader = Decoded<typeof INDEX_BLOCK_HEADER.fields>;
