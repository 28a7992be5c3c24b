// Directory indexes as trees: the $I30 $INDEX_ROOT node plus INDX blocks of
// $INDEX_ALLOCATION (read whole, then walked in memory), iterated in collation order and
// searched case-insensitively through $UpCase. Every walk is bounded: each block is visited
// at most once and the depth is capped, so a looping or self-referencing index ends in a
// CorruptError instead of a hang. Spec: libyal libfsntfs "Index"; ntfs-3g dir.c/index.c.
// Quirk relied on: index VCNs count clusters when the block size is at least a cluster, and
// 512-byte units otherwise.

import { CorruptError, NotFoundError } from '../../errors.js';
import { applyFixups } from './fixups.js';
import { decodeIndexEntries, INDEX_BLOCK_HEADER, INDEX_ROOT_HEADER, INDEX_ENTRY_END, INDX_MAGIC, type IndexEntry, type IndexNode } from './index-node.js';
import { AT_INDEX_ALLOCATION, AT_INDEX_ROOT } from './attribute-types.js';
import type { AttributeRecord } from './attribute.js';
import type { MftFile } from './mft.js';
import type { UpcaseTable } from './upcase.js';
import { readUtf16 } from './file-name.js';
import { storedBytes } from './runlist.js';

const MAX_DEPTH = 64;
/** Largest $INDEX_ALLOCATION read into memory at once. */
const MAX_ALLOCATION = 1 << 30;

export interface DirectoryIndex {
  root: IndexNode;
  /** Decoded INDX blocks by VCN (decoded on first use). */
  node(vcn: number): IndexNode;
}

/** Index key → name (the $FILE_NAME key: length at 0x40, namespace at 0x41, name at 0x42). */
export function keyName(key: Uint8Array): string {
  return readUtf16(key, 0x42, Math.min(key[0x40] ?? 0, (key.length - 0x42) >>> 1));
}
export function keyNamespace(key: Uint8Array): number {
  return key[0x41] ?? 0;
}
export function keyFileAttributes(key: Uint8Array): number {
  return key.length >= 0x3c ? (key[0x38]! | (key[0x39]! << 8) | (key[0x3a]! << 16) | (key[0x3b]! << 24)) >>> 0 : 0;
}

/**
 * Builds the index of a directory from its attributes; `allocation` is the whole
 * $INDEX_ALLOCATION:$I30 content (or undefined when the index fits the root).
 */
export function openDirectoryIndex(args: { file: MftFile; allocation: Uint8Array | undefined; clusterSize: number; origin: number }): DirectoryIndex {
  const { file, allocation, clusterSize } = args;
  const rootAttribute = file.attributes.find((a) => a.type === AT_INDEX_ROOT && a.name === '$I30');
  if (!rootAttribute || !rootAttribute.resident) {
    throw new NotFoundError(`MFT record ${file.record.recordNumber} is not a directory (no $I30 index root)`, { kind: 'file' }, 'ENOTDIR');
  }
  const value = rootAttribute.value!;
  const header = INDEX_ROOT_HEADER.decode(value, { origin: rootAttribute.offset });
  const blockSize = header.index_block_size;
  if (blockSize < 512 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0) {
    throw new CorruptError(`index block size ${blockSize} is invalid`, { structure: INDEX_ROOT_HEADER.name, offset: rootAttribute.offset + 8 });
  }
  const root = decodeIndexEntries({ bytes: value, headerAt: INDEX_ROOT_HEADER.size, limit: value.length, origin: rootAttribute.offset, structure: '$INDEX_ROOT' });
  const vcnBytes = blockSize >= clusterSize ? clusterSize : 512;
  const nodes = new Map<number, IndexNode>();
  return {
    root,
    node(vcn: number): IndexNode {
      const hit = nodes.get(vcn);
      if (hit) return hit;
      const at = vcn * vcnBytes;
      if (!allocation || at + blockSize > allocation.length || at < 0) {
        throw new CorruptError(`index block VCN ${vcn} lies outside $INDEX_ALLOCATION`, { structure: INDEX_BLOCK_HEADER.name, offset: args.origin });
      }
      const view = new DataView(allocation.buffer, allocation.byteOffset, allocation.byteLength);
      if (view.getUint32(at, true) !== INDX_MAGIC) {
        throw new CorruptError(`index block VCN ${vcn} has no INDX signature`, { structure: INDEX_BLOCK_HEADER.name, offset: at });
      }
      applyFixups({ bytes: allocation, at, size: blockSize, origin: 0, structure: INDEX_BLOCK_HEADER.name });
      const node = decodeIndexEntries({ bytes: allocation, headerAt: at + INDEX_BLOCK_HEADER.size, limit: at + blockSize, origin: 0, structure: INDEX_BLOCK_HEADER.name });
      nodes.set(vcn, node);
      return node;
    },
  };
}

export function indexAllocationAttribute(file: MftFile): AttributeRecord | undefined {
  return file.attributes.find((a) => a.type === AT_INDEX_ALLOCATION && a.name === '$I30');
}

/** Index allocations are never sparse: their size must be backed by clusters before it is read. */
export function checkAllocationSize(attribute: AttributeRecord, clusterSize: number): void {
  if (attribute.dataSize > MAX_ALLOCATION || attribute.dataSize > storedBytes(attribute.runs, clusterSize)) {
    throw new CorruptError(`$INDEX_ALLOCATION of ${attribute.dataSize} bytes is implausibly large`, { structure: 'NTFS $INDEX_ALLOCATION', offset: attribute.offset });
  }
}

/** Every entry with a key, in collation order (in-order walk of the B+tree). */
export function indexEntries(index: DirectoryIndex): IndexEntry[] {
  const out: IndexEntry[] = [];
  const visited = new Set<number>();
  const visit = (node: IndexNode, depth: number): void => {
    if (depth > MAX_DEPTH) throw new CorruptError('directory index is deeper than 64 levels', { structure: 'NTFS index' });
    for (const entry of node.entries) {
      if (entry.childVcn >= 0) {
        if (visited.has(entry.childVcn)) throw new CorruptError(`index block VCN ${entry.childVcn} is referenced twice (loop)`, { structure: 'NTFS index' });
        visited.add(entry.childVcn);
        visit(index.node(entry.childVcn), depth + 1);
      }
      if ((entry.flags & INDEX_ENTRY_END) === 0) out.push(entry);
    }
  };
  visit(index.root, 0);
  return out;
}

/** Finds `name` case-insensitively; prefers an exact-case match among equal folded names. */
export function lookupEntry(index: DirectoryIndex, name: string, upcase: UpcaseTable): IndexEntry | undefined {
  let node = index.root;
  const visited = new Set<number>();
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    let next = -1;
    for (const entry of node.entries) {
      if ((entry.flags & INDEX_ENTRY_END) !== 0) {
        next = entry.childVcn;
        break;
      }
      const c = upcase.compare(name, keyName(entry.key));
      if (c === 0) return preferExactCase(index, entry, name, upcase);
      if (c < 0) {
        next = entry.childVcn;
        break;
      }
    }
    if (next < 0) return undefined;
    if (visited.has(next)) throw new CorruptError(`index block VCN ${next} is referenced twice (loop)`, { structure: 'NTFS index' });
    visited.add(next);
    node = index.node(next);
  }
  throw new CorruptError('directory index is deeper than 64 levels', { structure: 'NTFS index' });
}

function preferExactCase(index: DirectoryIndex, found: IndexEntry, name: string, upcase: UpcaseTable): IndexEntry {
  // Only POSIX-namespace names may have siblings that differ in case alone; those are rare,
  // so the whole index is scanned only then.
  if (keyName(found.key) === name || keyNamespace(found.key) !== 0) return found;
  for (const entry of indexEntries(index)) {
    if (keyName(entry.key) === name) return entry;
  }
  void upcase;
  return found;
}
