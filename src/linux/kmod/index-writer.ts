// Writes a kmod binary index (format in index-format.ts). The trie is built by insertion
// exactly as depmod's index_insert builds it (prefix-compressed; a node splits where a new
// key diverges from its prefix; values kept ordered by priority, a new value going before
// equal priorities), and written as depmod's index_write does: post-order, children in
// character order before their parent, the root's offset patched into the header. Given
// the same insertions in the same order, the output is byte-identical to depmod's.

import { INDEX_CHILDMAX, INDEX_MAGIC, INDEX_NODE_CHILDS, INDEX_NODE_PREFIX, INDEX_NODE_VALUES, INDEX_VERSION, type IndexValue } from './index-format.js';

interface Node {
  prefix: string;
  children: Map<number, Node>;
  values: IndexValue[];
}

function newNode(prefix: string): Node {
  return { prefix, children: new Map(), values: [] };
}

function checkAscii(text: string): void {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= INDEX_CHILDMAX) throw new RangeError(`kmod index strings are 7-bit ASCII: ${JSON.stringify(text)}`);
  }
}

function addValue(node: Node, value: IndexValue): boolean {
  const duplicate = node.values.some((v) => v.value === value.value);
  let at = 0;
  while (at < node.values.length && (node.values[at] as IndexValue).priority < value.priority) at++;
  node.values.splice(at, 0, value);
  return duplicate;
}

export class KmodIndexBuilder {
  private readonly root = newNode('');

  /** Inserts a key/value; returns true when the same value was already stored for the key. */
  insert(key: string, value: string, priority: number): boolean {
    checkAscii(key);
    checkAscii(value);
    let node = this.root;
    let i = 0;
    // Bounded: each round consumes at least one key character or returns.
    for (;;) {
      let j = 0;
      for (; j < node.prefix.length; j++) {
        if (key[i + j] !== node.prefix[j]) {
          // Split: the node keeps prefix[0, j); the rest moves into a child.
          const child: Node = { prefix: node.prefix.slice(j + 1), children: node.children, values: node.values };
          const splitChar = node.prefix.charCodeAt(j);
          node.prefix = node.prefix.slice(0, j);
          node.children = new Map([[splitChar, child]]);
          node.values = [];
          break;
        }
      }
      i += j;
      if (i === key.length) return addValue(node, { priority, value });
      const ch = key.charCodeAt(i);
      const next = node.children.get(ch);
      if (next === undefined) {
        const child = newNode(key.slice(i + 1));
        addValue(child, { priority, value });
        node.children.set(ch, child);
        return false;
      }
      node = next;
      i++;
    }
  }

  write(): Uint8Array {
    const chunks: Uint8Array[] = [];
    let length = 12;
    const encoder = new TextEncoder();
    const u32 = (value: number): Uint8Array => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, value >>> 0, false);
      return b;
    };
    const emit = (chunk: Uint8Array): void => {
      chunks.push(chunk);
      length += chunk.length;
    };
    const writeNode = (node: Node): number => {
      const keys = [...node.children.keys()].sort((a, b) => a - b);
      const childOffsets: number[] = [];
      const first = keys[0] ?? 0;
      const last = keys[keys.length - 1] ?? 0;
      if (keys.length > 0) {
        for (let c = first; c <= last; c++) {
          const child = node.children.get(c);
          childOffsets.push(child === undefined ? 0 : writeNode(child));
        }
      }
      let offset = length;
      if (node.prefix.length > 0) {
        emit(encoder.encode(node.prefix + '\0'));
        offset |= INDEX_NODE_PREFIX;
      }
      if (keys.length > 0) {
        emit(new Uint8Array([first, last]));
        for (const child of childOffsets) emit(u32(child));
        offset |= INDEX_NODE_CHILDS;
      }
      if (node.values.length > 0) {
        emit(u32(node.values.length));
        for (const v of node.values) {
          emit(u32(v.priority));
          emit(encoder.encode(v.value + '\0'));
        }
        offset |= INDEX_NODE_VALUES;
      }
      return offset >>> 0;
    };
    const rootOffset = writeNode(this.root);
    const out = new Uint8Array(length);
    const view = new DataView(out.buffer);
    view.setUint32(0, INDEX_MAGIC, false);
    view.setUint32(4, INDEX_VERSION, false);
    view.setUint32(8, rootOffset, false);
    let at = 12;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

/** Builds an index from entries inserted in the given order. */
export function writeKmodIndex(entries: Iterable<{ key: string; value: string; priority: number }>): Uint8Array {
  const builder = new KmodIndexBuilder();
  for (const e of entries) builder.insert(e.key, e.value, e.priority);
  return builder.write();
}
