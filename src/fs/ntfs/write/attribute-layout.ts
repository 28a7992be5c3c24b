// Lays out one file's attributes over its base record and extension records: when everything
// fits the base record it goes there alone (no $ATTRIBUTE_LIST); otherwise the base keeps
// $STANDARD_INFORMATION, the $ATTRIBUTE_LIST and the small resident attributes, and the
// non-resident attributes (split into extents at run boundaries when one extent would not fit
// a record) move to extension records, packed first fit. The $ATTRIBUTE_LIST names every
// attribute but itself, ordered by type, name and lowest VCN, with the reference (record and
// sequence) of the record holding it and its instance there.
// Pure: the writer supplies the attributes and the record numbers; this decides placement.
// Spec: ntfs-3g layout.h ATTR_LIST_ENTRY / ATTR_RECORD, attrlist.c, attrib.c
// (ntfs_attr_record_move_away, ntfs_attr_update_mapping_pairs: extents split where the mapping
// pairs fill a record); libyal libfsntfs "The attribute list attribute".
// Quirks relied on: only the extent with lowest VCN 0 carries the sizes (the others hold 0, as
// Windows writes them); each extent's mapping pairs restart their LCN deltas at 0; instances
// are unique per record, so an attribute moved to another record gets a new one.

import { UnsupportedError } from '../../../errors.js';
import { AT_ATTRIBUTE_LIST, AT_END, AT_FILE_NAME, AT_INDEX_ROOT, AT_STANDARD_INFORMATION } from '../attribute-types.js';
import { encodeAttributeListEntry, type AttributeListEntry } from '../attribute-list.js';
import { encodeRuns, type DataRun } from '../runlist.js';
import { readUtf16 } from '../file-name.js';
import { buildResident, u16, u32 } from './record-edit.js';

/** One attribute record (raw bytes, fixups removed) as it will be stored. */
export interface RawAttribute {
  bytes: Uint8Array;
}

/** A non-resident attribute given by its runs, split into extents by the layout as needed. */
export interface RunsAttribute {
  type: number;
  name: string;
  flags: number;
  runs: readonly DataRun[];
  dataSize: number;
  initializedSize: number;
  /** The instance it had (kept when it stays in the base record). */
  instance?: number;
}

export function attributeType(bytes: Uint8Array): number {
  return u32(bytes, 0);
}
export function attributeName(bytes: Uint8Array): string {
  return readUtf16(bytes, u16(bytes, 10), bytes[9]!);
}
export function attributeLowestVcn(bytes: Uint8Array): number {
  if (bytes[8] === 0) return 0;
  return Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigInt64(0x10, true));
}
export function isNonResident(bytes: Uint8Array): boolean {
  return bytes[8] !== 0;
}

/** Copies of the attribute records of a fixed-up FILE record, in order (bounded by the record). */
export function recordAttributes(record: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = u16(record, 0x14);
  const end = Math.min(u32(record, 0x18), record.length);
  for (let i = 0; i < 1024 && at + 8 <= end; i++) {
    if (u32(record, at) === AT_END) break;
    const length = u32(record, at + 4);
    if (length < 0x18 || at + length > end) break;
    out.push(record.slice(at, at + length));
    at += length;
  }
  return out;
}

/** Where the attributes of a record start (0x30 header + update sequence array, 8-aligned). */
export function attributesStart(recordSize: number): number {
  return (0x30 + (recordSize / 512 + 1) * 2 + 7) & ~7;
}

/** Bytes of attributes one record can hold (the end marker takes 8). */
export function recordCapacity(recordSize: number): number {
  return recordSize - attributesStart(recordSize) - 8;
}

/** A non-resident extent: `runs` (from `lowestVcn`), sizes only when it is the first extent. */
export function buildExtent(args: { type: number; name: string; flags: number; instance: number; runs: readonly DataRun[]; lowestVcn: number; highestVcn: number; sizes?: { allocated: number; data: number; initialized: number } }): Uint8Array {
  const { name, runs, sizes } = args;
  const pairs = encodeRuns(runs);
  const mappingOffset = (0x40 + name.length * 2 + 7) & ~7;
  const length = (mappingOffset + pairs.length + 7) & ~7;
  const out = new Uint8Array(length);
  const v = new DataView(out.buffer);
  v.setUint32(0x00, args.type, true);
  v.setUint32(0x04, length, true);
  out[0x08] = 1;
  out[0x09] = name.length;
  v.setUint16(0x0a, 0x40, true);
  v.setUint16(0x0c, args.flags, true);
  v.setUint16(0x0e, args.instance, true);
  v.setBigInt64(0x10, BigInt(args.lowestVcn), true);
  v.setBigInt64(0x18, BigInt(args.highestVcn), true);
  v.setUint16(0x20, mappingOffset, true);
  if (sizes) {
    v.setBigUint64(0x28, BigInt(sizes.allocated), true);
    v.setBigUint64(0x30, BigInt(sizes.data), true);
    v.setBigUint64(0x38, BigInt(sizes.initialized), true);
  }
  for (let i = 0; i < name.length; i++) v.setUint16(0x40 + 2 * i, name.charCodeAt(i), true);
  out.set(pairs, mappingOffset);
  return out;
}

function runBytes(run: DataRun, previousLcn: number): number {
  const size = (value: number): number => {
    for (let n = 1; n <= 8; n++) if (value >= -(2 ** (8 * n - 1)) && value < 2 ** (8 * n - 1)) return n;
    return 8;
  };
  return 1 + size(run.length) + (run.lcn < 0 ? 0 : size(run.lcn - previousLcn));
}

/** Splits a runs attribute into extents each no longer than `maxLength` bytes. */
export function splitExtents(args: { attribute: RunsAttribute; maxLength: number; clusterSize: number }): Uint8Array[] {
  const { attribute, maxLength, clusterSize } = args;
  const { runs } = attribute;
  const clusters = runs.reduce((n, r) => n + r.length, 0);
  const sizes = { allocated: clusters * clusterSize, data: attribute.dataSize, initialized: attribute.initializedSize };
  const headerLength = (0x40 + attribute.name.length * 2 + 7) & ~7;
  const budget = maxLength - headerLength - 1 - 7; // terminator and alignment slack
  const out: Uint8Array[] = [];
  let start = 0;
  let lowestVcn = 0;
  do {
    let used = 0;
    let previous = 0;
    let end = start;
    while (end < runs.length) {
      const n = runBytes(runs[end]!, previous);
      if (used + n > budget) break;
      used += n;
      if (runs[end]!.lcn >= 0) previous = runs[end]!.lcn;
      end++;
    }
    if (end === start && start < runs.length) throw new UnsupportedError('a data run does not fit an MFT record', { structure: 'NTFS FILE record' });
    const chunk = runs.slice(start, end);
    const last = chunk[chunk.length - 1];
    const highestVcn = last ? last.vcn + last.length - 1 : -1;
    out.push(buildExtent({ type: attribute.type, name: attribute.name, flags: attribute.flags, instance: attribute.instance ?? 0, runs: chunk, lowestVcn, highestVcn, sizes: lowestVcn === 0 ? sizes : undefined }));
    lowestVcn = highestVcn + 1;
    start = end;
  } while (start < runs.length);
  return out;
}

/** Attribute list order: type, then name (binary, as Windows sorts), then lowest VCN. */
function compareAttributes(a: Uint8Array, b: Uint8Array): number {
  const ta = attributeType(a);
  const tb = attributeType(b);
  if (ta !== tb) return ta - tb;
  const na = attributeName(a);
  const nb = attributeName(b);
  if (na !== nb) return na < nb ? -1 : 1;
  return attributeLowestVcn(a) - attributeLowestVcn(b);
}

/** One record of the result: its number and attributes (instances final). */
export interface PlacedRecord {
  recordNumber: number;
  sequence: number;
  attributes: Uint8Array[];
  nextInstance: number;
}

export interface Layout {
  base: PlacedRecord;
  extensions: PlacedRecord[];
  /** The $ATTRIBUTE_LIST value when one is needed (the caller stores it resident or not). */
  list: Uint8Array | undefined;
}

/** Attributes that always stay in the base record. */
function pinned(bytes: Uint8Array): boolean {
  const t = attributeType(bytes);
  return t === AT_STANDARD_INFORMATION || t === AT_INDEX_ROOT || (t === AT_FILE_NAME && bytes.length <= 0x68 + 0x42);
}

function totalLength(attributes: readonly Uint8Array[]): number {
  return attributes.reduce((n, a) => n + a.length, 0);
}

function withInstance(bytes: Uint8Array, instance: number): Uint8Array {
  const copy = bytes.slice();
  new DataView(copy.buffer).setUint16(0x0e, instance, true);
  return copy;
}

/**
 * Places `attributes` (whole records, $ATTRIBUTE_LIST excluded) and `runs` attributes.
 * `extensionRecords` supplies record numbers (and sequences) for extension records, reusing
 * the file's old ones first; `listLength(bytes)` tells how many bytes the list attribute takes
 * in the base record for a list of that many bytes (resident, or non-resident when large).
 */
export function layoutAttributes(args: {
  recordSize: number;
  clusterSize: number;
  base: { recordNumber: number; sequence: number; nextInstance: number };
  attributes: readonly RawAttribute[];
  runs: readonly RunsAttribute[];
  extensionRecord(index: number): { recordNumber: number; sequence: number };
  listAttributeLength(listBytes: number): number;
}): Layout {
  const capacity = recordCapacity(args.recordSize);
  const { base } = args;
  // 1. Everything whole in the base record.
  const whole = args.runs.map((r) => splitExtents({ attribute: r, maxLength: Number.MAX_SAFE_INTEGER, clusterSize: args.clusterSize })[0]!);
  const all = [...args.attributes.map((a) => a.bytes), ...whole].sort(compareAttributes);
  const multiExtent = args.attributes.some((a) => isNonResident(a.bytes) && attributeLowestVcn(a.bytes) !== 0);
  if (totalLength(all) <= capacity && !multiExtent) {
    const { attributes: placed, next } = keepOrRenumberInstances(all, base.nextInstance);
    return { base: { ...base, attributes: placed, nextInstance: next }, extensions: [], list: undefined };
  }
  // 2. An attribute list: the base keeps the pinned and small resident attributes.
  const extentMax = capacity;
  const inBase: Uint8Array[] = [];
  const outside: Uint8Array[] = [];
  for (const a of args.attributes) (pinned(a.bytes) || !isNonResident(a.bytes) ? inBase : outside).push(a.bytes);
  for (const r of args.runs) outside.push(...splitExtents({ attribute: r, maxLength: extentMax, clusterSize: args.clusterSize }));
  // Move the largest movable resident attributes out while the base overflows.
  const listEntry = (a: Uint8Array): number => (0x1a + attributeName(a).length * 2 + 7) & ~7;
  const baseFits = (): boolean => {
    const listBytes = [...inBase, ...outside].reduce((n, a) => n + listEntry(a), 0);
    return totalLength(inBase) + args.listAttributeLength(listBytes) <= capacity;
  };
  while (!baseFits()) {
    let pick = -1;
    for (let i = 0; i < inBase.length; i++) {
      const t = attributeType(inBase[i]!);
      if (t === AT_STANDARD_INFORMATION || t === AT_INDEX_ROOT) continue;
      if (pick < 0 || inBase[i]!.length > inBase[pick]!.length) pick = i;
    }
    if (pick < 0) throw new UnsupportedError('the base record cannot hold $STANDARD_INFORMATION, $INDEX_ROOT and the $ATTRIBUTE_LIST', { structure: 'NTFS FILE record' });
    outside.push(inBase.splice(pick, 1)[0]!);
  }
  // Base instances: keep unique old ones, renumber the rest.
  const { attributes: baseAttrs, next } = keepOrRenumberInstances(inBase.sort(compareAttributes), base.nextInstance);
  // First-fit packing of the outside attributes, largest first, into extension records.
  const bins: { used: number; attributes: Uint8Array[] }[] = [];
  for (const a of [...outside].sort((x, y) => y.length - x.length)) {
    if (a.length > capacity) throw new UnsupportedError(`an attribute of ${a.length} bytes does not fit an MFT record`, { structure: 'NTFS FILE record' });
    let bin = bins.find((b) => b.used + a.length <= capacity);
    if (!bin) {
      bin = { used: 0, attributes: [] };
      bins.push(bin);
    }
    bin.used += a.length;
    bin.attributes.push(a);
  }
  const extensions: PlacedRecord[] = bins.map((bin, i) => {
    const { recordNumber, sequence } = args.extensionRecord(i);
    const attributes = bin.attributes.sort(compareAttributes).map((a, k) => withInstance(a, k));
    return { recordNumber, sequence, attributes, nextInstance: attributes.length };
  });
  const baseRecord: PlacedRecord = { ...base, attributes: baseAttrs, nextInstance: next };
  const entries: { bytes: Uint8Array; entry: AttributeListEntry }[] = [];
  for (const record of [baseRecord, ...extensions]) {
    for (const a of record.attributes) {
      entries.push({ bytes: a, entry: { type: attributeType(a), name: attributeName(a), lowestVcn: attributeLowestVcn(a), recordNumber: record.recordNumber, sequence: record.sequence, instance: u16(a, 0x0e) } });
    }
  }
  entries.sort((x, y) => compareAttributes(x.bytes, y.bytes));
  const parts = entries.map((e) => encodeAttributeListEntry(e.entry));
  const list = new Uint8Array(totalLength(parts));
  let at = 0;
  for (const p of parts) {
    list.set(p, at);
    at += p.length;
  }
  return { base: baseRecord, extensions, list };
}

/** Keeps each attribute's instance while unique and below the record's next instance; renumbers the rest from it. */
function keepOrRenumberInstances(attributes: readonly Uint8Array[], nextInstance: number): { attributes: Uint8Array[]; next: number } {
  let next = nextInstance;
  const used = new Set<number>();
  const placed = attributes.map((a) => {
    const instance = u16(a, 0x0e);
    if (!used.has(instance) && instance < next) {
      used.add(instance);
      return a;
    }
    while (used.has(next)) next++;
    used.add(next);
    return withInstance(a, next++);
  });
  return { attributes: placed, next };
}

/** The resident $ATTRIBUTE_LIST attribute record for `list`. */
export function residentListAttribute(list: Uint8Array, instance: number): Uint8Array {
  return buildResident({ type: AT_ATTRIBUTE_LIST, name: '', instance, flags: 0, value: list });
}

/** Lays `attributes` (already ordered, instances set) into a FILE record body after its header. */
export function fillRecord(args: { record: Uint8Array; attributes: readonly Uint8Array[]; nextInstance: number }): void {
  const { record, attributes, nextInstance } = args;
  const start = u16(record, 0x14);
  record.fill(0, start);
  let at = start;
  for (const a of attributes) {
    if (at + a.length + 8 > record.length) throw new UnsupportedError('attributes overflow the MFT record', { structure: 'NTFS FILE record' });
    record.set(a, at);
    at += a.length;
  }
  const v = new DataView(record.buffer, record.byteOffset, record.byteLength);
  v.setUint32(at, AT_END, true);
  v.setUint32(0x18, at + 8, true);
  v.setUint16(0x28, nextInstance & 0xffff, true);
}

