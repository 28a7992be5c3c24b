// Writes a monolithicSparse VMDK as VMware Workstation and qemu-img lay it out: header at
// sector 0, embedded descriptor in sectors 1..20, then the redundant grain directory and its
// pre-allocated grain tables, then the primary grain directory and its grain tables, padded
// to the first grain; 64 KiB grains follow in guest order. All-zero and unallocated chunks
// stay unallocated (GTE 0). Grains are streamed out in large sequential writes; the metadata
// area is written last, from the same in-memory table of grain entries.
// With a backing file the result is a child (a snapshot delta): parentFileNameHint and the
// parent's CID are recorded, only the source's 'data' runs are stored, all-zero data becomes a
// zeroed-grain entry (GTE 1, version 2 with flag bit 2, as qemu writes with zeroed_grain=on)
// so it still hides the parent's bytes, and everything else reads through to the parent.

import type { WriteImageOptions } from '../types.js';
import { isAllZero, scanChunks, scanDataChunks } from '../scan.js';
import { UnsupportedError } from '../../errors.js';
import { formatDescriptor, NO_PARENT_CID } from './descriptor.js';
import { diskDatabase, extentFileName, newCid } from './descriptor-defaults.js';
import { newSparseHeader, SECTOR, SPARSE_FLAGS, SparseExtentHeader } from './sparse-header.js';
import { SequentialOutput } from './sequential-output.js';
import { littleEndianBytes } from './table-bytes.js';
import { readParentCid } from './parent-cid.js';

const GRAIN_SECTORS = 128;
const GRAIN_BYTES = GRAIN_SECTORS * SECTOR;
const GTES_PER_GT = 512;
const GT_SECTORS = (GTES_PER_GT * 4) / SECTOR;
const DESCRIPTOR_OFFSET = 1;
const DESCRIPTOR_SECTORS = 20;
/** Grain table entry of a grain that reads as zeros (needs the zeroed-grain flag). */
const ZEROED_GRAIN = 1;

export async function writeMonolithicSparse({ source, output, backing, onProgress }: WriteImageOptions): Promise<void> {
  if (backing && backing.format !== 'vmdk') {
    throw new UnsupportedError(`a VMDK child needs a VMDK parent, not ${backing.format} (VMware and qemu refuse others)`, { kind: 'backing' });
  }
  const parentCid = backing ? await readParentCid({ output, reference: backing.filename }) : NO_PARENT_CID;
  const capacity = Math.ceil(source.size / SECTOR);
  const gtCount = Math.max(1, Math.ceil(capacity / (GRAIN_SECTORS * GTES_PER_GT)));
  const gdSectors = Math.ceil((gtCount * 4) / SECTOR);
  const rgdOffset = DESCRIPTOR_OFFSET + DESCRIPTOR_SECTORS;
  const gdOffset = rgdOffset + gdSectors + gtCount * GT_SECTORS;
  const metadataEnd = gdOffset + gdSectors + gtCount * GT_SECTORS;
  const overHead = Math.ceil(metadataEnd / GRAIN_SECTORS) * GRAIN_SECTORS;

  const entries = new Uint32Array(gtCount * GTES_PER_GT);
  const out = new SequentialOutput(output, overHead * SECTOR);
  const chunks = backing ? scanDataChunks(source, { chunkSize: GRAIN_BYTES }) : scanChunks(source, { chunkSize: GRAIN_BYTES });
  for await (const chunk of chunks) {
    if (chunk.data && backing && isAllZero(chunk.data)) {
      entries[chunk.offset / GRAIN_BYTES] = ZEROED_GRAIN;
    } else if (chunk.data) {
      entries[chunk.offset / GRAIN_BYTES] = out.position / SECTOR;
      await out.append(chunk.data);
      // The last grain of a disk that is not a multiple of 64 KiB is stored whole.
      if (chunk.data.length < GRAIN_BYTES) await out.pad(GRAIN_BYTES);
    }
    onProgress?.(chunk.offset + chunk.length, source.size);
  }
  await out.flush();
  onProgress?.(source.size, source.size);

  const header = newSparseHeader({
    version: backing ? 2 : 1,
    flags: SPARSE_FLAGS.newlineDetect | SPARSE_FLAGS.redundantGrainTable | (backing ? SPARSE_FLAGS.zeroedGrainTableEntry : 0),
    capacity,
    grainSize: GRAIN_SECTORS,
    descriptorOffset: DESCRIPTOR_OFFSET,
    descriptorSize: DESCRIPTOR_SECTORS,
    rgdOffset,
    gdOffset: BigInt(gdOffset),
    overHead,
    compressAlgorithm: 0,
  });
  const text = new TextEncoder().encode(
    formatDescriptor({
      cid: newCid(),
      parentCid,
      createType: 'monolithicSparse',
      ...(backing ? { parentFileNameHint: backing.filename } : {}),
      extents: [{ access: 'RW', sectors: capacity, type: 'SPARSE', filename: extentFileName(output) }],
      // IDE boots every guest; Workstation asks no more of a disk it imports.
      ddb: diskDatabase({ size: source.size, adapterType: 'ide' }),
    }),
  );
  const head = new Uint8Array((DESCRIPTOR_OFFSET + DESCRIPTOR_SECTORS) * SECTOR);
  SparseExtentHeader.encode(header, head, 0);
  if (text.length > DESCRIPTOR_SECTORS * SECTOR) throw new UnsupportedError('descriptor does not fit its 20 sectors');
  head.set(text, DESCRIPTOR_OFFSET * SECTOR);
  await output.write(0, head);

  const tables = littleEndianBytes(entries);
  for (const directoryAt of [rgdOffset, gdOffset]) {
    const directory = new Uint32Array(gdSectors * (SECTOR / 4));
    for (let i = 0; i < gtCount; i++) directory[i] = directoryAt + gdSectors + i * GT_SECTORS;
    await output.write(directoryAt * SECTOR, littleEndianBytes(directory));
    await output.write((directoryAt + gdSectors) * SECTOR, tables);
  }
  // The space between the last grain table and the first grain is part of the file.
  if (output.size < overHead * SECTOR) await output.write(metadataEnd * SECTOR, new Uint8Array((overHead - metadataEnd) * SECTOR));
}
