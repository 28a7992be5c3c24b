// Key and Value: light handles (a hive and a cell offset) over the decoded hive. Nothing is
// decoded until asked, so walking a large hive creates no per-cell objects beyond the handles
// the caller keeps. Lookups come in pairs: value()/subkey() throw NotFoundError,
// findValue()/findSubkey() return undefined. Names compare case-insensitively as in Windows.

import { NotFoundError } from '../errors.js';
import { HBIN_START } from './base-block.js';
import { NK_LAST_WRITTEN, NK_PARENT, NK_SECURITY, NO_CELL, SIG_NK, SIG_SK } from './cells.js';
import type { Hive } from './hive.js';
import { decodeTyped, typeName, decodeRegString, decodeMultiString, type TypedValue } from './value-types.js';
import { decodeSecurityCell, type SecurityCell } from './security.js';

export class Key {
  constructor(readonly hive: Hive, readonly offset: number) {}

  get name(): string {
    return this.hive.keyName(this.offset);
  }

  get className(): string | undefined {
    return this.hive.keyClassName(this.offset);
  }

  /** Last-written time as a FILETIME (100 ns since 1601-01-01 UTC). */
  get lastWritten(): bigint {
    return this.hive.view.getBigUint64(this.offset + 4 + NK_LAST_WRITTEN, true);
  }

  get lastWrittenDate(): Date {
    return filetimeToDate(this.lastWritten);
  }

  /** The parent key, or undefined for the root (or a parent reference that is not a key). */
  parent(): Key | undefined {
    if (this.offset === this.hive.rootOffset) return undefined;
    const relative = this.hive.view.getUint32(this.offset + 4 + NK_PARENT, true);
    const absolute = relative + HBIN_START;
    if (relative === NO_CELL || !this.hive.isCell(absolute) || this.hive.view.getUint16(absolute + 4, true) !== SIG_NK) return undefined;
    return new Key(this.hive, absolute);
  }

  /** Path from the root, backslash-separated, without the root's own name ('' for the root). */
  get path(): string {
    const parts: string[] = [];
    let key: Key | undefined = this;
    for (let depth = 0; key !== undefined && key.offset !== this.hive.rootOffset && depth < 512; depth++) {
      parts.push(key.name);
      key = key.parent();
    }
    return parts.reverse().join('\\');
  }

  subkeys(): Key[] {
    return this.hive.subkeyOffsets(this.offset).map((offset) => new Key(this.hive, offset));
  }

  get subkeyCount(): number {
    return this.hive.subkeyOffsets(this.offset).length;
  }

  findSubkey(name: string): Key | undefined {
    const offset = this.hive.findSubkeyOffset(this.offset, name);
    return offset === undefined ? undefined : new Key(this.hive, offset);
  }

  subkey(name: string): Key {
    const key = this.findSubkey(name);
    if (key === undefined) throw new NotFoundError(`registry key not found: ${name}`, { kind: 'key', path: this.path ? `${this.path}\\${name}` : name });
    return key;
  }

  /** A descendant by relative path, or undefined. */
  find(path: string): Key | undefined {
    let key: Key | undefined = this;
    for (const part of path.split('\\')) {
      if (part.length === 0) continue;
      key = key.findSubkey(part);
      if (key === undefined) return undefined;
    }
    return key;
  }

  open(path: string): Key {
    const key = this.find(path);
    if (key === undefined) throw new NotFoundError(`registry key not found: ${path}`, { kind: 'key', path: this.path ? `${this.path}\\${path}` : path });
    return key;
  }

  values(): Value[] {
    return this.hive.valueOffsets(this.offset).map((offset) => new Value(this.hive, offset));
  }

  findValue(name: string): Value | undefined {
    const offset = this.hive.findValueOffset(this.offset, name);
    return offset === undefined ? undefined : new Value(this.hive, offset);
  }

  value(name: string): Value {
    const value = this.findValue(name);
    if (value === undefined) throw new NotFoundError(`registry value not found: ${name || '(default)'}`, { kind: 'value', path: `${this.path}\\${name}` });
    return value;
  }

  /** The security descriptor cell (sk) of this key, or undefined when the key has none. */
  security(): SecurityCell | undefined {
    const relative = this.hive.view.getUint32(this.offset + 4 + NK_SECURITY, true);
    if (relative === NO_CELL) return undefined;
    const cell = this.hive.resolve(relative, 'nk key security offset', this.offset + 4 + NK_SECURITY);
    this.hive.expectCell(cell, SIG_SK, 'nk key security offset', this.offset + 4 + NK_SECURITY);
    return decodeSecurityCell(this.hive.bytes, cell);
  }
}

export class Value {
  constructor(readonly hive: Hive, readonly offset: number) {}

  /** '' for the default value. */
  get name(): string {
    return this.hive.valueName(this.offset);
  }

  get type(): number {
    return this.hive.valueType(this.offset);
  }

  get typeName(): string {
    return typeName(this.type);
  }

  get size(): number {
    return this.hive.valueSize(this.offset);
  }

  /** The raw data (a view into the hive when stored contiguously; do not modify). */
  get data(): Uint8Array {
    return this.hive.valueData(this.offset);
  }

  typed(): TypedValue {
    return decodeTyped(this.type, this.data);
  }

  /** The data as a string (UTF-16LE up to the first NUL), whatever the type says. */
  asString(): string {
    return decodeRegString(this.data);
  }

  asStrings(): string[] {
    return decodeMultiString(this.data);
  }

  /** DWORD (LE or BE by type) or QWORD as a number; undefined when the data does not fit. */
  asNumber(): number | undefined {
    const t = this.typed();
    if (t.type === 'dword') return t.value;
    if (t.type === 'qword') return t.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(t.value) : undefined;
    return undefined;
  }
}

const EPOCH_DIFFERENCE = 116444736000000000n;

export function filetimeToDate(filetime: bigint): Date {
  return new Date(Number((filetime - EPOCH_DIFFERENCE) / 10000n));
}

export function dateToFiletime(date: Date): bigint {
  return BigInt(date.getTime()) * 10000n + EPOCH_DIFFERENCE;
}
