// A regf hive decoded in place over the bytes of the whole file: the base block is checked,
// the hive bins are walked once to build a bitmap of cell starts (so every cell reference is
// validated in O(1): a reference into the middle of a cell, outside the bins, or past the end
// is CorruptError naming the referring structure and its absolute offset), and keys and values
// are read lazily from there. Spec: msuhanov "Windows registry file format specification",
// libyal libregf. Quirks relied on: offsets in cells are relative to the first hbin (file
// offset 4096); the hive bins data size in the base block bounds the bins, data after it is
// ignored (with a diagnostic); subkey lists are lf/lh/li, or ri one level up holding those.

import { CorruptError, NotFoundError } from '../errors.js';
import { ignoreDiagnostics, type Diagnostics } from '../diagnostics.js';
import { HBIN_START, baseBlockChecksum, decodeBaseBlock, type BaseBlockInfo } from './base-block.js';
import {
  BIG_DATA_SEGMENT_SIZE, KEY_COMP_NAME, NK_CLASS, NK_CLASS_LENGTH, NK_NAME, NK_NAME_LENGTH, NK_SUBKEY_COUNT,
  NK_SUBKEY_LIST, NK_VALUE_COUNT, NK_VALUE_LIST, NO_CELL, SIG_DB, SIG_LF, SIG_LH, SIG_LI, SIG_NK, SIG_RI, SIG_VK,
  VALUE_COMP_NAME, VK_DATA_OFFSET, VK_DATA_SIZE, VK_FLAGS, VK_NAME, VK_NAME_LENGTH, VK_TYPE, signatureText,
} from './cells.js';
import { decodeLatin1, decodeUtf16, namesEqual } from './names.js';
import { Key } from './key.js';

export interface HiveOptions {
  diagnostics?: Diagnostics;
  /** A label for messages (usually the file name). */
  label?: string;
  /**
   * What the loader knows about pending transaction logs: 'clean' (not dirty, or replayed),
   * 'unreplayed' (dirty and its logs were not available). Writes refuse 'unreplayed'.
   */
  logState?: HiveLogState;
}

export type HiveLogState = 'clean' | 'replayed' | 'unreplayed';

/** An upper bound on subkeys per key and values per key (Windows' own limits are lower). */
const MAX_LIST_ENTRIES = 0x7fffffff;

export class Hive {
  /** The hive file's bytes (replaced, never resized in place, by the editor when it appends hbins). */
  bytes: Uint8Array;
  view: DataView;
  readonly header: BaseBlockInfo;
  readonly diagnostics: Diagnostics;
  readonly label: string;
  readonly logState: HiveLogState;
  /** Absolute end of the hive bins (4096 + hive bins data size). */
  dataEnd: number;
  /** Absolute offset of the root nk cell. */
  readonly rootOffset: number;
  /** One bit per 4-byte unit of the file: set where a cell starts. */
  private cellStarts: Uint8Array;
  cellCount = 0;

  constructor(bytes: Uint8Array, options: HiveOptions = {}) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.diagnostics = options.diagnostics ?? ignoreDiagnostics;
    this.label = options.label ?? 'hive';
    this.header = decodeBaseBlock(bytes);
    this.logState = options.logState ?? (this.header.dirty ? 'unreplayed' : 'clean');
    if (options.logState === undefined && this.header.dirty) {
      this.diagnostics.report({ severity: 'warning', code: 'REGF_DIRTY_UNREPLAYED', message: `the hive is dirty (sequence numbers ${this.header.primarySequence}/${this.header.secondarySequence}); its logs were not replayed`, structure: 'regf base block', offset: 4 });
    }
    if (!this.header.checksumValid) {
      throw new CorruptError(`base block checksum 0x${this.header.checksum.toString(16)} does not match the computed 0x${baseBlockChecksum(bytes).toString(16)}`, {
        structure: 'regf base block checksum',
        offset: 0x1fc,
      });
    }
    if (this.header.majorVersion !== 1 || this.header.minorVersion < 1 || this.header.minorVersion > 6) {
      throw new CorruptError(`unknown regf version ${this.header.version}`, { structure: 'regf base block version', offset: 0x14 });
    }
    const binsSize = this.header.hiveBinsDataSize;
    if (binsSize % 4096 !== 0 || binsSize === 0) {
      throw new CorruptError(`hive bins data size ${binsSize} is not a non-zero multiple of 4096`, { structure: 'regf base block', offset: 0x28 });
    }
    if (HBIN_START + binsSize > bytes.length) {
      throw new CorruptError(`truncated: the base block declares ${binsSize} bytes of hive bins, the file has ${Math.max(0, bytes.length - HBIN_START)}`, {
        structure: 'hive bins',
        offset: bytes.length,
      });
    }
    this.dataEnd = HBIN_START + binsSize;
    if (bytes.length > this.dataEnd) {
      this.diagnostics.report({ severity: 'info', code: 'REGF_TRAILING_DATA', message: `${bytes.length - this.dataEnd} bytes after the hive bins are ignored`, structure: 'hive bins', offset: this.dataEnd });
    }
    this.cellStarts = new Uint8Array((this.dataEnd >>> 5) + 1);
    this.scanBins();
    this.rootOffset = HBIN_START + this.header.rootCellOffset;
    this.expectCell(this.rootOffset, SIG_NK, 'root key', 0x24);
  }

  /** Walks every hbin and cell once, recording where cells start. */
  private scanBins(): void {
    const view = this.view;
    let bin = HBIN_START;
    let bins = 0;
    while (bin < this.dataEnd) {
      if (view.getUint32(bin, true) !== 0x6e696268) {
        throw new CorruptError('bad hbin signature', { structure: 'hbin header', offset: bin });
      }
      const size = view.getUint32(bin + 8, true);
      if (size < 4096 || size % 4096 !== 0 || bin + size > this.dataEnd) {
        throw new CorruptError(`hbin size ${size} is not a multiple of 4096 inside the hive bins`, { structure: 'hbin header', offset: bin + 8 });
      }
      const declared = view.getUint32(bin + 4, true);
      if (declared !== bin - HBIN_START) {
        this.diagnostics.report({ severity: 'warning', code: 'REGF_HBIN_OFFSET', message: `hbin declares offset ${declared}, found at ${bin - HBIN_START}`, structure: 'hbin header', offset: bin + 4 });
      }
      const end = bin + size;
      let cell = bin + 32;
      while (cell < end) {
        const raw = view.getInt32(cell, true);
        const length = raw < 0 ? -raw : raw;
        if (length < 8 || (length & 7) !== 0 || cell + length > end) {
          throw new CorruptError(`cell size ${raw} is not a multiple of 8 inside its hbin`, { structure: 'hbin cell', offset: cell });
        }
        this.cellStarts[cell >>> 5]! |= 1 << ((cell >>> 2) & 7);
        this.cellCount++;
        cell += length;
      }
      bin = end;
      bins++;
    }
    if (bins === 0) throw new CorruptError('no hive bins', { structure: 'hive bins', offset: HBIN_START });
  }

  /** Editor hook: swaps in a larger buffer (same contents plus appended hbins). */
  replaceBytes(bytes: Uint8Array, dataEnd: number): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.dataEnd = dataEnd;
    if ((dataEnd >>> 5) + 1 > this.cellStarts.length) {
      const next = new Uint8Array((dataEnd >>> 5) + 1);
      next.set(this.cellStarts);
      this.cellStarts = next;
    }
  }

  /** Editor hook: records that a cell starts (or no longer starts) at `offset`. */
  markCell(offset: number, starts: boolean): void {
    if (starts) this.cellStarts[offset >>> 5]! |= 1 << ((offset >>> 2) & 7);
    else this.cellStarts[offset >>> 5]! &= ~(1 << ((offset >>> 2) & 7));
  }

  /** True when `offset` (absolute) is the start of a cell inside the hive bins. */
  isCell(offset: number): boolean {
    return offset >= HBIN_START + 32 && offset < this.dataEnd && (offset & 3) === 0 && (this.cellStarts[offset >>> 5]! & (1 << ((offset >>> 2) & 7))) !== 0;
  }

  /** Size of the cell at `offset` including its 4-byte header. */
  cellLength(offset: number): number {
    const raw = this.view.getInt32(offset, true);
    return raw < 0 ? -raw : raw;
  }

  cellAllocated(offset: number): boolean {
    return this.view.getInt32(offset, true) < 0;
  }

  /** Converts a hive-relative reference read at `from` into an absolute cell offset, checking it. */
  resolve(relative: number, structure: string, from: number): number {
    const absolute = relative + HBIN_START;
    if (relative === NO_CELL || !this.isCell(absolute)) {
      throw new CorruptError(`reference 0x${relative.toString(16)} is not a cell in the hive bins`, { structure, offset: from });
    }
    return absolute;
  }

  /** Checks that the cell at `offset` carries `signature` (e.g. SIG_NK). */
  expectCell(offset: number, signature: number, structure: string, from: number): void {
    if (!this.isCell(offset)) throw new CorruptError(`reference to 0x${(offset - HBIN_START).toString(16)} is not a cell`, { structure, offset: from });
    if (this.cellLength(offset) < 8 || this.view.getUint16(offset + 4, true) !== signature) {
      throw new CorruptError(`expected a ${signatureText(signature)} cell, found ${signatureText(this.view.getUint16(offset + 4, true))}`, { structure, offset });
    }
  }

  /** The hive's label (usually its file name). */
  get name(): string {
    return this.label;
  }

  // ----- keys -----------------------------------------------------------------------------

  root(): Key {
    return new Key(this, this.rootOffset);
  }

  /** The key at a backslash-separated path below the root, compared case-insensitively. */
  find(path: string): Key | undefined {
    let key: Key | undefined = this.root();
    for (const part of splitPath(path)) {
      key = key.findSubkey(part);
      if (key === undefined) return undefined;
    }
    return key;
  }

  open(path: string): Key {
    const key = this.find(path);
    if (key === undefined) throw new NotFoundError(`registry key not found: ${path}`, { kind: 'key', path });
    return key;
  }

  /** Name of the nk cell at `nk` (absolute). */
  keyName(nk: number): string {
    const length = this.view.getUint16(nk + 4 + NK_NAME_LENGTH, true);
    const start = nk + 4 + NK_NAME;
    if (start + length > nk + this.cellLength(nk)) throw new CorruptError(`key name length ${length} runs past its cell`, { structure: 'nk cell', offset: nk });
    return this.view.getUint16(nk + 4 + 2, true) & KEY_COMP_NAME ? decodeLatin1(this.bytes, start, length) : decodeUtf16(this.bytes, start, length);
  }

  keyClassName(nk: number): string | undefined {
    const length = this.view.getUint16(nk + 4 + NK_CLASS_LENGTH, true);
    const relative = this.view.getUint32(nk + 4 + NK_CLASS, true);
    if (relative === NO_CELL || length === 0) return undefined;
    const cell = this.resolve(relative, 'nk class name', nk + 4 + NK_CLASS);
    if (length > this.cellLength(cell) - 4) throw new CorruptError(`class name length ${length} runs past its cell`, { structure: 'class name cell', offset: cell });
    return decodeUtf16(this.bytes, cell + 4, length);
  }

  /** Absolute offsets of the subkeys of `nk`, in list order. */
  subkeyOffsets(nk: number): number[] {
    const count = this.view.getUint32(nk + 4 + NK_SUBKEY_COUNT, true);
    if (count === 0) return [];
    const list = this.resolve(this.view.getUint32(nk + 4 + NK_SUBKEY_LIST, true), 'nk subkeys list', nk + 4 + NK_SUBKEY_LIST);
    const out: number[] = [];
    const sig = this.view.getUint16(list + 4, true);
    if (sig === SIG_RI) {
      const entries = this.listEntries(list, 4, 'ri subkeys list');
      for (let i = 0; i < entries; i++) {
        const from = list + 8 + i * 4;
        const sub = this.resolve(this.view.getUint32(from, true), 'ri subkeys list entry', from);
        const subSig = this.view.getUint16(sub + 4, true);
        if (subSig !== SIG_LF && subSig !== SIG_LH && subSig !== SIG_LI) {
          throw new CorruptError(`ri entry points to a ${signatureText(subSig)} cell, not lf/lh/li`, { structure: 'ri subkeys list', offset: sub });
        }
        this.leafEntries(sub, subSig, out, count);
      }
    } else if (sig === SIG_LF || sig === SIG_LH || sig === SIG_LI) {
      this.leafEntries(list, sig, out, count);
    } else {
      throw new CorruptError(`subkeys list has signature ${signatureText(sig)}, not lf/lh/li/ri`, { structure: 'nk subkeys list', offset: list });
    }
    if (out.length !== count) {
      this.diagnostics.report({ severity: 'warning', code: 'REGF_SUBKEY_COUNT', message: `key declares ${count} subkeys, its lists hold ${out.length}`, structure: 'nk cell', offset: nk });
    }
    return out;
  }

  /** Number of entries of a list cell, checked against the cell size. */
  private listEntries(list: number, entrySize: number, structure: string): number {
    const entries = this.view.getUint16(list + 6, true);
    if (8 + entries * entrySize > this.cellLength(list)) {
      throw new CorruptError(`${entries} entries do not fit a cell of ${this.cellLength(list)} bytes`, { structure, offset: list });
    }
    return entries;
  }

  private leafEntries(list: number, sig: number, out: number[], declared: number): void {
    const step = sig === SIG_LI ? 4 : 8;
    const entries = this.listEntries(list, step, `${signatureText(sig)} subkeys list`);
    if (out.length + entries > Math.max(declared, 0) + 0x10000) {
      throw new CorruptError('subkey lists hold far more entries than the key declares', { structure: `${signatureText(sig)} subkeys list`, offset: list });
    }
    for (let i = 0; i < entries; i++) {
      const from = list + 8 + i * step;
      const child = this.resolve(this.view.getUint32(from, true), `${signatureText(sig)} subkeys list entry`, from);
      if (this.view.getUint16(child + 4, true) !== SIG_NK) {
        throw new CorruptError(`subkey entry points to a ${signatureText(this.view.getUint16(child + 4, true))} cell, not nk`, { structure: `${signatureText(sig)} subkeys list entry`, offset: from });
      }
      out.push(child);
    }
  }

  /** Absolute offsets of the vk cells of `nk`, in list order. */
  valueOffsets(nk: number): number[] {
    const count = this.view.getUint32(nk + 4 + NK_VALUE_COUNT, true);
    if (count === 0) return [];
    const listRef = nk + 4 + NK_VALUE_LIST;
    const list = this.resolve(this.view.getUint32(listRef, true), 'nk values list', listRef);
    if (count > MAX_LIST_ENTRIES || 4 + count * 4 > this.cellLength(list)) {
      throw new CorruptError(`${count} values do not fit a values list of ${this.cellLength(list)} bytes`, { structure: 'values list', offset: list });
    }
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const from = list + 4 + i * 4;
      const vk = this.resolve(this.view.getUint32(from, true), 'values list entry', from);
      if (this.view.getUint16(vk + 4, true) !== SIG_VK) {
        throw new CorruptError(`value entry points to a ${signatureText(this.view.getUint16(vk + 4, true))} cell, not vk`, { structure: 'values list entry', offset: from });
      }
      out[i] = vk;
    }
    return out;
  }

  // ----- values ---------------------------------------------------------------------------

  valueName(vk: number): string {
    const length = this.view.getUint16(vk + 4 + VK_NAME_LENGTH, true);
    const start = vk + 4 + VK_NAME;
    if (start + length > vk + this.cellLength(vk)) throw new CorruptError(`value name length ${length} runs past its cell`, { structure: 'vk cell', offset: vk });
    return this.view.getUint16(vk + 4 + VK_FLAGS, true) & VALUE_COMP_NAME ? decodeLatin1(this.bytes, start, length) : decodeUtf16(this.bytes, start, length);
  }

  valueType(vk: number): number {
    return this.view.getUint32(vk + 4 + VK_TYPE, true);
  }

  /** Declared data size (without the inline flag). */
  valueSize(vk: number): number {
    return this.view.getUint32(vk + 4 + VK_DATA_SIZE, true) & 0x7fffffff;
  }

  /**
   * The data bytes of a value: inline (≤ 4 bytes in the offset field), one data cell, or big
   * data (a db cell with a list of segments). Views into the hive when contiguous; a copy for
   * big data. A declared size beyond the cell that is not a db cell is corrupt.
   */
  valueData(vk: number): Uint8Array {
    const raw = this.view.getUint32(vk + 4 + VK_DATA_SIZE, true);
    const size = raw & 0x7fffffff;
    const field = vk + 4 + VK_DATA_OFFSET;
    if (raw & 0x80000000) {
      if (size > 4) throw new CorruptError(`inline value data of ${size} bytes (at most 4 fit)`, { structure: 'vk cell', offset: vk + 4 + VK_DATA_SIZE });
      return this.bytes.subarray(field, field + size);
    }
    if (size === 0) return this.bytes.subarray(field, field);
    const cell = this.resolve(this.view.getUint32(field, true), 'vk data offset', field);
    const length = this.cellLength(cell);
    if (size <= length - 4) return this.bytes.subarray(cell + 4, cell + 4 + size);
    if (this.view.getUint16(cell + 4, true) !== SIG_DB) {
      throw new CorruptError(`value data size ${size} exceeds its ${length}-byte cell, which is not a db cell`, { structure: 'value data cell', offset: cell });
    }
    return this.bigData(cell, size);
  }

  private bigData(db: number, size: number): Uint8Array {
    const segments = this.view.getUint16(db + 4 + 2, true);
    const listRef = db + 4 + 4;
    const list = this.resolve(this.view.getUint32(listRef, true), 'db segments list', listRef);
    if (segments * 4 > this.cellLength(list) - 4) {
      throw new CorruptError(`${segments} segments do not fit the segments list`, { structure: 'db segments list', offset: list });
    }
    if (size > segments * BIG_DATA_SEGMENT_SIZE) {
      throw new CorruptError(`value data size ${size} exceeds ${segments} big data segments`, { structure: 'db cell', offset: db });
    }
    const out = new Uint8Array(size);
    let filled = 0;
    for (let i = 0; i < segments && filled < size; i++) {
      const from = list + 4 + i * 4;
      const segment = this.resolve(this.view.getUint32(from, true), 'db segments list entry', from);
      const take = Math.min(BIG_DATA_SEGMENT_SIZE, size - filled);
      if (take > this.cellLength(segment) - 4) {
        throw new CorruptError(`big data segment of ${this.cellLength(segment)} bytes cannot hold ${take} bytes`, { structure: 'db segment', offset: segment });
      }
      out.set(this.bytes.subarray(segment + 4, segment + 4 + take), filled);
      filled += take;
    }
    return out;
  }

  /** The first value of `nk` whose name matches case-insensitively. */
  findValueOffset(nk: number, name: string): number | undefined {
    for (const vk of this.valueOffsets(nk)) if (namesEqual(this.valueName(vk), name)) return vk;
    return undefined;
  }

  findSubkeyOffset(nk: number, name: string): number | undefined {
    for (const child of this.subkeyOffsets(nk)) if (namesEqual(this.keyName(child), name)) return child;
    return undefined;
  }
}

/** Splits a registry path on backslashes, ignoring empty parts (leading, trailing, doubled). */
export function splitPath(path: string): string[] {
  return path.split('\\').filter((part) => part.length > 0);
}

