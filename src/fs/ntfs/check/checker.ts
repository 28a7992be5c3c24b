// checkNtfs: an offline consistency check of the structures the writer changes, so every
// write can be verified (like `ntfsfix -n` / chkdsk's read-only pass, narrower):
//  - every FILE record marked in use in $MFT:$BITMAP has a valid signature and fixups, and
//    every record flagged in use is marked in the bitmap;
//  - $MFTMirr holds the same records as the head of $MFT;
//  - the cluster $Bitmap equals the union of all non-resident runs of all in-use records:
//    a cluster claimed twice (double allocation) and a bitmap bit without an owner (leak) or
//    an owner without a bit are all reported;
//  - every $I30 index is in $UpCase collation order and each entry points at an in-use record
//    with the right sequence number and a $FILE_NAME of the same name whose parent is the
//    directory;
//  - every $ATTRIBUTE_LIST entry names an attribute (type, name, lowest VCN, instance) of a
//    record of the same file with the right sequence, the list names every attribute its
//    records hold, and every extension record belongs to an in-use base that lists it;
//  - a record's link count equals its $FILE_NAME attributes (DOS names count, as Windows and
//    ntfs-3g count them);
//  - $Extend/$Reparse:$R names exactly the reparse points (when held whole in its root).
// Spec: ntfs-3g ntfsfix.c / chkdsk semantics; libyal libfsntfs for the structures.

import type { BlockDevice } from '../../../io/block-device.js';
import { CorruptError } from '../../../errors.js';
import { NtfsFileSystem } from '../filesystem.js';
import { decodeFixedRecord, FILE_MAGIC, type FileRecord } from '../record.js';
import { tryApplyFixups } from '../fixups.js';
import { AT_ATTRIBUTE_LIST, AT_BITMAP, AT_DATA, AT_FILE_NAME, AT_INDEX_ROOT, AT_REPARSE_POINT, MFT_RECORD_IN_USE, NAMESPACE_DOS } from '../attribute-types.js';
import { decodeAttributeList, type AttributeListEntry } from '../attribute-list.js';
import { mergedSource, readSmallAttribute, type MftFile } from '../mft.js';
import { AttributeStream } from '../data-stream.js';
import { SPARSE_LCN } from '../runlist.js';
import { checkAllocationSize, indexAllocationAttribute, indexEntries, keyName, openDirectoryIndex } from '../directory.js';
import { decodeFileName } from '../file-name.js';

export interface NtfsProblem {
  /** Short machine code: 'FIXUP', 'MFT_BITMAP', 'MFTMIRR', 'DOUBLE_ALLOCATION', 'CLUSTER_LEAK', 'CLUSTER_UNMARKED', 'INDEX_ORDER', 'INDEX_TARGET', 'INDEX_CORRUPT', 'RECORD_CORRUPT', 'ATTRIBUTE_LIST', 'LINK_COUNT', 'REPARSE_INDEX' */
  code: string;
  message: string;
  record?: number;
}

export interface NtfsCheckReport {
  problems: NtfsProblem[];
  recordsInUse: number;
  clustersInUse: number;
  indexEntries: number;
}

const MAX_PROBLEMS = 1000;
const MFT_RECORD_BITMAP = 6;

function bit(bitmap: Uint8Array, n: number): boolean {
  return ((bitmap[n >>> 3] ?? 0) & (1 << (n & 7))) !== 0;
}

export async function checkNtfs(device: BlockDevice): Promise<NtfsCheckReport> {
  const problems: NtfsProblem[] = [];
  const report = (p: NtfsProblem): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const fs = await NtfsFileSystem.open(device);
  const { mft, geometry } = fs;
  const rs = mft.recordSize;
  const cs = geometry.clusterSize;
  const total = geometry.totalClusters;

  const mftFile = await mft.loadFile(0);
  const mftBitmapAttr = mftFile.attributes.find((a) => a.type === AT_BITMAP && a.name === '');
  if (!mftBitmapAttr) throw new CorruptError('$MFT has no $BITMAP', { structure: 'NTFS $MFT' });
  const mftBitmap = await readSmallAttribute({ device, geometry, attribute: mftBitmapAttr, description: '$MFT $BITMAP' });

  // Pass 1: records, fixups, bitmap agreement, cluster ownership.
  const owned = new Uint8Array(Math.ceil(total / 8)); // one bit per cluster: some attribute uses it
  const records = new Map<number, FileRecord>();
  const all = await mft.stream.read(0, mft.recordCount * rs);
  const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
  let recordsInUse = 0;
  for (let n = 0; n < mft.recordCount; n++) {
    const at = n * rs;
    const marked = bit(mftBitmap, n);
    const hasMagic = view.getUint32(at, true) === FILE_MAGIC;
    if (!hasMagic) {
      if (marked) report({ code: 'RECORD_CORRUPT', message: `record ${n} is marked in use in $MFT:$BITMAP but has no FILE signature`, record: n });
      continue;
    }
    if (!tryApplyFixups(all, at, rs)) {
      report({ code: 'FIXUP', message: `record ${n} has bad update sequence fixups (torn or corrupt)`, record: n });
      continue;
    }
    const inUse = (view.getUint16(at + 0x16, true) & MFT_RECORD_IN_USE) !== 0;
    if (inUse !== marked && n >= 16) {
      report({ code: 'MFT_BITMAP', message: `record ${n} is ${inUse ? 'in use' : 'free'} but $MFT:$BITMAP says ${marked ? 'in use' : 'free'}`, record: n });
    } else if (inUse !== marked && inUse) {
      report({ code: 'MFT_BITMAP', message: `system record ${n} is in use but not marked in $MFT:$BITMAP`, record: n });
    }
    if (!inUse) continue;
    recordsInUse++;
    let record: FileRecord;
    try {
      record = decodeFixedRecord({ bytes: all, view, at, size: rs, origin: mft.deviceOffset(n), recordNumber: n, maxCluster: total });
    } catch (error) {
      if (!(error instanceof CorruptError)) throw error;
      report({ code: 'RECORD_CORRUPT', message: `record ${n}: ${error.message}`, record: n });
      continue;
    }
    records.set(n, record);
    for (const attribute of record.attributes) {
      if (attribute.resident) continue;
      for (const run of attribute.runs) {
        if (run.lcn === SPARSE_LCN) continue;
        for (let c = run.lcn; c < run.lcn + run.length && c < total; c++) {
          if (bit(owned, c)) report({ code: 'DOUBLE_ALLOCATION', message: `cluster ${c} is claimed twice (again by record ${n} attribute 0x${attribute.type.toString(16)})`, record: n });
          else owned[c >>> 3] = owned[c >>> 3]! | (1 << (c & 7));
        }
      }
    }
  }

  // Extension records: each belongs to an in-use base record whose $ATTRIBUTE_LIST names it
  // and every attribute it holds (type, name, lowest VCN, instance, sequence).
  const extensionAttributes = new Map<number, FileRecord['attributes']>();
  const extensionsOf = new Map<number, number[]>();
  for (const [n, record] of records) {
    if (!record.isExtension) continue;
    const base = records.get(record.baseRecord);
    if (!base || base.isExtension) {
      report({ code: 'ATTRIBUTE_LIST', message: `extension record ${n} belongs to record ${record.baseRecord}, which is not an in-use base record`, record: n });
      continue;
    }
    const list = extensionAttributes.get(record.baseRecord) ?? [];
    list.push(...record.attributes);
    extensionAttributes.set(record.baseRecord, list);
    extensionsOf.set(record.baseRecord, [...(extensionsOf.get(record.baseRecord) ?? []), n]);
  }
  for (const [n, record] of records) {
    if (record.isExtension) continue;
    const listAttribute = record.attributes.find((a) => a.type === AT_ATTRIBUTE_LIST);
    const named = new Set<number>();
    if (listAttribute) {
      let entries: AttributeListEntry[];
      try {
        entries = decodeAttributeList(await readSmallAttribute({ device, geometry, attribute: listAttribute, description: `record ${n} $ATTRIBUTE_LIST` }), listAttribute.offset);
      } catch (error) {
        if (!(error instanceof CorruptError)) throw error;
        report({ code: 'ATTRIBUTE_LIST', message: `record ${n}: ${error.message}`, record: n });
        continue;
      }
      for (const entry of entries) {
        const holder = records.get(entry.recordNumber);
        const where = `record ${n}: list entry 0x${entry.type.toString(16)} "${entry.name}" VCN ${entry.lowestVcn}`;
        if (!holder || holder.sequence !== entry.sequence || (entry.recordNumber !== n && holder.baseRecord !== n)) {
          report({ code: 'ATTRIBUTE_LIST', message: `${where} names record ${entry.recordNumber} (sequence ${entry.sequence}), which is not this file's`, record: n });
          continue;
        }
        named.add(entry.recordNumber);
        const found = holder.attributes.some((a) => a.type === entry.type && a.name === entry.name && a.instance === entry.instance && (a.resident ? 0 : a.lowestVcn) === entry.lowestVcn);
        if (!found) report({ code: 'ATTRIBUTE_LIST', message: `${where} has no attribute with instance ${entry.instance} in record ${entry.recordNumber}`, record: n });
      }
      const listed = entries.length;
      const present = record.attributes.filter((a) => a.type !== AT_ATTRIBUTE_LIST).length + (extensionAttributes.get(n)?.length ?? 0);
      if (listed !== present) report({ code: 'ATTRIBUTE_LIST', message: `record ${n}: its list names ${listed} attributes, its records hold ${present}`, record: n });
    }
    for (const m of extensionsOf.get(n) ?? []) {
      if (!named.has(m)) report({ code: 'ATTRIBUTE_LIST', message: `extension record ${m} of record ${n} is not named by its attribute list`, record: m });
    }
    const names = [...record.attributes, ...(extensionAttributes.get(n) ?? [])].filter((a) => a.type === AT_FILE_NAME).length;
    if (n >= 16 && names > 0 && names !== record.linkCount) {
      report({ code: 'LINK_COUNT', message: `record ${n} has ${names} $FILE_NAME attributes but a link count of ${record.linkCount}`, record: n });
    }
  }

  // $MFTMirr: the first records as mirrored.
  // ntfs-3g's rule: four records, or a whole cluster of them when a cluster holds more.
  const mirrCount = cs <= 4 * rs ? 4 : cs / rs;
  const mirr = await device.read(geometry.mftMirrOffset, mirrCount * rs);
  const head = await mft.stream.read(0, mirrCount * rs);
  for (let n = 0; n < mirrCount; n++) {
    const a = mirr.subarray(n * rs, (n + 1) * rs);
    const b = head.subarray(n * rs, (n + 1) * rs);
    if (!a.every((x, i) => x === b[i])) report({ code: 'MFTMIRR', message: `$MFTMirr record ${n} differs from $MFT`, record: n });
  }

  // Cluster $Bitmap vs owners.
  const bitmapFile = await mft.loadFile(MFT_RECORD_BITMAP);
  const bitmapData = bitmapFile.attributes.find((a) => a.type === AT_DATA && a.name === '');
  if (!bitmapData) throw new CorruptError('$Bitmap has no $DATA', { structure: 'NTFS $Bitmap' });
  const clusterBitmap = await new AttributeStream({ device, clusterSize: cs, source: mergedSource(bitmapData, '$Bitmap') }).read(0, Math.min(bitmapData.dataSize, Math.ceil(total / 8)));
  let clustersInUse = 0;
  let leaks = 0;
  let unmarked = 0;
  for (let c = 0; c < total; c++) {
    const marked = bit(clusterBitmap, c);
    if (marked) clustersInUse++;
    const isOwned = bit(owned, c);
    if (marked && !isOwned) {
      if (leaks++ < 20) report({ code: 'CLUSTER_LEAK', message: `cluster ${c} is marked in $Bitmap but no attribute uses it` });
    } else if (!marked && isOwned) {
      if (unmarked++ < 20) report({ code: 'CLUSTER_UNMARKED', message: `cluster ${c} is used by an attribute but free in $Bitmap` });
    }
  }
  if (leaks > 20) report({ code: 'CLUSTER_LEAK', message: `${leaks} leaked clusters in all` });
  if (unmarked > 20) report({ code: 'CLUSTER_UNMARKED', message: `${unmarked} used-but-free clusters in all` });

  // Indexes.
  let entryCount = 0;
  for (const [n, record] of records) {
    if (record.isExtension || !record.attributes.some((a) => a.type === AT_INDEX_ROOT && a.name === '$I30')) continue;
    let file: MftFile;
    try {
      file = await mft.loadFile(n);
      const allocationAttribute = indexAllocationAttribute(file);
      let allocation: Uint8Array | undefined;
      if (allocationAttribute && !allocationAttribute.resident) {
        checkAllocationSize(allocationAttribute, cs);
        allocation = await new AttributeStream({ device, clusterSize: cs, source: mergedSource(allocationAttribute, `record ${n} $INDEX_ALLOCATION`) }).read(0, allocationAttribute.dataSize);
      }
      const index = openDirectoryIndex({ file, allocation, clusterSize: cs, origin: allocationAttribute?.offset ?? 0 });
      const entries = indexEntries(index);
      let previous: string | undefined;
      for (const entry of entries) {
        entryCount++;
        const name = keyName(entry.key);
        if (previous !== undefined && fs.upcase.compare(previous, name) > 0) {
          report({ code: 'INDEX_ORDER', message: `directory ${n}: "${name}" is sorted after "${previous}"`, record: n });
        }
        previous = name;
        const target = records.get(entry.recordNumber);
        if (!target) {
          report({ code: 'INDEX_TARGET', message: `directory ${n}: "${name}" points at record ${entry.recordNumber}, which is not in use`, record: n });
          continue;
        }
        if (target.sequence !== entry.sequence && entry.sequence !== 0) {
          report({ code: 'INDEX_TARGET', message: `directory ${n}: "${name}" has sequence ${entry.sequence}, record ${entry.recordNumber} has ${target.sequence}`, record: n });
        }
        const key = decodeFileName(entry.key, 0);
        const names = [...target.attributes, ...(extensionAttributes.get(entry.recordNumber) ?? [])].filter((a) => a.type === AT_FILE_NAME && a.resident).map((a) => decodeFileName(a.value!, a.offset));
        const match = names.find((fn) => fn.name === name && fn.parentRecord === n);
        if (!match) {
          report({ code: 'INDEX_TARGET', message: `directory ${n}: record ${entry.recordNumber} has no $FILE_NAME "${name}" under parent ${n}`, record: n });
        } else if (match.namespace !== key.namespace && key.namespace !== NAMESPACE_DOS) {
          report({ code: 'INDEX_TARGET', message: `directory ${n}: "${name}" namespace ${key.namespace} differs from the record's ${match.namespace}`, record: n });
        }
      }
    } catch (error) {
      if (!(error instanceof CorruptError)) throw error;
      report({ code: 'INDEX_CORRUPT', message: `directory ${n}: ${error.message}`, record: n });
    }
  }
  await checkReparseIndex({ fs, records, extensionAttributes, report });
  return { problems, recordsInUse, clustersInUse, indexEntries: entryCount };
}

/**
 * $Extend/$Reparse:$R names every reparse point (key: tag, file reference) and nothing else.
 * Checked when the index lies whole in its root (INDX blocks are left to ntfsfix/chkdsk).
 */
async function checkReparseIndex(args: { fs: NtfsFileSystem; records: Map<number, FileRecord>; extensionAttributes: Map<number, FileRecord['attributes']>; report: (p: NtfsProblem) => void }): Promise<void> {
  const { fs, records, extensionAttributes, report } = args;
  let inode: number | undefined;
  try {
    inode = (await fs.stat('/$Extend/$Reparse')).inode;
  } catch {
    return; // no $Reparse (NTFS 1.x, or not created)
  }
  const record = inode === undefined ? undefined : records.get(inode);
  const root = record?.attributes.find((a) => a.type === AT_INDEX_ROOT && a.name === '$R' && a.resident);
  if (!root?.value || root.value.length < 0x20 || (root.value[0x1c]! & 1) !== 0) return;
  const value = root.value;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const listed = new Set<number>();
  const end = Math.min(value.length, 0x10 + view.getUint32(0x14, true));
  for (let p = 0x10 + view.getUint32(0x10, true), i = 0; p + 16 <= end && i < 65536; i++) {
    const length = view.getUint16(p + 8, true);
    if (length < 16 || (view.getUint16(p + 12, true) & 2) !== 0 || p + 28 > end) break;
    const tag = view.getUint32(p + 16, true);
    const target = view.getUint32(p + 20, true) + view.getUint16(p + 24, true) * 0x100000000;
    listed.add(target);
    const holder = records.get(target);
    const attributes = holder ? [...holder.attributes, ...(extensionAttributes.get(target) ?? [])] : [];
    const reparse = attributes.find((a) => a.type === AT_REPARSE_POINT);
    const actualTag = reparse?.resident && reparse.value && reparse.value.length >= 4 ? new DataView(reparse.value.buffer, reparse.value.byteOffset).getUint32(0, true) : undefined;
    if (!reparse) report({ code: 'REPARSE_INDEX', message: `$Reparse names record ${target}, which is not an in-use reparse point`, record: target });
    else if (actualTag !== undefined && actualTag !== tag) report({ code: 'REPARSE_INDEX', message: `$Reparse lists record ${target} with tag 0x${tag.toString(16)}, the record has 0x${actualTag.toString(16)}`, record: target });
    p += length;
  }
  for (const [n, r] of records) {
    if (r.isExtension || listed.has(n)) continue;
    if ([...r.attributes, ...(extensionAttributes.get(n) ?? [])].some((a) => a.type === AT_REPARSE_POINT)) {
      report({ code: 'REPARSE_INDEX', message: `reparse point record ${n} is missing from $Extend/$Reparse`, record: n });
    }
  }
}
