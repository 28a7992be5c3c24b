// The file tree an unpacker builds from cpio entries, with the Linux kernel's semantics
// (init/initramfs.c do_name/clean_path/maybe_link): entries apply in order, a later entry
// replaces an earlier one of another type at the same path (a directory entry over a
// symlink replaces the symlink), an existing directory keeps its children and takes the new
// owner/mode, hard links (same dev major/minor + ino, nlink >= 2) share one inode so data
// stored on the last link (newc) belongs to all names, and intermediate path components are
// resolved through symlinks as the kernel's path walk does (`lib -> usr/lib`). Missing parent
// directories are created implicitly (the kernel would skip such an entry; inspection wants
// to see it, so `implicitDirectories` counts them).

import { notFound, splitPath } from '../path.js';
import type { DirEntry, FileType, Stat } from '../types.js';
import { type CpioEntry, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from './types.js';

export interface TreeNode {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  ino: number;
  nlink: number;
  rdevMajor: number;
  rdevMinor: number;
  /** Shared by hard links. */
  content: { data: Uint8Array };
  target?: string;
  children?: Map<string, TreeNode>;
  parent?: TreeNode;
}

const MAX_SYMLINK_HOPS = 40;
const decoder = new TextDecoder();

export function fileType(mode: number): FileType {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return 'directory';
    case S_IFREG:
      return 'file';
    case S_IFLNK:
      return 'symlink';
    default:
      return 'other';
  }
}

function newDirectory(name: string, parent: TreeNode | undefined): TreeNode {
  return { name, mode: S_IFDIR | 0o755, uid: 0, gid: 0, mtime: 0, ino: 0, nlink: 2, rdevMajor: 0, rdevMinor: 0, content: { data: new Uint8Array(0) }, children: new Map(), ...(parent ? { parent } : {}) };
}

export class CpioTree {
  readonly root: TreeNode = newDirectory('', undefined);
  implicitDirectories = 0;
  private readonly links = new Map<string, TreeNode>();

  /** Applies entries in order, as the kernel unpacks one archive after another. */
  apply(entries: Iterable<CpioEntry>): void {
    for (const entry of entries) this.applyOne(entry);
  }

  private applyOne(entry: CpioEntry): void {
    const parts = splitPath(entry.name);
    const type = fileType(entry.mode);
    if (parts.length === 0) {
      // "." — the root itself: takes owner and mode like any existing directory.
      if (type === 'directory') Object.assign(this.root, { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime });
      return;
    }
    const name = parts.pop() as string;
    const parent = this.walkDirectories(parts);
    if (parent === undefined) return;
    const children = parent.children as Map<string, TreeNode>;
    const existing = children.get(name);
    if (type === 'directory' && existing !== undefined && fileType(existing.mode) === 'directory') {
      Object.assign(existing, { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime });
      return;
    }
    const linkKey = `${entry.devMajor}:${entry.devMinor}:${entry.ino}`;
    const linked = type === 'file' && entry.nlink >= 2 ? this.links.get(linkKey) : undefined;
    const node: TreeNode = {
      name,
      mode: entry.mode,
      uid: entry.uid,
      gid: entry.gid,
      mtime: entry.mtime,
      ino: entry.ino,
      nlink: entry.nlink,
      rdevMajor: entry.rdevMajor,
      rdevMinor: entry.rdevMinor,
      content: linked?.content ?? { data: entry.data },
      parent,
      ...(type === 'symlink' ? { target: decoder.decode(entry.data) } : {}),
      ...(type === 'directory' ? { children: new Map() } : {}),
    };
    // A later link that carries the data (newc stores it on the last link) fills the shared inode.
    if (linked !== undefined && entry.data.length > 0) linked.content.data = entry.data;
    if (type === 'file' && entry.nlink >= 2 && linked === undefined) this.links.set(linkKey, node);
    children.set(name, node);
  }

  /** Walks (and creates) directories for a parent path, following symlinks on the way. */
  private walkDirectories(parts: string[]): TreeNode | undefined {
    let node = this.root;
    for (const part of parts) {
      let child = (node.children as Map<string, TreeNode>).get(part);
      if (child === undefined) {
        child = newDirectory(part, node);
        (node.children as Map<string, TreeNode>).set(part, child);
        this.implicitDirectories++;
      }
      const resolved = this.follow(child, 0);
      if (resolved === undefined || resolved.children === undefined) return undefined;
      node = resolved;
    }
    return node;
  }

  /** Follows a symlink node to what it names (undefined when dangling or looping). */
  private follow(node: TreeNode, hops: number): TreeNode | undefined {
    if (node.target === undefined) return node;
    if (hops >= MAX_SYMLINK_HOPS) return undefined;
    const start = node.target.startsWith('/') ? this.root : (node.parent ?? this.root);
    const found = this.lookupFrom(start, splitRelative(node.target), true, hops + 1);
    return found;
  }

  private lookupFrom(start: TreeNode, parts: string[], followLast: boolean, hops: number): TreeNode | undefined {
    let node: TreeNode | undefined = start;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      if (node === undefined || node.children === undefined) return undefined;
      if (part === '.') continue;
      if (part === '..') {
        node = node.parent ?? node;
        continue;
      }
      const child: TreeNode | undefined = node.children.get(part);
      if (child === undefined) return undefined;
      node = i < parts.length - 1 || followLast ? this.follow(child, hops) : child;
    }
    return node;
  }

  /** Finds a node; intermediate symlinks are always followed, the last one when `followLast`. */
  find(path: string, followLast: boolean): TreeNode | undefined {
    return this.lookupFrom(this.root, splitRelative(path), followLast, 0);
  }

  stat(path: string, followLast = false): Stat {
    const node = this.find(path, followLast);
    if (node === undefined) throw notFound(path);
    return toStat(node);
  }

  readdir(path: string): DirEntry[] {
    const node = this.find(path, true);
    if (node === undefined) throw notFound(path);
    if (node.children === undefined) throw notFound(path, 'ENOTDIR');
    return [...node.children.values()].map((child) => ({ name: child.name, type: fileType(child.mode), ...(child.ino ? { inode: child.ino } : {}) }));
  }

  readFile(path: string): Uint8Array {
    const node = this.find(path, true);
    if (node === undefined) throw notFound(path);
    if (node.children !== undefined) throw notFound(path, 'EISDIR');
    return node.content.data;
  }

  /** Every path in the tree (no leading slash), depth first, children sorted. */
  list(): string[] {
    const out: string[] = [];
    const visit = (node: TreeNode, prefix: string): void => {
      for (const name of [...(node.children?.keys() ?? [])].sort()) {
        const child = node.children?.get(name) as TreeNode;
        const path = prefix === '' ? name : `${prefix}/${name}`;
        out.push(path);
        if (child.children !== undefined) visit(child, path);
      }
    };
    visit(this.root, '');
    return out;
  }
}

/** Like splitPath but keeps '..' for symlink resolution relative to a directory. */
function splitRelative(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

function toStat(node: TreeNode): Stat {
  const type = fileType(node.mode);
  return {
    name: node.name,
    type,
    size: type === 'symlink' ? (node.target as string).length : node.content.data.length,
    mode: node.mode,
    uid: node.uid,
    gid: node.gid,
    mtime: new Date(node.mtime * 1000),
    nlink: node.nlink,
    ...(node.ino ? { inode: node.ino } : {}),
    ...(node.target !== undefined ? { target: node.target } : {}),
    ...(type === 'other' ? { extra: { rdevMajor: node.rdevMajor, rdevMinor: node.rdevMinor } } : {}),
  };
}
