// Stream-optimized markers (VMware Virtual Disk Format 5.0, "Stream-Optimized Compressed
// Sparse Extents"). Every sector-aligned item after the header starts with a marker: a
// compressed grain ({lba, size != 0, deflate data}) or a metadata marker ({numSectors,
// size = 0, type}) followed by that many sectors of grain table, grain directory or footer.
// The stream ends with an all-zero end-of-stream marker.

import { struct, u32le, u64le, type Decoded } from '../../binary/struct.js';

export const MARKER_TYPE = {
  endOfStream: 0,
  grainTable: 1,
  grainDirectory: 2,
  footer: 3,
} as const;

/** The 12-byte head of a compressed grain: the grain's first sector and the deflate size. */
export const GrainMarker = struct('VMDK grain marker', {
  lba: u64le,   // 0x00  guest sector of the grain
  size: u32le,  // 0x08  bytes of compressed data that follow
});
export type GrainMarker = Decoded<typeof GrainMarker['fields']>;

/** A metadata marker, padded to one sector. */
export const MetadataMarker = struct('VMDK metadata marker', {
  numSectors: u64le, // 0x00  sectors of metadata that follow
  size: u32le,       // 0x08  always 0, which tells it from a grain marker
  type: u32le,       // 0x0c  MARKER_TYPE
});
export type MetadataMarker = Decoded<typeof MetadataMarker['fields']>;

/** One 512-byte sector holding a metadata marker. */
export function metadataMarkerSector(numSectors: number, type: number): Uint8Array {
  const sector = new Uint8Array(512);
  MetadataMarker.encode({ numSectors, size: 0, type }, sector);
  return sector;
}
