// Export a hive (or a subtree) as the .reg text `hivexregedit --export` writes, byte for byte,
// so the two can be compared: the "Windows Registry Editor Version 5.00" header, one "[path]"
// line per key (the canonical path from the root through the parent links, "\" for the root),
// the key's values sorted by name, then a blank line, then the subkeys sorted by name.
// Values: "dword:%08x" for REG_DWORD of exactly 4 bytes, otherwise "hex(T):" with the data as
// comma-separated lower-case hex bytes on one line (no wrapping). Names are escaped (\ and ")
// for values only. Text quirk of Perl's print that we reproduce: each printed item is written
// as Latin-1 when all its characters are below 256, and as UTF-8 otherwise. Sorting compares
// strings by UTF-16 code unit, which equals Perl's code point order except for astral
// characters against U+E000..U+FFFF.
//
// The walk works on cell offsets and writes into one growing byte buffer, so exporting a
// 15 MB SYSTEM hive creates no per-key objects.

import { CorruptError } from '../errors.js';
import { HBIN_START } from './base-block.js';
import { NK_PARENT, NO_CELL } from './cells.js';
import type { Hive } from './hive.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX_CODES = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  const s = HEX[i]!;
  HEX_CODES[i] = s.charCodeAt(0) | (s.charCodeAt(1) << 8);
}

const encoder = new TextEncoder();

/** A growing byte buffer. */
class ByteSink {
  buffer: Uint8Array;

  constructor(initial: number) {
    this.buffer = new Uint8Array(Math.max(4096, initial));
  }

  length = 0;

  reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  ascii(text: string): void {
    this.reserve(text.length);
    for (let i = 0; i < text.length; i++) this.buffer[this.length++] = text.charCodeAt(i);
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** One Perl print item: Latin-1 when every character is below 256, else UTF-8. */
  item(text: string): void {
    this.reserve(text.length);
    const buffer = this.buffer;
    const start = this.length;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff) {
        // Perl prints the whole item as UTF-8 once one character is wide: start over.
        this.length = start;
        const encoded = encoder.encode(text);
        this.reserve(encoded.length);
        this.buffer.set(encoded, this.length);
        this.length += encoded.length;
        return;
      }
      buffer[start + i] = c;
    }
    this.length = start + text.length;
  }

  hex(data: Uint8Array): void {
    this.reserve(data.length * 3);
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < data.length; i++) {
      if (i > 0) buffer[at++] = 0x2c;
      const code = HEX_CODES[data[i]!]!;
      buffer[at++] = code & 0xff;
      buffer[at++] = code >> 8;
    }
    this.length = at;
  }

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

export interface ExportOptions {
  /** Key path below the root to start at ('' or '\\' for the whole hive). */
  key?: string;
  /** Prefix for key names, as hivexregedit --prefix (a trailing backslash is dropped). */
  prefix?: string;
  /** Omit the "Windows Registry Editor Version 5.00" header. */
  headerless?: boolean;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Exports as hivexregedit --export does; returns the bytes of the .reg text. */
export function exportReg(hive: Hive, options: ExportOptions = {}): Uint8Array {
  // .reg text of a whole hive is about 1.5x the hive's size: start there to avoid regrowth.
  const sink = new ByteSink(options.key ? 1 << 16 : Math.ceil(hive.dataEnd * 1.6));
  if (!options.headerless) sink.ascii('Windows Registry Editor Version 5.00\n\n');
  const start = options.key ? hive.open(options.key).offset : hive.rootOffset;
  let prefix = options.prefix;
  if (prefix !== undefined && prefix.endsWith('\\')) prefix = prefix.slice(0, -1);
  const startPath = canonicalPath(hive, start);
  // A bound on visits: a DAG of shared subkey lists could otherwise blow up exponentially.
  let budget = hive.cellCount * 2 + 16;
  const onPath = new Set<number>();
  const visit = (nk: number, path: string, depth: number): void => {
    if (--budget < 0) throw new CorruptError('subkey lists reference keys many times over', { structure: 'nk cell', offset: nk });
    if (depth > 512) throw new CorruptError('keys nested deeper than 512 levels', { structure: 'nk cell', offset: nk });
    onPath.add(nk);
    sink.byte(0x5b);
    if (prefix !== undefined) sink.item(prefix);
    sink.item(path);
    sink.ascii(']\n');
    const valueOffsets = hive.valueOffsets(nk);
    if (valueOffsets.length > 0) {
      const values = valueOffsets.map((vk) => ({ name: hive.valueName(vk), vk, type: hive.valueType(vk), data: hive.valueData(vk) }));
      if (values.length > 1) values.sort((a, b) => compare(a.name, b.name));
      for (const value of values) {
        if (value.name === '') sink.ascii('@=');
        else {
          sink.byte(0x22);
          sink.item(escapeName(value.name));
          sink.ascii('"=');
        }
        if (value.type === 4 && value.data.length === 4) {
          const dword = (value.data[0]! | (value.data[1]! << 8) | (value.data[2]! << 16) | (value.data[3]! << 24)) >>> 0;
          sink.ascii(`dword:${dword.toString(16).padStart(8, '0')}\n`);
        } else {
          sink.ascii(`hex(${value.type.toString(16)}):`);
          sink.hex(value.data);
          sink.byte(0x0a);
        }
      }
    }
    sink.byte(0x0a);
    const childOffsets = hive.subkeyOffsets(nk);
    if (childOffsets.length > 0) {
      const children = childOffsets.map((child) => ({ child, name: hive.keyName(child) }));
      if (children.length > 1) children.sort((a, b) => compare(a.name, b.name));
      for (const { child, name } of children) {
        if (onPath.has(child)) throw new CorruptError('subkey list loops back to an ancestor key', { structure: 'nk cell', offset: child });
        const parent = hive.view.getUint32(child + 4 + NK_PARENT, true) + HBIN_START;
        const childPath = parent === nk ? (path === '\\' ? `\\${name}` : `${path}\\${name}`) : canonicalPath(hive, child);
        visit(child, childPath, depth + 1);
      }
    }
    onPath.delete(nk);
  };
  visit(start, startPath, 0);
  return sink.bytes();
}

function escapeName(name: string): string {
  return name.indexOf('\\') < 0 && name.indexOf('"') < 0 ? name : name.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** The path of a key through its parent links, as hivex computes it ("\" for the root). */
export function canonicalPath(hive: Hive, nk: number): string {
  const parts: string[] = [];
  let at = nk;
  for (let depth = 0; at !== hive.rootOffset; depth++) {
    if (depth > 512) throw new CorruptError('parent links do not reach the root', { structure: 'nk cell parent', offset: nk });
    parts.push(hive.keyName(at));
    const relative = hive.view.getUint32(at + 4 + NK_PARENT, true);
    if (relative === NO_CELL) throw new CorruptError('parent link is empty below the root', { structure: 'nk cell parent', offset: at + 4 + NK_PARENT });
    const parent = hive.resolve(relative, 'nk cell parent', at + 4 + NK_PARENT);
    at = parent;
  }
  return parts.length === 0 ? '\\' : '\\' + parts.reverse().join('\\');
}
