// Writes a streamOptimized VMDK the way VMware's OVF tools do, for OVA/ESXi import (VMware
// Virtual Disk Format 5.0, "Stream-Optimized Compressed Sparse Extents"): a version 3 header
// with the compressed-grains and markers flags and gdOffset = GD_AT_END, the embedded
// descriptor, then in one forward pass: each non-zero 64 KiB grain deflated behind a grain
// marker, each grain table behind a GT marker once its 32 MiB span is done (empty tables too,
// as VMware writes them), the grain directory behind a GD marker, the footer (the header
// again, now with the real gdOffset) behind a footer marker, and the end-of-stream marker.
// Deflate runs on libuv's thread pool a batch of grains at a time, so compression uses every
// core; the output is still written strictly in order.

import { deflate } from 'node:zlib';
import { promisify } from 'node:util';
import type { WriteImageOptions } from '../types.js';
import type { ScannedChunk } from '../scan.js';
import { scanChunks } from '../scan.js';
import { UnsupportedError } from '../../errors.js';
import { formatDescriptor, NO_PARENT_CID } from './descriptor.js';
import { diskDatabase, extentFileName, newCid } from './descriptor-defaults.js';
import { GrainMarker, MARKER_TYPE, metadataMarkerSector } from './markers.js';
import { COMPRESSION_DEFLATE, GD_AT_END, newSparseHeader, SECTOR, SPARSE_FLAGS, SparseExtentHeader } from './sparse-header.js';
import { SequentialOutput } from './sequential-output.js';
import { littleEndianBytes } from './table-bytes.js';

const deflateAsync = promisify(deflate);

const GRAIN_SECTORS = 128;
const GRAIN_BYTES = GRAIN_SECTORS * SECTOR;
const GTES_PER_GT = 512;
const GT_SECTORS = (GTES_PER_GT * 4) / SECTOR;
/**
 * zlib level. Measured on 96 MiB of /usr binaries, libraries and docs in 64 KiB grains:
 * level 1 takes 1.1 s of CPU for a ratio of 0.457, level 3 1.2 s for 0.445, level 6 2.0 s
 * for 0.428. Level 1 is 1.8x faster for 7% more bytes, the better trade for a disk image.
 */
export const STREAM_DEFLATE_LEVEL = 1;
/** Grains compressed concurrently. */
const BATCH = 64;

export async function writeStreamOptimized({ source, output, backing, onProgress }: WriteImageOptions): Promise<void> {
  if (backing) throw new UnsupportedError('a streamOptimized VMDK cannot have a backing file', { kind: 'vmdk-writer' });
  const capacity = Math.ceil(source.size / SECTOR);
  const gtCount = Math.max(1, Math.ceil(capacity / (GRAIN_SECTORS * GTES_PER_GT)));
  const text = new TextEncoder().encode(
    formatDescriptor({
      cid: newCid(),
      parentCid: NO_PARENT_CID,
      createType: 'streamOptimized',
      extents: [{ access: 'RW', sectors: capacity, type: 'SPARSE', filename: extentFileName(output) }],
      // ovftool writes lsilogic; on import the OVF's controller decides, not this entry.
      ddb: diskDatabase({ size: source.size, adapterType: 'lsilogic' }),
    }),
  );
  const descriptorSectors = Math.ceil(text.length / SECTOR);
  const overHead = Math.ceil((1 + descriptorSectors) / GRAIN_SECTORS) * GRAIN_SECTORS;
  const headerFields = {
    version: 3,
    flags: SPARSE_FLAGS.newlineDetect | SPARSE_FLAGS.compressedGrains | SPARSE_FLAGS.markers,
    capacity,
    grainSize: GRAIN_SECTORS,
    descriptorOffset: 1,
    descriptorSize: descriptorSectors,
    rgdOffset: 0,
    overHead,
    compressAlgorithm: COMPRESSION_DEFLATE,
  };
  const head = new Uint8Array(overHead * SECTOR);
  SparseExtentHeader.encode(newSparseHeader({ ...headerFields, gdOffset: GD_AT_END }), head, 0);
  head.set(text, SECTOR);

  const out = new SequentialOutput(output, 0);
  await out.append(head);
  const directory = new Uint32Array(Math.ceil(gtCount / (SECTOR / 4)) * (SECTOR / 4));
  const table = new Uint32Array(GTES_PER_GT);
  let tableIndex = 0;

  /** Writes grain tables up to (not including) `until`, each behind its marker. */
  const writeTablesUntil = async (until: number) => {
    while (tableIndex < until) {
      await out.append(metadataMarkerSector(GT_SECTORS, MARKER_TYPE.grainTable));
      directory[tableIndex] = out.position / SECTOR;
      await out.append(littleEndianBytes(table));
      table.fill(0);
      tableIndex++;
    }
  };

  const writeBatch = async (batch: ScannedChunk[]) => {
    const compressed = await Promise.all(
      batch.map((chunk) => {
        let data = chunk.data as Uint8Array;
        if (data.length < GRAIN_BYTES) {
          // The last grain of a disk that is not a multiple of 64 KiB is stored whole.
          const whole = new Uint8Array(GRAIN_BYTES);
          whole.set(data);
          data = whole;
        }
        return deflateAsync(data, { level: STREAM_DEFLATE_LEVEL, chunkSize: GRAIN_BYTES + 1024 });
      }),
    );
    for (let i = 0; i < batch.length; i++) {
      const grain = (batch[i] as ScannedChunk).offset / GRAIN_BYTES;
      await writeTablesUntil(Math.floor(grain / GTES_PER_GT));
      const data = compressed[i] as Buffer;
      const record = new Uint8Array(Math.ceil((GrainMarker.size + data.length) / SECTOR) * SECTOR);
      GrainMarker.encode({ lba: grain * GRAIN_SECTORS, size: data.length }, record, 0);
      record.set(data, GrainMarker.size);
      table[grain % GTES_PER_GT] = out.position / SECTOR;
      await out.append(record);
    }
  };

  let batch: ScannedChunk[] = [];
  for await (const chunk of scanChunks(source, { chunkSize: GRAIN_BYTES })) {
    if (chunk.data) {
      batch.push(chunk);
      if (batch.length >= BATCH) {
        await writeBatch(batch);
        batch = [];
      }
    }
    onProgress?.(chunk.offset + chunk.length, source.size);
  }
  await writeBatch(batch);
  await writeTablesUntil(gtCount);

  const directorySectors = directory.length / (SECTOR / 4);
  await out.append(metadataMarkerSector(directorySectors, MARKER_TYPE.grainDirectory));
  const gdOffset = out.position / SECTOR;
  await out.append(littleEndianBytes(directory));
  await out.append(metadataMarkerSector(1, MARKER_TYPE.footer));
  await out.append(SparseExtentHeader.encode(newSparseHeader({ ...headerFields, gdOffset: BigInt(gdOffset) })));
  await out.append(metadataMarkerSector(0, MARKER_TYPE.endOfStream));
  await out.flush();
}
