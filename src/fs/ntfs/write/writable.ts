// NtfsWritableFileSystem: the WritableFileSystem contract over an NTFS volume, writing through
// a WritableBlockDevice (normally an OverlayDevice, so nothing reaches the source before the
// transaction commits). It changes existing files (overwrite in place; grow and shrink
// non-resident $DATA with clusters allocated from $Bitmap after the file's last run, runs
// re-encoded, allocated/data/initialized sizes updated; resident $DATA rewritten in the record
// or moved out to clusters when it outgrows the record), creates files and directories (MFT
// record from $MFT:$BITMAP, $MFT extended when full, Win32 $FILE_NAME, parent's security id)
// and deletes files and empty directories. Directory changes are staged per directory and the
// directory's whole $I30 B+tree is rebuilt once (index-builder.ts) before anything is read
// back or flushed. Records are read and written through the writer's own cache and $MFT run
// list, so the reader (reopened lazily) never serves stale bytes.
// Consistency kept on every write: fixups with a new update sequence number on every record
// written, $MFTMirr for the mirrored records, $Bitmap, and $LogFile emptied (all 0xFF) before
// the first change, exactly as ntfs-3g does on a read-write mount (ntfs_empty_logfile), so
// Windows finds nothing to replay over our changes. $UsnJrnl is left alone: its records are a
// change history for applications, not metadata Windows replays, and a missing entry is
// tolerated (Windows' own offline tools and ntfs-3g do the same).
// Sizes in the $FILE_NAME copies (the record's and the parent index entry's) follow a
// rewrite, as ntfs-3g does; the copies under other hard links' parents are left stale, which
// Windows tolerates (it reads sizes from $DATA; chkdsk refreshes the copies silently).
// Spec: ntfs-3g attrib.c (ntfs_attr_truncate, ntfs_attr_make_non_resident), mft.c, lcnalloc.c.

import type { WritableBlockDevice } from '../../../io/block-device.js';
import type { Diagnostics } from '../../../diagnostics.js';
import { ignoreDiagnostics } from '../../../diagnostics.js';
import { CorruptError, NotFoundError, UnsupportedError } from '../../../errors.js';
import { notFound, splitPath } from '../../path.js';
import type { DirEntry, Stat, WritableFileSystem, WriteFileOptions } from '../../types.js';
import { NtfsFileSystem } from '../filesystem.js';
import { decodeFixedRecord, FILE_MAGIC } from '../record.js';
import { encodeFixups, tryApplyFixups } from '../fixups.js';
import { AT_ATTRIBUTE_LIST, AT_BITMAP, AT_DATA, AT_FILE_NAME, AT_INDEX_ALLOCATION, AT_INDEX_ROOT, AT_REPARSE_POINT, AT_STANDARD_INFORMATION, ATTR_COMPRESSION_MASK, ATTR_IS_ENCRYPTED, ATTR_IS_SPARSE, MFT_RECORD_IN_USE, MFT_RECORD_IS_DIRECTORY, MFT_RECORD_ROOT } from '../attribute-types.js';
import { indexEntries, keyName, openDirectoryIndex } from '../directory.js';
import { mergeExtents } from '../mft.js';
import type { UpcaseTable } from '../upcase.js';
import { buildIndex, type IndexItem } from './index-builder.js';
import { FILE_ATTRIBUTE_ARCHIVE, FILE_ATTR_DUP_FILE_NAME_INDEX_PRESENT, NAMESPACE_WIN32, buildRecord, checkWin32Name, emptyIndexRoot, filetime, fileNameValue, fnAttribute, freeRecord, indexRootAttribute, siAttribute, standardInformation } from './new-record.js';
import { mergedSource } from '../mft.js';
import { AttributeStream } from '../data-stream.js';
import type { DataRun } from '../runlist.js';
import { assertNotBitLocker, assertSafeToWrite, MFT_RECORD_LOGFILE } from './safety.js';
import { ClusterBitmap, appendRuns, truncateRuns } from './cluster-bitmap.js';
import { buildNonResident, buildResident, findAttribute, insertAttribute, removeAttribute, replaceAttribute, u16, u32 } from './record-edit.js';
import type { LogFileState } from './logfile.js';

const MFT_RECORD_BITMAP = 6;
const WRITE_CHUNK = 1 << 20;

/** Writes `bytes` at byte `offset` of an attribute mapped by `runs` (all clusters allocated). */
export async function writeThroughRuns(args: { device: WritableBlockDevice; runs: readonly DataRun[]; clusterSize: number; offset: number; bytes: Uint8Array }): Promise<void> {
  const { device, runs, clusterSize: cs, bytes } = args;
  let done = 0;
  while (done < bytes.length) {
    const pos = args.offset + done;
    const vcn = Math.floor(pos / cs);
    const run = runs.find((r) => vcn >= r.vcn && vcn < r.vcn + r.length);
    if (!run || run.lcn < 0) throw new CorruptError(`no allocated cluster for VCN ${vcn}`, { structure: 'NTFS data run' });
    const runEnd = (run.vcn + run.length) * cs;
    const n = Math.min(bytes.length - done, runEnd - pos, WRITE_CHUNK);
    await device.write(run.lcn * cs + (pos - run.vcn * cs), bytes.subarray(done, done + n));
    done += n;
  }
}


/** A directory's entries as staged in memory, in collation order. */
interface DirState {
  items: IndexItem[];
  names: string[];
  dirty: boolean;
}

/** Records below this are reserved for metadata and $MFT extension records. */
const FIRST_USER_RECORD = 24;
/** Records added to $MFT at a time when it is full. */
const MFT_GROWTH_RECORDS = 256;
/** $Extend: its children ($ObjId, $Quota, $Reparse, $UsnJrnl…) are metadata too. */
const MFT_RECORD_EXTEND = 11;

export class NtfsWritableFileSystem implements WritableFileSystem {
  readonly kind = 'ntfs';
  private logEmptied = false;
  private stale = false;
  private readonly records = new Map<number, Uint8Array>();
  private readonly dirs = new Map<number, DirState>();
  private mftRuns: DataRun[];
  private recordCount: number;
  private mftBitmapDirty = false;
  private recordHint = FIRST_USER_RECORD;
  private clusterHint = 0;
  private readonly rs: number;
  private readonly cs: number;
  private readonly upcase: UpcaseTable;

  private constructor(
    private readonly device: WritableBlockDevice,
    private fs: NtfsFileSystem,
    private readonly bitmap: ClusterBitmap,
    private readonly bitmapRuns: DataRun[],
    private mftBitmap: Uint8Array,
    private readonly log: LogFileState,
    private readonly diagnostics: Diagnostics,
  ) {
    this.mftRuns = fs.mft.runs.map((r) => ({ ...r }));
    this.recordCount = fs.mft.recordCount;
    this.rs = fs.mft.recordSize;
    this.cs = fs.geometry.clusterSize;
    this.upcase = fs.upcase;
  }

  get label(): string {
    return this.fs.label;
  }
  get uuid(): string {
    return this.fs.uuid;
  }

  static async open(device: WritableBlockDevice, options: { diagnostics?: Diagnostics } = {}): Promise<NtfsWritableFileSystem> {
    const diagnostics = options.diagnostics ?? ignoreDiagnostics;
    await assertNotBitLocker(device);
    const fs = await NtfsFileSystem.open(device, { diagnostics });
    const log = await assertSafeToWrite(fs);
    const bitmapFile = await fs.mft.loadFile(MFT_RECORD_BITMAP);
    const data = bitmapFile.attributes.find((a) => a.type === AT_DATA && a.name === '');
    if (!data || data.resident) throw new CorruptError('$Bitmap has no non-resident $DATA', { structure: 'NTFS $Bitmap' });
    const total = fs.geometry.totalClusters;
    if (data.dataSize < Math.ceil(total / 8)) throw new CorruptError(`$Bitmap of ${data.dataSize} bytes is too small for ${total} clusters`, { structure: 'NTFS $Bitmap', offset: data.offset });
    const bits = await new AttributeStream({ device, clusterSize: fs.geometry.clusterSize, source: mergedSource(data, '$Bitmap') }).read(0, data.dataSize);
    const mftFile = await fs.mft.loadFile(0);
    if (mftFile.attributeList) throw new UnsupportedError('$MFT has an $ATTRIBUTE_LIST (very fragmented); writing to such volumes is not implemented yet', { structure: 'NTFS $MFT' });
    const mftBitmapAttr = mftFile.attributes.find((a) => a.type === AT_BITMAP && a.name === '');
    if (!mftBitmapAttr) throw new CorruptError('$MFT has no $BITMAP', { structure: 'NTFS $MFT' });
    const mftBits = mftBitmapAttr.resident
      ? mftBitmapAttr.value!.slice()
      : await new AttributeStream({ device, clusterSize: fs.geometry.clusterSize, source: mergedSource(mftBitmapAttr, '$MFT $BITMAP') }).read(0, mftBitmapAttr.dataSize);
    return new NtfsWritableFileSystem(device, fs, new ClusterBitmap(bits, total), data.runs.map((r) => ({ ...r })), mftBits, log, diagnostics);
  }

  // ---- reading: the reader over the current state ----------------------------------------

  /** Writes staged directories and bitmaps, and reopens the reader when anything changed. */
  private async sync(): Promise<void> {
    await this.flushStaged();
    if (this.stale) {
      this.fs = await NtfsFileSystem.open(this.device, { diagnostics: this.diagnostics });
      this.stale = false;
    }
  }

  /** The reader over the current state. */
  async reader(): Promise<NtfsFileSystem> {
    await this.sync();
    return this.fs;
  }
  async stat(path: string): Promise<Stat> {
    await this.sync();
    return this.fs.stat(path);
  }
  async readdir(path: string): Promise<DirEntry[]> {
    await this.sync();
    return this.fs.readdir(path);
  }
  async readFile(path: string): Promise<Uint8Array> {
    await this.sync();
    return this.fs.readFile(path);
  }
  async exists(path: string): Promise<boolean> {
    await this.sync();
    return this.fs.exists(path);
  }

  // ---- record I/O -------------------------------------------------------------------------

  /** The fixed-up record `n` (the writer's cached copy: edit it, then writeRecord). */
  private async readRecord(n: number): Promise<Uint8Array> {
    const hit = this.records.get(n);
    if (hit) return hit;
    if (n >= this.recordCount) throw new CorruptError(`MFT record ${n} is past the end of $MFT`, { structure: 'NTFS $MFT' });
    const bytes = await this.readMft(n * this.rs, this.rs);
    if (u32(bytes, 0) !== FILE_MAGIC || !tryApplyFixups(bytes, 0, this.rs)) {
      throw new CorruptError(`MFT record ${n} has a bad signature or fixups`, { structure: 'NTFS FILE record' });
    }
    this.records.set(n, bytes);
    return bytes;
  }

  private async readMft(offset: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const pos = offset + done;
      const vcn = Math.floor(pos / this.cs);
      const run = this.mftRuns.find((r) => vcn >= r.vcn && vcn < r.vcn + r.length);
      if (!run || run.lcn < 0) throw new CorruptError(`$MFT has no cluster for VCN ${vcn}`, { structure: 'NTFS $MFT' });
      const n = Math.min(length - done, (run.vcn + run.length) * this.cs - pos);
      out.set(await this.device.read(run.lcn * this.cs + (pos - run.vcn * this.cs), n), done);
      done += n;
    }
    return out;
  }

  /** Protects the record with a fresh update sequence number and writes it (and its mirror). */
  private async writeRecord(n: number, fixed: Uint8Array): Promise<void> {
    const rs = this.rs;
    this.records.set(n, fixed);
    const out = fixed.slice();
    const usaOffset = u16(out, 4);
    let usn = (u16(out, usaOffset) + 1) & 0xffff;
    if (usn === 0 || usn === 0xffff) usn = 1;
    fixed[usaOffset] = usn & 0xff;
    fixed[usaOffset + 1] = usn >>> 8;
    encodeFixups({ bytes: out, size: rs, usn });
    await writeThroughRuns({ device: this.device, runs: this.mftRuns, clusterSize: this.cs, offset: n * rs, bytes: out });
    const mirrored = this.cs <= 4 * rs ? 4 : this.cs / rs;
    if (n < mirrored) await this.device.write(this.fs.geometry.mftMirrOffset + n * rs, out);
    this.stale = true;
  }

  private decode(n: number, record: Uint8Array) {
    const copy = record.slice();
    return decodeFixedRecord({ bytes: copy, view: new DataView(copy.buffer), at: 0, size: this.rs, origin: 0, recordNumber: n, maxCluster: this.fs.geometry.totalClusters });
  }

  /** Empties $LogFile once, before the first change (ntfs-3g's ntfs_empty_logfile). */
  private async beginChange(): Promise<void> {
    if (this.logEmptied) return;
    this.logEmptied = true;
    if (this.log.state === 'empty') return;
    const file = await this.fs.mft.loadFile(MFT_RECORD_LOGFILE);
    const data = file.attributes.find((a) => a.type === AT_DATA && a.name === '');
    if (!data || data.resident) throw new CorruptError('$LogFile $DATA is resident', { structure: 'NTFS $LogFile' });
    const fill = new Uint8Array(Math.min(WRITE_CHUNK, data.dataSize)).fill(0xff);
    for (let pos = 0; pos < data.dataSize; pos += fill.length) {
      await writeThroughRuns({ device: this.device, runs: data.runs, clusterSize: this.cs, offset: pos, bytes: fill.subarray(0, Math.min(fill.length, data.dataSize - pos)) });
    }
    this.stale = true;
  }

  // ---- bitmaps ----------------------------------------------------------------------------

  private async writeBitmaps(): Promise<void> {
    const dirty = this.bitmap.takeDirty();
    if (dirty) {
      await writeThroughRuns({ device: this.device, runs: this.bitmapRuns, clusterSize: this.cs, offset: dirty.offset, bytes: dirty.bytes });
      this.stale = true;
    }
    if (this.mftBitmapDirty) {
      this.mftBitmapDirty = false;
      const record0 = await this.readRecord(0);
      const at = findAttribute(record0, AT_BITMAP, '');
      if (record0[at + 8] === 0) {
        replaceAttribute(record0, at, buildResident({ type: AT_BITMAP, name: '', instance: u16(record0, at + 14), flags: 0, value: this.mftBitmap }));
        await this.writeRecord(0, record0);
      } else {
        const attribute = this.decode(0, record0).attributes.find((a) => a.type === AT_BITMAP && a.name === '')!;
        await writeThroughRuns({ device: this.device, runs: attribute.runs, clusterSize: this.cs, offset: 0, bytes: this.mftBitmap.subarray(0, attribute.dataSize) });
      }
      this.stale = true;
    }
  }

  private mftBit(n: number): boolean {
    return ((this.mftBitmap[n >>> 3] ?? 0) & (1 << (n & 7))) !== 0;
  }
  private setMftBit(n: number, value: boolean): void {
    if (value) this.mftBitmap[n >>> 3] = this.mftBitmap[n >>> 3]! | (1 << (n & 7));
    else this.mftBitmap[n >>> 3] = this.mftBitmap[n >>> 3]! & ~(1 << (n & 7));
    this.mftBitmapDirty = true;
  }

  /** Allocates a free MFT record (extending $MFT when full); answers its number and sequence. */
  private async allocateRecord(): Promise<{ n: number; sequence: number }> {
    for (let pass = 0; pass < 2; pass++) {
      for (let n = Math.max(this.recordHint, FIRST_USER_RECORD); n < this.recordCount; n++) {
        if (this.mftBit(n)) continue;
        this.setMftBit(n, true);
        this.recordHint = n + 1;
        await this.ensureInitialized(n);
        const raw = await this.readMft(n * this.rs, this.rs);
        let sequence = u32(raw, 0) === FILE_MAGIC ? u16(raw, 0x10) : 1;
        if (sequence === 0) sequence = 1;
        return { n, sequence };
      }
      if (pass === 0) {
        if (this.recordHint > FIRST_USER_RECORD) {
          this.recordHint = FIRST_USER_RECORD;
          pass = -1;
          continue;
        }
        await this.extendMft();
      }
    }
    throw new UnsupportedError('no free MFT record after extending $MFT', { structure: 'NTFS $MFT' });
  }

  /** Makes sure record `n` lies below $MFT's initialized size (formatting records up to the data size). */
  private async ensureInitialized(n: number): Promise<void> {
    const record0 = await this.readRecord(0);
    const at = findAttribute(record0, AT_DATA, '');
    const view = new DataView(record0.buffer, record0.byteOffset);
    const initialized = Number(view.getBigUint64(at + 0x38, true));
    const dataSize = Number(view.getBigUint64(at + 0x30, true));
    if ((n + 1) * this.rs <= initialized) return;
    for (let r = Math.floor(initialized / this.rs); r * this.rs < dataSize; r++) {
      const fresh = freeRecord({ recordSize: this.rs, recordNumber: r });
      this.records.delete(r);
      await this.writeRecord(r, fresh);
      this.records.delete(r);
    }
    view.setBigUint64(at + 0x38, BigInt(dataSize), true);
    await this.writeRecord(0, record0);
  }

  /** Adds MFT_GROWTH_RECORDS records to $MFT (clusters after its last run) and grows $MFT:$BITMAP to match. */
  private async extendMft(): Promise<void> {
    const record0 = await this.readRecord(0);
    const decoded = this.decode(0, record0);
    const data = decoded.attributes.find((a) => a.type === AT_DATA && a.name === '')!;
    const have = data.runs.reduce((s, r) => s + r.length, 0);
    // Use clusters $MFT already owns past its data size first (mkntfs leaves some), then grow.
    const wantBytes = have * this.cs >= (this.recordCount + 1) * this.rs ? have * this.cs : (this.recordCount + MFT_GROWTH_RECORDS) * this.rs;
    let wantClusters = Math.ceil(wantBytes / this.cs);
    const last = data.runs[data.runs.length - 1]!;
    let more: DataRun[] = [];
    if (wantClusters > have) {
      try {
        more = this.bitmap.allocate({ count: wantClusters - have, hint: last.lcn + last.length, vcn: have });
      } catch (error) {
        if (!(error instanceof UnsupportedError)) throw error;
        // A nearly full volume: grow by the least that holds one more record.
        wantClusters = Math.ceil(((this.recordCount + 1) * this.rs) / this.cs);
        more = this.bitmap.allocate({ count: wantClusters - have, hint: last.lcn + last.length, vcn: have });
      }
    }
    const runs = appendRuns(data.runs, more);
    const oldCount = this.recordCount;
    const newCount = Math.floor((wantClusters * this.cs) / this.rs);
    // Format the new records before $MFT claims them.
    this.mftRuns = runs;
    for (let r = Math.floor(data.initializedSize / this.rs); r < newCount; r++) {
      this.records.delete(r);
      await this.writeRecord(r, freeRecord({ recordSize: this.rs, recordNumber: r }));
      this.records.delete(r);
    }
    replaceAttribute(record0, findAttribute(record0, AT_DATA, ''), buildNonResident({ type: AT_DATA, name: '', instance: data.instance, flags: data.flags, runs, dataSize: newCount * this.rs, clusterSize: this.cs }));
    // $MFT:$BITMAP: one bit per record, kept a multiple of 8 bytes.
    const bitmapAttr = decoded.attributes.find((a) => a.type === AT_BITMAP && a.name === '')!;
    const bytes = Math.ceil(newCount / 64) * 8;
    const grown = new Uint8Array(Math.max(bytes, this.mftBitmap.length));
    grown.set(this.mftBitmap);
    this.mftBitmap = grown.subarray(0, bytes);
    const bitmapAt = findAttribute(record0, AT_BITMAP, '');
    if (bitmapAttr.resident) {
      replaceAttribute(record0, bitmapAt, buildResident({ type: AT_BITMAP, name: '', instance: bitmapAttr.instance, flags: 0, value: this.mftBitmap }));
    } else {
      let bitmapRuns = bitmapAttr.runs;
      const haveClusters = bitmapRuns.reduce((s, r) => s + r.length, 0);
      const needClusters = Math.ceil(bytes / this.cs);
      if (needClusters > haveClusters) {
        const lastRun = bitmapRuns[bitmapRuns.length - 1]!;
        bitmapRuns = appendRuns(bitmapRuns, this.bitmap.allocate({ count: needClusters - haveClusters, hint: lastRun.lcn + lastRun.length, vcn: haveClusters }));
      }
      replaceAttribute(record0, bitmapAt, buildNonResident({ type: AT_BITMAP, name: '', instance: bitmapAttr.instance, flags: 0, runs: bitmapRuns, dataSize: bytes, clusterSize: this.cs }));
    }
    this.recordCount = newCount;
    this.mftBitmapDirty = true;
    await this.writeRecord(0, record0);
    await this.writeBitmaps();
    this.recordHint = oldCount;
  }

  // ---- directories ------------------------------------------------------------------------

  private async dir(n: number): Promise<DirState> {
    const hit = this.dirs.get(n);
    if (hit) return hit;
    const record = await this.readRecord(n);
    const decoded = this.decode(n, record);
    if ((decoded.flags & MFT_RECORD_IS_DIRECTORY) === 0 || !decoded.attributes.some((a) => a.type === AT_INDEX_ROOT && a.name === '$I30')) {
      throw new NotFoundError(`MFT record ${n} is not a directory`, { kind: 'file' }, 'ENOTDIR');
    }
    if (decoded.attributes.some((a) => a.type === AT_ATTRIBUTE_LIST)) throw new UnsupportedError(`directory record ${n} has an $ATTRIBUTE_LIST; changing it is not implemented yet`);
    const file = { record: decoded, attributes: mergeExtents(decoded.attributes), attributeList: undefined };
    const allocationAttribute = file.attributes.find((a) => a.type === AT_INDEX_ALLOCATION && a.name === '$I30');
    let allocation: Uint8Array | undefined;
    if (allocationAttribute && !allocationAttribute.resident) {
      allocation = await new AttributeStream({ device: this.device, clusterSize: this.cs, source: mergedSource(allocationAttribute, `record ${n} $INDEX_ALLOCATION`) }).read(0, allocationAttribute.dataSize);
    }
    const index = openDirectoryIndex({ file, allocation, clusterSize: this.cs, origin: 0 });
    const items = indexEntries(index).map((e) => ({ recordNumber: e.recordNumber, sequence: e.sequence, key: e.key.slice() }));
    const state: DirState = { items, names: items.map((i) => keyName(i.key)), dirty: false };
    this.dirs.set(n, state);
    return state;
  }

  /** Binary search by collation: the index of `name`, or -(insertion point) - 1. */
  private search(state: DirState, name: string): number {
    let lo = 0;
    let hi = state.names.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.upcase.compare(state.names[mid]!, name);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** Resolves a path through the staged directories: the parent record, the name, and the entry if present. */
  private async resolve(path: string): Promise<{ parent: number; name: string; entry: IndexItem | undefined }> {
    const parts = splitPath(path);
    if (parts.length === 0) return { parent: MFT_RECORD_ROOT, name: '', entry: { recordNumber: MFT_RECORD_ROOT, sequence: MFT_RECORD_ROOT, key: new Uint8Array(0) } };
    let parent = MFT_RECORD_ROOT;
    for (let i = 0; i < parts.length - 1; i++) {
      const state = await this.dir(parent).catch((error: unknown) => {
        if (error instanceof NotFoundError) throw notFound('/' + parts.slice(0, i).join('/'), 'ENOTDIR');
        throw error;
      });
      const at = this.search(state, parts[i]!);
      if (at < 0) throw notFound('/' + parts.slice(0, i + 1).join('/'));
      parent = state.items[at]!.recordNumber;
    }
    const name = parts[parts.length - 1]!;
    const state = await this.dir(parent).catch((error: unknown) => {
      if (error instanceof NotFoundError) throw notFound('/' + parts.slice(0, -1).join('/'), 'ENOTDIR');
      throw error;
    });
    const at = this.search(state, name);
    return { parent, name, entry: at >= 0 ? state.items[at] : undefined };
  }

  private addEntry(state: DirState, item: IndexItem, name: string): void {
    const at = this.search(state, name);
    if (at >= 0) throw new UnsupportedError(`"${name}" already exists`);
    const pos = -at - 1;
    state.items.splice(pos, 0, item);
    state.names.splice(pos, 0, name);
    state.dirty = true;
  }

  private removeEntries(state: DirState, recordNumber: number): void {
    for (let i = state.items.length - 1; i >= 0; i--) {
      if (state.items[i]!.recordNumber === recordNumber) {
        state.items.splice(i, 1);
        state.names.splice(i, 1);
        state.dirty = true;
      }
    }
  }

  /** Rebuilds the $I30 index of directory `n` from its staged entries. */
  private async rebuildIndex(n: number, state: DirState): Promise<void> {
    const record = await this.readRecord(n);
    const decoded = this.decode(n, record);
    const rootAt = findAttribute(record, AT_INDEX_ROOT, '$I30');
    const rootValueAt = rootAt + u16(record, rootAt + 0x14);
    const rootHeader = record.slice(rootValueAt, rootValueAt + 0x10);
    const blockSize = u32(rootHeader, 8);
    const vcnPerBlock = blockSize >= this.cs ? blockSize / this.cs : blockSize / 512;
    const oldAlloc = decoded.attributes.find((a) => a.type === AT_INDEX_ALLOCATION && a.name === '$I30');
    const oldBitmap = decoded.attributes.find((a) => a.type === AT_BITMAP && a.name === '$I30');
    const lengthOf = (type: number): number => {
      const at = findAttribute(record, type, '$I30');
      return at < 0 ? 0 : u32(record, at + 4);
    };
    const others = u32(record, 0x18) - lengthOf(AT_INDEX_ROOT) - lengthOf(AT_INDEX_ALLOCATION) - lengthOf(AT_BITMAP);
    // Room for the root's entries: the record minus everything else, the root's own headers
    // (0x20 attribute header with name, 0x20 index root + index header) and a reserve for the
    // $INDEX_ALLOCATION and $BITMAP attributes an overflowing index needs.
    const rootSpace = u32(record, 0x1c) - others - 0x40 - 0x100;
    const built = buildIndex({ items: state.items, rootSpace, blockSize, vcnPerBlock });
    const rootValue = new Uint8Array(0x20 + built.rootEntries.length);
    rootValue.set(rootHeader);
    const rv = new DataView(rootValue.buffer);
    rv.setUint32(0x10, 0x10, true);
    rv.setUint32(0x14, 0x10 + built.rootEntries.length, true);
    rv.setUint32(0x18, 0x10 + built.rootEntries.length, true);
    rootValue[0x1c] = built.rootHasChildren ? 1 : 0;
    rootValue.set(built.rootEntries, 0x20);
    // Clusters for the blocks: keep the old runs as far as they go.
    let runs: DataRun[] = oldAlloc ? oldAlloc.runs.map((r) => ({ ...r })) : [];
    const wantClusters = Math.ceil((built.blocks.length * blockSize) / this.cs);
    const have = runs.reduce((s, r) => s + r.length, 0);
    if (wantClusters > have) {
      const last = runs[runs.length - 1];
      runs = appendRuns(runs, this.bitmap.allocate({ count: wantClusters - have, hint: last ? last.lcn + last.length : this.clusterHint, vcn: have }));
    } else if (wantClusters < have) {
      const { kept, removed } = truncateRuns(runs, wantClusters);
      this.bitmap.free(removed);
      runs = kept;
    }
    for (let i = 0; i < built.blocks.length; i++) {
      await writeThroughRuns({ device: this.device, runs, clusterSize: this.cs, offset: i * blockSize, bytes: built.blocks[i]! });
    }
    // Recompose the three index attributes.
    const rootInstance = u16(record, rootAt + 0x0e);
    removeAttribute(record, rootAt);
    for (const type of [AT_INDEX_ALLOCATION, AT_BITMAP]) {
      const at = findAttribute(record, type, '$I30');
      if (at >= 0) removeAttribute(record, at);
    }
    insertAttribute(record, buildResident({ type: AT_INDEX_ROOT, name: '$I30', instance: 0, flags: 0, value: rootValue }), rootInstance);
    if (built.blocks.length > 0) {
      insertAttribute(record, buildNonResident({ type: AT_INDEX_ALLOCATION, name: '$I30', instance: 0, flags: 0, runs, dataSize: built.blocks.length * blockSize, clusterSize: this.cs }), oldAlloc?.instance);
      const bits = new Uint8Array(Math.ceil(built.blocks.length / 64) * 8);
      for (let i = 0; i < built.blocks.length; i++) bits[i >>> 3] = bits[i >>> 3]! | (1 << (i & 7));
      if (oldBitmap && !oldBitmap.resident) this.bitmap.free(oldBitmap.runs);
      insertAttribute(record, buildResident({ type: AT_BITMAP, name: '$I30', instance: 0, flags: 0, value: bits }), oldBitmap?.instance);
    } else if (oldBitmap && !oldBitmap.resident) {
      this.bitmap.free(oldBitmap.runs);
    }
    await this.writeRecord(n, record);
    state.dirty = false;
  }

  private async flushStaged(): Promise<void> {
    for (const [n, state] of this.dirs) if (state.dirty) await this.rebuildIndex(n, state);
    await this.writeBitmaps();
  }

  // ---- WritableFileSystem -----------------------------------------------------------------

  async writeFile(path: string, data: Uint8Array, options: WriteFileOptions = {}): Promise<void> {
    const { parent, name, entry } = await this.resolve(path);
    await this.beginChange();
    const mtime = options.mtime ?? new Date();
    if (entry) {
      const record = await this.readRecord(entry.recordNumber);
      const flags = u16(record, 0x16);
      if ((flags & MFT_RECORD_IS_DIRECTORY) !== 0) throw notFound(path, 'EISDIR');
      if (entry.recordNumber < FIRST_USER_RECORD || parent === MFT_RECORD_EXTEND) throw new UnsupportedError(`${path} is an NTFS metadata file; it is never rewritten`, { path });
      if (findAttribute(record, AT_REPARSE_POINT, '') >= 0) throw new UnsupportedError(`${path} is a reparse point (symlink, junction or WOF file); only regular files are rewritten`, { path });
      const sizes = await this.rewriteData({ recordNumber: entry.recordNumber, data, mtime, path });
      // The parent index's copy of the $FILE_NAME carries the sizes too (Windows' dir listing).
      const state = await this.dir(parent);
      for (const item of state.items) {
        if (item.recordNumber !== entry.recordNumber || item.key.length < 0x42) continue;
        const kv = new DataView(item.key.buffer, item.key.byteOffset, item.key.byteLength);
        kv.setBigUint64(0x28, BigInt(sizes.allocated), true);
        kv.setBigUint64(0x30, BigInt(sizes.data), true);
        state.dirty = true;
      }
      return;
    }
    await this.create({ parent, name, data, mtime, directory: false, path });
  }

  async mkdir(path: string, options: WriteFileOptions = {}): Promise<void> {
    const { parent, name, entry } = await this.resolve(path);
    if (entry) throw new UnsupportedError(`${path} already exists`, { path });
    await this.beginChange();
    await this.create({ parent, name, data: undefined, mtime: options.mtime ?? new Date(), directory: true, path });
  }

  private async create(args: { parent: number; name: string; data: Uint8Array | undefined; mtime: Date; directory: boolean; path: string }): Promise<void> {
    const { parent, name, data, directory } = args;
    checkWin32Name(name);
    const state = await this.dir(parent);
    if (this.search(state, name) >= 0) throw new UnsupportedError(`${args.path} already exists`, { path: args.path });
    const parentRecord = await this.readRecord(parent);
    const siAt = findAttribute(parentRecord, AT_STANDARD_INFORMATION, '');
    const siValue = siAt + u16(parentRecord, siAt + 0x14);
    const securityId = u32(parentRecord, siAt + 0x10) >= 0x48 ? u32(parentRecord, siValue + 0x34) : 0;
    const parentSequence = u16(parentRecord, 0x10);
    const { n, sequence } = await this.allocateRecord();
    const time = filetime(args.mtime);
    const fileAttributes = directory ? FILE_ATTR_DUP_FILE_NAME_INDEX_PRESENT : FILE_ATTRIBUTE_ARCHIVE;
    const si = siAttribute(standardInformation({ time, fileAttributes: directory ? 0 : FILE_ATTRIBUTE_ARCHIVE, securityId }));
    let record: Uint8Array;
    let fnValue: Uint8Array;
    let runs: DataRun[] = [];
    try {
      if (directory) {
        fnValue = fileNameValue({ parentRecord: parent, parentSequence, time, allocatedSize: 0, dataSize: 0, fileAttributes, name, namespace: NAMESPACE_WIN32 });
        record = buildRecord({
          recordSize: this.rs, recordNumber: n, sequence, flags: MFT_RECORD_IN_USE | MFT_RECORD_IS_DIRECTORY,
          attributes: [si, fnAttribute(fnValue, 1), indexRootAttribute(emptyIndexRoot({ blockSize: this.fs.geometry.indexRecordSize, clusterSize: this.cs }), 2)],
        });
      } else {
        const bytes = data!;
        const residentFn = fileNameValue({ parentRecord: parent, parentSequence, time, allocatedSize: (bytes.length + 7) & ~7, dataSize: bytes.length, fileAttributes, name, namespace: NAMESPACE_WIN32 });
        try {
          fnValue = residentFn;
          record = buildRecord({
            recordSize: this.rs, recordNumber: n, sequence, flags: MFT_RECORD_IN_USE,
            attributes: [si, fnAttribute(fnValue, 1), buildResident({ type: AT_DATA, name: '', instance: 2, flags: 0, value: bytes })],
          });
        } catch (error) {
          if (!(error instanceof UnsupportedError)) throw error;
          const clusters = Math.ceil(bytes.length / this.cs);
          runs = this.bitmap.allocate({ count: clusters, hint: this.clusterHint, vcn: 0 });
          const last = runs[runs.length - 1]!;
          this.clusterHint = last.lcn + last.length;
          await this.writeData(runs, bytes);
          fnValue = fileNameValue({ parentRecord: parent, parentSequence, time, allocatedSize: clusters * this.cs, dataSize: bytes.length, fileAttributes, name, namespace: NAMESPACE_WIN32 });
          record = buildRecord({
            recordSize: this.rs, recordNumber: n, sequence, flags: MFT_RECORD_IN_USE,
            attributes: [si, fnAttribute(fnValue, 1), buildNonResident({ type: AT_DATA, name: '', instance: 2, flags: 0, runs, dataSize: bytes.length, clusterSize: this.cs })],
          });
        }
      }
    } catch (error) {
      this.setMftBit(n, false);
      this.bitmap.free(runs);
      throw error;
    }
    this.records.delete(n);
    await this.writeRecord(n, record);
    this.addEntry(state, { recordNumber: n, sequence, key: fnValue }, name);
    if (directory) this.dirs.set(n, { items: [], names: [], dirty: false });
  }

  private async writeData(runs: readonly DataRun[], data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    const clusters = Math.ceil(data.length / this.cs);
    // Pad to whole clusters so no stale bytes sit past the end of the data.
    let padded = data;
    if (data.length !== clusters * this.cs) {
      padded = new Uint8Array(clusters * this.cs);
      padded.set(data);
    }
    await writeThroughRuns({ device: this.device, runs, clusterSize: this.cs, offset: 0, bytes: padded });
  }

  /** The sizes a $FILE_NAME copy holds for this record's unnamed $DATA (as ntfs-3g sets them). */
  private setFileNameSizes(record: Uint8Array, dataSize: number): { allocated: number; data: number } {
    const at = findAttribute(record, AT_DATA, '');
    const view = new DataView(record.buffer, record.byteOffset);
    const allocated = record[at + 8] === 0 ? (dataSize + 7) & ~7 : Number(view.getBigUint64(at + 0x28, true));
    for (let a = u16(record, 0x14), i = 0; i < 64 && a + 8 <= u32(record, 0x18) && u32(record, a) !== 0xffffffff; i++, a += u32(record, a + 4)) {
      if (u32(record, a) !== AT_FILE_NAME || record[a + 8] !== 0) continue;
      const value = a + u16(record, a + 0x14);
      view.setBigUint64(value + 0x28, BigInt(allocated), true);
      view.setBigUint64(value + 0x30, BigInt(dataSize), true);
    }
    return { allocated, data: dataSize };
  }

  private async rewriteData(args: { recordNumber: number; data: Uint8Array; mtime: Date; path: string }): Promise<{ allocated: number; data: number }> {
    const { recordNumber: n, data, path } = args;
    const cs = this.cs;
    const record = await this.readRecord(n);
    if (findAttribute(record, AT_ATTRIBUTE_LIST, '') >= 0) {
      throw new UnsupportedError(`${path} has an $ATTRIBUTE_LIST (its attributes span extension records); rewriting it is not implemented yet`, { path });
    }
    const decoded = this.decode(n, record);
    const attribute = decoded.attributes.find((a) => a.type === AT_DATA && a.name === '');
    const at = findAttribute(record, AT_DATA, '');
    if (!attribute || at < 0) throw new UnsupportedError(`${path} has no unnamed $DATA`, { path });
    if ((attribute.flags & (ATTR_COMPRESSION_MASK | ATTR_IS_SPARSE | ATTR_IS_ENCRYPTED)) !== 0) {
      throw new UnsupportedError(`${path} is compressed, sparse or encrypted; rewriting such streams is not implemented yet (decompress it in Windows first)`, { path });
    }
    if (!attribute.resident && attribute.lowestVcn !== 0) throw new UnsupportedError(`${path}: $DATA extent does not start at VCN 0`, { path });
    const runs = attribute.runs.map((r) => ({ ...r }));
    if (runs.some((r) => r.lcn < 0)) throw new UnsupportedError(`${path} has holes in a non-sparse $DATA`, { path });
    const { instance, flags } = attribute;
    let newRuns: DataRun[] | undefined;
    if (attribute.resident) {
      try {
        replaceAttribute(record, at, buildResident({ type: AT_DATA, name: '', instance, flags, value: data }));
      } catch (error) {
        if (!(error instanceof UnsupportedError)) throw error;
        // Outgrew the record: move the value out to clusters (ntfs_attr_make_non_resident).
        newRuns = this.bitmap.allocate({ count: Math.ceil(data.length / cs), hint: this.clusterHint, vcn: 0 });
        try {
          replaceAttribute(record, at, buildNonResident({ type: AT_DATA, name: '', instance, flags, runs: newRuns, dataSize: data.length, clusterSize: cs }));
        } catch (inner) {
          this.bitmap.free(newRuns);
          throw inner;
        }
      }
    } else {
      const have = runs.reduce((s, r) => s + r.length, 0);
      const want = Math.ceil(data.length / cs);
      let added: DataRun[] = [];
      if (want > have) {
        const last = runs[runs.length - 1];
        added = this.bitmap.allocate({ count: want - have, hint: last ? last.lcn + last.length : this.clusterHint, vcn: have });
        newRuns = appendRuns(runs, added);
      } else {
        const { kept, removed } = truncateRuns(runs, want);
        this.bitmap.free(removed);
        newRuns = kept;
      }
      try {
        replaceAttribute(record, at, buildNonResident({ type: AT_DATA, name: '', instance, flags, runs: newRuns, dataSize: data.length, clusterSize: cs }));
      } catch (error) {
        this.bitmap.free(added);
        throw error;
      }
    }
    this.touch(record, args.mtime);
    const sizes = this.setFileNameSizes(record, data.length);
    if (newRuns) await this.writeData(newRuns, data);
    await this.writeRecord(n, record);
    return sizes;
  }

  /** Sets the data-change and MFT-change times of $STANDARD_INFORMATION. */
  private touch(record: Uint8Array, when: Date): void {
    const at = findAttribute(record, AT_STANDARD_INFORMATION, '');
    if (at < 0 || record[at + 8] !== 0) return;
    const valueAt = at + u16(record, at + 0x14);
    const view = new DataView(record.buffer, record.byteOffset);
    const t = filetime(when);
    view.setBigUint64(valueAt + 0x08, t, true);
    view.setBigUint64(valueAt + 0x10, t, true);
  }

  async symlink(_target: string, path: string): Promise<void> {
    throw new UnsupportedError(`creating symlinks on NTFS is not implemented yet (${path})`, { path });
  }

  async unlink(path: string): Promise<void> {
    await this.remove(path, false);
  }

  async rmdir(path: string): Promise<void> {
    await this.remove(path, true);
  }

  private async remove(path: string, directory: boolean): Promise<void> {
    const { parent, entry } = await this.resolve(path);
    if (!entry) throw notFound(path);
    const n = entry.recordNumber;
    if (n < FIRST_USER_RECORD || parent === MFT_RECORD_EXTEND) throw new UnsupportedError(`${path} is an NTFS metadata file`, { path });
    const record = await this.readRecord(n);
    const isDir = (u16(record, 0x16) & MFT_RECORD_IS_DIRECTORY) !== 0;
    if (isDir !== directory) throw notFound(path, directory ? 'ENOTDIR' : 'EISDIR');
    if (findAttribute(record, AT_ATTRIBUTE_LIST, '') >= 0) throw new UnsupportedError(`${path} has an $ATTRIBUTE_LIST; deleting it is not implemented yet`, { path });
    if (u16(record, 0x12) > 1) throw new UnsupportedError(`${path} has ${u16(record, 0x12)} hard links; removing one link is not implemented yet`, { path });
    if (directory) {
      const state = await this.dir(n);
      if (state.items.length > 0) throw new UnsupportedError(`directory ${path} is not empty`, { path });
    }
    await this.beginChange();
    const decoded = this.decode(n, record);
    for (const attribute of decoded.attributes) if (!attribute.resident) this.bitmap.free(attribute.runs);
    const view = new DataView(record.buffer, record.byteOffset);
    view.setUint16(0x16, u16(record, 0x16) & ~MFT_RECORD_IN_USE, true);
    let sequence = (u16(record, 0x10) + 1) & 0xffff;
    if (sequence === 0) sequence = 1;
    view.setUint16(0x10, sequence, true);
    await this.writeRecord(n, record);
    this.setMftBit(n, false);
    if (n < this.recordHint) this.recordHint = n;
    this.dirs.delete(n);
    this.removeEntries(await this.dir(parent), n);
  }

  async flush(): Promise<void> {
    await this.flushStaged();
    await this.device.flush();
  }

  async close(): Promise<void> {}
}

export function openNtfsWritable(device: WritableBlockDevice, options: { diagnostics?: Diagnostics } = {}): Promise<NtfsWritableFileSystem> {
  return NtfsWritableFileSystem.open(device, options);
}
