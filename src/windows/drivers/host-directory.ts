// A read-only FileSystem over a directory on the host (a vendor's driver folder or an
// unpacked virtio-win tree), so driver discovery reads a folder and an ISO the same way.
// Paths are confined to the root: '..' cannot climb above it, and symlinks are reported as
// such by stat but followed by readFile/readdir (a folder of drivers may use them).

import { lstat, readdir, readFile, readlink, stat as statFollow } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirEntry, FileSystem, FileType, Stat } from '../../fs/types.js';
import { notFound, splitPath } from '../../fs/path.js';

function typeOf(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): FileType {
  return s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
}

export class HostDirectoryFileSystem implements FileSystem {
  readonly kind = 'host-directory';
  readonly label: string;

  constructor(readonly root: string) {
    this.label = root;
  }

  private host(path: string): string {
    return join(this.root, ...splitPath(path));
  }

  private async guard<T>(path: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT') throw notFound(path);
      if (code === 'ENOTDIR') throw notFound(path, 'ENOTDIR');
      if (code === 'EISDIR') throw notFound(path, 'EISDIR');
      throw error;
    }
  }

  async stat(path: string): Promise<Stat> {
    return this.guard(path, async () => {
      const full = this.host(path);
      const s = await lstat(full);
      const type = typeOf(s);
      const out: Stat = { name: splitPath(path).pop() ?? '', type, size: s.size, mode: s.mode, uid: s.uid, gid: s.gid, mtime: s.mtime, inode: s.ino, nlink: s.nlink };
      if (type === 'symlink') out.target = await readlink(full);
      return out;
    });
  }

  async readdir(path: string): Promise<DirEntry[]> {
    return this.guard(path, async () => {
      const entries = await readdir(this.host(path), { withFileTypes: true });
      return entries.map((e) => ({ name: e.name, type: typeOf(e) }));
    });
  }

  async readFile(path: string): Promise<Uint8Array> {
    return this.guard(path, async () => new Uint8Array(await readFile(this.host(path))));
  }

  async exists(path: string): Promise<boolean> {
    try {
      await lstat(this.host(path));
      return true;
    } catch {
      return false;
    }
  }

  /** Whether `path` is a directory once symlinks are followed. */
  async isDirectory(path: string): Promise<boolean> {
    try {
      return (await statFollow(this.host(path))).isDirectory();
    } catch {
      return false;
    }
  }
}
