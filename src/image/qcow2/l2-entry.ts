// Decoding one qcow2 L2 entry (docs/interop/qcow2.txt, "Cluster mapping" and "Extended L2
// Entries") into what a guest range reads as: host data, zeros, the backing file, or a
// compressed cluster. Entries are read as two big-endian u32 halves so the hot path needs no
// BigInt; only compressed descriptors, whose field split depends on cluster_bits, use it.

import { CorruptError } from '../../errors.js';

export type Mapping =
  /** Stored at `host` (the start of the guest range's bytes in the file). */
  | { kind: 'data'; host: number }
  /** Reads as zeros. */
  | { kind: 'zero' }
  /** Not allocated here: reads through to the backing file (or zeros without one). */
  | { kind: 'unallocated' }
  /** The whole cluster is compressed: `length` bytes at `host` hold it. */
  | { kind: 'compressed'; host: number; length: number };

const TWO_32 = 2 ** 32;
export const L2_COPIED_HI = 0x80000000;
export const L2_COMPRESSED_HI = 0x40000000;
export const L2_ZERO_LO = 1;

export interface EntryContext {
  clusterBits: number;
  clusterSize: number;
  fileSize: number;
  /** Absolute file offset of the entry, for errors. */
  at: number;
}

/** Host cluster offset of a standard descriptor (bits 9-55). */
export function standardOffset(hi: number, lo: number): number {
  return (hi & 0x00ffffff) * TWO_32 + (lo & 0xfffffe00);
}

/** The fields of a compressed descriptor: host offset and the 512-byte sectors after the first. */
export function compressedDescriptor(hi: number, lo: number, clusterBits: number): { host: number; extraSectors: number } {
  const descriptor = (BigInt(hi & 0x3fffffff) << 32n) | BigInt(lo >>> 0);
  const offsetBits = BigInt(62 - (clusterBits - 8));
  return { host: Number(descriptor & ((1n << offsetBits) - 1n)), extraSectors: Number(descriptor >> offsetBits) };
}

/** A compressed descriptor: host offset and the bytes to read for it, clipped to the file. */
export function decodeCompressed(hi: number, lo: number, context: EntryContext): Mapping {
  const { host, extraSectors } = compressedDescriptor(hi, lo, context.clusterBits);
  if (host >= context.fileSize) {
    throw new CorruptError(`compressed cluster at ${host} lies outside the file of ${context.fileSize} bytes`, {
      structure: 'qcow2 L2 entry',
      offset: context.at,
    });
  }
  const end = Math.min(context.fileSize, (Math.floor(host / 512) + extraSectors + 1) * 512);
  return { kind: 'compressed', host, length: end - host };
}

/** A standard (non-extended) L2 entry for a whole cluster. */
export function decodeStandard(hi: number, lo: number, context: EntryContext): Mapping {
  if (hi & L2_COMPRESSED_HI) return decodeCompressed(hi, lo, context);
  if (lo & L2_ZERO_LO) return { kind: 'zero' };
  const host = standardOffset(hi, lo);
  if (host === 0) return { kind: 'unallocated' };
  return { kind: 'data', host: checkDataCluster(host, lo, context) };
}

/**
 * One subcluster of an extended L2 entry: `bitmapHi` holds the "reads as zeros" bits and
 * `bitmapLo` the allocation bits, bit x for subcluster x.
 */
export function decodeSubcluster(args: { hi: number; lo: number; bitmapHi: number; bitmapLo: number; index: number; subclusterSize: number; context: EntryContext }): Mapping {
  const { hi, lo, bitmapHi, bitmapLo, index, subclusterSize, context } = args;
  if (hi & L2_COMPRESSED_HI) return decodeCompressed(hi, lo, context);
  const allocated = (bitmapLo >>> index) & 1;
  const zero = (bitmapHi >>> index) & 1;
  if (allocated && zero) {
    throw new CorruptError(`subcluster ${index} is marked both allocated and zero`, { structure: 'qcow2 extended L2 entry', offset: context.at + 8 });
  }
  if (zero) return { kind: 'zero' };
  if (!allocated) return { kind: 'unallocated' };
  const host = standardOffset(hi, lo);
  if (host === 0) {
    throw new CorruptError(`subcluster ${index} is allocated but the cluster has no host offset`, { structure: 'qcow2 extended L2 entry', offset: context.at });
  }
  return { kind: 'data', host: checkDataCluster(host, lo, context) + index * subclusterSize };
}

function checkDataCluster(host: number, lo: number, context: EntryContext): number {
  if ((lo & 0x1fe) !== 0 || host % context.clusterSize !== 0) {
    throw new CorruptError(`data cluster offset ${host + (lo & 0x1fe)} is not cluster aligned`, { structure: 'qcow2 L2 entry', offset: context.at });
  }
  if (host >= context.fileSize) {
    throw new CorruptError(`data cluster at ${host} lies outside the file of ${context.fileSize} bytes`, { structure: 'qcow2 L2 entry', offset: context.at });
  }
  return host;
}
