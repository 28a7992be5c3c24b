// The FileSystem contract every reader implements (NTFS, ext2/3/4, cpio, memory): guest paths
// are absolute and '/'-separated; NTFS matches names case-insensitively as Windows does,
// ext and cpio match exactly. `stat` describes the entry itself (a symlink is reported as a
// symlink with its target, never followed). Lookups come in pairs: `stat`/`readFile` throw
// NotFoundError (errno ENOENT/ENOTDIR/EISDIR), `exists` answers false and never throws for a
// missing path.

import type { BlockDevice } from '../io/block-device.js';

export type FileType = 'file' | 'directory' | 'symlink' | 'other';

export interface Stat {
  /** The entry's name as stored (its case on NTFS). */
  name: string;
  type: FileType;
  /** Logical size in bytes (for a symlink: length of its target). */
  size: number;
  /** POSIX mode bits including the type bits where the filesystem keeps them. */
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  atime?: Date;
  ctime?: Date;
  birthtime?: Date;
  /** Inode or MFT record number. */
  inode?: number;
  nlink?: number;
  /** Symlink / reparse target. */
  target?: string;
  /** Filesystem-specific facts (NTFS attributes, named streams, compression, ext flags…). */
  extra?: Record<string, unknown>;
}

export interface DirEntry {
  name: string;
  type: FileType;
  inode?: number;
}

/** Callbacks of a fast recursive listing: each directory, then its entries. */
export interface WalkVisitor {
  directory(path: string, inode: number): void;
  entry(name: string, type: FileType, size: number, inode: number, mtimeMs: number): void;
}

export interface FileSystem {
  /** 'ntfs' | 'ext2' | 'ext3' | 'ext4' | 'cpio' | 'memory' | … */
  readonly kind: string;
  readonly label?: string;
  readonly uuid?: string;
  stat(path: string): Promise<Stat>;
  readdir(path: string): Promise<DirEntry[]>;
  readFile(path: string): Promise<Uint8Array>;
  exists(path: string): Promise<boolean>;
  /** A file's content as a device, for files too large to hold in one buffer. */
  open?(path: string): Promise<BlockDevice>;
  /** A recursive listing without a stat per entry, where the filesystem can do it faster. */
  walkEach?(path: string, visitor: WalkVisitor): Promise<void>;
  close?(): Promise<void>;
}

export interface WriteFileOptions {
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
}

export interface WritableFileSystem extends FileSystem {
  /** Creates or replaces a regular file. */
  writeFile(path: string, data: Uint8Array, options?: WriteFileOptions): Promise<void>;
  mkdir(path: string, options?: WriteFileOptions): Promise<void>;
  symlink(target: string, path: string, options?: WriteFileOptions): Promise<void>;
  /** Adds a hard link `newPath` to the existing file `existing` (where the filesystem has them). */
  link?(existing: string, newPath: string): Promise<void>;
  /** Removes a file or symlink. */
  unlink(path: string): Promise<void>;
  /** Removes an empty directory. */
  rmdir(path: string): Promise<void>;
  /** Makes everything written so far durable on the underlying device. */
  flush(): Promise<void>;
}
