// The VDI block map: one u32 per virtual block giving the index of its block in the file,
// 0xffffffff for a block never written (reads as zeros; in a diff image, from the parent)
// and 0xfffffffe for a discarded block (zeros). Every mapped block is checked to lie inside
// the file when the image is opened, so reads never run off the end.

import { CorruptError } from '../../errors.js';
import type { Diagnostics } from '../../diagnostics.js';
import type { VdiLayout } from './header.js';

export const VDI_BLOCK_UNALLOCATED = 0xffffffff;
export const VDI_BLOCK_ZERO = 0xfffffffe;

/** Decodes and checks the block map. Pure apart from diagnostics. */
export function decodeVdiBlockMap(args: { bytes: Uint8Array; layout: VdiLayout; fileSize: number; diagnostics: Diagnostics }): Uint32Array {
  const { bytes, layout, fileSize, diagnostics } = args;
  const { header, blockStride } = layout;
  const count = header.cBlocks;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const map = new Uint32Array(count);
  // Physical blocks the file can hold; a map entry beyond them is corrupt.
  const physicalLimit = Math.max(0, Math.floor((fileSize - header.offData) / blockStride));
  const seen = new Uint8Array(Math.min(physicalLimit, count));
  let allocated = 0;
  let duplicates = 0;
  for (let i = 0; i < count; i++) {
    const entry = view.getUint32(i * 4, true);
    map[i] = entry;
    if (entry === VDI_BLOCK_UNALLOCATED || entry === VDI_BLOCK_ZERO) continue;
    if (entry >= physicalLimit) {
      throw new CorruptError(`block ${i} maps to file block ${entry}, past the end of the ${fileSize}-byte file`, {
        structure: 'VDI block map',
        offset: header.offBlocks + i * 4,
      });
    }
    allocated++;
    if (entry < seen.length) {
      if (seen[entry]) duplicates++;
      seen[entry] = 1;
    }
  }
  if (allocated !== header.cBlocksAllocated) {
    diagnostics.report({
      severity: 'warning',
      code: 'vdi-allocated-count',
      message: `header says ${header.cBlocksAllocated} blocks are allocated, the block map has ${allocated}`,
      structure: 'VDI header',
      offset: 0x184,
    });
  }
  if (duplicates > 0) {
    diagnostics.report({
      severity: 'warning',
      code: 'vdi-shared-blocks',
      message: `${duplicates} block map entries point at a file block already used by another entry`,
      structure: 'VDI block map',
      offset: header.offBlocks,
    });
  }
  return map;
}
