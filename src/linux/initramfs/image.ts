// An initramfs file opened the way the kernel sees it: its segments (with their archives),
// every entry in unpack order, the merged tree as a FileSystem of kind 'initramfs' (later
// entries override earlier ones; symlinks kept and followed in intermediate components),
// and the facts an audit wants: compressions, generator, kernel modules.

import type { Compression } from '../../compress/index.js';
import { type CpioEntry, CpioFileSystem, type CpioTree } from '../../fs/cpio/index.js';
import { type GeneratorGuess, detectGenerator } from './generator.js';
import { type InitramfsModule, listModules } from './modules.js';
import { type InitramfsSegment, type ParseInitramfsOptions, parseInitramfs } from './segments.js';

export interface InitramfsImage {
  segments: InitramfsSegment[];
  /** All entries of all archives, in the order the kernel applies them. */
  entries: CpioEntry[];
  fs: CpioFileSystem;
  tree: CpioTree;
  /** Distinct compressions in segment order ('none' for uncompressed segments). */
  compressions: Array<Compression | 'none'>;
  modules(): InitramfsModule[];
  generator(): GeneratorGuess;
}

export function openInitramfs(data: Uint8Array, options: ParseInitramfsOptions = {}): InitramfsImage {
  const segments = parseInitramfs(data, options);
  const entries = segments.flatMap((segment) => segment.entries);
  const fs = new CpioFileSystem({ entries, kind: 'initramfs' });
  const compressions: Array<Compression | 'none'> = [];
  for (const segment of segments) if (!compressions.includes(segment.compression)) compressions.push(segment.compression);
  return {
    segments,
    entries,
    fs,
    tree: fs.tree,
    compressions,
    modules: () => listModules(fs.tree),
    generator: () => detectGenerator(fs.tree),
  };
}
