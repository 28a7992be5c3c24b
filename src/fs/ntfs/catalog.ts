// A whole-volume name catalog built by one sequential pass over $MFT, for fast recursive
// listings: $MFT is read in large chunks (only where $MFT:$BITMAP marks records in use), each
// record is fixed up in place and scanned for the few attributes a listing needs ($FILE_NAME,
// the unnamed $DATA size, $STANDARD_INFORMATION attributes and time, the reparse tag) with no
// per-attribute objects; results go into typed arrays indexed by record number. Names then
// form a parent → children table, so `ls -R` of 100,000 files never touches an index block.
// Spec: as mft.ts. Quirks relied on: attributes of a file with an $ATTRIBUTE_LIST live in
// extension records that name their base record, so they are credited to the base; DOS-only
// names (namespace 2) duplicate a Win32 name and are hidden, as ntfsls does by default; a
// name whose parent's sequence number differs is stale and ignored.

import type { Diagnostics } from '../../diagnostics.js';
import { CorruptError } from '../../errors.js';
import { applyFixups, tryApplyFixups } from './fixups.js';
import { FILE_MAGIC, FILE_RECORD_HEADER } from './record.js';
import type { Mft } from './mft.js';
import { readSmallAttribute } from './mft.js';
import { readUtf16 } from './file-name.js';
import type { UpcaseTable } from './upcase.js';
import type { FileType, WalkVisitor } from '../types.js';
import {
  AT_BITMAP, AT_DATA, AT_END, AT_FILE_NAME, AT_REPARSE_POINT, AT_STANDARD_INFORMATION, FILE_ATTRIBUTE_SYSTEM,
  MFT_RECORD_IN_USE, MFT_RECORD_IS_DIRECTORY, NAMESPACE_DOS,
} from './attribute-types.js';
import { INTERIX_SYMLINK_MAGIC, IO_REPARSE_TAG_MOUNT_POINT, IO_REPARSE_TAG_SYMLINK } from './reparse-point.js';

// 1 MiB pieces: big enough for few reads, small enough that freed buffers are reused instead of
// fresh pages being faulted in for every piece (measured: a third less system time than 8 MiB).
const SCAN_CHUNK = 1024 * 1024;
/** One scratch array per name length (names are at most 255 units), reused by nameOf. */
const NAME_SCRATCH: number[][] = Array.from({ length: 256 }, (_, n) => new Array<number>(n).fill(0));
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const FILETIME_UNIX_EPOCH_MS = 11644473600000;

// Per-record state bits.
const IN_USE = 1;
const DIRECTORY = 2;
const INTERIX_CANDIDATE = 4;
const VIEW_INDEX = 8;

export interface WalkEntry {
  /** Absolute guest path ('/'-separated). */
  path: string;
  name: string;
  type: FileType;
  /** Size of the unnamed $DATA stream, as ntfsls -l prints it (also for symlinks); 0 for directories. */
  size: number;
  inode: number;
  /** Last data change ($STANDARD_INFORMATION), ms since 1970. */
  mtimeMs: number;
}

export interface WalkDirectory {
  path: string;
  inode: number;
  entries: WalkEntry[];
}

// The scan's private methods take positional arguments on purpose: they run once per record or
// name, and an options object per call would be 100,000 allocations on a large volume.
export class MftCatalog {
  private readonly state: Uint8Array;
  private readonly sequence: Uint16Array;
  private readonly dataSize: Float64Array;
  private readonly fileAttributes: Uint32Array;
  private readonly reparseTag: Uint32Array;
  private readonly mtime: Float64Array;
  private linkRecord: Int32Array;
  private linkParent: Int32Array;
  private linkParentSequence: Uint16Array;
  private linkNamespace: Uint8Array;
  /** Names live as UTF-16 units in one pool (no string per name until one is listed). */
  private linkNameStart: Int32Array;
  private linkNameLength: Uint8Array;
  private namePool: Uint16Array;
  private namePoolLength = 0;
  private linkCount = 0;
  private childStart: Int32Array | undefined;
  private childLinks: Int32Array | undefined;
  private readonly sorted = new Set<number>();

  private constructor(readonly recordCount: number) {
    this.state = new Uint8Array(recordCount);
    this.sequence = new Uint16Array(recordCount);
    this.dataSize = new Float64Array(recordCount);
    this.fileAttributes = new Uint32Array(recordCount);
    this.reparseTag = new Uint32Array(recordCount);
    this.mtime = new Float64Array(recordCount);
    const guess = Math.max(1024, recordCount);
    this.linkRecord = new Int32Array(guess);
    this.linkParent = new Int32Array(guess);
    this.linkParentSequence = new Uint16Array(guess);
    this.linkNamespace = new Uint8Array(guess);
    this.linkNameStart = new Int32Array(guess);
    this.linkNameLength = new Uint8Array(guess);
    this.namePool = new Uint16Array(guess * 24);
  }

  static async build(mft: Mft, diagnostics: Diagnostics): Promise<MftCatalog> {
    const rs = mft.recordSize;
    const count = mft.recordCount;
    if (count > 0x7fffffff) throw new CorruptError(`$MFT claims ${count} records`, { structure: 'NTFS $MFT' });
    const catalog = new MftCatalog(count);
    const bitmap = await mftBitmap(mft);
    // Read $MFT run by run, straight from the device in large pieces, and start the next
    // read before scanning the current piece so disk and parsing overlap.
    const pieces = scanPieces(mft, bitmap);
    let next = pieces.length > 0 ? readPiece(mft, pieces[0]!) : undefined;
    for (let i = 0; i < pieces.length; i++) {
      const bytes = await next!;
      next = i + 1 < pieces.length ? readPiece(mft, pieces[i + 1]!) : undefined;
      const piece = pieces[i]!;
      catalog.scanChunk({ bytes, first: piece.firstRecord, n: piece.records, rs, bitmap, mft, diagnostics });
    }
    return catalog;
  }

  private scanChunk(args: { bytes: Uint8Array; first: number; n: number; rs: number; bitmap: Uint8Array | undefined; mft: Mft; diagnostics: Diagnostics }): void {
    const { bytes, first, n, rs, bitmap, mft, diagnostics } = args;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // A UTF-16 view for names (records and names are 2-aligned; only on little-endian hosts).
    const units = LITTLE_ENDIAN_HOST && (bytes.byteOffset & 1) === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 1) : undefined;
    for (let i = 0; i < n; i++) {
      const record = first + i;
      if (bitmap && ((bitmap[record >>> 3] ?? 0) & (1 << (record & 7))) === 0) continue;
      const at = i * rs;
      if (view.getUint32(at, true) !== FILE_MAGIC) continue;
      const flags = view.getUint16(at + 0x16, true);
      if ((flags & MFT_RECORD_IN_USE) === 0) continue;
      try {
        if (!tryApplyFixups(bytes, at, rs)) {
          // Decode again the slow way for the precise error (torn sector, bad array).
          applyFixups({ bytes: bytes.slice(at, at + rs), size: rs, origin: 0, structure: FILE_RECORD_HEADER.name });
        }
        this.scanRecord(bytes, units, view, at, rs, record, flags);
      } catch (error) {
        if (!(error instanceof CorruptError)) throw error;
        diagnostics.report({
          severity: 'warning',
          code: 'NTFS_BAD_RECORD',
          message: `MFT record ${record} skipped: ${error.message}`,
          structure: FILE_RECORD_HEADER.name,
          offset: mft.deviceOffset(record),
        });
      }
    }
  }

  private scanRecord(bytes: Uint8Array, units16: Uint16Array | undefined, view: DataView, at: number, rs: number, record: number, flags: number): void {
    const attrsOffset = view.getUint16(at + 0x14, true);
    const bytesInUse = view.getUint32(at + 0x18, true);
    if (bytesInUse > rs || attrsOffset < 0x2a || attrsOffset >= bytesInUse) {
      throw new CorruptError('record header is inconsistent', { structure: FILE_RECORD_HEADER.name });
    }
    const baseRecord = view.getUint16(at + 0x24, true) * 0x100000000 + view.getUint32(at + 0x20, true);
    const isExtension = baseRecord !== 0 || view.getUint16(at + 0x26, true) !== 0;
    const owner = isExtension ? baseRecord : record;
    if (owner >= this.recordCount) return;
    if (!isExtension) {
      this.state[owner] = this.state[owner]! | IN_USE | ((flags & MFT_RECORD_IS_DIRECTORY) !== 0 ? DIRECTORY : 0) | ((flags & 0x8) !== 0 ? VIEW_INDEX : 0);
      this.sequence[owner] = view.getUint16(at + 0x10, true);
    }
    const end = at + bytesInUse;
    let p = at + attrsOffset;
    for (let guard = 0; guard < 1024 && p + 8 <= end; guard++) {
      const type = view.getUint32(p, true);
      if (type === AT_END) return;
      const length = view.getUint32(p + 4, true);
      if (length < 0x18 || p + length > end) throw new CorruptError(`attribute length ${length} is invalid`, { structure: 'NTFS attribute header' });
      const nonResident = bytes[p + 8] !== 0;
      const nameLength = bytes[p + 9]!;
      if (!nonResident) {
        const valueLength = view.getUint32(p + 0x10, true);
        const v = p + view.getUint16(p + 0x14, true);
        if (v + valueLength > p + length) throw new CorruptError('resident value lies outside its attribute', { structure: 'NTFS attribute header' });
        if (type === AT_FILE_NAME && valueLength >= 0x42) {
          const units = bytes[v + 0x40]!;
          if (v + 0x42 + 2 * units <= v + valueLength) {
            this.addLink(owner, view.getUint16(v + 4, true) * 0x100000000 + view.getUint32(v, true), view.getUint16(v + 6, true), bytes[v + 0x41]!);
            this.addName(units16, bytes, v + 0x42, units);
          }
        } else if (type === AT_STANDARD_INFORMATION && valueLength >= 0x30) {
          this.fileAttributes[owner] = view.getUint32(v + 0x20, true);
          const ft = view.getUint32(v + 0x0c, true) * 0x100000000 + view.getUint32(v + 0x08, true);
          this.mtime[owner] = ft / 10000 - FILETIME_UNIX_EPOCH_MS;
        } else if (type === AT_DATA && nameLength === 0) {
          this.dataSize[owner] = valueLength;
          if (valueLength >= 8 && isInterix(bytes, v)) this.state[owner] = this.state[owner]! | INTERIX_CANDIDATE;
        } else if (type === AT_REPARSE_POINT && valueLength >= 4) {
          this.reparseTag[owner] = view.getUint32(v, true);
        }
      } else if (type === AT_DATA && nameLength === 0 && length >= 0x40) {
        if (view.getUint32(p + 0x10, true) === 0 && view.getUint32(p + 0x14, true) === 0) {
          const hi = view.getUint32(p + 0x34, true);
          if (hi > 0x1fffff) throw new CorruptError('data size does not fit 2^53', { structure: 'NTFS attribute header' });
          this.dataSize[owner] = hi * 0x100000000 + view.getUint32(p + 0x30, true);
        }
      }
      p += length;
    }
  }

  private addLink(record: number, parent: number, parentSequence: number, namespace: number): void {
    if (this.linkCount === this.linkRecord.length) {
      const grow = <T extends Int32Array | Uint16Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.linkRecord = grow(this.linkRecord);
      this.linkParent = grow(this.linkParent);
      this.linkParentSequence = grow(this.linkParentSequence);
      this.linkNamespace = grow(this.linkNamespace);
      this.linkNameStart = grow(this.linkNameStart);
      this.linkNameLength = grow(this.linkNameLength);
    }
    const i = this.linkCount++;
    this.linkRecord[i] = record;
    this.linkParent[i] = parent < this.recordCount ? parent : -1;
    this.linkParentSequence[i] = parentSequence;
    this.linkNamespace[i] = namespace;
  }

  /** Copies the name of the link just added into the pool. */
  private addName(units16: Uint16Array | undefined, bytes: Uint8Array, at: number, units: number): void {
    if (this.namePoolLength + units > this.namePool.length) {
      const bigger = new Uint16Array(Math.max(this.namePool.length * 2, this.namePoolLength + units));
      bigger.set(this.namePool.subarray(0, this.namePoolLength));
      this.namePool = bigger;
    }
    const pool = this.namePool;
    const start = this.namePoolLength;
    if (units16 !== undefined && (at & 1) === 0) {
      const from = at >>> 1;
      for (let k = 0; k < units; k++) pool[start + k] = units16[from + k]!;
    } else {
      for (let k = 0; k < units; k++) pool[start + k] = bytes[at + 2 * k]! | (bytes[at + 2 * k + 1]! << 8);
    }
    this.linkNameStart[this.linkCount - 1] = start;
    this.linkNameLength[this.linkCount - 1] = units;
    this.namePoolLength = start + units;
  }

  /** A link's name as a string (through a reused scratch array: no view object per name). */
  private nameOf(link: number): string {
    const start = this.linkNameStart[link]!;
    const length = this.linkNameLength[link]!;
    const scratch = NAME_SCRATCH[length]!;
    const pool = this.namePool;
    for (let k = 0; k < length; k++) scratch[k] = pool[start + k]!;
    return String.fromCharCode.apply(null, scratch);
  }

  /** Collation order of two links' names (upcased units, then length, then exact units). */
  private compareNames(a: number, b: number, table: Uint16Array): number {
    const pool = this.namePool;
    const sa = this.linkNameStart[a]!;
    const sb = this.linkNameStart[b]!;
    const la = this.linkNameLength[a]!;
    const lb = this.linkNameLength[b]!;
    const n = la < lb ? la : lb;
    let exact = 0;
    for (let i = 0; i < n; i++) {
      const ca = pool[sa + i]!;
      const cb = pool[sb + i]!;
      if (ca === cb) continue;
      const x = table[ca]!;
      const y = table[cb]!;
      if (x !== y) return x < y ? -1 : 1;
      if (exact === 0) exact = ca < cb ? -1 : 1;
    }
    if (la !== lb) return la - lb;
    return exact;
  }

  /** The type the catalog derived for a record. */
  typeOf(record: number): FileType {
    const state = this.state[record]!;
    return classifyRecord({
      directory: (state & DIRECTORY) !== 0,
      viewIndex: (state & VIEW_INDEX) !== 0,
      reparseTag: this.reparseTag[record]!,
      interixData: (state & INTERIX_CANDIDATE) !== 0,
      fileAttributes: this.fileAttributes[record]!,
    });
  }

  isInUse(record: number): boolean {
    return record >= 0 && record < this.recordCount && (this.state[record]! & IN_USE) !== 0;
  }

  private buildChildren(): void {
    const count = this.recordCount;
    const start = new Int32Array(count + 1);
    const valid = new Uint8Array(this.linkCount);
    for (let i = 0; i < this.linkCount; i++) {
      const parent = this.linkParent[i]!;
      const record = this.linkRecord[i]!;
      if (this.linkNamespace[i] === NAMESPACE_DOS || parent < 0 || parent === record) continue;
      if ((this.state[parent]! & (IN_USE | DIRECTORY)) !== (IN_USE | DIRECTORY)) continue;
      if ((this.state[record]! & IN_USE) === 0) continue;
      if (this.linkParentSequence[i] !== 0 && this.linkParentSequence[i] !== this.sequence[parent]) continue;
      valid[i] = 1;
      start[parent + 1]!++;
    }
    for (let r = 0; r < count; r++) start[r + 1]! += start[r]!;
    const fill = start.slice(0, count);
    const links = new Int32Array(start[count]!);
    for (let i = 0; i < this.linkCount; i++) if (valid[i] === 1) links[fill[this.linkParent[i]!]!++] = i;
    this.childStart = start;
    this.childLinks = links;
  }

  /** Link indices of a directory's children, sorted in NTFS collation order. */
  private children(directory: number, upcase: UpcaseTable): Int32Array {
    if (!this.childStart) this.buildChildren();
    const from = this.childStart![directory]!;
    const to = this.childStart![directory + 1]!;
    const slice = this.childLinks!.subarray(from, to);
    if (!this.sorted.has(directory) && slice.length > 1) {
      const n = slice.length;
      // $MFT order is often already name order (files created in order): check that first.
      const table = upcase.table;
      let ordered = true;
      for (let i = 1; i < n && ordered; i++) if (this.compareNames(slice[i - 1]!, slice[i]!, table) > 0) ordered = false;
      if (!ordered) {
        const keys = new Array<string>(n);
        const names = new Array<string>(n);
        for (let i = 0; i < n; i++) {
          names[i] = this.nameOf(slice[i]!);
          keys[i] = upcase.fold(names[i]!);
        }
        const order = new Int32Array(n);
        for (let i = 0; i < n; i++) order[i] = i;
        order.sort((a, b) => {
          const ka = keys[a]!;
          const kb = keys[b]!;
          if (ka !== kb) return ka < kb ? -1 : 1;
          const na = names[a]!;
          const nb = names[b]!;
          return na < nb ? -1 : na > nb ? 1 : 0;
        });
        const links = slice.slice();
        for (let i = 0; i < n; i++) slice[i] = links[order[i]!]!;
      }
    }
    this.sorted.add(directory);
    return slice;
  }

  /** One directory's listing (DOS-only names hidden), in collation order. */
  list(args: { directory: number; path: string; upcase: UpcaseTable }): WalkEntry[] {
    const { directory, path, upcase } = args;
    const prefix = path === '/' ? '/' : path + '/';
    const out: WalkEntry[] = [];
    for (const link of this.children(directory, upcase)) {
      const record = this.linkRecord[link]!;
      const name = this.nameOf(link);
      const type = this.typeOf(record);
      out.push({ path: prefix + name, name, type, size: type === 'directory' ? 0 : this.dataSize[record]!, inode: record, mtimeMs: this.mtime[record]! });
    }
    return out;
  }

  /**
   * The allocation-free form of walkTree: calls `visitDirectory` for each directory, then
   * `visitEntry` for each of its entries, in walkTree's order. No per-entry objects are made,
   * so a CLI can stream 100,000 lines without building them first.
   */
  walkEach(args: { directory: number; path: string; upcase: UpcaseTable; visitor: WalkVisitor }): void {
    const { upcase, visitor } = args;
    const visited = new Uint8Array(this.recordCount);
    const stack: { directory: number; path: string }[] = [{ directory: args.directory, path: args.path }];
    while (stack.length > 0) {
      const { directory, path } = stack.pop()!;
      if (visited[directory] === 1) continue;
      visited[directory] = 1;
      visitor.directory(path, directory);
      const children = this.children(directory, upcase);
      const prefix = path === '/' ? '/' : path + '/';
      const firstChild = stack.length;
      for (let i = 0; i < children.length; i++) {
        const link = children[i]!;
        const record = this.linkRecord[link]!;
        const name = this.nameOf(link);
        const type = this.typeOf(record);
        visitor.entry(name, type, type === 'directory' ? 0 : this.dataSize[record]!, record, this.mtime[record]!);
        if (type === 'directory') stack.push({ directory: record, path: prefix + name });
      }
      // Subdirectories in listing order: the stack pops the first pushed last, so reverse them.
      for (let a = firstChild, b = stack.length - 1; a < b; a++, b--) {
        const t = stack[a]!;
        stack[a] = stack[b]!;
        stack[b] = t;
      }
    }
  }

  /**
   * The tree under `directory` as ntfsls -R prints it: each directory's listing, then each
   * subdirectory in listing order, depth first. Directories reached twice are not repeated.
   */
  walkTree(args: { directory: number; path: string; upcase: UpcaseTable }): WalkDirectory[] {
    const out: WalkDirectory[] = [];
    const visited = new Uint8Array(this.recordCount);
    const stack: { directory: number; path: string }[] = [{ directory: args.directory, path: args.path }];
    while (stack.length > 0) {
      const { directory, path } = stack.pop()!;
      if (visited[directory] === 1) continue;
      visited[directory] = 1;
      const entries = this.list({ directory, path, upcase: args.upcase });
      out.push({ path, inode: directory, entries });
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i]!;
        if (entry.type === 'directory') stack.push({ directory: entry.inode, path: entry.path });
      }
    }
    return out;
  }
}

interface ScanPiece {
  firstRecord: number;
  records: number;
  /** Where the piece's bytes lie: one device range, or undefined to read through the stream. */
  deviceOffset: number | undefined;
}

/** Splits $MFT into pieces of whole records, each inside one run where possible. */
function scanPieces(mft: Mft, bitmap: Uint8Array | undefined): ScanPiece[] {
  const rs = mft.recordSize;
  const cs = mft.geometry.clusterSize;
  const perPiece = Math.max(1, Math.floor(SCAN_CHUNK / rs));
  const pieces: ScanPiece[] = [];
  let record = 0;
  while (record < mft.recordCount) {
    const at = record * rs;
    const vcn = Math.floor(at / cs);
    const run = mft.runs.find((r) => vcn >= r.vcn && vcn < r.vcn + r.length);
    let records = Math.min(perPiece, mft.recordCount - record);
    let deviceOffset: number | undefined;
    if (run && run.lcn >= 0) {
      const runEndByte = (run.vcn + run.length) * cs;
      const inRun = Math.floor((runEndByte - at) / rs);
      if (inRun >= 1) {
        records = Math.min(records, inRun);
        deviceOffset = run.lcn * cs + (at - run.vcn * cs);
      } else {
        records = 1; // a record straddling two runs: read through the stream
      }
    }
    if (!bitmap || anyBitSet(bitmap, record, records)) pieces.push({ firstRecord: record, records, deviceOffset });
    record += records;
  }
  return pieces;
}

function readPiece(mft: Mft, piece: ScanPiece): Promise<Uint8Array> {
  const length = piece.records * mft.recordSize;
  if (piece.deviceOffset !== undefined && piece.deviceOffset + length <= mft.device.size) return mft.device.read(piece.deviceOffset, length);
  return mft.stream.read(piece.firstRecord * mft.recordSize, length);
}

/**
 * The listing type of a record, the same rule for the catalog and the index walk: symlink and
 * junction reparse points, then directories, then Interix symlinks (a SYSTEM file whose data
 * starts "IntxLNK\1", as ntfs-3g writes them), view indexes ($Secure, $ObjId, …) as 'other'.
 */
export function classifyRecord(facts: { directory: boolean; viewIndex: boolean; reparseTag: number; interixData: boolean; fileAttributes: number }): FileType {
  if (facts.reparseTag === IO_REPARSE_TAG_SYMLINK || facts.reparseTag === IO_REPARSE_TAG_MOUNT_POINT) return 'symlink';
  if (facts.directory) return 'directory';
  if (facts.interixData && (facts.fileAttributes & FILE_ATTRIBUTE_SYSTEM) !== 0) return 'symlink';
  if (facts.viewIndex) return 'other';
  return 'file';
}

/** True when `bytes[at]` starts an Interix symlink ("IntxLNK\1"). */
export function isInterix(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < 8; i++) if (bytes[at + i] !== INTERIX_SYMLINK_MAGIC[i]) return false;
  return true;
}

function anyBitSet(bitmap: Uint8Array, first: number, n: number): boolean {
  const from = first >>> 3;
  const to = Math.min(bitmap.length, (first + n + 7) >>> 3);
  for (let i = from; i < to; i++) if (bitmap[i] !== 0) return true;
  return false;
}

/** $MFT:$BITMAP (which records are in use), or undefined when it cannot be read. */
async function mftBitmap(mft: Mft): Promise<Uint8Array | undefined> {
  const record0 = await mft.loadFile(0);
  const attribute = record0.attributes.find((a) => a.type === AT_BITMAP && a.name === '');
  if (!attribute) return undefined;
  try {
    return await readSmallAttribute({ device: mft.device, geometry: mft.geometry, attribute, description: '$MFT:$BITMAP' });
  } catch (error) {
    if (error instanceof CorruptError) {
      mft.diagnostics.report({ severity: 'warning', code: 'NTFS_MFT_BITMAP', message: `$MFT:$BITMAP unreadable, scanning every record: ${error.message}`, structure: 'NTFS $MFT:$BITMAP', offset: attribute.offset });
      return undefined;
    }
    throw error;
  }
}
