// Tolerant typed reads of registry values for the fact extractors. A fact extractor must never
// crash on a guest's odd data: a value of the wrong type or length is reported to the
// diagnostics sink as a warning (naming the key path and value) and read as absent. Windows
// itself is lenient in the same places (a REG_EXPAND_SZ where REG_SZ is documented, a
// REG_BINARY holding a DWORD), so the string and number readers accept those variants.

import type { Diagnostics } from '../diagnostics.js';
import type { Key, Value } from '../registry/index.js';
import { REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_EXPAND_SZ, REG_LINK, REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_SZ } from '../registry/index.js';

export interface ValueReader {
  diagnostics: Diagnostics;
}

function warn(reader: ValueReader, key: Key, name: string, message: string): void {
  reader.diagnostics.report({ severity: 'warning', code: 'WINDOWS_VALUE', message: `${key.path}\\${name || '(default)'}: ${message}`, path: `${key.path}\\${name}` });
}

/** Looks a value up, turning a structurally broken value cell into a warning. */
export function findValue(reader: ValueReader, key: Key | undefined, name: string): Value | undefined {
  if (key === undefined) return undefined;
  try {
    return key.findValue(name);
  } catch (error) {
    warn(reader, key, name, `unreadable value: ${(error as Error).message}`);
    return undefined;
  }
}

function data(reader: ValueReader, key: Key, value: Value): Uint8Array | undefined {
  try {
    return value.data;
  } catch (error) {
    warn(reader, key, value.name, `unreadable data: ${(error as Error).message}`);
    return undefined;
  }
}

/** REG_SZ / REG_EXPAND_SZ (also the first string of a REG_MULTI_SZ); other types warn. */
export function readString(reader: ValueReader, key: Key | undefined, name: string): string | undefined {
  const value = findValue(reader, key, name);
  if (value === undefined || key === undefined) return undefined;
  const bytes = data(reader, key, value);
  if (bytes === undefined) return undefined;
  const type = value.type;
  if (type === REG_SZ || type === REG_EXPAND_SZ || type === REG_LINK) return value.asString();
  if (type === REG_MULTI_SZ) return value.asStrings()[0] ?? '';
  // hivexregedit and some tools write strings as hex(0)/hex(3) UTF-16; accept an even-length blob.
  if ((type === REG_NONE || type === REG_BINARY) && bytes.length % 2 === 0 && bytes.length > 0) return value.asString();
  warn(reader, key, name, `expected a string, found ${value.typeName} (${bytes.length} bytes)`);
  return undefined;
}

/** REG_MULTI_SZ; a plain string is read as a one-element list. */
export function readStrings(reader: ValueReader, key: Key | undefined, name: string): string[] | undefined {
  const value = findValue(reader, key, name);
  if (value === undefined || key === undefined) return undefined;
  if (data(reader, key, value) === undefined) return undefined;
  if (value.type === REG_MULTI_SZ) return value.asStrings();
  if (value.type === REG_SZ || value.type === REG_EXPAND_SZ) {
    const text = value.asString();
    return text === '' ? [] : [text];
  }
  warn(reader, key, name, `expected REG_MULTI_SZ, found ${value.typeName}`);
  return undefined;
}

/** REG_DWORD (LE/BE), REG_QWORD, or a 4/8-byte REG_BINARY/REG_NONE; anything else warns. */
export function readNumber(reader: ValueReader, key: Key | undefined, name: string): number | undefined {
  const value = findValue(reader, key, name);
  if (value === undefined || key === undefined) return undefined;
  const bytes = data(reader, key, value);
  if (bytes === undefined) return undefined;
  const type = value.type;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if ((type === REG_DWORD || type === REG_BINARY || type === REG_NONE) && bytes.length === 4) return view.getUint32(0, true);
  if (type === REG_DWORD_BIG_ENDIAN && bytes.length === 4) return view.getUint32(0, false);
  if ((type === REG_QWORD || type === REG_BINARY || type === REG_NONE) && bytes.length === 8) {
    const big = view.getBigUint64(0, true);
    if (big <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(big);
  }
  warn(reader, key, name, `expected a number, found ${value.typeName} (${bytes.length} bytes)`);
  return undefined;
}

export function readBinary(reader: ValueReader, key: Key | undefined, name: string): Uint8Array | undefined {
  const value = findValue(reader, key, name);
  if (value === undefined || key === undefined) return undefined;
  return data(reader, key, value);
}

/** Subkeys, or [] with a warning when the subkey list is damaged. */
export function subkeys(reader: ValueReader, key: Key | undefined): Key[] {
  if (key === undefined) return [];
  try {
    return key.subkeys();
  } catch (error) {
    reader.diagnostics.report({ severity: 'warning', code: 'WINDOWS_KEY', message: `${key.path}: unreadable subkeys: ${(error as Error).message}`, path: key.path });
    return [];
  }
}

/** Values of a key, or [] with a warning. */
export function values(reader: ValueReader, key: Key | undefined): Value[] {
  if (key === undefined) return [];
  try {
    return key.values();
  } catch (error) {
    reader.diagnostics.report({ severity: 'warning', code: 'WINDOWS_KEY', message: `${key.path}: unreadable values: ${(error as Error).message}`, path: key.path });
    return [];
  }
}

/** A descendant key, or undefined (also when a damaged list is in the way, with a warning). */
export function findKey(reader: ValueReader, key: Key | undefined, path: string): Key | undefined {
  if (key === undefined) return undefined;
  try {
    return key.find(path);
  } catch (error) {
    reader.diagnostics.report({ severity: 'warning', code: 'WINDOWS_KEY', message: `${key.path}\\${path}: unreadable: ${(error as Error).message}`, path: `${key.path}\\${path}` });
    return undefined;
  }
}

/** The key's name, or '' with a warning when its cell is damaged. */
export function keyName(reader: ValueReader, key: Key): string {
  try {
    return key.name;
  } catch (error) {
    reader.diagnostics.report({ severity: 'warning', code: 'WINDOWS_KEY', message: `unreadable key name: ${(error as Error).message}` });
    return '';
  }
}
