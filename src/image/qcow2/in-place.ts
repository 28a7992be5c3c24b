// Plans writing changed guest ranges into an existing qcow2 file in place (docs/interop/
// qcow2.txt, "Cluster mapping", "Host cluster management"), for v2 and v3 images, standard and
// extended L2 entries, any refcount width. The result is a list of file writes in phases; the
// caller journals their old bytes, then writes phase by phase with an fsync after each.
//
// Per changed guest cluster:
//  - a data cluster of this file with refcount 1: the changed bytes are overwritten in place;
//  - a host cluster that is allocated but reads (partly) as zeros or backing (a v3 zero
//    cluster with an offset, an extended L2 entry with some subclusters unallocated): the full
//    new cluster is written there and the L2 entry now marks it all allocated;
//  - anything else (unallocated: backing or zeros; a zero cluster; a compressed cluster):
//    a new host cluster is appended and filled with the full new guest cluster (read through
//    the guest device, so backing bytes, zeros and decompressed data carry over), the L2 entry
//    points to it (a new L2 table is appended when the L1 entry is empty), and a replaced
//    compressed cluster's host clusters lose one reference each.
// New clusters are appended after the end of the file and after every cluster with a refcount
// (never taken from free space inside the file: simpler and safer). Refcount blocks are added
// where the new clusters need them, covering themselves; when the refcount table is too small a
// larger one is appended (as qemu does) and the header switched to it, the old one freed.
// Write order, as qemu orders its own allocations so that a crash leaves at most leaked
// clusters, never a reference to a cluster with refcount 0:
//   header features (clear autoclear bits we do not maintain) → data → refcount blocks →
//   refcount table → header (table switch) → L2 tables → L1 table → refcount decrements.

import type { BlockDevice } from '../../io/block-device.js';
import { CorruptError, PreconditionError, UnsupportedError } from '../../errors.js';
import { readHeader, readL1 } from './format.js';
import { assertInPlaceWritable } from './in-place-checks.js';
import { MAX_REFCOUNT_TABLE_BYTES, RefcountModel } from './in-place-refcounts.js';
import { L2_COMPRESSED_HI, L2_COPIED_HI, L2_ZERO_LO, compressedDescriptor, standardOffset } from './l2-entry.js';
import type { Qcow2Header } from './header.js';

const TWO_32 = 2 ** 32;
const SUBCLUSTERS = 32;
/** Appended data clusters gathered into one write. */
const APPEND_BATCH = 4 * 1024 * 1024;
/** The refcount table grows by half again when it must grow (qemu grows it similarly). */
const TABLE_GROWTH = 1.5;

export interface GuestRange {
  offset: number;
  length: number;
}

export interface InPlaceWrite {
  offset: number;
  data: Uint8Array;
  /** What the bytes are: 'data', 'L2 table', 'refcount block', … (for journals and errors). */
  what: string;
}

export type InPlacePhaseName =
  | 'header features'
  | 'data'
  | 'refcount blocks'
  | 'refcount table'
  | 'header'
  | 'L2 tables'
  | 'L1 table'
  | 'refcount decrements';

export interface InPlacePhase {
  name: InPlacePhaseName;
  writes: InPlaceWrite[];
}

export interface Qcow2InPlaceStats {
  /** Guest clusters whose changed bytes were written over their host cluster. */
  overwritten: number;
  /** Guest clusters rewritten whole into the host cluster they already had. */
  reused: number;
  /** Guest clusters given a new host cluster. */
  allocated: number;
  /** Of those, how many replaced a compressed cluster. */
  compressedReplaced: number;
  l2TablesAllocated: number;
  refcountBlocksAllocated: number;
  refcountTableGrown: boolean;
}

export interface Qcow2InPlacePlan {
  /** File length before the commit. */
  fileSize: number;
  /** File length after every phase is written. */
  committedSize: number;
  clusterSize: number;
  /** Non-empty phases, in write order. */
  phases: InPlacePhase[];
  stats: Qcow2InPlaceStats;
}

type Action =
  | { kind: 'overwrite'; host: number }
  | { kind: 'reuse'; host: number }
  | { kind: 'allocate'; host: number; free?: { start: number; end: number } };

interface L2Table {
  offset: number;
  bytes: Uint8Array;
  created: boolean;
  dirty: boolean;
}

/**
 * Plans the writes that make `file` (a qcow2 image) read as `guest` over the `changed` guest
 * ranges. `guest` is the new guest content (an overlay over this very image); it is read for the
 * changed bytes and, where a cluster is newly allocated, for the whole cluster.
 */
export async function planQcow2InPlace(args: { file: BlockDevice; guest: BlockDevice; changed: readonly GuestRange[]; path?: string }): Promise<Qcow2InPlacePlan> {
  const { file, guest } = args;
  const { header, extensions } = await readHeader(file);
  assertInPlaceWritable({ header, extensions, ...(args.path !== undefined ? { path: args.path } : {}) });
  if (guest.size !== header.size) {
    throw new PreconditionError(`the guest device is ${guest.size} bytes but the qcow2 virtual size is ${header.size}`, { structure: 'qcow2 header', offset: 0x18 });
  }
  const cs = header.clusterSize;
  const fileSize = file.size;
  const entrySize = header.extendedL2 ? 16 : 8;
  const l1 = await readL1(file, header);
  const refcounts = await RefcountModel.load(file, header);

  // Changed ranges per guest cluster, in guest order.
  const touched = new Map<number, GuestRange[]>();
  for (const range of [...args.changed].sort((a, b) => a.offset - b.offset)) {
    if (!Number.isSafeInteger(range.offset) || !Number.isSafeInteger(range.length) || range.offset < 0 || range.length <= 0 || range.offset + range.length > header.size) {
      throw new PreconditionError(`changed range ${range.offset}+${range.length} is outside the guest disk of ${header.size} bytes`);
    }
    let position = range.offset;
    const end = range.offset + range.length;
    while (position < end) {
      const cluster = Math.floor(position / cs);
      const to = Math.min(end, (cluster + 1) * cs);
      const list = touched.get(cluster) ?? [];
      const last = list[list.length - 1];
      if (last !== undefined && last.offset + last.length >= position) last.length = Math.max(last.length, to - last.offset);
      else list.push({ offset: position, length: to - position });
      touched.set(cluster, list);
      position = to;
    }
  }

  const stats: Qcow2InPlaceStats = { overwritten: 0, reused: 0, allocated: 0, compressedReplaced: 0, l2TablesAllocated: 0, refcountBlocksAllocated: 0, refcountTableGrown: false };
  if (touched.size === 0) return { fileSize, committedSize: fileSize, clusterSize: cs, phases: [], stats };

  const l2Tables = new Map<number, L2Table>();
  const loadL2 = async (l1Index: number): Promise<L2Table | undefined> => {
    const hit = l2Tables.get(l1Index);
    if (hit !== undefined) return hit;
    const offset = l1[l1Index] ?? 0;
    if (offset === 0) return undefined;
    if ((await refcounts.get(offset / cs)) !== 1) {
      throw new UnsupportedError(`the L2 table at ${offset} is shared (refcount ≠ 1); writing it would need copy-on-write`, { structure: 'qcow2 L1 table', offset: header.l1TableOffset + l1Index * 8 });
    }
    const table: L2Table = { offset, bytes: await file.read(offset, cs), created: false, dirty: false };
    l2Tables.set(l1Index, table);
    return table;
  };

  // Classify every touched cluster.
  const actions = new Map<number, Action>();
  const newTables: number[] = [];
  let compressedReplaced = 0;
  for (const cluster of touched.keys()) {
    const l1Index = Math.floor(cluster / header.l2Entries);
    const table = await loadL2(l1Index);
    if (table === undefined) {
      if (!newTables.includes(l1Index)) newTables.push(l1Index);
      actions.set(cluster, { kind: 'allocate', host: 0 });
      continue;
    }
    const at = (cluster - l1Index * header.l2Entries) * entrySize;
    const entryOffset = table.offset + at;
    const view = new DataView(table.bytes.buffer, table.bytes.byteOffset, table.bytes.byteLength);
    const hi = view.getUint32(at);
    const lo = view.getUint32(at + 4);
    if (hi & L2_COMPRESSED_HI) {
      actions.set(cluster, { kind: 'allocate', host: 0, free: compressedRange({ hi, lo, header, at: entryOffset }) });
      compressedReplaced++;
      continue;
    }
    const host = standardOffset(hi, lo);
    if ((hi & 0x3f000000) !== 0 || (lo & 0x1fe) !== 0) {
      throw new CorruptError(`L2 entry for guest cluster ${cluster} has reserved bits set`, { structure: 'qcow2 L2 entry', offset: entryOffset });
    }
    if (host === 0) {
      actions.set(cluster, { kind: 'allocate', host: 0 });
      continue;
    }
    if (host % cs !== 0 || host >= fileSize) {
      throw new CorruptError(`data cluster at ${host} is unaligned or outside the file of ${fileSize} bytes`, { structure: 'qcow2 L2 entry', offset: entryOffset });
    }
    const refcount = await refcounts.get(host / cs);
    if (refcount !== 1) {
      const reason = refcount === 0 ? 'has refcount 0 (the image is corrupt; run qemu-img check)' : `is shared (refcount ${refcount}); writing it would need copy-on-write`;
      throw refusal({ refcount, message: `the data cluster at ${host} ${reason}`, offset: entryOffset });
    }
    let whole: boolean;
    if (header.extendedL2) {
      const zeroBits = view.getUint32(at + 8);
      const allocBits = view.getUint32(at + 12);
      whole = zeroBits === 0 && allocBits === allocationMask({ cluster, header });
    } else whole = (lo & L2_ZERO_LO) === 0;
    actions.set(cluster, { kind: whole ? 'overwrite' : 'reuse', host });
  }

  // Where appending starts: past the end of the file and past every cluster with a refcount.
  const firstFree = Math.ceil(fileSize / cs);
  const start = Math.max(firstFree, (await refcounts.lastUsedFrom(firstFree)) + 1);
  const dataCount = [...actions.values()].filter((a) => a.kind === 'allocate').length;
  const appended = dataCount + newTables.length;
  const layout = appended > 0 ? refcountLayout({ refcounts, start, appended, tableEntries: refcounts.table.length, clusterSize: cs }) : { blocks: [], tableClusters: 0, tableEntries: 0 };
  const end = start + appended + layout.blocks.length + layout.tableClusters;
  if (end * cs > Number.MAX_SAFE_INTEGER || end * cs >= 2 ** 56) {
    throw new UnsupportedError(`the file would grow past ${2 ** 56} bytes`, { structure: 'qcow2 file' });
  }

  // Assign host clusters: data, then L2 tables, then refcount blocks, then the new table.
  let next = start;
  for (const action of actions.values()) if (action.kind === 'allocate') action.host = next++ * cs;
  for (const l1Index of newTables) {
    l2Tables.set(l1Index, { offset: next++ * cs, bytes: new Uint8Array(cs), created: true, dirty: true });
  }
  for (const index of layout.blocks) refcounts.createBlock(index, next++ * cs);
  const newTableOffset = layout.tableClusters > 0 ? next * cs : 0;

  const phases: InPlacePhase[] = [];
  const phase = (name: InPlacePhaseName, writes: InPlaceWrite[]): void => {
    if (writes.length > 0) phases.push({ name, writes });
  };

  // Header: autoclear bits we do not maintain are cleared before anything else is written.
  const headerEnd = header.version === 2 ? 0x48 : 0x68;
  const headerBytes = await file.read(0, headerEnd);
  const headerView = new DataView(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength);
  if (header.version === 3 && header.autoclearFeatures !== 0n) {
    const cleared = headerBytes.slice();
    new DataView(cleared.buffer).setBigUint64(0x58, 0n);
    headerBytes.set(cleared);
    phase('header features', [{ offset: 0, data: cleared, what: 'header' }]);
  }

  // Data.
  const dataWrites: InPlaceWrite[] = [];
  let pending: { offset: number; parts: Uint8Array[]; length: number } | undefined;
  const flushPending = (): void => {
    if (pending === undefined) return;
    dataWrites.push({ offset: pending.offset, data: concat(pending.parts, pending.length), what: 'data' });
    pending = undefined;
  };
  for (const [cluster, action] of actions) {
    const clusterStart = cluster * cs;
    if (action.kind === 'overwrite') {
      flushPending();
      for (const range of touched.get(cluster) ?? []) {
        dataWrites.push({ offset: action.host + (range.offset - clusterStart), data: await guest.read(range.offset, range.length), what: 'data' });
      }
      continue;
    }
    const full = new Uint8Array(cs);
    full.set(await guest.read(clusterStart, Math.min(cs, header.size - clusterStart)));
    if (action.kind === 'reuse') {
      flushPending();
      dataWrites.push({ offset: action.host, data: full, what: 'data' });
      continue;
    }
    if (pending !== undefined && (pending.offset + pending.length !== action.host || pending.length + cs > APPEND_BATCH)) flushPending();
    pending ??= { offset: action.host, parts: [], length: 0 };
    pending.parts.push(full);
    pending.length += cs;
  }
  flushPending();
  phase('data', dataWrites);

  // L2 entries (tables written later, after the refcounts they rely on).
  for (const [cluster, action] of actions) {
    if (action.kind === 'overwrite') continue;
    const l1Index = Math.floor(cluster / header.l2Entries);
    const table = l2Tables.get(l1Index) as L2Table;
    const at = (cluster - l1Index * header.l2Entries) * entrySize;
    const view = new DataView(table.bytes.buffer, table.bytes.byteOffset, table.bytes.byteLength);
    view.setUint32(at, L2_COPIED_HI | Math.floor(action.host / TWO_32));
    view.setUint32(at + 4, action.host % TWO_32);
    if (header.extendedL2) {
      view.setUint32(at + 8, 0);
      view.setUint32(at + 12, allocationMask({ cluster, header }));
    }
    table.dirty = true;
  }

  // Refcounts: every appended cluster gets 1; blocks first, then the table that points to them.
  for (let cluster = start; cluster < end; cluster++) {
    if ((await refcounts.get(cluster)) !== 0) throw new CorruptError(`host cluster at ${cluster * cs} is beyond the used area but has a refcount`, { structure: 'qcow2 refcount block' });
    await refcounts.add(cluster, 1);
  }
  phase('refcount blocks', refcounts.takeDirtyBlocks().map((b) => ({ offset: b.offset, data: b.bytes, what: 'refcount block' })));

  const tableWrites: InPlaceWrite[] = [];
  if (layout.tableClusters > 0) {
    const table = new Uint8Array(layout.tableClusters * cs);
    const view = new DataView(table.buffer);
    for (let index = 0; index < layout.tableEntries; index++) setU64(view, index * 8, refcounts.blockOffset(index));
    tableWrites.push({ offset: newTableOffset, data: table, what: 'refcount table' });
  } else {
    const perCluster = cs / 8;
    const clusters = [...new Set(refcounts.createdBlocks().map((index) => Math.floor(index / perCluster)))].sort((a, b) => a - b);
    for (const tableCluster of clusters) {
      const bytes = new Uint8Array(cs);
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < perCluster; i++) setU64(view, i * 8, refcounts.blockOffset(tableCluster * perCluster + i));
      tableWrites.push({ offset: header.refcountTableOffset + tableCluster * cs, data: bytes, what: 'refcount table' });
    }
  }
  phase('refcount table', tableWrites);

  if (layout.tableClusters > 0) {
    setU64(headerView, 0x30, newTableOffset);
    headerView.setUint32(0x38, layout.tableClusters);
    phase('header', [{ offset: 0, data: headerBytes.slice(), what: 'header' }]);
  }

  phase(
    'L2 tables',
    [...l2Tables.values()].filter((t) => t.dirty).sort((a, b) => a.offset - b.offset).map((t) => ({ offset: t.offset, data: t.bytes, what: 'L2 table' })),
  );

  const l1Writes: InPlaceWrite[] = [];
  for (const l1Index of [...newTables].sort((a, b) => a - b)) {
    const entry = new Uint8Array(8);
    const view = new DataView(entry.buffer);
    const offset = (l2Tables.get(l1Index) as L2Table).offset;
    view.setUint32(0, L2_COPIED_HI | Math.floor(offset / TWO_32));
    view.setUint32(4, offset % TWO_32);
    const at = header.l1TableOffset + l1Index * 8;
    const last = l1Writes[l1Writes.length - 1];
    if (last !== undefined && last.offset + last.data.length === at) last.data = concat([last.data, entry], last.data.length + 8);
    else l1Writes.push({ offset: at, data: entry, what: 'L1 table' });
  }
  phase('L1 table', l1Writes);

  // Clusters no longer referenced lose their reference last.
  for (const action of actions.values()) {
    if (action.kind !== 'allocate' || action.free === undefined) continue;
    for (let cluster = Math.floor(action.free.start / cs); cluster * cs < action.free.end; cluster++) await refcounts.add(cluster, -1);
  }
  if (layout.tableClusters > 0) {
    for (let i = 0; i < header.refcountTableClusters; i++) await refcounts.add(header.refcountTableOffset / cs + i, -1);
  }
  phase('refcount decrements', refcounts.takeDirtyBlocks().map((b) => ({ offset: b.offset, data: b.bytes, what: 'refcount block' })));

  const committedSize = Math.max(fileSize, end * cs, ...phases.flatMap((p) => p.writes.map((w) => w.offset + w.data.length)));
  return {
    fileSize,
    committedSize,
    clusterSize: cs,
    phases,
    stats: {
      overwritten: [...actions.values()].filter((a) => a.kind === 'overwrite').length,
      reused: [...actions.values()].filter((a) => a.kind === 'reuse').length,
      allocated: dataCount,
      compressedReplaced,
      l2TablesAllocated: newTables.length,
      refcountBlocksAllocated: layout.blocks.length,
      refcountTableGrown: layout.tableClusters > 0,
    },
  };
}

function refusal(args: { refcount: number; message: string; offset: number }): Error {
  const { refcount, message, offset } = args;
  const detail = { structure: 'qcow2 L2 entry', offset };
  return refcount === 0 ? new CorruptError(message, detail) : new UnsupportedError(message, { ...detail, feature: 'shared clusters' });
}

/**
 * How many refcount blocks (and which table indexes) and whether a new refcount table must be
 * appended so that `appended` clusters from `start`, plus the blocks and table themselves,
 * are covered. A fixed point: each block or table cluster added may need covering too.
 */
export function refcountLayout(args: { refcounts: Pick<RefcountModel, 'hasBlock' | 'perBlock'>; start: number; appended: number; tableEntries: number; clusterSize: number }): {
  blocks: number[];
  tableClusters: number;
  tableEntries: number;
} {
  const { refcounts, start, appended, tableEntries, clusterSize } = args;
  let blocks: number[] = [];
  let tableClusters = 0;
  let newEntries = 0;
  for (let round = 0; round < 64; round++) {
    const end = start + appended + blocks.length + tableClusters;
    const last = Math.floor((end - 1) / refcounts.perBlock);
    const needed: number[] = [];
    for (let index = Math.floor(start / refcounts.perBlock); index <= last; index++) if (!refcounts.hasBlock(index)) needed.push(index);
    let clusters = 0;
    let entries = 0;
    if (last >= tableEntries) {
      entries = Math.max(last + 1, Math.ceil(tableEntries * TABLE_GROWTH));
      clusters = Math.ceil((entries * 8) / clusterSize);
      entries = (clusters * clusterSize) / 8;
      if (clusters * clusterSize > MAX_REFCOUNT_TABLE_BYTES) {
        throw new UnsupportedError(`the refcount table would need ${clusters * clusterSize} bytes, more than qemu's ${MAX_REFCOUNT_TABLE_BYTES}`, { structure: 'qcow2 refcount table' });
      }
    }
    if (needed.length === blocks.length && clusters === tableClusters) return { blocks: needed, tableClusters, tableEntries: newEntries };
    blocks = needed;
    tableClusters = clusters;
    newEntries = entries;
  }
  throw new CorruptError('refcount layout did not settle', { structure: 'qcow2 refcount table' });
}

/** Allocation bits of an extended L2 entry: the subclusters that lie inside the virtual disk. */
function allocationMask(args: { cluster: number; header: Qcow2Header }): number {
  const { cluster, header } = args;
  const sub = header.clusterSize / SUBCLUSTERS;
  const inside = Math.min(header.clusterSize, header.size - cluster * header.clusterSize);
  const count = Math.ceil(inside / sub);
  return count >= SUBCLUSTERS ? 0xffffffff : ((1 << count) - 1) >>> 0;
}

/** The host bytes a compressed descriptor covers (qemu: to the end of its last 512-byte sector). */
function compressedRange(args: { hi: number; lo: number; header: Qcow2Header; at: number }): { start: number; end: number } {
  const { hi, lo, header, at } = args;
  const { host: start, extraSectors } = compressedDescriptor(hi, lo, header.clusterBits);
  const end = (Math.floor(start / 512) + extraSectors + 1) * 512;
  if (start === 0 || end > Number.MAX_SAFE_INTEGER) throw new CorruptError(`compressed cluster descriptor points to ${start}`, { structure: 'qcow2 L2 entry', offset: at });
  return { start, end };
}

function setU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, Math.floor(value / TWO_32));
  view.setUint32(at + 4, value % TWO_32);
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
