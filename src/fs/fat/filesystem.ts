// FatFileSystem: the read side of FAT12/16/32 (Microsoft fatgen103), kind 'vfat' as blkid
// names it. Paths match case-insensitively (Unicode upper-casing), against the long name or
// the 8.3 alias, as Windows does. The FAT12/16 root is the fixed region after the FATs; every
// other directory, and the FAT32 root, is a cluster chain bounded by the spec's 65536-entry
// limit. A file is read from exactly ceil(size / cluster) clusters of its chain: a chain that
// ends sooner is a CorruptError; a longer one is reported as a diagnostic and ignored, as
// Windows reads by size. Dates are the local date/time fields read as UTC (FAT keeps no zone).
// The label is the root directory's volume-label entry, else BS_VolLab (blkid's order); the
// uuid is BS_VolID as "ABCD-1234".

import type { BlockDevice } from '../../io/block-device.js';
import { checkRange } from '../../io/checks.js';
import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import { CorruptError, UnsupportedError } from '../../errors.js';
import { notFound, splitPath } from '../path.js';
import type { DirEntry, FileSystem, Stat } from '../types.js';
import { clusterOffset, decodeBootSector, volumeIdText, type FatGeometry } from './boot-sector.js';
import { FatTable } from './fat-table.js';
import { ATTR_DIRECTORY, ATTR_READ_ONLY, decodeDirectory, ENTRY_SIZE, type DecodedDirectory, type FatDirent } from './directory.js';

/** The spec caps a directory at 65536 entries (2 MiB). */
export const MAX_DIRECTORY_BYTES = 65536 * ENTRY_SIZE;
/** readFile refuses larger files; use open() for them. */
export const MAX_READFILE_BYTES = 1024 * 1024 * 1024;

export interface OpenFatOptions {
  diagnostics?: Diagnostics;
}

/** A directory as read: where its bytes live and what they decode to. */
export interface FatDirectory {
  /** First cluster; 0 for the FAT12/16 fixed root. */
  first: number;
  /** Its clusters in order (empty for the fixed root). */
  clusters: number[];
  data: Uint8Array;
  decoded: DecodedDirectory;
  isRoot: boolean;
}

/** What a path resolves to: the root, or an entry of a parent directory. */
export type FatNode = { kind: 'root' } | { kind: 'entry'; parent: FatDirectory; entry: FatDirent; path: string };

export class FatFileSystem implements FileSystem {
  readonly kind = 'vfat';
  readonly label?: string;
  readonly uuid?: string;
  readonly geometry: FatGeometry;
  readonly fat: FatTable;
  protected readonly device: BlockDevice;
  protected readonly diagnostics: Diagnostics;
  private readonly dirCache = new Map<number, FatDirectory>();

  protected constructor(args: { device: BlockDevice; geometry: FatGeometry; diagnostics: Diagnostics; label: string }) {
    this.device = args.device;
    this.geometry = args.geometry;
    this.diagnostics = args.diagnostics;
    this.fat = new FatTable({ device: args.device, geometry: args.geometry });
    if (args.label !== '') this.label = args.label;
    if (args.geometry.volumeId !== undefined) this.uuid = volumeIdText(args.geometry.volumeId);
  }

  /** Reads and validates the boot sector, then the root directory (for the label). */
  protected static async prepare(device: BlockDevice): Promise<{ geometry: FatGeometry }> {
    if (device.size < 512) throw new CorruptError(`truncated: a FAT volume needs at least 512 bytes, the device has ${device.size}`, { structure: 'FAT boot sector', offset: 0 });
    const geometry = decodeBootSector(await device.read(0, 512), device.size);
    return { geometry };
  }

  static async open(device: BlockDevice, options: OpenFatOptions = {}): Promise<FatFileSystem> {
    const { geometry } = await FatFileSystem.prepare(device);
    const fs = new FatFileSystem({ device, geometry, diagnostics: options.diagnostics ?? ignoreDiagnostics, label: '' });
    return fs.withLabel();
  }

  /** Sets the label from the root directory's volume-label entry (falls back to BS_VolLab). */
  protected async withLabel<T extends FatFileSystem>(this: T): Promise<T> {
    const root = await this.directory(0);
    const label = root.decoded.volumeLabel ?? this.geometry.volumeLabel;
    if (label !== '' && label !== 'NO NAME') (this as { label?: string }).label = label;
    return this;
  }

  async stat(path: string): Promise<Stat> {
    const node = await this.lookup(path);
    if (node.kind === 'root') return { name: '', type: 'directory', size: 0, mode: 0o040755, extra: { attributes: ATTR_DIRECTORY } };
    const e = node.entry;
    const readOnly = (e.attributes & ATTR_READ_ONLY) !== 0;
    const stat: Stat = {
      name: e.name,
      type: e.isDirectory ? 'directory' : 'file',
      size: e.isDirectory ? 0 : e.size,
      mode: e.isDirectory ? 0o040755 : readOnly ? 0o100444 : 0o100644,
      inode: this.slotOffset(node.parent, e.slot),
      extra: { attributes: e.attributes, shortName: e.shortName, firstCluster: e.firstCluster },
    };
    if (e.mtime) stat.mtime = e.mtime;
    if (e.atime) stat.atime = e.atime;
    if (e.ctime) {
      stat.ctime = e.ctime;
      stat.birthtime = e.ctime;
    }
    return stat;
  }

  async readdir(path: string): Promise<DirEntry[]> {
    const dir = await this.directoryAt(path);
    return dir.decoded.entries.map((e) => ({ name: e.name, type: e.isDirectory ? 'directory' : 'file', inode: this.slotOffset(dir, e.slot) }));
  }

  async readFile(path: string): Promise<Uint8Array> {
    const node = await this.lookup(path);
    if (node.kind === 'root' || node.entry.isDirectory) throw notFound(path, 'EISDIR');
    if (node.entry.size > MAX_READFILE_BYTES) throw new UnsupportedError(`${path} is ${node.entry.size} bytes; use open() for files over ${MAX_READFILE_BYTES}`, { path });
    const device = await this.fileDevice(node);
    return device.size === 0 ? new Uint8Array(0) : device.read(0, device.size);
  }

  async open(path: string): Promise<BlockDevice> {
    const node = await this.lookup(path);
    if (node.kind === 'root' || node.entry.isDirectory) throw notFound(path, 'EISDIR');
    return this.fileDevice(node);
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.lookup(path);
      return true;
    } catch (error) {
      if (error instanceof Error && (error as { code?: string }).code === 'NOT_FOUND') return false;
      throw error;
    }
  }

  /** Resolves a path (Windows separators accepted) to the root or a directory entry. */
  async lookup(path: string): Promise<FatNode> {
    const parts = splitPath(path);
    let node: FatNode = { kind: 'root' };
    let dir = await this.directory(0);
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) {
        const prev = node as Extract<FatNode, { kind: 'entry' }>;
        if (!prev.entry.isDirectory) throw notFound(path, 'ENOTDIR');
        dir = await this.directory(this.subdirectoryCluster(prev));
      }
      const entry = findEntry(dir.decoded.entries, parts[i] as string);
      if (!entry) throw notFound(path);
      node = { kind: 'entry', parent: dir, entry, path: '/' + parts.slice(0, i + 1).join('/') };
    }
    return node;
  }

  /** The directory a path names. */
  async directoryAt(path: string): Promise<FatDirectory> {
    const node = await this.lookup(path);
    if (node.kind === 'root') return this.directory(0);
    if (!node.entry.isDirectory) throw notFound(path, 'ENOTDIR');
    return this.directory(this.subdirectoryCluster(node));
  }

  protected subdirectoryCluster(node: Extract<FatNode, { kind: 'entry' }>): number {
    const first = node.entry.firstCluster;
    if (!this.fat.inRange(first)) {
      throw new CorruptError(`directory ${node.path} starts at cluster ${first}, outside the data area (2..${this.geometry.clusterCount + 1})`, { structure: 'FAT directory entry', offset: this.slotOffset(node.parent, node.entry.slot), path: node.path });
    }
    return first;
  }

  /** Reads (or returns the cached) directory starting at `first` (0: the root). */
  protected async directory(first: number): Promise<FatDirectory> {
    const g = this.geometry;
    const key = first === 0 && g.type === 32 ? g.rootCluster : first;
    const cached = this.dirCache.get(key);
    if (cached) return cached;
    let dir: FatDirectory;
    if (key === 0) {
      const data = await this.device.read(g.rootDirOffset, g.rootDirBytes);
      dir = { first: 0, clusters: [], data, decoded: decodeDirectory(data), isRoot: true };
    } else {
      const maxClusters = Math.ceil(MAX_DIRECTORY_BYTES / g.clusterSize);
      const what = key === g.rootCluster ? 'the root directory' : `the directory at cluster ${key}`;
      const clusters = await this.fat.chain({ first: key, what, limit: maxClusters + 1 });
      if (clusters.length > maxClusters) {
        throw new CorruptError(`${what} has more than ${maxClusters} clusters (the spec allows 65536 entries)`, { structure: 'FAT cluster chain', offset: this.fat.entryOffset(key), cluster: key });
      }
      const data = await this.readClusters(clusters, clusters.length * g.clusterSize);
      dir = { first: key, clusters, data, decoded: decodeDirectory(data), isRoot: key === g.rootCluster && g.type === 32 };
    }
    if (dir.decoded.orphanLfns > 0) {
      this.diagnostics.report({ severity: 'info', code: 'fat-orphan-lfn', message: `${dir.decoded.orphanLfns} long-name entries without a matching short entry were ignored`, structure: 'FAT directory', offset: this.slotOffset(dir, 0) });
    }
    this.dirCache.set(key, dir);
    return dir;
  }

  /** Forgets a cached directory (after the writer changed it). */
  protected forget(first: number): void {
    const g = this.geometry;
    this.dirCache.delete(first === 0 && g.type === 32 ? g.rootCluster : first);
  }

  /** Absolute byte offset of a 32-byte slot of a directory. */
  slotOffset(dir: FatDirectory, slot: number): number {
    const rel = slot * ENTRY_SIZE;
    if (dir.clusters.length === 0) return this.geometry.rootDirOffset + rel;
    const cs = this.geometry.clusterSize;
    const cluster = dir.clusters[Math.floor(rel / cs)];
    if (cluster === undefined) return clusterOffset(this.geometry, dir.clusters[dir.clusters.length - 1] as number) + cs + (rel % cs);
    return clusterOffset(this.geometry, cluster) + (rel % cs);
  }

  /** Reads `length` bytes from the start of `clusters`, one device read per contiguous run. */
  protected async readClusters(clusters: readonly number[], length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    const cs = this.geometry.clusterSize;
    for (let i = 0; i < clusters.length && i * cs < length; ) {
      let j = i + 1;
      while (j < clusters.length && clusters[j] === (clusters[j - 1] as number) + 1 && j * cs < length) j++;
      const want = Math.min(length, j * cs) - i * cs;
      out.set(await this.device.read(clusterOffset(this.geometry, clusters[i] as number), want), i * cs);
      i = j;
    }
    return out;
  }

  private async fileDevice(node: Extract<FatNode, { kind: 'entry' }>): Promise<BlockDevice> {
    const { entry } = node;
    if (entry.size === 0) return new ClusterDevice({ fs: this, clusters: [], size: 0 });
    const need = Math.ceil(entry.size / this.geometry.clusterSize);
    const offset = this.slotOffset(node.parent, entry.slot);
    if (!this.fat.inRange(entry.firstCluster)) {
      throw new CorruptError(`${node.path} (${entry.size} bytes) starts at cluster ${entry.firstCluster}, outside the data area (2..${this.geometry.clusterCount + 1})`, { structure: 'FAT directory entry', offset, path: node.path, cluster: entry.firstCluster });
    }
    const clusters = await this.fat.chain({ first: entry.firstCluster, what: node.path, limit: need + 1 });
    if (clusters.length < need) {
      throw new CorruptError(`the cluster chain of ${node.path} has ${clusters.length} clusters but its size of ${entry.size} bytes needs ${need}`, { structure: 'FAT directory entry', offset, path: node.path });
    }
    if (clusters.length > need) {
      this.diagnostics.report({ severity: 'warning', code: 'fat-chain-longer', message: `the cluster chain of ${node.path} is longer than its size needs`, structure: 'FAT directory entry', offset, path: node.path });
    }
    return new ClusterDevice({ fs: this, clusters: clusters.slice(0, need), size: entry.size });
  }

  /** Reads `length` bytes at `offset` of the data in `clusters` (for ClusterDevice). */
  async readChain(args: { clusters: readonly number[]; offset: number; length: number }): Promise<Uint8Array> {
    const cs = this.geometry.clusterSize;
    const out = new Uint8Array(args.length);
    let done = 0;
    while (done < args.length) {
      const pos = args.offset + done;
      const index = Math.floor(pos / cs);
      let last = index;
      while (last + 1 < args.clusters.length && args.clusters[last + 1] === (args.clusters[last] as number) + 1 && (last + 1) * cs < args.offset + args.length) last++;
      const within = pos - index * cs;
      const take = Math.min(args.length - done, (last + 1) * cs - pos);
      out.set(await this.device.read(clusterOffset(this.geometry, args.clusters[index] as number) + within, take), done);
      done += take;
    }
    return out;
  }
}

/** A file's content as a device: its clusters, cut at its size. */
class ClusterDevice implements BlockDevice {
  readonly size: number;
  private readonly fs: FatFileSystem;
  private readonly clusters: readonly number[];
  constructor(args: { fs: FatFileSystem; clusters: readonly number[]; size: number }) {
    this.fs = args.fs;
    this.clusters = args.clusters;
    this.size = args.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'FAT file' });
    return this.fs.readChain({ clusters: this.clusters, offset, length });
  }
}

/** Windows' case-insensitive match: the long name or the 8.3 alias. */
export function findEntry(entries: readonly FatDirent[], name: string): FatDirent | undefined {
  const want = name.toUpperCase();
  return entries.find((e) => e.name.toUpperCase() === want) ?? entries.find((e) => e.shortName.toUpperCase() === want);
}

export async function openFat(device: BlockDevice, options: OpenFatOptions = {}): Promise<FatFileSystem> {
  return FatFileSystem.open(device, options);
}
