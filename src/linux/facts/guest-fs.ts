// The guest's file tree as the running system would see it: the root filesystem plus other
// filesystems mounted at their mountpoints (/boot, /boot/efi, /usr…), with symlinks resolved
// inside the guest (an absolute link target means the guest's root, never the host's).
// Inspection reads through this so that `/boot/vmlinuz-*` is found whether /boot is a
// directory of the root or its own partition. Resolution is bounded (40 symlink hops, as
// Linux's MAXSYMLINKS) and reads of text files are size-capped before allocation.

import { CorruptError, RehostError } from '../../errors.js';
import { splitPath } from '../../fs/path.js';
import type { DirEntry, FileSystem, Stat } from '../../fs/types.js';

const MAX_SYMLINK_HOPS = 40;
/** Text configuration files larger than this are not configuration; they are skipped. */
export const MAX_TEXT_FILE = 16 * 1024 * 1024;

export interface GuestMount {
  mountpoint: string;
  fs: FileSystem;
}

export class GuestFs {
  private readonly mounts: GuestMount[];

  constructor(args: { root: FileSystem; mounts?: Record<string, FileSystem> }) {
    const mounts: GuestMount[] = [{ mountpoint: '/', fs: args.root }];
    for (const [mountpoint, fs] of Object.entries(args.mounts ?? {})) mounts.push({ mountpoint: '/' + splitPath(mountpoint).join('/'), fs });
    // Longest mountpoint first, so /boot/efi wins over /boot.
    this.mounts = mounts.sort((a, b) => b.mountpoint.length - a.mountpoint.length);
  }

  /** Which filesystem holds a (symlink-free) guest path, and the path inside it. */
  private locate(parts: string[]): { fs: FileSystem; inner: string } {
    const path = '/' + parts.join('/');
    for (const mount of this.mounts) {
      if (mount.mountpoint === '/' || path === mount.mountpoint || path.startsWith(mount.mountpoint + '/')) {
        const inner = mount.mountpoint === '/' ? path : path.slice(mount.mountpoint.length) || '/';
        return { fs: mount.fs, inner };
      }
    }
    throw new Error('unreachable: the root mount matches every path');
  }

  /**
   * Resolves symlinks in every component, the last one included, across mounts. Returns the
   * resolved path, or undefined when a component is missing; a loop is a CorruptError.
   */
  async realpath(path: string): Promise<string | undefined> {
    const pending = splitPath(path);
    const done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '..') {
        done.pop();
        continue;
      }
      const candidate = [...done, part];
      const { fs, inner } = this.locate(candidate);
      let stat: Stat;
      try {
        stat = await fs.stat(inner);
      } catch (error) {
        if (error instanceof RehostError) return undefined;
        throw error;
      }
      if (stat.type === 'symlink' && stat.target !== undefined) {
        if (++hops > MAX_SYMLINK_HOPS) throw new CorruptError('too many levels of symbolic links', { structure: 'symlink chain', path });
        const target = stat.target.split('/').filter((p) => p !== '' && p !== '.');
        pending.unshift(...target);
        if (stat.target.startsWith('/')) done.length = 0;
        continue;
      }
      done.push(part);
    }
    return '/' + done.join('/');
  }

  /** A symlink's target (its parent directories resolved, the link itself not followed); undefined when it is not a symlink. */
  async readlink(path: string): Promise<string | undefined> {
    const parts = splitPath(path);
    const name = parts.pop();
    const parent = await this.resolve('/' + parts.join('/'));
    if (parent === undefined || name === undefined) return undefined;
    const { fs, inner } = this.locate([...splitPath(parent), name]);
    try {
      const stat = await fs.stat(inner);
      return stat.type === 'symlink' ? stat.target : undefined;
    } catch (error) {
      if (error instanceof RehostError) return undefined;
      throw error;
    }
  }

  /** realpath, with a symlink loop answered as "not there" (ELOOP), as a reader would see it. */
  async resolve(path: string): Promise<string | undefined> {
    try {
      return await this.realpath(path);
    } catch (error) {
      if (error instanceof RehostError) return undefined;
      throw error;
    }
  }

  /** The entry a path leads to after following every symlink; undefined when missing. */
  async stat(path: string): Promise<Stat | undefined> {
    const real = await this.resolve(path);
    if (real === undefined) return undefined;
    const { fs, inner } = this.locate(splitPath(real));
    try {
      return await fs.stat(inner);
    } catch (error) {
      if (error instanceof RehostError) return undefined;
      throw error;
    }
  }

  async exists(path: string): Promise<boolean> {
    return (await this.stat(path)) !== undefined;
  }

  async isDirectory(path: string): Promise<boolean> {
    return (await this.stat(path))?.type === 'directory';
  }

  /** Directory entries (sorted by name), or [] when the directory is missing. */
  async list(path: string): Promise<DirEntry[]> {
    const real = await this.resolve(path);
    if (real === undefined) return [];
    const { fs, inner } = this.locate(splitPath(real));
    try {
      const entries = await fs.readdir(inner);
      return entries.filter((e) => e.name !== '.' && e.name !== '..').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (error) {
      if (error instanceof RehostError) return [];
      throw error;
    }
  }

  /**
   * Every entry below `dir` (depth first, symlinks reported, not followed), within the one
   * filesystem that holds `dir`. Directories already seen (by inode) are skipped, and more
   * than `maxEntries` entries is a CorruptError: a module tree has thousands, not millions.
   */
  async *walk(dir: string, options: { maxEntries: number }): AsyncGenerator<{ path: string; name: string; type: DirEntry['type'] }> {
    const real = await this.resolve(dir);
    if (real === undefined) return;
    const { fs, inner } = this.locate(splitPath(real));
    const stack: Array<{ inner: string; outer: string }> = [{ inner, outer: real }];
    const seen = new Set<number>();
    let count = 0;
    while (stack.length > 0) {
      const current = stack.pop() as { inner: string; outer: string };
      let entries: DirEntry[];
      try {
        entries = await fs.readdir(current.inner);
      } catch (error) {
        if (error instanceof RehostError) continue;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name === '.' || entry.name === '..') continue;
        if (++count > options.maxEntries) throw new CorruptError(`more than ${options.maxEntries} entries below ${dir}`, { structure: 'directory tree', path: dir });
        const outer = current.outer === '/' ? `/${entry.name}` : `${current.outer}/${entry.name}`;
        yield { path: outer, name: entry.name, type: entry.type };
        if (entry.type === 'directory') {
          if (entry.inode !== undefined) {
            if (seen.has(entry.inode)) continue;
            seen.add(entry.inode);
          }
          stack.push({ inner: current.inner === '/' ? `/${entry.name}` : `${current.inner}/${entry.name}`, outer });
        }
      }
    }
  }

  /** A file's bytes, or undefined when missing or larger than `maxSize`. */
  async read(path: string, maxSize = MAX_TEXT_FILE): Promise<Uint8Array | undefined> {
    const stat = await this.stat(path);
    if (stat === undefined || stat.type !== 'file' || stat.size > maxSize) return undefined;
    const real = await this.resolve(path);
    if (real === undefined) return undefined;
    const { fs, inner } = this.locate(splitPath(real));
    try {
      return await fs.readFile(inner);
    } catch (error) {
      if (error instanceof RehostError) return undefined;
      throw error;
    }
  }

  /** The first `length` bytes of a file (for magic numbers and headers). */
  async readHead(path: string, length: number): Promise<Uint8Array | undefined> {
    // The FileSystem contract has no ranged read; files probed this way (kernels, binaries) are small enough.
    const data = await this.read(path, 512 * 1024 * 1024);
    return data?.subarray(0, length);
  }

  async readText(path: string): Promise<string | undefined> {
    const data = await this.read(path);
    return data === undefined ? undefined : new TextDecoder('utf-8', { fatal: false }).decode(data);
  }
}
