// The FileSystem / WritableFileSystem faces of an ext2/3/4 volume, over the libext2fs worker
// (engine.ts). Paths are normalised here and handed to libext2fs, which resolves them from the
// filesystem's own root (so an absolute symlink inside a guest resolves inside that guest).
// File contents move in 1 MiB pieces: the package's WebAssembly heap is a fixed 16 MiB and a
// whole-file read would exhaust it (and its readFile returns short reads silently, measured).
// Quirks of the packaged libext2fs worked around here (each measured with e2fsck): rmdir of a
// non-empty directory and mkdir/symlink over an existing name damage the filesystem, so both
// are refused before libext2fs is asked; it has no utimes, so mtimes are patched into the
// inode (inode-times.ts) by flush() while libext2fs is unmounted.

import type { Diagnostics } from '../../diagnostics.js';
import { CorruptError, NotFoundError, PreconditionError, UnsupportedError } from '../../errors.js';
import type { DirEntry, FileSystem, FileType, Stat, WritableFileSystem, WriteFileOptions } from '../types.js';
import { basenamePath, normalizePath, notFound } from '../path.js';
import { LIBEXT2FS_ABORT, type ExtEngine } from './engine.js';
import type { ExtSuperblock } from './superblock.js';
import type { WritableBlockDevice } from '../../io/block-device.js';
import { groupDescriptorOffset, inodeOffset, setInodeMtime, updateInodeChecksum } from './inode-times.js';

// 256 KiB: the package mallocs each read buffer inside its fixed 16 MiB heap, and after many
// operations that heap is too fragmented for 1 MiB pieces (measured on a Debian guest: an abort
// with OOM reading i915.ko after walking /etc and /usr/lib/modules).
const CHUNK = 256 * 1024;
const STAT_CACHE_LIMIT = 200_000;
/** Entries stat'ed per worker operation while listing a directory (keeps each one short). */
const STAT_BATCH = 256;
const S_IFMT = 0o170000;

interface RawStat {
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  blocks: number;
  ino: number;
  atime: number;
  mtime: number;
  ctime: number;
}

export function fileTypeOfMode(mode: number): FileType {
  switch (mode & S_IFMT) {
    case 0o040000:
      return 'directory';
    case 0o100000:
      return 'file';
    case 0o120000:
      return 'symlink';
    default:
      return 'other';
  }
}

export interface ExtFileSystemOptions {
  engine: ExtEngine;
  /** The device libext2fs writes to (writable opens only); inode times are patched on it. */
  device?: WritableBlockDevice;
  superblock: ExtSuperblock;
  diagnostics: Diagnostics;
  /** Largest file readFile will load into memory (default 2 GiB). */
  maxFileBytes?: number;
}

export class ExtFileSystem implements FileSystem {
  readonly kind: string;
  readonly label: string;
  readonly uuid: string;
  readonly superblock: ExtSuperblock;
  protected readonly engine: ExtEngine;
  protected readonly diagnostics: Diagnostics;
  private readonly maxFileBytes: number;
  /**
   * Stats learned while listing directories, so that `ls -R` (readdir, then stat of every
   * entry) does not pay a second path lookup per entry. Cleared by every write.
   */
  protected readonly statCache = new Map<string, RawStat>();

  constructor(options: ExtFileSystemOptions) {
    this.engine = options.engine;
    this.diagnostics = options.diagnostics;
    this.superblock = options.superblock;
    this.kind = options.superblock.kind;
    this.label = options.superblock.label;
    this.uuid = options.superblock.uuid;
    this.maxFileBytes = options.maxFileBytes ?? 2 ** 31;
  }

  async stat(path: string): Promise<Stat> {
    const normal = normalizePath(path);
    const raw = this.statCache.get(normal) ?? (await this.engine.call<RawStat>('lstat', [normal], normal));
    const type = fileTypeOfMode(raw.mode);
    const stat: Stat = {
      name: basenamePath(normal),
      type,
      size: raw.size,
      mode: raw.mode,
      uid: raw.uid,
      gid: raw.gid,
      atime: new Date(raw.atime),
      mtime: new Date(raw.mtime),
      ctime: new Date(raw.ctime),
      inode: raw.ino,
      nlink: raw.nlink,
      extra: { blocks512: raw.blocks },
    };
    if (type === 'symlink') stat.target = await this.engine.call<string>('readlink', [normal], normal);
    return stat;
  }

  async readdir(path: string): Promise<DirEntry[]> {
    const normal = normalizePath(path);
    const names = await this.engine.call<string[]>('readdir', [normal], normal);
    const entries: Array<{ name: string; stat: RawStat }> = [];
    for (let at = 0; at < names.length; at += STAT_BATCH) {
      const batch = names.slice(at, at + STAT_BATCH);
      const stats = await this.engine.call<RawStat[]>('lstatMany', [normal, batch], normal);
      batch.forEach((name, i) => entries.push({ name, stat: stats[i] as RawStat }));
    }
    if (this.statCache.size + entries.length > STAT_CACHE_LIMIT) this.statCache.clear();
    for (const e of entries) this.statCache.set(normal === '/' ? `/${e.name}` : `${normal}/${e.name}`, e.stat);
    return entries.map((e) => ({ name: e.name, type: fileTypeOfMode(e.stat.mode), inode: e.stat.ino }));
  }

  /** Reads a regular file; a symlink is followed inside this filesystem. */
  async readFile(path: string): Promise<Uint8Array> {
    try {
      return await this.readFileOnce(path);
    } catch (error) {
      // A read-only engine restarts with a fresh WebAssembly heap after an abort; a file that
      // failed on a worn heap gets one more try there. A writable one stays failed.
      if (!(error instanceof CorruptError) || error.detail.kind !== LIBEXT2FS_ABORT || this.writableEngine) throw error;
      this.diagnostics.report({ severity: 'warning', code: 'EXT_ENGINE_RESTARTED', message: `libext2fs aborted (${error.message}); retried once on a fresh worker`, path });
      return this.readFileOnce(path);
    }
  }

  /** True for the writable subclass: its engine must never be silently restarted. */
  protected get writableEngine(): boolean {
    return false;
  }

  private async readFileOnce(path: string): Promise<Uint8Array> {
    const normal = normalizePath(path);
    // An empty regular file learnt from a listing needs no lookup (each lookup in a large
    // unindexed directory scans it; listing + reading 20,000 empty files would be quadratic).
    const known = this.statCache.get(normal);
    if (known !== undefined && fileTypeOfMode(known.mode) === 'file' && known.size === 0) return new Uint8Array(0);
    const opened = await this.engine.call<{ fd?: number; stat: RawStat; data?: Uint8Array }>('openAndRead', [normal, CHUNK], normal);
    const type = fileTypeOfMode(opened.stat.mode);
    const size = opened.stat.size;
    if (opened.data !== undefined) {
      if (opened.data.length !== size) {
        throw new CorruptError(`file data ends at ${opened.data.length} of ${size} bytes`, { structure: 'ext file data', path: normal });
      }
      return opened.data;
    }
    const fd = opened.fd as number;
    try {
      if (type === 'directory') throw notFound(normal, 'EISDIR');
      if (type !== 'file') throw new UnsupportedError(`not a regular file (mode ${opened.stat.mode.toString(8)})`, { path: normal });
      if (size > this.maxFileBytes) {
        throw new UnsupportedError(`file of ${size} bytes is larger than the ${this.maxFileBytes}-byte read limit`, { path: normal });
      }
      const out = new Uint8Array(size);
      for (let position = 0; position < size; position += CHUNK) {
        const want = Math.min(CHUNK, size - position);
        const piece = await this.engine.call<Uint8Array>('read', [fd, position, want], normal);
        if (piece.length !== want) {
          throw new CorruptError(`file data ends at ${position + piece.length} of ${size} bytes`, { structure: 'ext file data', path: normal });
        }
        out.set(piece, position);
      }
      return out;
    } finally {
      await this.engine.call('close', [fd], normal).catch(() => undefined);
    }
  }

  async exists(path: string): Promise<boolean> {
    const normal = normalizePath(path);
    if (this.statCache.has(normal)) return true;
    try {
      await this.engine.call<RawStat>('lstat', [normal], normal);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}

export class ExtWritableFileSystem extends ExtFileSystem implements WritableFileSystem {
  /** mtimes asked for, by inode number; written by flush() while libext2fs is unmounted. */
  private readonly pendingTimes = new Map<number, Date>();
  private readonly device: WritableBlockDevice | undefined;

  constructor(options: ExtFileSystemOptions) {
    super(options);
    this.device = options.device;
  }

  protected override get writableEngine(): boolean {
    return true;
  }

  async writeFile(path: string, data: Uint8Array, options: WriteFileOptions = {}): Promise<void> {
    const normal = normalizePath(path);
    this.refuseTimes(options, normal);
    this.statCache.clear();
    const existing = await this.lstatOrUndefined(normal);
    if (existing !== undefined && fileTypeOfMode(existing.mode) === 'directory') throw notFound(normal, 'EISDIR');
    if (existing !== undefined && fileTypeOfMode(existing.mode) !== 'file') {
      throw new UnsupportedError('refusing to replace a non-regular file (symlink, device, fifo) with a file', { path: normal });
    }
    const fd = await this.engine.call<number>('openWrite', [normal, (options.mode ?? 0o644) & 0o7777], normal);
    try {
      for (let position = 0; position < data.length; position += CHUNK) {
        const piece = Uint8Array.prototype.slice.call(data, position, Math.min(data.length, position + CHUNK));
        await this.engine.call<number>('write', [fd, position, piece], normal);
      }
    } finally {
      await this.engine.call('close', [fd], normal);
    }
    await this.setAttributes(normal, options);
  }

  async mkdir(path: string, options: WriteFileOptions = {}): Promise<void> {
    const normal = normalizePath(path);
    this.refuseTimes(options, normal);
    this.statCache.clear();
    await this.refuseExisting(normal);
    await this.engine.call('mkdir', [normal, (options.mode ?? 0o755) & 0o7777], normal);
    await this.setAttributes(normal, options);
  }

  async symlink(target: string, path: string, options: WriteFileOptions = {}): Promise<void> {
    const normal = normalizePath(path);
    this.refuseTimes(options, normal);
    this.statCache.clear();
    if (target.length === 0 || target.includes('\0')) throw new UnsupportedError('a symlink target must be non-empty and NUL-free', { path: normal });
    await this.refuseExisting(normal);
    await this.engine.call('symlink', [target, normal], normal);
    // A symlink's mode is always 0777; only the owner can be asked for.
    await this.setAttributes(normal, { ...options, mode: undefined });
  }

  async unlink(path: string): Promise<void> {
    const normal = normalizePath(path);
    this.statCache.clear();
    const existing = await this.lstatOrUndefined(normal);
    if (existing === undefined) throw notFound(normal);
    if (fileTypeOfMode(existing.mode) === 'directory') throw notFound(normal, 'EISDIR');
    await this.engine.call('unlink', [normal], normal);
  }

  async rmdir(path: string): Promise<void> {
    const normal = normalizePath(path);
    this.statCache.clear();
    const existing = await this.lstatOrUndefined(normal);
    if (existing === undefined) throw notFound(normal);
    if (fileTypeOfMode(existing.mode) !== 'directory') throw notFound(normal, 'ENOTDIR');
    // Checked here because libext2fs (as packaged) unlinks a non-empty directory before noticing,
    // leaving it unconnected (measured with e2fsck).
    const entries = await this.engine.call<unknown[]>('readdir', [normal], normal);
    if (entries.length > 0) throw new PreconditionError(`directory not empty: ${normal}`, { path: normal });
    await this.engine.call('rmdir', [normal], normal);
  }

  /**
   * Writes libext2fs's in-memory bitmaps, group descriptors and superblock to the device, then
   * (with libext2fs closed, so no cached inode can overwrite them) the mtimes asked for.
   */
  async flush(): Promise<void> {
    this.statCache.clear();
    await this.engine.call('umount', []);
    if (this.pendingTimes.size > 0 && this.device !== undefined) {
      for (const [ino, mtime] of this.pendingTimes) await this.patchMtime(this.device, ino, mtime);
      this.pendingTimes.clear();
      await this.engine.call('dropCache', []);
    }
    await this.engine.call('mount', []);
  }

  override async close(): Promise<void> {
    if (this.pendingTimes.size > 0) await this.flush();
    await super.close();
  }

  private async patchMtime(device: WritableBlockDevice, ino: number, mtime: Date): Promise<void> {
    const sb = this.superblock;
    const group = Math.floor((ino - 1) / sb.inodesPerGroup);
    const where = groupDescriptorOffset(sb, group);
    const descriptor = await device.read(where.offset, where.size);
    const at = inodeOffset(sb, descriptor, ino);
    const inode = await device.read(at, sb.inodeSize);
    setInodeMtime(inode, mtime);
    updateInodeChecksum(sb, ino, inode);
    await device.write(at, inode);
  }

  private refuseTimes(options: WriteFileOptions, path: string): void {
    if (options.mtime === undefined) return;
    // Refuse while the plan is built rather than half-way: times are written by flush().
    if (this.device === undefined) throw new UnsupportedError('setting mtime needs the writable device', { path });
    groupDescriptorOffset(this.superblock, 0);
    if (Number.isNaN(options.mtime.getTime())) throw new UnsupportedError('invalid mtime', { path });
  }

  private async setAttributes(path: string, options: WriteFileOptions): Promise<void> {
    if (options.mtime !== undefined) {
      const raw = await this.engine.call<RawStat>('lstat', [path], path);
      this.pendingTimes.set(raw.ino, options.mtime);
    }
    if (options.mode === undefined && options.uid === undefined && options.gid === undefined) return;
    await this.engine.call('setattr', [path, { mode: options.mode === undefined ? undefined : options.mode & 0o7777, uid: options.uid, gid: options.gid }], path);
  }

  /** mkdir/symlink over an existing name leaks a block in libext2fs (measured); refuse first. */
  private async refuseExisting(path: string): Promise<void> {
    if ((await this.lstatOrUndefined(path)) !== undefined) throw new PreconditionError(`already exists: ${path}`, { path });
  }

  private async lstatOrUndefined(path: string): Promise<RawStat | undefined> {
    try {
      return await this.engine.call<RawStat>('lstat', [path], path);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }
}
