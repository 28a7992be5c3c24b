// NtfsWritableFileSystem: the WritableFileSystem contract over an NTFS volume, writing through
// a WritableBlockDevice (normally an OverlayDevice, so nothing reaches the source before the
// transaction commits). It changes existing files (overwrite in place; grow and shrink
// non-resident $DATA with clusters allocated from $Bitmap after the file's last run, runs
// re-encoded, allocated/data/initialized sizes updated; resident $DATA rewritten in the record
// or moved out to clusters when it outgrows the record; compressed and sparse streams
// rewritten as plain ones, their flags cleared; EFS-encrypted ones refused), creates files and
// directories (MFT record from $MFT:$BITMAP, $MFT extended when full, Win32 $FILE_NAME plus a
// DOS 8.3 alias where the directory makes them, parent's security id), adds and removes hard
// links, and deletes files and empty directories.
// Every file is read as the attributes of its base and extension records and stored back
// through attribute-layout.ts: in the base record alone when they fit, otherwise with an
// $ATTRIBUTE_LIST and extension records (a fragmented file's $DATA extents, a large
// directory's $INDEX_ALLOCATION, many links' $FILE_NAMEs), which are reused, added and freed
// as the file changes. Directory changes are staged per directory and the directory's whole
// $I30 B+tree is rebuilt once (index-builder.ts) when flushed (flush(), reader()). Records and
// data are written through at once, via the writer's own record cache and $MFT run list, so
// stat/readdir/readFile/exists answer from the staged entries and the current records (the
// reader's decoders over them) without rebuilding anything: a read after every write stays
// linear. File data is written from the caller's buffer; only its last cluster's tail is
// padded (zeroed), so a large write holds no second copy.
// Consistency kept on every write: fixups with a new update sequence number on every record
// written, $MFTMirr for the mirrored records, $Bitmap, and $LogFile emptied (all 0xFF) before
// the first change, exactly as ntfs-3g does on a read-write mount (ntfs_empty_logfile), so
// Windows finds nothing to replay over our changes. $UsnJrnl is left alone: its records are a
// change history for applications, not metadata Windows replays, and a missing entry is
// tolerated (Windows' own offline tools and ntfs-3g do the same).
// Sizes in the $FILE_NAME copies (the record's and the parent index entry's) follow a
// rewrite, as ntfs-3g does; the index copies under other hard links' parents are left stale,
// which Windows tolerates (it reads sizes from $DATA; chkdsk refreshes the copies silently).
// Not done: $MFT itself never gets an $ATTRIBUTE_LIST (its growth is allocated contiguously
// when possible; a volume whose $MFT already has one is refused); new files in a compressed
// directory are written uncompressed.
// Spec: ntfs-3g attrib.c (ntfs_attr_truncate, ntfs_attr_make_non_resident), mft.c, lcnalloc.c,
// dir.c (ntfs_link, ntfs_delete, DOS names).

import type { WritableBlockDevice } from '../../../io/block-device.js';
import type { Diagnostics } from '../../../diagnostics.js';
import { ignoreDiagnostics } from '../../../diagnostics.js';
import { CorruptError, NotFoundError, UnsupportedError } from '../../../errors.js';
import { fromWindowsPath, notFound, splitPath } from '../../path.js';
import type { DirEntry, Stat, WritableFileSystem, WriteFileOptions } from '../../types.js';
import { NtfsFileSystem } from '../filesystem.js';
import { decodeFixedRecord, FILE_MAGIC } from '../record.js';
import { encodeFixups, tryApplyFixups } from '../fixups.js';
import { AT_ATTRIBUTE_LIST, AT_BITMAP, AT_DATA, AT_FILE_NAME, AT_INDEX_ALLOCATION, AT_INDEX_ROOT, AT_REPARSE_POINT, AT_STANDARD_INFORMATION, ATTR_COMPRESSION_MASK, ATTR_IS_ENCRYPTED, ATTR_IS_SPARSE, MFT_RECORD_IN_USE, MFT_RECORD_IS_DIRECTORY, MFT_RECORD_ROOT } from '../attribute-types.js';
import { indexEntries, keyName, openDirectoryIndex } from '../directory.js';
import { mergeExtents } from '../mft.js';
import type { AttributeRecord } from '../attribute.js';
import type { UpcaseTable } from '../upcase.js';
import { buildIndex, type IndexItem } from './index-builder.js';
import { FILE_ATTRIBUTE_ARCHIVE, FILE_ATTR_DUP_FILE_NAME_INDEX_PRESENT, NAMESPACE_WIN32, buildRecord, checkWin32Name, emptyIndexRoot, filetime, fileNameValue, fnAttribute, freeRecord, indexRootAttribute, siAttribute, standardInformation } from './new-record.js';
import { mergedSource } from '../mft.js';
import { AttributeStream } from '../data-stream.js';
import type { DataRun } from '../runlist.js';
import { assertNotBitLocker, assertSafeToWrite, MFT_RECORD_LOGFILE } from './safety.js';
import { ClusterBitmap, appendRuns, truncateRuns } from './cluster-bitmap.js';
import { buildNonResident, buildResident, findAttribute, replaceAttribute, u16, u32 } from './record-edit.js';
import type { LogFileState } from './logfile.js';
import { attributeLowestVcn, attributeName, attributeType, buildExtent, fillRecord, isNonResident, layoutAttributes, recordAttributes, recordCapacity, residentListAttribute, type Layout, type RunsAttribute } from './attribute-layout.js';
import { extentRuns, residentValue, setFileNameValueSizes, touchStandardInformation } from './attribute-values.js';
import { decodeAttributeList, type AttributeListEntry } from '../attribute-list.js';
import type { MftFile } from '../mft.js';
import { generateShortName, isShortName } from './short-name.js';
import { FILE_ATTRIBUTE_COMPRESSED, FILE_ATTRIBUTE_SPARSE_FILE, NAMESPACE_DOS, NAMESPACE_WIN32_AND_DOS, NAMESPACE_WIN32 as NS_WIN32 } from '../attribute-types.js';
import { readUtf16 } from '../file-name.js';

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
/** NTFS's limit on hard links per file. */
const MAX_LINKS = 1024;
/** An instance no record uses yet: the layout gives the attribute a fresh one. */
const UNASSIGNED_INSTANCE = 0xffff;
/** Largest $ATTRIBUTE_LIST read back (Windows caps it at 256 KiB). */
const MAX_ATTRIBUTE_LIST = 1 << 24;
const MAX_EXTENSION_RECORDS = 65536;
/** A list longer than this goes non-resident (it would crowd the base record). */
const LIST_RESIDENT_MAX = 0x200;
/** Base-record bytes reserved for a non-resident $ATTRIBUTE_LIST (header and a few runs). */
const NON_RESIDENT_LIST_RESERVE = 0x58;

/**
 * DOS 8.3 aliases for new names. Whether Windows makes them is a registry setting
 * (NtfsDisable8dot3NameCreation), not written on the volume, and ntfs-3g never makes them; so
 * 'auto' follows the directory: aliases are made iff it already holds DOS-namespace names.
 */
export type ShortNamePolicy = 'auto' | 'always' | 'never';

export interface NtfsWriteOptions {
  diagnostics?: Diagnostics;
  shortNames?: ShortNamePolicy;
}

/** A file's attributes gathered from its base and extension records. */
interface LoadedFile {
  n: number;
  /** The base record (the writer's cached copy). */
  base: Uint8Array;
  /** Every attribute record but the $ATTRIBUTE_LIST, copies. */
  attributes: Uint8Array[];
  extensions: number[];
  /** Clusters of a non-resident $ATTRIBUTE_LIST. */
  listRuns: DataRun[];
  /** The $ATTRIBUTE_LIST's entries, when the file has one. */
  list?: AttributeListEntry[];
}

interface NameAttribute {
  bytes: Uint8Array;
  parent: number;
  name: string;
  namespace: number;
}

/** The $FILE_NAME attributes among `attributes`, decoded. */
function fileNames(attributes: readonly Uint8Array[]): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const bytes of attributes) {
    if (attributeType(bytes) !== AT_FILE_NAME || isNonResident(bytes)) continue;
    const value = residentValue(bytes);
    if (value.length < 0x42) continue;
    out.push({ bytes, parent: u32(value, 0) + u16(value, 4) * 0x100000000, name: readUtf16(value, 0x42, value[0x40]!), namespace: value[0x41]! });
  }
  return out;
}

/**
 * The other half of a link split into a Win32 and a DOS name (a file has at most one DOS
 * name): removing a Win32 name takes the file's DOS name in the same directory along, as
 * ntfs-3g's ntfs_delete does; removing the DOS name takes a Win32 name of that directory.
 */
function partnerOf(names: readonly NameAttribute[], target: NameAttribute): NameAttribute[] {
  const sameDir = names.filter((f) => f !== target && f.parent === target.parent);
  if (target.namespace === NS_WIN32) return sameDir.filter((f) => f.namespace === NAMESPACE_DOS);
  if (target.namespace === NAMESPACE_DOS) return sameDir.filter((f) => f.namespace === NS_WIN32).slice(0, 1);
  return [];
}

export class NtfsWritableFileSystem implements WritableFileSystem {
  readonly kind = 'ntfs';
  private logEmptied = false;
  /** When new links get DOS 8.3 aliases (see NtfsWriteOptions). */
  private shortNames: ShortNamePolicy = 'auto';
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

  static async open(device: WritableBlockDevice, options: NtfsWriteOptions = {}): Promise<NtfsWritableFileSystem> {
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
    const writable = new NtfsWritableFileSystem(device, fs, new ClusterBitmap(bits, total), data.runs.map((r) => ({ ...r })), mftBits, log, diagnostics);
    writable.shortNames = options.shortNames ?? 'auto';
    return writable;
  }

  // ---- reading: answered from the staged state ------------------------------------------

  /**
   * Writes staged directories and bitmaps, and reopens the reader when anything changed. Only
   * reader() and flush() need this: stat/readdir/readFile/exists answer from the staged
   * directories and the writer's own records (which are always written through), so reads
   * between writes cost no index rebuild (one stat per write stays linear, not quadratic).
   */
  private async sync(): Promise<void> {
    await this.flushStaged();
    if (this.stale) {
      this.fs = await NtfsFileSystem.open(this.device, { diagnostics: this.diagnostics });
      this.stale = false;
    }
  }

  /** The reader over the current state (staged changes flushed first). */
  async reader(): Promise<NtfsFileSystem> {
    await this.sync();
    return this.fs;
  }

  /** File `n` assembled from the writer's records, as the reader's mft.loadFile would answer after a flush. */
  private async stagedFile(n: number, path: string): Promise<MftFile> {
    if (!this.records.has(n)) {
      // A record the writer has not touched is read without entering its cache (a walk over
      // a large tree through the writer must not keep every record it stat'ed). Records are
      // written through at once, so the device holds the current bytes.
      const bytes = await this.peekRecord(n);
      if ((u16(bytes, 0x16) & MFT_RECORD_IN_USE) === 0) throw notFound(path);
      const record = this.decode(n, bytes);
      if (!record.attributes.some((a) => a.type === AT_ATTRIBUTE_LIST)) return { record, attributes: mergeExtents(record.attributes), attributeList: undefined };
    }
    const base = await this.readRecord(n);
    if ((u16(base, 0x16) & MFT_RECORD_IN_USE) === 0) throw notFound(path);
    const loaded = await this.loadAttributes(n);
    return { record: this.decode(n, loaded.base), attributes: this.decodedFile(loaded), attributeList: loaded.list };
  }

  /** Resolves `path` (Windows form accepted, as the reader does) to an existing entry, or throws ENOENT/ENOTDIR. */
  private async lookup(path: string): Promise<{ n: number; name: string; path: string }> {
    const normal = /^[A-Za-z]:/.test(path) ? fromWindowsPath(path) : path;
    const { entry } = await this.resolve(normal);
    if (!entry) throw notFound(path);
    // The name as stored (its case on the volume); the root has none.
    return { n: entry.recordNumber, name: entry.key.length === 0 ? '' : keyName(entry.key), path };
  }

  async stat(path: string): Promise<Stat> {
    const { n, name } = await this.lookup(path);
    return this.fs.statFile(await this.stagedFile(n, path), name);
  }
  async readdir(path: string): Promise<DirEntry[]> {
    const { n } = await this.lookup(path);
    const file = await this.stagedFile(n, path);
    const isDirectory = (file.record.flags & MFT_RECORD_IS_DIRECTORY) !== 0 && file.attributes.some((a) => a.type === AT_INDEX_ROOT && a.name === '$I30');
    if (!isDirectory) throw notFound(path, 'ENOTDIR');
    const state = await this.dir(n);
    return this.fs.listEntries({ directory: n, entries: state.items, loadFile: (r) => this.stagedFile(r, path) });
  }
  async readFile(path: string): Promise<Uint8Array> {
    const { n } = await this.lookup(path);
    const stream = await this.fs.fileStream({ file: await this.stagedFile(n, path), streamName: '', path });
    return this.fs.readWhole(stream, path);
  }
  async exists(path: string): Promise<boolean> {
    try {
      await this.lookup(path);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  // ---- record I/O -------------------------------------------------------------------------

  /** The fixed-up record `n` (the writer's cached copy: edit it, then writeRecord). */
  private async readRecord(n: number): Promise<Uint8Array> {
    const hit = this.records.get(n);
    if (hit) return hit;
    const bytes = await this.peekRecord(n);
    this.records.set(n, bytes);
    return bytes;
  }

  /** Record `n` as on the device, fixups applied, without caching it. */
  private async peekRecord(n: number): Promise<Uint8Array> {
    if (n >= this.recordCount) throw new CorruptError(`MFT record ${n} is past the end of $MFT`, { structure: 'NTFS $MFT' });
    const bytes = await this.readMft(n * this.rs, this.rs);
    if (u32(bytes, 0) !== FILE_MAGIC || !tryApplyFixups(bytes, 0, this.rs)) {
      throw new CorruptError(`MFT record ${n} has a bad signature or fixups`, { structure: 'NTFS FILE record' });
    }
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
        more = this.bitmap.allocateContiguous({ count: wantClusters - have, hint: last.lcn + last.length, vcn: have });
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
    if ((decoded.flags & MFT_RECORD_IS_DIRECTORY) === 0) throw new NotFoundError(`MFT record ${n} is not a directory`, { kind: 'file' }, 'ENOTDIR');
    const attributes = this.decodedFile(await this.loadAttributes(n));
    if (!attributes.some((a) => a.type === AT_INDEX_ROOT && a.name === '$I30')) throw new NotFoundError(`MFT record ${n} is not a directory`, { kind: 'file' }, 'ENOTDIR');
    const file = { record: decoded, attributes, attributeList: undefined };
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

  private removeEntry(state: DirState, recordNumber: number, name: string): void {
    for (let i = state.items.length - 1; i >= 0; i--) {
      if (state.items[i]!.recordNumber === recordNumber && state.names[i] === name) {
        state.items.splice(i, 1);
        state.names.splice(i, 1);
        state.dirty = true;
      }
    }
  }

  /** The decoded attributes of a loaded file, extents of each attribute merged. */
  private decodedFile(file: LoadedFile): AttributeRecord[] {
    const all = [...this.decode(file.n, file.base).attributes];
    for (const r of file.extensions) all.push(...this.decode(r, this.records.get(r)!).attributes);
    return mergeExtents(all.filter((a) => a.type !== AT_ATTRIBUTE_LIST));
  }

  /**
   * Rebuilds the $I30 index of directory `n` from its staged entries and stores the directory
   * through the attribute layout (so a directory whose index allocation runs outgrow the
   * record gets, or keeps, an $ATTRIBUTE_LIST).
   */
  private async rebuildIndex(n: number, state: DirState): Promise<void> {
    const file = await this.loadAttributes(n);
    const merged = this.decodedFile(file);
    const isIndex = (a: Uint8Array): boolean => attributeName(a) === '$I30' && [AT_INDEX_ROOT, AT_INDEX_ALLOCATION, AT_BITMAP].includes(attributeType(a));
    const root = file.attributes.find((a) => attributeType(a) === AT_INDEX_ROOT && attributeName(a) === '$I30' && !isNonResident(a));
    if (!root) throw new CorruptError(`directory record ${n} has no resident $I30 $INDEX_ROOT`, { structure: 'NTFS FILE record' });
    const rootHeader = residentValue(root).slice(0, 0x10);
    const blockSize = u32(rootHeader, 8);
    const vcnPerBlock = blockSize >= this.cs ? blockSize / this.cs : blockSize / 512;
    const oldAlloc = merged.find((a) => a.type === AT_INDEX_ALLOCATION && a.name === '$I30');
    const oldBitmap = merged.find((a) => a.type === AT_BITMAP && a.name === '$I30');
    const others = file.attributes.filter((a) => !isIndex(a));
    const othersLength = others.reduce((sum, a) => sum + a.length, 0);
    // Room for the root's entries: the record minus everything else, the root's own headers
    // (0x20 attribute header with name, 0x20 index root + index header) and a reserve for the
    // $INDEX_ALLOCATION and $BITMAP attributes an overflowing index needs. A crowded record
    // keeps just the end entry in the root.
    const rootSpace = Math.max(0x20, recordCapacity(this.rs) - othersLength - 0x40 - 0x100);
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
    let runs: DataRun[] = oldAlloc && !oldAlloc.resident ? oldAlloc.runs.map((r) => ({ ...r })) : [];
    const wantClusters = Math.ceil((built.blocks.length * blockSize) / this.cs);
    const have = runs.reduce((sum, r) => sum + r.length, 0);
    let added: DataRun[] = [];
    let released: DataRun[] = [];
    if (wantClusters > have) {
      const last = runs[runs.length - 1];
      added = this.bitmap.allocate({ count: wantClusters - have, hint: last ? last.lcn + last.length : this.clusterHint, vcn: have });
      runs = appendRuns(runs, added);
    } else if (wantClusters < have) {
      const { kept, removed } = truncateRuns(runs, wantClusters);
      released = removed;
      runs = kept;
    }
    if (oldBitmap && !oldBitmap.resident) released = [...released, ...oldBitmap.runs];
    const attributes = [...others, buildResident({ type: AT_INDEX_ROOT, name: '$I30', instance: u16(root, 0x0e), flags: 0, value: rootValue })];
    const runsAttributes: RunsAttribute[] = [];
    if (built.blocks.length > 0) {
      const bits = new Uint8Array(Math.ceil(built.blocks.length / 64) * 8);
      for (let i = 0; i < built.blocks.length; i++) bits[i >>> 3] = bits[i >>> 3]! | (1 << (i & 7));
      attributes.push(buildResident({ type: AT_BITMAP, name: '$I30', instance: oldBitmap?.instance ?? UNASSIGNED_INSTANCE, flags: 0, value: bits }));
      const dataSize = built.blocks.length * blockSize;
      runsAttributes.push({ type: AT_INDEX_ALLOCATION, name: '$I30', flags: 0, runs, dataSize, initializedSize: dataSize, instance: oldAlloc?.instance ?? UNASSIGNED_INSTANCE });
    }
    try {
      await this.storeAttributes({ file, attributes, runs: runsAttributes });
    } catch (error) {
      this.bitmap.free(added);
      throw error;
    }
    this.bitmap.free(released);
    for (let i = 0; i < built.blocks.length; i++) {
      await writeThroughRuns({ device: this.device, runs, clusterSize: this.cs, offset: i * blockSize, bytes: built.blocks[i]! });
    }
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
        setFileNameValueSizes({ value: item.key, sizes, clearFlags: sizes.clearFlags });
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
    const names = this.namesFor(state, name);
    const { n, sequence } = await this.allocateRecord();
    const time = filetime(args.mtime);
    const fileAttributes = directory ? FILE_ATTR_DUP_FILE_NAME_INDEX_PRESENT : FILE_ATTRIBUTE_ARCHIVE;
    const si = siAttribute(standardInformation({ time, fileAttributes: directory ? 0 : FILE_ATTRIBUTE_ARCHIVE, securityId }));
    const nameValues = (allocatedSize: number, dataSize: number): Uint8Array[] =>
      names.map((nm) => fileNameValue({ parentRecord: parent, parentSequence, time, allocatedSize, dataSize, fileAttributes, name: nm.name, namespace: nm.namespace }));
    let values: Uint8Array[];
    let runs: DataRun[] = [];
    try {
      const flags = MFT_RECORD_IN_USE | (directory ? MFT_RECORD_IS_DIRECTORY : 0);
      const fixed = (vals: Uint8Array[]): Uint8Array[] => [si, ...vals.map((v, i) => fnAttribute(v, 1 + i))];
      let record: Uint8Array | undefined;
      let runsAttribute: RunsAttribute | undefined;
      if (directory) {
        values = nameValues(0, 0);
        record = buildRecord({ recordSize: this.rs, recordNumber: n, sequence, flags, attributes: [...fixed(values), indexRootAttribute(emptyIndexRoot({ blockSize: this.fs.geometry.indexRecordSize, clusterSize: this.cs }), 1 + values.length)] });
      } else {
        const bytes = data!;
        values = nameValues((bytes.length + 7) & ~7, bytes.length);
        // Built only when it can fit: a resident copy of a large file would double its memory.
        const residentData = bytes.length <= recordCapacity(this.rs) ? buildResident({ type: AT_DATA, name: '', instance: 1 + values.length, flags: 0, value: bytes }) : undefined;
        const attributes = residentData ? [...fixed(values), residentData] : [];
        if (residentData && attributes.reduce((s, a) => s + a.length, 0) <= recordCapacity(this.rs)) {
          record = buildRecord({ recordSize: this.rs, recordNumber: n, sequence, flags, attributes });
        } else {
          const clusters = Math.ceil(bytes.length / this.cs);
          runs = this.bitmap.allocate({ count: clusters, hint: this.clusterHint, vcn: 0 });
          const last = runs[runs.length - 1];
          if (last) this.clusterHint = last.lcn + last.length;
          values = nameValues(clusters * this.cs, bytes.length);
          runsAttribute = { type: AT_DATA, name: '', flags: 0, runs, dataSize: bytes.length, initializedSize: bytes.length, instance: 1 + values.length };
        }
      }
      const linkCount = (r: Uint8Array): Uint8Array => {
        new DataView(r.buffer, r.byteOffset, r.byteLength).setUint16(0x12, names.length, true);
        return r;
      };
      this.records.delete(n);
      if (record) await this.writeRecord(n, linkCount(record));
      else {
        const base = linkCount(buildRecord({ recordSize: this.rs, recordNumber: n, sequence, flags, attributes: [] }));
        new DataView(base.buffer).setUint16(0x28, 2 + values.length, true);
        this.records.set(n, base);
        await this.storeAttributes({ file: { n, base, attributes: [], extensions: [], listRuns: [] }, attributes: fixed(values), runs: [runsAttribute!] });
        await this.writeData(runs, data!);
      }
    } catch (error) {
      this.records.delete(n);
      this.setMftBit(n, false);
      this.bitmap.free(runs);
      throw error;
    }
    names.forEach((nm, i) => this.addEntry(state, { recordNumber: n, sequence, key: values[i]! }, nm.name));
    if (directory) this.dirs.set(n, { items: [], names: [], dirty: false });
  }

  /** The $FILE_NAMEs a new link gets: the long name, and a DOS alias when the volume makes them. */
  private namesFor(state: DirState, name: string): { name: string; namespace: number }[] {
    const generate = this.shortNames === 'always' || (this.shortNames === 'auto' && state.items.some((i) => i.recordNumber >= FIRST_USER_RECORD && (i.key[0x41] === NAMESPACE_DOS || i.key[0x41] === NAMESPACE_WIN32_AND_DOS)));
    if (!generate) return [{ name, namespace: NAMESPACE_WIN32 }];
    if (isShortName(name)) return [{ name, namespace: NAMESPACE_WIN32_AND_DOS }];
    const short = generateShortName(name, (candidate) => this.search(state, candidate) >= 0);
    return [
      { name, namespace: NAMESPACE_WIN32 },
      { name: short, namespace: NAMESPACE_DOS },
    ];
  }

  /**
   * Writes `data` from VCN 0 of `runs` and zeroes the rest of its last cluster, so no stale
   * bytes sit past the end of the data. Only that tail is padded (one cluster at most): the
   * data itself is written from the caller's buffer, never copied whole.
   */
  private async writeData(runs: readonly DataRun[], data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    await writeThroughRuns({ device: this.device, runs, clusterSize: this.cs, offset: 0, bytes: data });
    const tail = Math.ceil(data.length / this.cs) * this.cs - data.length;
    if (tail > 0) await writeThroughRuns({ device: this.device, runs, clusterSize: this.cs, offset: data.length, bytes: new Uint8Array(tail) });
  }

  // ---- files as attribute sets over base + extension records ------------------------------

  /** Every attribute of file `n` (base and extension records, the $ATTRIBUTE_LIST itself left out). */
  private async loadAttributes(n: number): Promise<LoadedFile> {
    const base = await this.readRecord(n);
    const own = recordAttributes(base);
    const listAttribute = own.find((a) => attributeType(a) === AT_ATTRIBUTE_LIST);
    const attributes = own.filter((a) => attributeType(a) !== AT_ATTRIBUTE_LIST);
    if (!listAttribute) return { n, base, attributes, extensions: [], listRuns: [] };
    let listBytes: Uint8Array;
    let listRuns: DataRun[] = [];
    if (!isNonResident(listAttribute)) listBytes = residentValue(listAttribute).slice();
    else {
      listRuns = extentRuns(listAttribute, this.fs.geometry.totalClusters);
      const view = new DataView(listAttribute.buffer, listAttribute.byteOffset, listAttribute.byteLength);
      const size = Number(view.getBigUint64(0x30, true));
      if (size > MAX_ATTRIBUTE_LIST) throw new CorruptError(`record ${n}: $ATTRIBUTE_LIST of ${size} bytes is implausibly large`, { structure: 'NTFS $ATTRIBUTE_LIST' });
      listBytes = await new AttributeStream({
        device: this.device,
        clusterSize: this.cs,
        source: { resident: false, value: undefined, flags: 0, dataSize: size, initializedSize: Number(view.getBigUint64(0x38, true)), compressionUnit: 0, runs: listRuns, description: `record ${n} $ATTRIBUTE_LIST` },
      }).read(0, size);
    }
    const extensions: number[] = [];
    const list = decodeAttributeList(listBytes, 0);
    for (const entry of list) {
      if (entry.recordNumber === n || extensions.includes(entry.recordNumber)) continue;
      if (extensions.length >= MAX_EXTENSION_RECORDS) throw new CorruptError(`record ${n}: its attribute list names too many records`, { structure: 'NTFS $ATTRIBUTE_LIST' });
      const ext = await this.readRecord(entry.recordNumber);
      const baseRef = u32(ext, 0x20) + u16(ext, 0x24) * 0x100000000;
      if (baseRef !== n || (u16(ext, 0x16) & MFT_RECORD_IN_USE) === 0) {
        throw new CorruptError(`record ${entry.recordNumber}, named by the attribute list of record ${n}, is not its extension record`, { structure: 'NTFS $ATTRIBUTE_LIST' });
      }
      extensions.push(entry.recordNumber);
      for (const a of recordAttributes(ext)) attributes.push(a);
    }
    return { n, base, attributes, extensions, listRuns, list };
  }

  /**
   * Stores file `n` as `attributes` plus the `runs` attributes: in the base record alone when
   * they fit, otherwise with an $ATTRIBUTE_LIST and extension records (the file's old ones
   * reused first, new ones allocated, unused ones freed). Throws before writing anything
   * when the file cannot be laid out.
   */
  private async storeAttributes(args: { file: LoadedFile; attributes: Uint8Array[]; runs: RunsAttribute[] }): Promise<void> {
    const { file } = args;
    const { n, base } = file;
    const baseInfo = { recordNumber: n, sequence: u16(base, 0x10), nextInstance: u16(base, 0x28) };
    const listAttributeLength = (bytes: number): number => (0x18 + bytes <= LIST_RESIDENT_MAX ? (0x18 + bytes + 7) & ~7 : NON_RESIDENT_LIST_RESERVE);
    const records: { recordNumber: number; sequence: number }[] = [];
    for (const r of file.extensions) records.push({ recordNumber: r, sequence: u16(await this.readRecord(r), 0x10) });
    const plan = (): Layout =>
      layoutAttributes({
        recordSize: this.rs,
        clusterSize: this.cs,
        base: baseInfo,
        attributes: args.attributes.map((bytes) => ({ bytes })),
        runs: args.runs,
        extensionRecord: (i) => records[i] ?? { recordNumber: 0, sequence: 0 },
        listAttributeLength,
      });
    let layout = plan();
    const allocated: number[] = [];
    try {
      while (records.length < layout.extensions.length) {
        const { n: r, sequence } = await this.allocateRecord();
        allocated.push(r);
        records.push({ recordNumber: r, sequence });
      }
      layout = plan();
    } catch (error) {
      for (const r of allocated) this.setMftBit(r, false);
      throw error;
    }
    let baseAttributes = layout.base.attributes;
    let next = layout.base.nextInstance;
    if (layout.list) {
      const list = layout.list;
      let listAttribute: Uint8Array;
      if (0x18 + list.length <= LIST_RESIDENT_MAX) listAttribute = residentListAttribute(list, next++);
      else {
        const clusters = Math.ceil(list.length / this.cs);
        const runs = this.bitmap.allocate({ count: clusters, hint: this.clusterHint, vcn: 0 });
        await this.writeData(runs, list);
        listAttribute = buildExtent({ type: AT_ATTRIBUTE_LIST, name: '', flags: 0, instance: next++, runs, lowestVcn: 0, highestVcn: clusters - 1, sizes: { allocated: clusters * this.cs, data: list.length, initialized: list.length } });
        if (listAttribute.length > NON_RESIDENT_LIST_RESERVE) {
          this.bitmap.free(runs);
          throw new UnsupportedError(`record ${n}: the non-resident $ATTRIBUTE_LIST landed in too many fragments`, { structure: 'NTFS $ATTRIBUTE_LIST' });
        }
      }
      const at = baseAttributes.findIndex((a) => attributeType(a) > AT_ATTRIBUTE_LIST);
      baseAttributes = [...baseAttributes];
      baseAttributes.splice(at < 0 ? baseAttributes.length : at, 0, listAttribute);
    }
    for (const ext of layout.extensions) {
      const record = file.extensions.includes(ext.recordNumber)
        ? await this.readRecord(ext.recordNumber)
        : buildRecord({ recordSize: this.rs, recordNumber: ext.recordNumber, sequence: ext.sequence, flags: MFT_RECORD_IN_USE, attributes: [] });
      const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
      view.setUint32(0x20, n, true);
      view.setUint16(0x24, 0, true);
      view.setUint16(0x26, baseInfo.sequence, true);
      view.setUint16(0x12, 0, true); // extension records hold no links
      view.setUint16(0x16, MFT_RECORD_IN_USE, true);
      fillRecord({ record, attributes: ext.attributes, nextInstance: ext.nextInstance });
      this.records.delete(ext.recordNumber);
      await this.writeRecord(ext.recordNumber, record);
    }
    for (const r of file.extensions) if (!layout.extensions.some((e) => e.recordNumber === r)) await this.releaseRecord(r);
    fillRecord({ record: base, attributes: baseAttributes, nextInstance: next });
    await this.writeRecord(n, base);
    this.bitmap.free(file.listRuns); // the old list's clusters, once nothing names them
  }

  /** Marks record `r` free (flag, sequence, $MFT:$BITMAP). */
  private async releaseRecord(r: number): Promise<void> {
    const record = await this.readRecord(r);
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    view.setUint16(0x16, u16(record, 0x16) & ~MFT_RECORD_IN_USE, true);
    let sequence = (u16(record, 0x10) + 1) & 0xffff;
    if (sequence === 0) sequence = 1;
    view.setUint16(0x10, sequence, true);
    await this.writeRecord(r, record);
    this.setMftBit(r, false);
    if (r < this.recordHint) this.recordHint = Math.max(r, FIRST_USER_RECORD);
  }

  private async rewriteData(args: { recordNumber: number; data: Uint8Array; mtime: Date; path: string }): Promise<{ allocated: number; data: number; clearFlags: number }> {
    const { recordNumber: n, data, path } = args;
    const cs = this.cs;
    const file = await this.loadAttributes(n);
    const isData = (a: Uint8Array): boolean => attributeType(a) === AT_DATA && attributeName(a) === '';
    const extents = file.attributes.filter(isData).sort((a, b) => attributeLowestVcn(a) - attributeLowestVcn(b));
    const others = file.attributes.filter((a) => !isData(a));
    const first = extents[0];
    if (!first) throw new UnsupportedError(`${path} has no unnamed $DATA`, { path });
    if (others.some((a) => attributeType(a) === AT_REPARSE_POINT)) throw new UnsupportedError(`${path} is a reparse point (symlink, junction or WOF file); only regular files are rewritten`, { path });
    const flags = u16(first, 0x0c);
    const instance = u16(first, 0x0e);
    if ((flags & ATTR_IS_ENCRYPTED) !== 0) throw new UnsupportedError(`${path} is EFS-encrypted; its content cannot be rewritten offline (it needs the owner's key)`, { path });
    // Compressed and sparse streams are rewritten as a plain stream (ntfs-3g does the same
    // when it cannot keep a file compressed): the flags go from the attribute, and the
    // COMPRESSED / SPARSE_FILE file attributes from $STANDARD_INFORMATION and $FILE_NAME.
    const transformed = (flags & (ATTR_COMPRESSION_MASK | ATTR_IS_SPARSE)) !== 0;
    const newFlags = flags & ~(ATTR_COMPRESSION_MASK | ATTR_IS_SPARSE);
    const clearFlags = transformed ? FILE_ATTRIBUTE_COMPRESSED | FILE_ATTRIBUTE_SPARSE_FILE : 0;
    const wasResident = !isNonResident(first);
    const oldRuns: DataRun[] = [];
    if (!wasResident) {
      if (attributeLowestVcn(first) !== 0) throw new CorruptError(`${path}: no $DATA extent starts at VCN 0`, { structure: 'NTFS attribute' });
      for (const e of extents) for (const r of extentRuns(e, this.fs.geometry.totalClusters)) oldRuns.push(r);
      if (!transformed && oldRuns.some((r) => r.lcn < 0)) throw new UnsupportedError(`${path} has holes in a non-sparse $DATA`, { path });
    }
    const othersLength = others.reduce((s, a) => s + a.length, 0);
    // The resident $DATA's length (unnamed: value at 0x18), without building a copy of a large file.
    const residentLength = (0x18 + data.length + 7) & ~7;
    const staysResident = wasResident && othersLength + residentLength <= recordCapacity(this.rs) && !others.some((a) => isNonResident(a) && attributeLowestVcn(a) !== 0);
    let newRuns: DataRun[] = [];
    let added: DataRun[] = [];
    let released: DataRun[] = [];
    let reclaim: DataRun[] = [];
    if (!staysResident) {
      const want = Math.ceil(data.length / cs);
      if (wasResident || transformed) {
        // A fresh allocation that may reuse the old clusters (a compressed file's own space
        // is often all a full volume has); they are claimed back if the store fails.
        this.bitmap.free(oldRuns);
        reclaim = oldRuns;
        try {
          added = want > 0 ? this.bitmap.allocate({ count: want, hint: oldRuns.find((r) => r.lcn >= 0)?.lcn ?? this.clusterHint, vcn: 0 }) : [];
        } catch (error) {
          this.bitmap.claim(oldRuns);
          throw error;
        }
        newRuns = added;
      } else {
        const have = oldRuns.reduce((s, r) => s + r.length, 0);
        if (want > have) {
          const last = oldRuns[oldRuns.length - 1];
          added = this.bitmap.allocate({ count: want - have, hint: last ? last.lcn + last.length : this.clusterHint, vcn: have });
          newRuns = appendRuns(oldRuns, added);
        } else {
          const { kept, removed } = truncateRuns(oldRuns, want);
          newRuns = kept;
          released = removed;
        }
      }
      const last = added[added.length - 1];
      if (last) this.clusterHint = last.lcn + last.length;
    }
    const sizes = { allocated: staysResident ? (data.length + 7) & ~7 : newRuns.reduce((s, r) => s + r.length, 0) * cs, data: data.length };
    const edited = others.map((a) => a.slice());
    for (const a of edited) {
      if (attributeType(a) === AT_STANDARD_INFORMATION && !isNonResident(a)) touchStandardInformation({ bytes: a, when: args.mtime, clearFlags });
      if (attributeType(a) === AT_FILE_NAME && !isNonResident(a)) setFileNameValueSizes({ value: residentValue(a), sizes, clearFlags });
    }
    try {
      if (staysResident) await this.storeAttributes({ file, attributes: [...edited, buildResident({ type: AT_DATA, name: '', instance, flags: newFlags, value: data })], runs: [] });
      else await this.storeAttributes({ file, attributes: edited, runs: [{ type: AT_DATA, name: '', flags: newFlags, runs: newRuns, dataSize: data.length, initializedSize: data.length, instance }] });
    } catch (error) {
      this.bitmap.free(added);
      this.bitmap.claim(reclaim);
      throw error;
    }
    this.bitmap.free(released);
    if (!staysResident) await this.writeData(newRuns, data);
    return { ...sizes, clearFlags };
  }

  async symlink(_target: string, path: string): Promise<void> {
    throw new UnsupportedError(`creating symlinks on NTFS is not implemented yet (${path})`, { path });
  }

  /**
   * A hard link: one more Win32 $FILE_NAME in the file's records (times and sizes copied from
   * an existing name; never a DOS alias) and its index entry; the record's link count counts
   * every $FILE_NAME, DOS names included, as Windows and ntfs-3g do.
   */
  async link(existing: string, newPath: string): Promise<void> {
    const source = await this.resolve(existing);
    if (!source.entry) throw notFound(existing);
    const n = source.entry.recordNumber;
    if (n < FIRST_USER_RECORD || source.parent === MFT_RECORD_EXTEND) throw new UnsupportedError(`${existing} is an NTFS metadata file`, { path: existing });
    const record = await this.readRecord(n);
    if ((u16(record, 0x16) & MFT_RECORD_IS_DIRECTORY) !== 0) throw new UnsupportedError(`${existing} is a directory; NTFS has no hard links to directories`, { path: existing });
    const { parent, name, entry } = await this.resolve(newPath);
    if (entry) throw new UnsupportedError(`${newPath} already exists`, { path: newPath });
    checkWin32Name(name);
    const state = await this.dir(parent);
    const file = await this.loadAttributes(n);
    const links = u16(file.base, 0x12);
    if (links >= MAX_LINKS) throw new UnsupportedError(`${existing} already has ${links} links (NTFS allows ${MAX_LINKS})`, { path: existing });
    await this.beginChange();
    // Hard links never get 8.3 aliases: NTFS allows one DOS name per file (libfsntfs and
    // chkdsk reject a second), and Windows' CreateHardLink makes none.
    const names = [{ name, namespace: NAMESPACE_WIN32 }];
    const model = fileNames(file.attributes).find((f) => f.namespace !== NAMESPACE_DOS) ?? fileNames(file.attributes)[0];
    if (!model) throw new CorruptError(`record ${n} has no $FILE_NAME`, { structure: 'NTFS FILE record' });
    const parentSequence = u16(await this.readRecord(parent), 0x10);
    const template = residentValue(model.bytes);
    const values = names.map((nm) => {
      const value = new Uint8Array(0x42 + nm.name.length * 2);
      value.set(template.subarray(0, 0x40));
      const v = new DataView(value.buffer);
      v.setBigUint64(0, (BigInt(parentSequence) << 48n) | BigInt(parent), true);
      value[0x40] = nm.name.length;
      value[0x41] = nm.namespace;
      for (let i = 0; i < nm.name.length; i++) v.setUint16(0x42 + 2 * i, nm.name.charCodeAt(i), true);
      return value;
    });
    const view = new DataView(file.base.buffer, file.base.byteOffset, file.base.byteLength);
    view.setUint16(0x12, links + names.length, true);
    try {
      await this.storeAttributes({ file, attributes: [...file.attributes, ...values.map((v) => fnAttribute(v, UNASSIGNED_INSTANCE))], runs: [] });
    } catch (error) {
      view.setUint16(0x12, links, true);
      throw error;
    }
    const sequence = u16(file.base, 0x10);
    names.forEach((nm, i) => this.addEntry(state, { recordNumber: n, sequence, key: values[i]! }, nm.name));
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
    if (directory) {
      const state = await this.dir(n);
      if (state.items.length > 0) throw new UnsupportedError(`directory ${path} is not empty`, { path });
    }
    await this.beginChange();
    const file = await this.loadAttributes(n);
    // The link being removed: its $FILE_NAME under this parent, with its DOS/Win32 partner.
    const names = fileNames(file.attributes);
    const linkName = keyName(entry.key);
    const target = names.find((f) => f.parent === parent && this.upcase.compare(f.name, linkName) === 0);
    const removed = target ? [target, ...partnerOf(names, target)] : names.filter((f) => f.parent === parent);
    const remaining = names.filter((f) => !removed.includes(f) && f.namespace !== NAMESPACE_DOS);
    const goes = remaining.length === 0 || directory;
    // A reparse point is also listed in $Extend/$Reparse; that entry goes with the file (and
    // the deletion is refused, before any change, where we cannot edit that index).
    if (goes && file.attributes.some((a) => attributeType(a) === AT_REPARSE_POINT)) await this.removeReparseEntry(n, path);
    const state = await this.dir(parent);
    for (const f of removed) this.removeEntry(state, n, f.name);
    if (!goes) {
      // Another hard link keeps the file: drop this name only.
      const view = new DataView(file.base.buffer, file.base.byteOffset, file.base.byteLength);
      view.setUint16(0x12, Math.max(1, u16(file.base, 0x12) - removed.length), true);
      await this.storeAttributes({ file, attributes: file.attributes.filter((a) => !removed.some((f) => f.bytes === a)), runs: [] });
      return;
    }
    for (const a of file.attributes) if (isNonResident(a)) this.bitmap.free(extentRuns(a, this.fs.geometry.totalClusters));
    this.bitmap.free(file.listRuns);
    for (const r of file.extensions) await this.releaseRecord(r);
    await this.releaseRecord(n);
    this.dirs.delete(n);
  }

  /**
   * Removes record `n`'s entry from the $R index of $Extend/$Reparse (key: reparse tag, file
   * reference; ntfs-3g's ntfs_delete_reparse_index). Only an index held whole in its root is
   * edited; one with INDX blocks is refused.
   */
  private async removeReparseEntry(n: number, path: string): Promise<void> {
    const extend = await this.dir(MFT_RECORD_EXTEND);
    const at = this.search(extend, '$Reparse');
    if (at < 0) return; // no $Reparse index: nothing names the file
    const file = await this.loadAttributes(extend.items[at]!.recordNumber);
    const root = file.attributes.find((a) => attributeType(a) === AT_INDEX_ROOT && attributeName(a) === '$R' && !isNonResident(a));
    if (!root) throw new UnsupportedError(`${path} is a reparse point and $Extend/$Reparse has no $R index root to update`, { path });
    const value = residentValue(root);
    if (value.length < 0x20 || (value[0x1c]! & 1) !== 0) {
      throw new UnsupportedError(`${path} is a reparse point and $Extend/$Reparse's $R index has INDX blocks; removing its entry is not implemented`, { path });
    }
    const start = 0x10 + u32(value, 0x10);
    const end = Math.min(value.length, 0x10 + u32(value, 0x14));
    const kept: Uint8Array[] = [];
    let endEntry: Uint8Array | undefined;
    for (let p = start, i = 0; p + 16 <= end && i < 65536; i++) {
      const length = u16(value, p + 8);
      if (length < 16 || p + length > end) throw new CorruptError('$Extend/$Reparse $R entry length is invalid', { structure: 'NTFS $R index' });
      if ((u16(value, p + 12) & 2) !== 0) {
        endEntry = value.slice(p, p + length);
        break;
      }
      const keyLength = u16(value, p + 10);
      const target = keyLength >= 12 ? u32(value, p + 16 + 4) + u16(value, p + 16 + 8) * 0x100000000 : -1;
      if (target !== n) kept.push(value.slice(p, p + length));
      p += length;
    }
    if (!endEntry) throw new CorruptError('$Extend/$Reparse $R index has no end entry', { structure: 'NTFS $R index' });
    const entries = [...kept, endEntry];
    const entriesLength = entries.reduce((sum, e) => sum + e.length, 0);
    const rebuilt = new Uint8Array(0x20 + entriesLength);
    rebuilt.set(value.subarray(0, 0x20));
    const rv = new DataView(rebuilt.buffer);
    rv.setUint32(0x10, 0x10, true);
    rv.setUint32(0x14, 0x10 + entriesLength, true);
    rv.setUint32(0x18, 0x10 + entriesLength, true);
    let pos = 0x20;
    for (const e of entries) {
      rebuilt.set(e, pos);
      pos += e.length;
    }
    const replacement = buildResident({ type: AT_INDEX_ROOT, name: '$R', instance: u16(root, 0x0e), flags: u16(root, 0x0c), value: rebuilt });
    await this.storeAttributes({ file, attributes: file.attributes.map((a) => (a === root ? replacement : a)), runs: [] });
  }

  async flush(): Promise<void> {
    await this.flushStaged();
    await this.device.flush();
  }

  async close(): Promise<void> {}
}

export function openNtfsWritable(device: WritableBlockDevice, options: NtfsWriteOptions = {}): Promise<NtfsWritableFileSystem> {
  return NtfsWritableFileSystem.open(device, options);
}
