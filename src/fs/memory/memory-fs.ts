// An in-memory WritableFileSystem: a tree of directories, files and symlinks. Used by tests
// of the upper layers (inspection, rules, patches) and as a staging area. Semantics follow
// the FileSystem contract in ../types.ts: names match exactly, intermediate symlinks are
// followed (relative to their directory, absolute ones from this filesystem's root), `stat`
// does not follow a final symlink, `readFile`/`readdir` do. Symlink resolution is bounded
// (40 hops, as Linux's MAXSYMLINKS) so a loop is an error, never a hang.

import { CorruptError, RehostError } from '../../errors.js';
import { notFound, splitPath } from '../path.js';
import type { DirEntry, FileType, Stat, WritableFileSystem, WriteFileOptions } from '../types.js';

const MAX_SYMLINK_HOPS = 40;

interface BaseNode {
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  inode: number;
}
interface FileNode extends BaseNode {
  type: 'file';
  data: Uint8Array;
}
interface DirNode extends BaseNode {
  type: 'directory';
  children: Map<string, MemoryNode>;
}
interface LinkNode extends BaseNode {
  type: 'symlink';
  target: string;
}
type MemoryNode = FileNode | DirNode | LinkNode;

const TYPE_BITS: Record<FileType, number> = { file: 0o100000, directory: 0o040000, symlink: 0o120000, other: 0 };

/** A tree description for `MemoryFileSystem.from`: a string or bytes is a file, `{ symlink }` a link, an object a directory. */
export type MemoryTree = { [name: string]: MemoryTree | string | Uint8Array | { symlink: string } };

export class MemoryFileSystem implements WritableFileSystem {
  readonly kind: string;
  readonly label?: string;
  readonly uuid?: string;
  private nextInode = 2;
  private readonly root: DirNode;

  constructor(options: { kind?: string; label?: string; uuid?: string } = {}) {
    this.kind = options.kind ?? 'memory';
    if (options.label !== undefined) this.label = options.label;
    if (options.uuid !== undefined) this.uuid = options.uuid;
    this.root = { type: 'directory', children: new Map(), ...this.base(0o755, {}) };
  }

  /** Builds a filesystem from a nested object (test convenience). Paths in keys may contain '/'. */
  static async from(tree: MemoryTree, options: { kind?: string; label?: string; uuid?: string } = {}): Promise<MemoryFileSystem> {
    const fs = new MemoryFileSystem(options);
    await fs.addTree('/', tree);
    return fs;
  }

  /** Adds a nested object's entries under `dir`, creating parents as needed. */
  async addTree(dir: string, tree: MemoryTree): Promise<void> {
    for (const [name, value] of Object.entries(tree)) {
      const path = `${dir}/${name}`;
      await this.mkdirp(path.split('/').slice(0, -1).join('/') || '/');
      if (typeof value === 'string') await this.writeFile(path, new TextEncoder().encode(value));
      else if (value instanceof Uint8Array) await this.writeFile(path, value);
      else if (isSymlinkSpec(value)) await this.symlink(value.symlink, path);
      else {
        await this.mkdirp(path);
        await this.addTree(path, value);
      }
    }
  }

  /** Creates a directory and its missing parents (no error if it exists). */
  async mkdirp(path: string): Promise<void> {
    let current = '';
    for (const part of splitPath(path)) {
      current += `/${part}`;
      const node = this.lookup(current, true);
      if (node === undefined) await this.mkdir(current);
      else if (node.type !== 'directory') throw notFound(current, 'ENOTDIR');
    }
  }

  async stat(path: string): Promise<Stat> {
    const parts = splitPath(path);
    const node = this.resolve(path, false);
    return this.describe(parts[parts.length - 1] ?? '', node);
  }

  async readdir(path: string): Promise<DirEntry[]> {
    const node = this.resolve(path, true);
    if (node.type !== 'directory') throw notFound(path, 'ENOTDIR');
    return [...node.children].map(([name, child]) => ({ name, type: child.type, inode: child.inode }));
  }

  async readFile(path: string): Promise<Uint8Array> {
    const node = this.resolve(path, true);
    if (node.type === 'directory') throw notFound(path, 'EISDIR');
    if (node.type !== 'file') throw notFound(path);
    return node.data.slice();
  }

  async exists(path: string): Promise<boolean> {
    try {
      return this.lookup(path, false) !== undefined;
    } catch (error) {
      if (error instanceof RehostError) return false;
      throw error;
    }
  }

  async writeFile(path: string, data: Uint8Array, options: WriteFileOptions = {}): Promise<void> {
    const { parent, name } = this.parentOf(path);
    const existing = parent.children.get(name);
    if (existing?.type === 'directory') throw notFound(path, 'EISDIR');
    parent.children.set(name, { type: 'file', data: data.slice(), ...this.base(options.mode ?? 0o644, options) });
  }

  async mkdir(path: string, options: WriteFileOptions = {}): Promise<void> {
    const { parent, name } = this.parentOf(path);
    if (parent.children.has(name)) throw new RehostError('EXISTS', `already exists: ${path}`, { path });
    parent.children.set(name, { type: 'directory', children: new Map(), ...this.base(options.mode ?? 0o755, options) });
  }

  async symlink(target: string, path: string, options: WriteFileOptions = {}): Promise<void> {
    const { parent, name } = this.parentOf(path);
    if (parent.children.has(name)) throw new RehostError('EXISTS', `already exists: ${path}`, { path });
    parent.children.set(name, { type: 'symlink', target, ...this.base(options.mode ?? 0o777, options) });
  }

  async unlink(path: string): Promise<void> {
    const { parent, name } = this.parentOf(path);
    const node = parent.children.get(name);
    if (node === undefined) throw notFound(path);
    if (node.type === 'directory') throw notFound(path, 'EISDIR');
    parent.children.delete(name);
  }

  async rmdir(path: string): Promise<void> {
    const { parent, name } = this.parentOf(path);
    const node = parent.children.get(name);
    if (node === undefined) throw notFound(path);
    if (node.type !== 'directory') throw notFound(path, 'ENOTDIR');
    if (node.children.size > 0) throw new RehostError('NOT_EMPTY', `directory not empty: ${path}`, { path });
    parent.children.delete(name);
  }

  async flush(): Promise<void> {}

  private base(mode: number, options: WriteFileOptions): BaseNode {
    return { mode: mode & 0o7777, uid: options.uid ?? 0, gid: options.gid ?? 0, mtime: options.mtime ?? new Date(0), inode: this.nextInode++ };
  }

  private describe(name: string, node: MemoryNode): Stat {
    const stat: Stat = {
      name,
      type: node.type,
      size: node.type === 'file' ? node.data.length : node.type === 'symlink' ? new TextEncoder().encode(node.target).length : 0,
      mode: TYPE_BITS[node.type] | node.mode,
      uid: node.uid,
      gid: node.gid,
      mtime: node.mtime,
      inode: node.inode,
      nlink: 1,
    };
    if (node.type === 'symlink') stat.target = node.target;
    return stat;
  }

  private parentOf(path: string): { parent: DirNode; name: string } {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new RehostError('EXISTS', 'the root directory cannot be replaced', { path });
    const parent = this.resolve('/' + parts.join('/'), true);
    if (parent.type !== 'directory') throw notFound(path, 'ENOTDIR');
    return { parent, name };
  }

  private resolve(path: string, followFinal: boolean): MemoryNode {
    const node = this.lookup(path, followFinal);
    if (node === undefined) throw notFound(path);
    return node;
  }

  /** Walks `path`; undefined when a component is missing; throws on a non-directory parent or a symlink loop. */
  private lookup(path: string, followFinal: boolean): MemoryNode | undefined {
    const pending = splitPath(path);
    const stack: DirNode[] = [];
    let current: MemoryNode = this.root;
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (current.type !== 'directory') throw notFound(path, 'ENOTDIR');
      if (part === '..') {
        current = stack.pop() ?? this.root;
        continue;
      }
      const child: MemoryNode | undefined = current.children.get(part);
      if (child === undefined) return undefined;
      if (child.type === 'symlink' && (pending.length > 0 || followFinal)) {
        if (++hops > MAX_SYMLINK_HOPS) throw new CorruptError('too many levels of symbolic links', { structure: 'symlink chain', path });
        // Splice the target in front of what is left; '..' is kept so it is resolved against the link's directory.
        const target = child.target.split('/').filter((p) => p !== '' && p !== '.');
        pending.unshift(...target);
        if (child.target.startsWith('/')) {
          stack.length = 0;
          current = this.root;
        }
        continue;
      }
      stack.push(current);
      current = child;
    }
    return current;
  }
}

function isSymlinkSpec(value: unknown): value is { symlink: string } {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && typeof (value as { symlink?: unknown }).symlink === 'string' && Object.keys(value).length === 1;
}
