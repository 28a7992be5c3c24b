// A read-only FileSystem over cpio entries (one archive, or the merged archives of an
// initramfs: the caller chooses `kind`). Paths resolve through symlinks in intermediate
// components; `stat` does not follow a final symlink, `readFile`/`readdir` do.

import type { DirEntry, FileSystem, Stat } from '../types.js';
import { CpioTree } from './tree.js';
import type { CpioEntry } from './types.js';

export class CpioFileSystem implements FileSystem {
  readonly kind: string;
  readonly tree: CpioTree;

  constructor(args: { entries: Iterable<CpioEntry>; kind?: string }) {
    this.kind = args.kind ?? 'cpio';
    this.tree = new CpioTree();
    this.tree.apply(args.entries);
  }

  async stat(path: string): Promise<Stat> {
    return this.tree.stat(path);
  }

  async readdir(path: string): Promise<DirEntry[]> {
    return this.tree.readdir(path);
  }

  async readFile(path: string): Promise<Uint8Array> {
    return this.tree.readFile(path);
  }

  async exists(path: string): Promise<boolean> {
    return this.tree.find(path, false) !== undefined;
  }
}
