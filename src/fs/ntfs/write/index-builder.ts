// Lays out a whole $I30 B+tree from the sorted list of its entries: the root level in the
// resident $INDEX_ROOT when everything fits there, otherwise full INDX blocks packed bottom up
// (each level's overflow entry is promoted as the separator whose child holds the smaller
// keys, as in ntfs-3g's node split), with the top level in the root. Rebuilding a directory's
// index once per flush instead of editing nodes in place gives a balanced, densely packed tree
// every time; the writer batches all changes to a directory before rebuilding it.
// Spec: ntfs-3g layout.h INDEX_ROOT / INDEX_BLOCK / INDEX_ENTRY, index.c (split semantics);
// libyal libfsntfs "Index". Quirks relied on: a node entry's child holds keys smaller than
// the entry; the end entry's child holds keys larger than every entry of the node; INDX
// blocks carry update sequence fixups like FILE records; a node never stays without entries
// below the root.

import { encodeFixups } from '../fixups.js';
import { INDEX_ENTRY_END, INDEX_ENTRY_NODE, encodeIndexEntry } from '../index-node.js';

export interface IndexItem {
  recordNumber: number;
  sequence: number;
  /** The $FILE_NAME key. */
  key: Uint8Array;
}

interface LevelItem extends IndexItem {
  child: number; // -1 at the leaf level
}

export interface BuiltIndex {
  /** Entries area of the root (after the 0x10-byte INDEX_HEADER), end entry included. */
  rootEntries: Uint8Array;
  rootHasChildren: boolean;
  /** INDX blocks in VCN order, fixups applied, each `blockSize` bytes. */
  blocks: Uint8Array[];
}

const END_LEAF = 16;
const END_NODE = 24;
const BLOCK_HEADER = 0x18;

function entrySize(item: { key: Uint8Array; child: number }): number {
  return ((16 + item.key.length + 7) & ~7) + (item.child >= 0 ? 8 : 0);
}

function encodeNodeEntries(items: readonly LevelItem[], tail: number): Uint8Array {
  const parts = items.map((i) => encodeIndexEntry({ recordNumber: i.recordNumber, sequence: i.sequence, flags: i.child >= 0 ? INDEX_ENTRY_NODE : 0, key: i.key, childVcn: i.child }));
  parts.push(encodeIndexEntry({ recordNumber: 0, sequence: 0, flags: INDEX_ENTRY_END | (tail >= 0 ? INDEX_ENTRY_NODE : 0), key: new Uint8Array(0), childVcn: tail }));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Bytes the entries of one INDX block may use (after the header, USA and index header). */
export function blockCapacity(blockSize: number): number {
  return blockSize - entriesStart(blockSize);
}

function entriesStart(blockSize: number): number {
  const usaCount = blockSize / 512 + 1;
  return (0x28 + usaCount * 2 + 7) & ~7;
}

function encodeBlock(args: { blockSize: number; vcn: number; entries: Uint8Array; hasChildren: boolean }): Uint8Array {
  const { blockSize, vcn, entries } = args;
  const out = new Uint8Array(blockSize);
  const v = new DataView(out.buffer);
  out.set([0x49, 0x4e, 0x44, 0x58]); // INDX
  v.setUint16(4, 0x28, true);
  v.setUint16(6, blockSize / 512 + 1, true);
  v.setBigUint64(0x10, BigInt(vcn), true);
  const start = entriesStart(blockSize);
  v.setUint32(BLOCK_HEADER + 0, start - BLOCK_HEADER, true);
  v.setUint32(BLOCK_HEADER + 4, start - BLOCK_HEADER + entries.length, true);
  v.setUint32(BLOCK_HEADER + 8, blockSize - BLOCK_HEADER, true);
  out[BLOCK_HEADER + 12] = args.hasChildren ? 1 : 0;
  out.set(entries, start);
  encodeFixups({ bytes: out, size: blockSize, usn: 1 });
  return out;
}

/**
 * Builds the tree. `rootSpace` is how many entry bytes the root may hold; `vcnPerBlock`
 * converts block numbers to the VCNs stored in node entries.
 */
export function buildIndex(args: { items: readonly IndexItem[]; rootSpace: number; blockSize: number; vcnPerBlock: number }): BuiltIndex {
  const { rootSpace, blockSize, vcnPerBlock } = args;
  const capacity = blockCapacity(blockSize);
  const blocks: Uint8Array[] = [];
  let level: LevelItem[] = args.items.map((i) => ({ ...i, child: -1 }));
  let tail = -1;
  for (let depth = 0; depth < 64; depth++) {
    const endSize = tail >= 0 ? END_NODE : END_LEAF;
    const need = level.reduce((n, i) => n + entrySize(i), 0) + endSize;
    if (need <= rootSpace) return { rootEntries: encodeNodeEntries(level, tail), rootHasChildren: tail >= 0, blocks };
    // Pack this level into blocks; separators go up with the block before them as child.
    const up: LevelItem[] = [];
    let i = 0;
    let nextTail = -1;
    for (;;) {
      const node: LevelItem[] = [];
      let used = endSize;
      while (i < level.length && used + entrySize(level[i]!) <= capacity) {
        used += entrySize(level[i]!);
        node.push(level[i]!);
        i++;
      }
      const vcn = blocks.length * vcnPerBlock;
      if (i >= level.length) {
        blocks.push(encodeBlock({ blockSize, vcn, entries: encodeNodeEntries(node, tail), hasChildren: tail >= 0 }));
        nextTail = vcn;
        break;
      }
      if (node.length === 0) throw new RangeError('an index entry does not fit an index block');
      // The next item becomes the separator; were it the last one, the next node would be
      // empty, so the separator is taken from this node instead.
      if (i === level.length - 1 && node.length > 1) {
        node.pop();
        i--;
      }
      const separator = level[i]!;
      i++;
      blocks.push(encodeBlock({ blockSize, vcn, entries: encodeNodeEntries(node, separator.child), hasChildren: separator.child >= 0 }));
      up.push({ ...separator, child: vcn });
    }
    tail = nextTail;
    level = up;
  }
  throw new RangeError('directory index deeper than 64 levels');
}
