// Reads a kmod binary index (format in index-format.ts): exact lookups (modules.dep.bin,
// modules.symbols.bin, modules.builtin.bin) and modprobe-style alias lookups
// (modules.alias.bin), where stored keys may be fnmatch patterns ("pci:v00001AF4d*sv*…")
// and every pattern matching the query contributes its values, as libkmod's
// index_searchwild does. Node offsets are checked against the file; the walk is bounded by
// a visited set (a child pointing back up is a loop) and a key-length limit.

import { CorruptError } from '../../errors.js';
import { INDEX_MAGIC, INDEX_NODE_CHILDS, INDEX_NODE_MASK, INDEX_NODE_PREFIX, INDEX_NODE_VALUES, INDEX_VERSION, type IndexValue } from './index-format.js';
import { normalizeAlias } from './alias.js';
import { fnmatch } from './fnmatch.js';

interface DecodedNode {
  prefix: string;
  first: number;
  children: number[];
  values: IndexValue[];
}

const MAX_KEY_LENGTH = 4096;
const latin1 = new TextDecoder('latin1');

export class KmodIndex {
  private readonly view: DataView;
  private readonly cache = new Map<number, DecodedNode>();
  private readonly rootOffset: number;
  private allEntries: Array<{ key: string; values: IndexValue[] }> | undefined;

  constructor(
    private readonly data: Uint8Array,
    private readonly source = 'kmod index',
  ) {
    if (data.length < 12) throw this.corrupt('truncated index header', 0);
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (this.view.getUint32(0, false) !== INDEX_MAGIC) throw this.corrupt('bad kmod index magic', 0);
    const version = this.view.getUint32(4, false);
    if (version >>> 16 !== INDEX_VERSION >>> 16) throw this.corrupt(`unsupported kmod index version 0x${version.toString(16)}`, 4);
    this.rootOffset = this.view.getUint32(8, false);
  }

  private corrupt(message: string, offset: number): CorruptError {
    return new CorruptError(message, { structure: 'kmod index', offset, path: this.source });
  }

  private cString(at: number): { text: string; next: number } {
    const end = this.data.indexOf(0, at);
    if (end < 0 || end - at > MAX_KEY_LENGTH) throw this.corrupt('unterminated string', at);
    return { text: latin1.decode(this.data.subarray(at, end)), next: end + 1 };
  }

  private u32(at: number): number {
    if (at + 4 > this.data.length) throw this.corrupt('node runs past the end of the index', at);
    return this.view.getUint32(at, false);
  }

  private node(pointer: number): DecodedNode {
    const cached = this.cache.get(pointer);
    if (cached !== undefined) return cached;
    let at = pointer & INDEX_NODE_MASK;
    if (at < 12 || at >= this.data.length) throw this.corrupt(`node offset ${at} outside the index`, at);
    let prefix = '';
    if (pointer & INDEX_NODE_PREFIX) {
      const s = this.cString(at);
      prefix = s.text;
      at = s.next;
    }
    let first = 0;
    const children: number[] = [];
    if (pointer & INDEX_NODE_CHILDS) {
      if (at + 2 > this.data.length) throw this.corrupt('truncated child range', at);
      first = this.data[at] as number;
      const last = this.data[at + 1] as number;
      if (last < first) throw this.corrupt(`child range ${first}..${last} is inverted`, at);
      at += 2;
      for (let c = first; c <= last; c++, at += 4) children.push(this.u32(at));
    }
    const values: IndexValue[] = [];
    if (pointer & INDEX_NODE_VALUES) {
      const count = this.u32(at);
      at += 4;
      if (count > (this.data.length - at) / 5) throw this.corrupt(`value count ${count} exceeds the index size`, at - 4);
      for (let i = 0; i < count; i++) {
        const priority = this.u32(at);
        const s = this.cString(at + 4);
        values.push({ priority, value: s.text });
        at = s.next;
      }
    }
    const node = { prefix, first, children, values };
    this.cache.set(pointer, node);
    return node;
  }

  /** Values stored under exactly `key` (empty when absent). */
  lookup(key: string): IndexValue[] {
    let pointer = this.rootOffset;
    let i = 0;
    const seen = new Set<number>();
    // Bounded: each step consumes key characters; `seen` stops loops.
    for (;;) {
      if (seen.has(pointer)) throw this.corrupt('loop in the index trie', pointer & INDEX_NODE_MASK);
      seen.add(pointer);
      const node = this.node(pointer);
      if (!key.startsWith(node.prefix, i)) return [];
      i += node.prefix.length;
      if (i === key.length) return node.values;
      const child = node.children[key.charCodeAt(i) - node.first];
      if (child === undefined || child === 0) return [];
      pointer = child;
      i++;
    }
  }

  /** Every key with its values, in key order. */
  entries(): Array<{ key: string; values: IndexValue[] }> {
    if (this.allEntries !== undefined) return this.allEntries;
    const out: Array<{ key: string; values: IndexValue[] }> = [];
    const onPath = new Set<number>();
    let visited = 0;
    const maxNodes = this.data.length; // every node takes at least one byte
    const walk = (pointer: number, prefix: string): void => {
      if (onPath.has(pointer)) throw this.corrupt('loop in the index trie', pointer & INDEX_NODE_MASK);
      if (++visited > maxNodes) throw this.corrupt('more nodes than the index can hold', pointer & INDEX_NODE_MASK);
      onPath.add(pointer);
      const node = this.node(pointer);
      const key = prefix + node.prefix;
      if (key.length > MAX_KEY_LENGTH) throw this.corrupt('key longer than 4096 characters', pointer & INDEX_NODE_MASK);
      if (node.values.length > 0) out.push({ key, values: node.values });
      node.children.forEach((child, i) => {
        if (child !== 0) walk(child, key + String.fromCharCode(node.first + i));
      });
      onPath.delete(pointer);
    };
    walk(this.rootOffset, '');
    this.allEntries = out;
    return out;
  }

  /**
   * modprobe's alias lookup: `name` normalised as kmod does ('-' → '_' outside [...]), then
   * the values of every stored key that equals it or is a pattern (with *, ? or [) matching
   * it, ordered by priority as libkmod returns them.
   */
  lookupWildcard(query: string): IndexValue[] {
    const name = normalizeAlias(query) ?? query;
    const matches: IndexValue[] = [];
    for (const entry of this.entries()) {
      if (entry.key === name || (/[*?[]/.test(entry.key) && fnmatch(entry.key, name))) matches.push(...entry.values);
    }
    return matches.sort((a, b) => a.priority - b.priority);
  }
}
