// In-place edits of a hive in memory: create and delete keys (recursively), set and delete
// values (inline ≤ 4 bytes, one data cell, or big data "db" with 16344-byte segments for
// hive versions ≥ 1.4), keeping the hive consistent the way Windows expects: subkey lists
// sorted by upper-cased name with correct lf hints / lh hashes (ri over lh leaves for long
// lists), subkey and value counts, largest name/class/value-size fields, last-written times,
// security descriptor (sk) reference counts, and at commit() the base block (both sequence
// numbers equal and incremented, hive bins data size, checksum). Cells are reused through
// CellAllocator, so the file grows only when no free cell fits. Edits that change nothing
// (same value, existing key, missing key to delete) leave the bytes untouched, so repeating a
// batch is a no-op. Spec: msuhanov regf specification; Windows behaviour per hivex write.c
// (read to learn, not copied).

import { NotFoundError, UnsafeStateError, CorruptError, UnsupportedError } from '../errors.js';
import { HBIN_START, baseBlockChecksum } from './base-block.js';
import { CellAllocator } from './allocator.js';
import {
  BIG_DATA_SEGMENT_SIZE, KEY_COMP_NAME, NK_CLASS, NK_LAST_WRITTEN, NK_MAX_SUBKEY_NAME, NK_MAX_VALUE_DATA,
  NK_MAX_VALUE_NAME, NK_NAME, NK_PARENT, NK_SECURITY, NK_SUBKEY_COUNT, NK_SUBKEY_LIST, NK_VALUE_COUNT,
  NK_VALUE_LIST, NO_CELL, SIG_DB, SIG_LF, SIG_LH, SIG_NK, SIG_RI, SIG_SK, VALUE_COMP_NAME, VK_DATA_OFFSET,
  VK_DATA_SIZE, VK_NAME, VK_TYPE,
} from './cells.js';
import { Hive, splitPath } from './hive.js';
import { dateToFiletime } from './key.js';
import { isLatin1, lfHint, lhHash, upcaseName } from './names.js';
import { encodeMultiString, encodeRegString, REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_QWORD, REG_SZ } from './value-types.js';

/** Leaves of an ri list hold at most this many entries (Windows splits lists near 1 KiB entries). */
const MAX_LEAF_ENTRIES = 1012;

export interface EditorOptions {
  /** The time stamped on changed keys and the base block; default: now. */
  now?: () => bigint;
}

export interface EditStats {
  keysCreated: number;
  keysDeleted: number;
  valuesSet: number;
  valuesDeleted: number;
  /** Bytes appended as new hbins (0 when free cells held everything). */
  grownBy: number;
}

export class HiveEditor {
  /** The hive being edited: a private copy, readable at any time with the usual Key API. */
  readonly hive: Hive;
  private readonly allocator: CellAllocator;
  private readonly now: () => bigint;
  private readonly originalLength: number;
  private changed = false;
  readonly stats: EditStats = { keysCreated: 0, keysDeleted: 0, valuesSet: 0, valuesDeleted: 0, grownBy: 0 };

  constructor(source: Hive, options: EditorOptions = {}) {
    if (source.logState === 'unreplayed') {
      throw new UnsafeStateError('the hive is dirty and its transaction logs were not replayed; refusing to write', { structure: 'regf base block', offset: 4 });
    }
    if (source.header.minorVersion < 3) throw new UnsupportedError(`writing regf ${source.header.version} hives`, { structure: 'regf base block', offset: 0x18 });
    this.hive = new Hive(source.bytes.slice(), { diagnostics: source.diagnostics, label: source.label, logState: source.logState });
    this.allocator = new CellAllocator(this.hive);
    this.now = options.now ?? (() => dateToFiletime(new Date()));
    this.originalLength = source.bytes.length;
  }

  private get view(): DataView {
    return this.hive.view;
  }

  private rel(absolute: number): number {
    return absolute - HBIN_START;
  }

  private touch(nk: number): void {
    this.view.setBigUint64(nk + 4 + NK_LAST_WRITTEN, this.now(), true);
    this.changed = true;
  }

  private keyAt(path: string): number | undefined {
    let nk = this.hive.rootOffset;
    for (const part of splitPath(path)) {
      const child = this.hive.findSubkeyOffset(nk, part);
      if (child === undefined) return undefined;
      nk = child;
    }
    return nk;
  }

  private requireKey(path: string): number {
    const nk = this.keyAt(path);
    if (nk === undefined) throw new NotFoundError(`registry key not found: ${path}`, { kind: 'key', path });
    return nk;
  }

  // ----- keys ------------------------------------------------------------------------------

  /** Creates the key and any missing parents; returns whether anything was created. */
  createKey(path: string): boolean {
    let nk = this.hive.rootOffset;
    let created = false;
    for (const part of splitPath(path)) {
      if (part.length > 255) throw new UnsupportedError(`key name longer than 255 characters: ${part}`, { path });
      const child = this.hive.findSubkeyOffset(nk, part);
      if (child !== undefined) {
        nk = child;
        continue;
      }
      nk = this.addKey(nk, part);
      created = true;
    }
    return created;
  }

  private addKey(parent: number, name: string): number {
    const latin1 = isLatin1(name);
    const nameBytes = latin1 ? Uint8Array.from(name, (c) => c.charCodeAt(0)) : encodeRegString(name).subarray(0, name.length * 2);
    const nk = this.allocator.allocate(NK_NAME + nameBytes.length);
    const at = nk + 4;
    this.view.setUint16(at, SIG_NK, true);
    this.view.setUint16(at + 2, latin1 ? KEY_COMP_NAME : 0, true);
    this.view.setBigUint64(at + NK_LAST_WRITTEN, this.now(), true);
    this.view.setUint32(at + NK_PARENT, this.rel(parent), true);
    this.view.setUint32(at + NK_SUBKEY_LIST, NO_CELL, true);
    this.view.setUint32(at + 0x20, NO_CELL, true);
    this.view.setUint32(at + NK_VALUE_LIST, NO_CELL, true);
    this.view.setUint32(at + NK_CLASS, NO_CELL, true);
    this.view.setUint16(at + 0x48, nameBytes.length, true);
    this.hive.bytes.set(nameBytes, at + NK_NAME);
    // Share the parent's security descriptor, as a new key inheriting its ACL would.
    const parentSk = this.view.getUint32(parent + 4 + NK_SECURITY, true);
    if (parentSk !== NO_CELL) {
      const sk = this.hive.resolve(parentSk, 'nk key security offset', parent + 4 + NK_SECURITY);
      this.hive.expectCell(sk, SIG_SK, 'nk key security offset', parent + 4 + NK_SECURITY);
      this.view.setUint32(sk + 4 + 0x0c, this.view.getUint32(sk + 4 + 0x0c, true) + 1, true);
      this.view.setUint32(at + NK_SECURITY, parentSk, true);
    } else {
      this.view.setUint32(at + NK_SECURITY, NO_CELL, true);
    }
    const children = this.hive.subkeyOffsets(parent);
    children.push(nk);
    this.writeSubkeyList(parent, children);
    const maxName = this.view.getUint32(parent + 4 + NK_MAX_SUBKEY_NAME, true);
    if (name.length * 2 > (maxName & 0xffff)) this.view.setUint32(parent + 4 + NK_MAX_SUBKEY_NAME, (maxName & 0xffff0000) | (name.length * 2), true);
    this.touch(parent);
    this.stats.keysCreated++;
    return nk;
  }

  /** Deletes a key and everything below it; returns false when it did not exist. */
  deleteKey(path: string): boolean {
    const parts = splitPath(path);
    if (parts.length === 0) throw new UnsupportedError('the root key cannot be deleted', { path });
    const nk = this.keyAt(path);
    if (nk === undefined) return false;
    const parent = this.keyAt(parts.slice(0, -1).join('\\'))!;
    // Read the parent's list before freeing: freed cells may merge and stop being cells.
    const children = this.hive.subkeyOffsets(parent).filter((child) => child !== nk);
    this.freeKeyTree(nk, 0);
    this.writeSubkeyList(parent, children);
    this.touch(parent);
    return true;
  }

  private freeKeyTree(nk: number, depth: number): void {
    if (depth > 512) throw new CorruptError('keys nested deeper than 512 levels', { structure: 'nk cell', offset: nk });
    for (const child of this.hive.subkeyOffsets(nk)) this.freeKeyTree(child, depth + 1);
    this.freeSubkeyLists(nk);
    for (const vk of this.hive.valueOffsets(nk)) this.freeValue(vk);
    const valueList = this.view.getUint32(nk + 4 + NK_VALUE_LIST, true);
    if (this.view.getUint32(nk + 4 + NK_VALUE_COUNT, true) > 0 && valueList !== NO_CELL) this.allocator.release(valueList + HBIN_START);
    const className = this.view.getUint32(nk + 4 + NK_CLASS, true);
    if (className !== NO_CELL && this.hive.isCell(className + HBIN_START)) this.allocator.release(className + HBIN_START);
    this.releaseSecurity(nk);
    this.allocator.release(nk);
    this.stats.keysDeleted++;
    this.changed = true;
  }

  private releaseSecurity(nk: number): void {
    const relative = this.view.getUint32(nk + 4 + NK_SECURITY, true);
    if (relative === NO_CELL) return;
    const sk = this.hive.resolve(relative, 'nk key security offset', nk + 4 + NK_SECURITY);
    this.hive.expectCell(sk, SIG_SK, 'nk key security offset', nk + 4 + NK_SECURITY);
    const count = this.view.getUint32(sk + 4 + 0x0c, true);
    if (count > 1) {
      this.view.setUint32(sk + 4 + 0x0c, count - 1, true);
      return;
    }
    // Last user: unlink from the ring of descriptors and free it.
    const flink = this.view.getUint32(sk + 4 + 0x04, true);
    const blink = this.view.getUint32(sk + 4 + 0x08, true);
    if (flink !== relative) {
      const next = this.hive.resolve(flink, 'sk flink', sk + 4 + 0x04);
      const previous = this.hive.resolve(blink, 'sk blink', sk + 4 + 0x08);
      this.view.setUint32(previous + 4 + 0x04, flink, true);
      this.view.setUint32(next + 4 + 0x08, blink, true);
    }
    this.allocator.release(sk);
  }

  /** Frees the subkey list cells of `nk` (ri and its leaves). */
  private freeSubkeyLists(nk: number): void {
    if (this.view.getUint32(nk + 4 + NK_SUBKEY_COUNT, true) === 0) return;
    const relative = this.view.getUint32(nk + 4 + NK_SUBKEY_LIST, true);
    if (relative === NO_CELL) return;
    const list = this.hive.resolve(relative, 'nk subkeys list', nk + 4 + NK_SUBKEY_LIST);
    if (this.view.getUint16(list + 4, true) === SIG_RI) {
      const count = this.view.getUint16(list + 6, true);
      for (let i = 0; i < count; i++) this.allocator.release(this.hive.resolve(this.view.getUint32(list + 8 + i * 4, true), 'ri subkeys list entry', list + 8 + i * 4));
    }
    this.allocator.release(list);
  }

  /** Rewrites the subkey list of `nk` to hold `children`, sorted as Windows sorts them. */
  private writeSubkeyList(nk: number, children: number[]): void {
    const old = this.view.getUint32(nk + 4 + NK_SUBKEY_COUNT, true) > 0 ? this.view.getUint32(nk + 4 + NK_SUBKEY_LIST, true) : NO_CELL;
    let leafSig = this.hive.header.minorVersion >= 5 ? SIG_LH : SIG_LF;
    if (old !== NO_CELL) {
      const list = this.hive.resolve(old, 'nk subkeys list', nk + 4 + NK_SUBKEY_LIST);
      const sig = this.view.getUint16(list + 4, true);
      if (sig === SIG_LF || sig === SIG_LH) leafSig = sig;
    }
    this.freeSubkeyLists(nk);
    const entries = children.map((child) => ({ child, name: this.hive.keyName(child) })).map((e) => ({ ...e, key: upcaseName(e.name) }));
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.view.setUint32(nk + 4 + NK_SUBKEY_COUNT, entries.length, true);
    if (entries.length === 0) {
      this.view.setUint32(nk + 4 + NK_SUBKEY_LIST, NO_CELL, true);
      return;
    }
    const writeLeaf = (slice: typeof entries): number => {
      const cell = this.allocator.allocate(4 + slice.length * 8);
      this.view.setUint16(cell + 4, leafSig, true);
      this.view.setUint16(cell + 6, slice.length, true);
      slice.forEach((entry, i) => {
        this.view.setUint32(cell + 8 + i * 8, this.rel(entry.child), true);
        this.view.setUint32(cell + 12 + i * 8, leafSig === SIG_LH ? lhHash(entry.name) : lfHint(entry.name), true);
      });
      return cell;
    };
    if (entries.length <= MAX_LEAF_ENTRIES) {
      const leaf = writeLeaf(entries); // allocate first: it may replace the buffer under this.view
      this.view.setUint32(nk + 4 + NK_SUBKEY_LIST, this.rel(leaf), true);
      return;
    }
    const leaves: number[] = [];
    for (let i = 0; i < entries.length; i += MAX_LEAF_ENTRIES / 2) leaves.push(writeLeaf(entries.slice(i, i + MAX_LEAF_ENTRIES / 2)));
    const ri = this.allocator.allocate(4 + leaves.length * 4);
    this.view.setUint16(ri + 4, SIG_RI, true);
    this.view.setUint16(ri + 6, leaves.length, true);
    leaves.forEach((leaf, i) => this.view.setUint32(ri + 8 + i * 4, this.rel(leaf), true));
    this.view.setUint32(nk + 4 + NK_SUBKEY_LIST, this.rel(ri), true);
  }

  // ----- values ----------------------------------------------------------------------------

  /** Sets a value (creating it when absent); returns whether anything changed. */
  setValue(args: { key: string; name: string; type: number; data: Uint8Array }): boolean {
    const nk = this.requireKey(args.key);
    const { name, type, data } = args;
    if (name.length > 16383) throw new UnsupportedError('value name longer than 16383 characters', { path: args.key });
    const existing = this.hive.findValueOffset(nk, name);
    if (existing !== undefined) {
      if (this.hive.valueType(existing) === type && equalBytes(this.hive.valueData(existing), data)) return false;
      this.freeData(existing);
      const [size, offset] = this.storeData(data);
      this.view.setUint32(existing + 4 + VK_DATA_SIZE, size, true);
      this.view.setUint32(existing + 4 + VK_DATA_OFFSET, offset, true);
      this.view.setUint32(existing + 4 + VK_TYPE, type, true);
    } else {
      const latin1 = isLatin1(name);
      const nameBytes = latin1 ? Uint8Array.from(name, (c) => c.charCodeAt(0)) : encodeRegString(name).subarray(0, name.length * 2);
      const vk = this.allocator.allocate(VK_NAME + nameBytes.length);
      const at = vk + 4;
      this.view.setUint16(at, 0x6b76, true);
      this.view.setUint16(at + 2, nameBytes.length, true);
      const [size, offset] = this.storeData(data);
      this.view.setUint32(at + VK_DATA_SIZE, size, true);
      this.view.setUint32(at + VK_DATA_OFFSET, offset, true);
      this.view.setUint32(at + VK_TYPE, type, true);
      this.view.setUint16(at + 0x10, latin1 && name.length > 0 ? VALUE_COMP_NAME : 0, true);
      this.hive.bytes.set(nameBytes, at + VK_NAME);
      this.writeValueList(nk, [...this.hive.valueOffsets(nk), vk]);
      const maxName = this.view.getUint32(nk + 4 + NK_MAX_VALUE_NAME, true);
      if (name.length * 2 > maxName) this.view.setUint32(nk + 4 + NK_MAX_VALUE_NAME, name.length * 2, true);
    }
    const maxData = this.view.getUint32(nk + 4 + NK_MAX_VALUE_DATA, true);
    if (data.length > maxData) this.view.setUint32(nk + 4 + NK_MAX_VALUE_DATA, data.length, true);
    this.touch(nk);
    this.stats.valuesSet++;
    return true;
  }

  setString(key: string, name: string, value: string): boolean {
    return this.setValue({ key, name, type: REG_SZ, data: encodeRegString(value) });
  }

  setExpandString(key: string, name: string, value: string): boolean {
    return this.setValue({ key, name, type: REG_EXPAND_SZ, data: encodeRegString(value) });
  }

  setMultiString(key: string, name: string, values: readonly string[]): boolean {
    return this.setValue({ key, name, type: REG_MULTI_SZ, data: encodeMultiString(values) });
  }

  setDword(key: string, name: string, value: number): boolean {
    const data = new Uint8Array(4);
    new DataView(data.buffer).setUint32(0, value >>> 0, true);
    return this.setValue({ key, name, type: REG_DWORD, data });
  }

  setQword(key: string, name: string, value: bigint): boolean {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    return this.setValue({ key, name, type: REG_QWORD, data });
  }

  setBinary(key: string, name: string, value: Uint8Array): boolean {
    return this.setValue({ key, name, type: REG_BINARY, data: value });
  }

  /** Deletes a value; returns false when it did not exist. */
  deleteValue(key: string, name: string): boolean {
    const nk = this.keyAt(key);
    if (nk === undefined) return false;
    const vk = this.hive.findValueOffset(nk, name);
    if (vk === undefined) return false;
    const remaining = this.hive.valueOffsets(nk).filter((v) => v !== vk);
    this.freeValue(vk);
    this.writeValueList(nk, remaining);
    this.touch(nk);
    this.stats.valuesDeleted++;
    return true;
  }

  private writeValueList(nk: number, values: number[]): void {
    const count = this.view.getUint32(nk + 4 + NK_VALUE_COUNT, true);
    const oldRel = this.view.getUint32(nk + 4 + NK_VALUE_LIST, true);
    const old = count > 0 && oldRel !== NO_CELL ? oldRel + HBIN_START : -1;
    this.view.setUint32(nk + 4 + NK_VALUE_COUNT, values.length, true);
    if (values.length === 0) {
      if (old >= 0) this.allocator.release(old);
      this.view.setUint32(nk + 4 + NK_VALUE_LIST, NO_CELL, true);
      return;
    }
    let list = old;
    if (list < 0 || this.hive.cellLength(list) - 4 < values.length * 4) {
      if (list >= 0) this.allocator.release(list);
      list = this.allocator.allocate(values.length * 4);
    }
    values.forEach((vk, i) => this.view.setUint32(list + 4 + i * 4, this.rel(vk), true));
    this.view.setUint32(nk + 4 + NK_VALUE_LIST, this.rel(list), true);
  }

  /** Stores value data; returns the vk [data size field, data offset field]. */
  private storeData(data: Uint8Array): [number, number] {
    if (data.length <= 4) {
      let inline = 0;
      for (let i = 0; i < data.length; i++) inline |= data[i]! << (8 * i);
      return [(data.length | 0x80000000) >>> 0, inline >>> 0];
    }
    if (data.length <= BIG_DATA_SEGMENT_SIZE || this.hive.header.minorVersion < 4) {
      const cell = this.allocator.allocate(data.length);
      this.hive.bytes.set(data, cell + 4);
      return [data.length, this.rel(cell)];
    }
    const segments = Math.ceil(data.length / BIG_DATA_SEGMENT_SIZE);
    if (segments > 0xffff) throw new UnsupportedError(`value data of ${data.length} bytes is too large`);
    const db = this.allocator.allocate(8);
    const list = this.allocator.allocate(segments * 4);
    for (let i = 0; i < segments; i++) {
      const chunk = data.subarray(i * BIG_DATA_SEGMENT_SIZE, (i + 1) * BIG_DATA_SEGMENT_SIZE);
      const cell = this.allocator.allocate(chunk.length);
      this.hive.bytes.set(chunk, cell + 4);
      this.view.setUint32(list + 4 + i * 4, this.rel(cell), true);
    }
    this.view.setUint16(db + 4, SIG_DB, true);
    this.view.setUint16(db + 6, segments, true);
    this.view.setUint32(db + 8, this.rel(list), true);
    return [data.length, this.rel(db)];
  }

  private freeData(vk: number): void {
    const raw = this.view.getUint32(vk + 4 + VK_DATA_SIZE, true);
    const size = raw & 0x7fffffff;
    if (raw & 0x80000000 || size === 0) return;
    const relative = this.view.getUint32(vk + 4 + VK_DATA_OFFSET, true);
    if (relative === NO_CELL || !this.hive.isCell(relative + HBIN_START)) return;
    const cell = relative + HBIN_START;
    if (size > this.hive.cellLength(cell) - 4 && this.view.getUint16(cell + 4, true) === SIG_DB) {
      const count = this.view.getUint16(cell + 6, true);
      const list = this.hive.resolve(this.view.getUint32(cell + 8, true), 'db segments list', cell + 8);
      for (let i = 0; i < count; i++) this.allocator.release(this.hive.resolve(this.view.getUint32(list + 4 + i * 4, true), 'db segments list entry', list + 4 + i * 4));
      this.allocator.release(list);
    }
    this.allocator.release(cell);
  }

  private freeValue(vk: number): void {
    this.freeData(vk);
    this.allocator.release(vk);
  }

  // ----- commit ----------------------------------------------------------------------------

  /** The edited hive file. Unchanged input gives identical bytes. */
  commit(): Uint8Array {
    const hive = this.hive;
    const length = Math.max(this.originalLength, hive.dataEnd);
    const out = hive.bytes.slice(0, length);
    this.stats.grownBy = Math.max(0, hive.dataEnd - this.originalLength);
    if (!this.changed) return out;
    const header = new DataView(out.buffer);
    const sequence = (hive.header.primarySequence + 1) >>> 0;
    header.setUint32(4, sequence, true);
    header.setUint32(8, sequence, true);
    header.setBigUint64(0x0c, this.now(), true);
    header.setUint32(0x28, hive.dataEnd - HBIN_START, true);
    header.setUint32(0x1fc, baseBlockChecksum(out), true);
    return out;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

