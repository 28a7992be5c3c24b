// The kmod binary index (modules.dep.bin, modules.alias.bin, modules.symbols.bin,
// modules.builtin.bin, modules.builtin.alias.bin), as libkmod-index.c documents it. All
// integers are u32 big-endian:
//   header: magic 0xB007F457, version 0x00020001 (major 2, minor 1), root node offset
//   node (at offset & 0x0FFFFFFF, flags in the top bits of the offset that points at it):
//     0x80000000 PREFIX: NUL-terminated prefix string
//     0x20000000 CHILDS: u8 first, u8 last, u32 child offsets[last - first + 1] (0 = none)
//     0x40000000 VALUES: u32 count, then count × { u32 priority, NUL-terminated value }
// Keys are 7-bit ASCII; a key's characters are the concatenation, along the path from the
// root, of each node's prefix and the child character that led to the next node.

export const INDEX_MAGIC = 0xb007f457;
export const INDEX_VERSION = 0x00020001;
export const INDEX_NODE_PREFIX = 0x80000000;
export const INDEX_NODE_VALUES = 0x40000000;
export const INDEX_NODE_CHILDS = 0x20000000;
export const INDEX_NODE_MASK = 0x0fffffff;
export const INDEX_CHILDMAX = 128;

export interface IndexValue {
  priority: number;
  value: string;
}
