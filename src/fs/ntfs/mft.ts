// The Master File Table: bootstrapped from its own record 0 (whose $DATA runs say where the
// rest of $MFT lives, possibly continued in extension records named by record 0's
// $ATTRIBUTE_LIST when $MFT is very fragmented), then read in large chunks and cached, so a
// walk over many records costs few device reads. Records come back fixed up and decoded;
// `loadFile` merges a base record with its extension records into one attribute set.
// Spec: libyal libfsntfs "Master File Table"; ntfs-3g ntfs_mft_load.

import type { BlockDevice } from '../../io/block-device.js';
import type { Diagnostics } from '../../diagnostics.js';
import { CorruptError, NotFoundError } from '../../errors.js';
import type { NtfsGeometry } from './boot-sector.js';
import { decodeFileRecord, FILE_RECORD_HEADER, type FileRecord } from './record.js';
import type { AttributeRecord } from './attribute.js';
import { decodeAttributeList, type AttributeListEntry } from './attribute-list.js';
import { AttributeStream } from './data-stream.js';
import { AT_ATTRIBUTE_LIST, AT_DATA, MFT_RECORD_IN_USE } from './attribute-types.js';
import { storedBytes, type DataRun } from './runlist.js';

/** Bytes of $MFT read per device request when records are fetched one by one. */
const CHUNK_BYTES = 256 * 1024;
const MAX_CACHED_CHUNKS = 64;
const MAX_CACHED_FILES = 4096;
/** A sane bound on extension records per file (the attribute list names each one). */
const MAX_EXTENSIONS = 65536;
/** Largest attribute list we read (Windows caps it at 256 KiB). */
const MAX_ATTRIBUTE_LIST = 1 << 24;

/** A base record with its extension records' attributes merged in. */
export interface MftFile {
  record: FileRecord;
  /** Resident attributes as they are; non-resident extents of one attribute merged into one. */
  attributes: AttributeRecord[];
  /** The attribute list entries when the file has one. */
  attributeList: AttributeListEntry[] | undefined;
}

/** Merges the extents of non-resident attributes (same type and name) into one record each. */
export function mergeExtents(attributes: AttributeRecord[]): AttributeRecord[] {
  const out: AttributeRecord[] = [];
  const byKey = new Map<string, AttributeRecord[]>();
  for (const attribute of attributes) {
    if (attribute.resident) {
      out.push(attribute);
      continue;
    }
    const key = `${attribute.type}:${attribute.name}`;
    const list = byKey.get(key);
    if (list) list.push(attribute);
    else {
      byKey.set(key, [attribute]);
      out.push(attribute); // placeholder keeps first-seen order
    }
  }
  return out.map((attribute) => {
    if (attribute.resident) return attribute;
    const extents = byKey.get(`${attribute.type}:${attribute.name}`)!;
    if (extents.length === 1) return attribute;
    extents.sort((a, b) => a.lowestVcn - b.lowestVcn);
    const first = extents.find((e) => e.lowestVcn === 0) ?? extents[0]!;
    const runs: DataRun[] = [];
    for (const extent of extents) for (const run of extent.runs) runs.push(run);
    return { ...first, runs, highestVcn: extents[extents.length - 1]!.highestVcn };
  });
}

export class Mft {
  readonly recordSize: number;
  readonly recordCount: number;
  private readonly chunks = new Map<number, Promise<Uint8Array>>();
  private readonly files = new Map<number, Promise<MftFile>>();

  private constructor(
    readonly device: BlockDevice,
    readonly geometry: NtfsGeometry,
    /** $MFT's own unnamed $DATA as a stream. */
    readonly stream: AttributeStream,
    /** $MFT's runs (for the scanner, which reads whole runs). */
    readonly runs: readonly DataRun[],
    readonly diagnostics: Diagnostics,
  ) {
    this.recordSize = geometry.mftRecordSize;
    this.recordCount = Math.floor(stream.size / geometry.mftRecordSize);
  }

  static async bootstrap(device: BlockDevice, geometry: NtfsGeometry, diagnostics: Diagnostics): Promise<Mft> {
    const rs = geometry.mftRecordSize;
    const maxCluster = geometry.totalClusters;
    if (geometry.mftOffset + rs > device.size) {
      throw new CorruptError('$MFT lies past the end of the device', { structure: 'NTFS boot sector', offset: 0x30 });
    }
    let record0: FileRecord;
    try {
      record0 = decodeFileRecord({ bytes: await device.read(geometry.mftOffset, rs), size: rs, origin: geometry.mftOffset, recordNumber: 0, maxCluster });
    } catch (error) {
      // $MFTMirr keeps a copy of the first records for exactly this case (as chkdsk and ntfs-3g use it).
      if (!(error instanceof CorruptError) || geometry.mftMirrOffset + rs > device.size) throw error;
      record0 = decodeFileRecord({ bytes: await device.read(geometry.mftMirrOffset, rs), size: rs, origin: geometry.mftMirrOffset, recordNumber: 0, maxCluster });
      diagnostics.report({
        severity: 'warning',
        code: 'NTFS_MFT_FROM_MIRROR',
        message: `$MFT record 0 is unreadable (${error.message}); bootstrapped from $MFTMirr`,
        structure: FILE_RECORD_HEADER.name,
        offset: geometry.mftOffset,
      });
    }
    if ((record0.flags & MFT_RECORD_IN_USE) === 0) {
      throw new CorruptError('$MFT record 0 is not in use', { structure: FILE_RECORD_HEADER.name, offset: geometry.mftOffset });
    }
    const extents = record0.attributes.filter((a) => a.type === AT_DATA && a.name === '' && !a.resident);
    if (extents.length === 0) throw new CorruptError('$MFT has no non-resident $DATA', { structure: FILE_RECORD_HEADER.name, offset: geometry.mftOffset });
    const listAttribute = record0.attributes.find((a) => a.type === AT_ATTRIBUTE_LIST);
    if (listAttribute) {
      const listBytes = await readSmallAttribute({ device, geometry, attribute: listAttribute, description: '$MFT $ATTRIBUTE_LIST' });
      const entries = decodeAttributeList(listBytes, listAttribute.offset)
        .filter((e) => e.type === AT_DATA && e.name === '' && e.recordNumber !== 0)
        .sort((a, b) => a.lowestVcn - b.lowestVcn);
      const seen = new Set<number>();
      for (const entry of entries) {
        if (seen.has(entry.recordNumber)) continue;
        if (seen.size >= MAX_EXTENSIONS) throw new CorruptError('$MFT attribute list names too many records', { structure: 'NTFS $ATTRIBUTE_LIST', offset: listAttribute.offset });
        seen.add(entry.recordNumber);
        // The extension record must lie in a part of $MFT the extents so far already map.
        const partial = new AttributeStream({ device, clusterSize: geometry.clusterSize, source: {
          ...mergedSource(mergeExtents(extents).find((a) => a.type === AT_DATA)!, '$MFT (bootstrap)'),
          dataSize: (Math.max(...extents.map((e) => e.highestVcn)) + 1) * geometry.clusterSize,
          initializedSize: (Math.max(...extents.map((e) => e.highestVcn)) + 1) * geometry.clusterSize,
        } });
        const at = entry.recordNumber * rs;
        if (at + rs > partial.size) {
          throw new CorruptError(`$MFT extension record ${entry.recordNumber} lies outside the $MFT extents known so far`, {
            structure: 'NTFS $ATTRIBUTE_LIST',
            offset: listAttribute.offset,
          });
        }
        const ext = decodeFileRecord({ bytes: await partial.read(at, rs), size: rs, origin: at, recordNumber: entry.recordNumber, maxCluster });
        if (!ext.isExtension || ext.baseRecord !== 0) throw new CorruptError(`record ${entry.recordNumber} does not belong to $MFT`, { structure: FILE_RECORD_HEADER.name, offset: at });
        for (const a of ext.attributes) if (a.type === AT_DATA && a.name === '' && !a.resident) extents.push(a);
      }
    }
    const data = mergeExtents(extents)[0]!;
    // $MFT is never sparse: its size must be backed by clusters (this also bounds every table
    // sized by the record count).
    if (data.dataSize > storedBytes(data.runs, geometry.clusterSize) || data.dataSize < 16 * rs) {
      throw new CorruptError(`$MFT size ${data.dataSize} does not match its ${storedBytes(data.runs, geometry.clusterSize)} bytes of clusters`, {
        structure: 'NTFS $MFT',
        offset: data.offset,
      });
    }
    const stream = new AttributeStream({ device, clusterSize: geometry.clusterSize, source: mergedSource(data, '$MFT') });
    return new Mft(device, geometry, stream, data.runs, diagnostics);
  }

  private chunk(index: number): Promise<Uint8Array> {
    const hit = this.chunks.get(index);
    if (hit) return hit;
    const start = index * CHUNK_BYTES;
    const pending = this.stream.read(start, Math.min(CHUNK_BYTES, this.stream.size - start));
    this.chunks.set(index, pending);
    pending.catch(() => this.chunks.delete(index));
    if (this.chunks.size > MAX_CACHED_CHUNKS) this.chunks.delete(this.chunks.keys().next().value as number);
    return pending;
  }

  /** The raw bytes of record `n` (a copy, fixups not applied). */
  async rawRecord(n: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0 || n >= this.recordCount) {
      throw new NotFoundError(`MFT record ${n} does not exist (the MFT has ${this.recordCount})`, { kind: 'file' });
    }
    const at = n * this.recordSize;
    if (CHUNK_BYTES % this.recordSize === 0) {
      const chunk = await this.chunk(Math.floor(at / CHUNK_BYTES));
      const from = at % CHUNK_BYTES;
      return chunk.slice(from, from + this.recordSize);
    }
    return this.stream.read(at, this.recordSize);
  }

  /** Decodes record `n` (fixups applied). */
  async record(n: number): Promise<FileRecord> {
    const bytes = await this.rawRecord(n);
    return decodeFileRecord({ bytes, size: this.recordSize, origin: this.deviceOffset(n), recordNumber: n, maxCluster: this.geometry.totalClusters });
  }

  /** The device offset of record `n` (for error messages); -1 if unmapped. */
  deviceOffset(n: number): number {
    const cs = this.geometry.clusterSize;
    const at = n * this.recordSize;
    const vcn = Math.floor(at / cs);
    for (const run of this.runs) {
      if (vcn >= run.vcn && vcn < run.vcn + run.length) return run.lcn < 0 ? -1 : run.lcn * cs + (at - run.vcn * cs);
    }
    return -1;
  }

  /** A base record with its extension records merged (cached). */
  loadFile(n: number): Promise<MftFile> {
    const hit = this.files.get(n);
    if (hit) return hit;
    const pending = this.assemble(n);
    this.files.set(n, pending);
    pending.catch(() => this.files.delete(n));
    if (this.files.size > MAX_CACHED_FILES) this.files.delete(this.files.keys().next().value as number);
    return pending;
  }

  private async assemble(n: number): Promise<MftFile> {
    const record = await this.record(n);
    const origin = this.deviceOffset(n);
    if ((record.flags & MFT_RECORD_IN_USE) === 0) throw new NotFoundError(`MFT record ${n} is not in use`, { kind: 'file', offset: origin });
    if (record.isExtension) throw new CorruptError(`MFT record ${n} is an extension of record ${record.baseRecord}`, { structure: FILE_RECORD_HEADER.name, offset: origin });
    const listAttribute = record.attributes.find((a) => a.type === AT_ATTRIBUTE_LIST);
    if (!listAttribute) return { record, attributes: mergeExtents(record.attributes), attributeList: undefined };
    const listBytes = await readSmallAttribute({ device: this.device, geometry: this.geometry, attribute: listAttribute, description: `record ${n} $ATTRIBUTE_LIST` });
    const list = decodeAttributeList(listBytes, listAttribute.offset);
    const all = [...record.attributes];
    const seen = new Set<number>([n]);
    for (const entry of list) {
      if (seen.has(entry.recordNumber)) continue;
      if (seen.size > MAX_EXTENSIONS) throw new CorruptError('attribute list names too many records', { structure: 'NTFS $ATTRIBUTE_LIST', offset: listAttribute.offset });
      seen.add(entry.recordNumber);
      const ext = await this.record(entry.recordNumber);
      if (!ext.isExtension || ext.baseRecord !== n || (ext.flags & MFT_RECORD_IN_USE) === 0) {
        this.diagnostics.report({
          severity: 'warning',
          code: 'NTFS_BAD_EXTENSION',
          message: `record ${entry.recordNumber} named by the attribute list of record ${n} belongs to record ${ext.baseRecord}`,
          structure: 'NTFS $ATTRIBUTE_LIST',
          offset: listAttribute.offset,
        });
        continue;
      }
      for (const attribute of ext.attributes) all.push(attribute);
    }
    return { record, attributes: mergeExtents(all), attributeList: list };
  }
}

export function mergedSource(attribute: AttributeRecord, description: string) {
  return {
    resident: attribute.resident,
    value: attribute.value,
    flags: attribute.flags,
    dataSize: attribute.dataSize,
    initializedSize: attribute.initializedSize,
    compressionUnit: attribute.compressionUnit,
    runs: attribute.runs,
    description,
  };
}

/** Reads a whole attribute value that must be small (attribute lists, reparse data, $Volume). */
export async function readSmallAttribute(args: { device: BlockDevice; geometry: NtfsGeometry; attribute: AttributeRecord; description: string }): Promise<Uint8Array> {
  const { device, geometry, attribute, description } = args;
  if (attribute.resident) return attribute.value!;
  if (attribute.dataSize > MAX_ATTRIBUTE_LIST) {
    throw new CorruptError(`${description} of ${attribute.dataSize} bytes is implausibly large`, { structure: 'NTFS attribute', offset: attribute.offset });
  }
  return new AttributeStream({ device, clusterSize: geometry.clusterSize, source: mergedSource(attribute, description) }).read(0, attribute.dataSize);
}
