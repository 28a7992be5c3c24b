// Detection by magic, with the kernel's table (lib/decompress.c compressed_formats): gzip
// 1f 8b (and the old 1f 9e), bzip2 "BZh", lzma 5d 00 00, xz fd "7zXZ" 00, lz4 legacy
// 02 21 4c 18, zstd 28 b5 2f fd. lzo (89 "LZO") is recognised only to be refused.

import type { Compression } from './types.js';

export type DetectedCompression = Compression | 'lzo';

function startsWith(data: Uint8Array, at: number, magic: readonly number[]): boolean {
  if (at + magic.length > data.length) return false;
  for (let i = 0; i < magic.length; i++) if (data[at + i] !== magic[i]) return false;
  return true;
}

export function detectCompression(data: Uint8Array, at = 0): DetectedCompression | undefined {
  if (startsWith(data, at, [0x1f, 0x8b]) || startsWith(data, at, [0x1f, 0x9e])) return 'gzip';
  if (startsWith(data, at, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (startsWith(data, at, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  if (startsWith(data, at, [0x02, 0x21, 0x4c, 0x18])) return 'lz4-legacy';
  if (startsWith(data, at, [0x42, 0x5a, 0x68])) return 'bzip2';
  if (startsWith(data, at, [0x5d, 0x00, 0x00])) return 'lzma';
  if (startsWith(data, at, [0x89, 0x4c, 0x5a])) return 'lzo';
  return undefined;
}
