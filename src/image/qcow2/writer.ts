// Writes a qcow2 v3 image (compat 1.1, 64 KiB clusters, 16-bit refcounts; docs/interop/
// qcow2.txt) from a guest disk. The file is laid out so it can be written front to back in
// big sequential writes: the header cluster and the L1 table first (filled in at the end),
// then every stored data cluster in guest order, then the L2 tables, the refcount blocks and
// the refcount table. Every cluster up to the end is referenced exactly once, so every
// refcount is 1 and `qemu-img check` finds neither errors nor leaks.
// Without a backing file, zero chunks are left unallocated (they read as zeros). With one,
// only the source's 'data' runs are stored; all-zero data becomes a v3 zero cluster so it
// still hides the backing file's bytes, and everything else stays unallocated and reads
// through to the backing file, named in the header with a backing format extension.

import type { ImageWriter, WriteImageOptions } from '../types.js';
import { scanChunks, scanDataChunks, isAllZero } from '../scan.js';
import { UnsupportedError } from '../../errors.js';
import { QCOW2_HEADER_V2, QCOW2_HEADER_V3_OPTIONAL, QCOW2_HEADER_V3_TAIL, QCOW2_MAGIC, MAX_BACKING_NAME } from './header.js';
import { EXTENSION, EXTENSION_HEADER } from './extensions.js';
import { L2_COPIED_HI, L2_ZERO_LO } from './l2-entry.js';

const CLUSTER_BITS = 16;
const CLUSTER_SIZE = 2 ** CLUSTER_BITS;
const REFCOUNT_ORDER = 4;
const L2_ENTRIES = CLUSTER_SIZE / 8;
const REFCOUNTS_PER_BLOCK = (CLUSTER_SIZE * 8) / 2 ** REFCOUNT_ORDER;
const HEADER_LENGTH = 0x70;
/** Data clusters gathered into one write. */
const WRITE_BATCH = 2 * 1024 * 1024;
const TWO_32 = 2 ** 32;

export const qcow2Writer: ImageWriter = {
  name: 'qcow2',
  subformats: [],
  write: writeQcow2,
};

async function writeQcow2(options: WriteImageOptions): Promise<void> {
  const { source, output, subformat, backing, onProgress } = options;
  if (subformat !== undefined && subformat !== '') {
    throw new UnsupportedError(`qcow2 has no subformat ${subformat}`, { kind: 'subformat' });
  }
  const encoder = new TextEncoder();
  const backingName = backing ? encoder.encode(backing.filename) : undefined;
  const backingFormat = backing ? encoder.encode(backing.format) : undefined;
  if (backingName !== undefined && (backingName.length === 0 || backingName.length > MAX_BACKING_NAME)) {
    throw new UnsupportedError(`backing file name must be 1..${MAX_BACKING_NAME} bytes`, { kind: 'backing' });
  }
  // qemu counts the virtual size in 512-byte sectors, so a ragged size is rounded up as
  // qemu-img convert does.
  const virtualSize = Math.ceil(source.size / 512) * 512;
  const l1Size = Math.ceil(virtualSize / (CLUSTER_SIZE * L2_ENTRIES));
  const l1Clusters = Math.ceil((l1Size * 8) / CLUSTER_SIZE);
  const l1Offset = CLUSTER_SIZE;
  let nextCluster = 1 + l1Clusters;

  const l2Tables = new Map<number, Uint8Array>();
  const l2Entry = (guestOffset: number): { view: DataView; at: number } => {
    const cluster = guestOffset / CLUSTER_SIZE;
    const l1Index = Math.floor(cluster / L2_ENTRIES);
    let table = l2Tables.get(l1Index);
    if (table === undefined) {
      table = new Uint8Array(CLUSTER_SIZE);
      l2Tables.set(l1Index, table);
    }
    return { view: new DataView(table.buffer), at: (cluster % L2_ENTRIES) * 8 };
  };

  // Data clusters, appended in guest order and written in batches. Two batch buffers take
  // turns so one can be written while the next is filled from the source (reads and writes
  // overlap instead of alternating).
  const buffers = [new Uint8Array(WRITE_BATCH), new Uint8Array(WRITE_BATCH)] as const;
  let current = 0;
  let batch: Uint8Array = buffers[0];
  let batchStart = nextCluster * CLUSTER_SIZE;
  let batchLength = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    if (batchLength === 0) return;
    await inFlight;
    inFlight = output.write(batchStart, batch.subarray(0, batchLength));
    // Its failure surfaces at the next await of inFlight, not as an unhandled rejection.
    inFlight.catch(() => {});
    batchStart += batchLength;
    batchLength = 0;
    current = 1 - current;
    batch = buffers[current] as Uint8Array;
  };
  const store = async (guestOffset: number, data: Uint8Array): Promise<void> => {
    const host = nextCluster * CLUSTER_SIZE;
    nextCluster++;
    if (batchLength + CLUSTER_SIZE > batch.length) await flush();
    batch.set(data, batchLength);
    if (data.length < CLUSTER_SIZE) batch.fill(0, batchLength + data.length, batchLength + CLUSTER_SIZE);
    batchLength += CLUSTER_SIZE;
    const { view, at } = l2Entry(guestOffset);
    view.setUint32(at, (L2_COPIED_HI | Math.floor(host / TWO_32)) >>> 0);
    view.setUint32(at + 4, host % TWO_32);
  };

  if (backing === undefined) {
    for await (const chunk of scanChunks(source, { chunkSize: CLUSTER_SIZE })) {
      if (chunk.data) await store(chunk.offset, chunk.data);
      onProgress?.(chunk.offset + chunk.length, source.size);
    }
  } else {
    for await (const chunk of scanDataChunks(source, { chunkSize: CLUSTER_SIZE })) {
      const data = chunk.data;
      if (data === undefined || isAllZero(data)) {
        const { view, at } = l2Entry(chunk.offset);
        view.setUint32(at + 4, L2_ZERO_LO);
      } else {
        await store(chunk.offset, data);
      }
      onProgress?.(chunk.offset + chunk.length, source.size);
    }
  }
  await flush();
  await inFlight;

  // L2 tables, in L1 order, in one write.
  const l1 = new Uint8Array(l1Clusters * CLUSTER_SIZE);
  const l1View = new DataView(l1.buffer);
  const l1Indexes = [...l2Tables.keys()].sort((a, b) => a - b);
  if (l1Indexes.length > 0) {
    const tables = new Uint8Array(l1Indexes.length * CLUSTER_SIZE);
    l1Indexes.forEach((l1Index, i) => {
      tables.set(l2Tables.get(l1Index) as Uint8Array, i * CLUSTER_SIZE);
      const host = (nextCluster + i) * CLUSTER_SIZE;
      l1View.setUint32(l1Index * 8, (L2_COPIED_HI | Math.floor(host / TWO_32)) >>> 0);
      l1View.setUint32(l1Index * 8 + 4, host % TWO_32);
    });
    await output.write(nextCluster * CLUSTER_SIZE, tables);
    nextCluster += l1Indexes.length;
  }

  // Refcounts: every cluster up to the end of the file, including the refcount structures
  // themselves, is used once. Find block and table counts that cover themselves.
  const used = nextCluster;
  let blocks = 0;
  let tableClusters = 0;
  for (;;) {
    const total = used + blocks + tableClusters;
    const needBlocks = Math.ceil(total / REFCOUNTS_PER_BLOCK);
    const needTable = Math.ceil((needBlocks * 8) / CLUSTER_SIZE);
    if (needBlocks === blocks && needTable === tableClusters) break;
    blocks = needBlocks;
    tableClusters = needTable;
  }
  const totalClusters = used + blocks + tableClusters;
  const refcounts = new Uint8Array((blocks + tableClusters) * CLUSTER_SIZE);
  const refcountView = new DataView(refcounts.buffer);
  for (let cluster = 0; cluster < totalClusters; cluster++) refcountView.setUint16(cluster * 2, 1);
  const tableAt = blocks * CLUSTER_SIZE;
  for (let b = 0; b < blocks; b++) {
    const host = (used + b) * CLUSTER_SIZE;
    refcountView.setUint32(tableAt + b * 8, Math.floor(host / TWO_32));
    refcountView.setUint32(tableAt + b * 8 + 4, host % TWO_32);
  }
  await output.write(used * CLUSTER_SIZE, refcounts);

  // Header cluster and L1 table last, now that every offset is known.
  const header = new Uint8Array(CLUSTER_SIZE);
  let at = HEADER_LENGTH;
  if (backingFormat !== undefined) {
    EXTENSION_HEADER.encode({ type: EXTENSION.backingFormat, length: backingFormat.length }, header, at);
    header.set(backingFormat, at + EXTENSION_HEADER.size);
    at += EXTENSION_HEADER.size + Math.ceil(backingFormat.length / 8) * 8;
  }
  EXTENSION_HEADER.encode({ type: EXTENSION.end, length: 0 }, header, at);
  at += EXTENSION_HEADER.size;
  if (backingName !== undefined) header.set(backingName, at);
  QCOW2_HEADER_V2.encode({
    magic: QCOW2_MAGIC,
    version: 3,
    backing_file_offset: backingName !== undefined ? at : 0,
    backing_file_size: backingName?.length ?? 0,
    cluster_bits: CLUSTER_BITS,
    size: virtualSize,
    crypt_method: 0,
    l1_size: l1Size,
    l1_table_offset: l1Size > 0 ? l1Offset : 0,
    refcount_table_offset: (used + blocks) * CLUSTER_SIZE,
    refcount_table_clusters: tableClusters,
    nb_snapshots: 0,
    snapshots_offset: 0,
  }, header, 0);
  QCOW2_HEADER_V3_TAIL.encode({
    incompatible_features: 0n,
    compatible_features: 0n,
    autoclear_features: 0n,
    refcount_order: REFCOUNT_ORDER,
    header_length: HEADER_LENGTH,
  }, header, QCOW2_HEADER_V2.size);
  QCOW2_HEADER_V3_OPTIONAL.encode({ compression_type: 0, padding: new Uint8Array(7) }, header, 0x68);
  const front = new Uint8Array(CLUSTER_SIZE + l1.length);
  front.set(header, 0);
  front.set(l1, l1Offset);
  await output.write(0, front);
  // Durability (fsync) is the caller's decision, as for the other writers.
  if (output.truncate) await output.truncate(totalClusters * CLUSTER_SIZE);
}
