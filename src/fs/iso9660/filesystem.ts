// A read-only FileSystem over an ISO 9660 image (driver ISOs such as virtio-win). Names come
// from Rock Ridge when the primary tree carries it (SUSP SP in the root's "." record), else
// from the Joliet tree, else from the plain identifiers with ';1' and a trailing '.' removed,
// which is the order Linux and libisofs prefer. Rock Ridge lookups are exact (POSIX names);
// Joliet and plain lookups fall back to a case-insensitive match, as Windows would read them.
// Multi-extent files are joined; associated files (0x04) are skipped; hidden ones are listed.
// Relocated deep directories (RR CL/RE) appear where they belong. Directory listings are
// cached by extent; every extent is checked against the image before it is read.

import type { BlockDevice } from '../../io/block-device.js';
import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import { CorruptError, UnsupportedError } from '../../errors.js';
import type { DirEntry, FileSystem, FileType, Stat } from '../types.js';
import { notFound } from '../path.js';
import { readDescriptorSet, descriptorText, ucs2beText, type DescriptorSet } from './descriptors.js';
import { DIRECTORY_RECORD, FLAG_ASSOCIATED, FLAG_DIRECTORY, FLAG_HIDDEN, FLAG_MULTI_EXTENT, decodeDirectoryRecords, recordingTime, type DirectoryRecord } from './directory-record.js';
import { decodeRockRidge, decodeSuspArea, readSystemUse, type RockRidge } from './susp.js';
import { ExtentDevice, type Extent } from './extent-device.js';

export type IsoNames = 'rockridge' | 'joliet' | 'plain';

/** Directories larger than this are treated as corruption (real ones are a few KiB). */
export const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;
/** readFile refuses larger files; use open() for them. */
export const MAX_READFILE_BYTES = 1024 * 1024 * 1024;
const MAX_SYMLINK_HOPS = 40;

interface IsoNode {
  name: string;
  type: FileType;
  size: number;
  extents: Extent[];
  /** For directories: the extent holding its records. */
  dir?: { start: number; length: number };
  mtime?: Date;
  rr?: RockRidge;
  hidden: boolean;
  inode: number;
  recordOffset: number;
  interleaved: boolean;
}

export interface OpenIso9660Options {
  diagnostics?: Diagnostics;
  /** Which name space to read (default: the best one present). */
  names?: IsoNames;
}

export class Iso9660FileSystem implements FileSystem {
  readonly kind = 'iso9660';
  readonly label?: string;
  readonly names: IsoNames;
  readonly descriptors: DescriptorSet;
  private readonly device: BlockDevice;
  private readonly diagnostics: Diagnostics;
  private readonly root: IsoNode;
  private readonly suspSkip: number;
  private readonly cache = new Map<number, IsoNode[]>();

  private constructor(args: { device: BlockDevice; descriptors: DescriptorSet; names: IsoNames; root: IsoNode; suspSkip: number; diagnostics: Diagnostics; label: string }) {
    this.device = args.device;
    this.descriptors = args.descriptors;
    this.names = args.names;
    this.root = args.root;
    this.suspSkip = args.suspSkip;
    this.diagnostics = args.diagnostics;
    if (args.label !== '') this.label = args.label;
  }

  static async open(device: BlockDevice, options: OpenIso9660Options = {}): Promise<Iso9660FileSystem> {
    const diagnostics = options.diagnostics ?? ignoreDiagnostics;
    const descriptors = await readDescriptorSet(device, diagnostics);
    const bs = descriptors.blockSize;
    const primaryRoot = rootNode(descriptors.primary.descriptor.root_directory_record, descriptors.primary.offset + 156, bs);
    checkExtent({ start: primaryRoot.dir!.start, length: primaryRoot.dir!.length, size: device.size, structure: 'ISO 9660 root directory record', offset: descriptors.primary.offset + 156 });
    // Rock Ridge: SUSP SP in the first record of the primary root, then RR entries there.
    let suspSkip = -1;
    let hasRockRidge = false;
    const firstSector = await device.read(primaryRoot.dir!.start, Math.min(bs, primaryRoot.dir!.length));
    const [dot] = decodeDirectoryRecords({ data: firstSector, origin: primaryRoot.dir!.start, blockSize: bs });
    if (dot) {
      const entries = decodeSuspArea({ area: dot.systemUse, origin: dot.systemUseOffset, diagnostics });
      const sp = entries[0];
      if (sp && sp.signature === 'SP' && sp.data[0] === 0xbe && sp.data[1] === 0xef) {
        suspSkip = sp.data[2] ?? 0;
        const all = await readSystemUse({ area: dot.systemUse, origin: dot.systemUseOffset, skip: 0, blockSize: bs, imageSize: device.size, read: (o, l) => device.read(o, l), diagnostics });
        hasRockRidge = all.some((e) => ['ER', 'RR', 'PX', 'NM', 'SL', 'TF'].includes(e.signature));
      }
    }
    const joliet = descriptors.joliet;
    const names: IsoNames = options.names ?? (hasRockRidge ? 'rockridge' : joliet ? 'joliet' : 'plain');
    if (names === 'rockridge' && !hasRockRidge) throw new UnsupportedError('this ISO image has no Rock Ridge names');
    if (names === 'joliet' && !joliet) throw new UnsupportedError('this ISO image has no Joliet names');
    let root = primaryRoot;
    if (names === 'joliet' && joliet) {
      root = rootNode(joliet.descriptor.root_directory_record, joliet.offset + 156, bs);
      checkExtent({ start: root.dir!.start, length: root.dir!.length, size: device.size, structure: 'Joliet root directory record', offset: joliet.offset + 156 });
    }
    const label = names === 'joliet' && joliet ? descriptorText(joliet.descriptor.volume_identifier, true) : descriptorText(descriptors.primary.descriptor.volume_identifier, false);
    return new Iso9660FileSystem({ device, descriptors, names, root, suspSkip: Math.max(0, suspSkip), diagnostics, label });
  }

  async stat(path: string): Promise<Stat> {
    return this.toStat(await this.lookup(path, false));
  }

  async readdir(path: string): Promise<DirEntry[]> {
    const node = await this.lookup(path, true);
    if (node.type !== 'directory') throw notFound(path, 'ENOTDIR');
    return (await this.children(node)).map((c) => ({ name: c.name, type: c.type, inode: c.inode }));
  }

  async readFile(path: string): Promise<Uint8Array> {
    const node = await this.lookup(path, true);
    if (node.type === 'directory') throw notFound(path, 'EISDIR');
    if (node.size > MAX_READFILE_BYTES) throw new UnsupportedError(`${path} is ${node.size} bytes; use open() for files over ${MAX_READFILE_BYTES}`, { path });
    const device = this.fileDevice(node);
    return device.size === 0 ? new Uint8Array(0) : device.read(0, device.size);
  }

  async open(path: string): Promise<BlockDevice> {
    const node = await this.lookup(path, true);
    if (node.type === 'directory') throw notFound(path, 'EISDIR');
    return this.fileDevice(node);
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.lookup(path, false);
      return true;
    } catch (error) {
      if (error instanceof Error && (error as { code?: string }).code === 'NOT_FOUND') return false;
      throw error;
    }
  }

  private fileDevice(node: IsoNode): ExtentDevice {
    if (node.interleaved) throw new UnsupportedError('interleaved ISO 9660 files are not supported', { structure: 'ISO 9660 directory record', offset: node.recordOffset });
    for (const e of node.extents) checkExtent({ start: e.start, length: e.length, size: this.device.size, structure: 'ISO 9660 directory record', offset: node.recordOffset });
    return new ExtentDevice(this.device, node.extents);
  }

  private toStat(node: IsoNode): Stat {
    const rr = node.rr;
    const defaultMode = node.type === 'directory' ? 0o040555 : 0o100444;
    const stat: Stat = { name: node.name, type: node.type, size: node.type === 'symlink' ? (rr?.symlink?.length ?? 0) : node.size, mode: rr?.mode ?? defaultMode, inode: node.inode };
    if (rr?.uid !== undefined) stat.uid = rr.uid;
    if (rr?.gid !== undefined) stat.gid = rr.gid;
    if (rr?.nlink !== undefined) stat.nlink = rr.nlink;
    const mtime = rr?.mtime ?? node.mtime;
    if (mtime) stat.mtime = mtime;
    if (rr?.atime) stat.atime = rr.atime;
    if (rr?.ctime) stat.ctime = rr.ctime;
    if (rr?.birthtime) stat.birthtime = rr.birthtime;
    if (rr?.symlink !== undefined) stat.target = rr.symlink;
    stat.extra = { hidden: node.hidden, extents: node.extents.length, recordOffset: node.recordOffset, names: this.names };
    return stat;
  }

  private match(children: IsoNode[], name: string): IsoNode | undefined {
    const exact = children.find((c) => c.name === name);
    if (exact || this.names === 'rockridge') return exact;
    const lower = name.toLowerCase();
    return children.find((c) => c.name.toLowerCase() === lower);
  }

  private async lookup(path: string, followLast: boolean): Promise<IsoNode> {
    const queue = path.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
    const stack: IsoNode[] = [this.root];
    let hops = 0;
    while (queue.length > 0) {
      const part = queue.shift() as string;
      if (part === '.') continue;
      if (part === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const dir = stack[stack.length - 1] as IsoNode;
      if (dir.type !== 'directory') throw notFound(path, 'ENOTDIR');
      const child = this.match(await this.children(dir), part);
      if (!child) throw notFound(path);
      if (child.type === 'symlink' && (queue.length > 0 || followLast)) {
        if (++hops > MAX_SYMLINK_HOPS) throw new CorruptError(`more than ${MAX_SYMLINK_HOPS} symbolic links while resolving ${path}`, { structure: 'Rock Ridge SL entry', offset: child.recordOffset, path });
        const target = child.rr?.symlink ?? '';
        if (target.startsWith('/')) stack.splice(1);
        queue.unshift(...target.split('/').filter((p) => p !== ''));
        continue;
      }
      stack.push(child);
    }
    return stack[stack.length - 1] as IsoNode;
  }

  private async children(dir: IsoNode): Promise<IsoNode[]> {
    const where = dir.dir as { start: number; length: number };
    const cached = this.cache.get(where.start);
    if (cached) return cached;
    checkExtent({ start: where.start, length: where.length, size: this.device.size, structure: 'ISO 9660 directory record', offset: dir.recordOffset });
    if (where.length > MAX_DIRECTORY_BYTES) throw new CorruptError(`directory of ${where.length} bytes is larger than ${MAX_DIRECTORY_BYTES}`, { structure: 'ISO 9660 directory record', offset: dir.recordOffset });
    const bs = this.descriptors.blockSize;
    const data = await this.device.read(where.start, where.length);
    const records = decodeDirectoryRecords({ data, origin: where.start, blockSize: bs });
    const out: IsoNode[] = [];
    let previous: { node: IsoNode; identifier: Uint8Array; more: boolean } | undefined;
    for (const record of records) {
      const id = record.identifier;
      if (id.length === 1 && (id[0] === 0 || id[0] === 1)) continue;
      const h = record.header;
      if (h.file_flags & FLAG_ASSOCIATED) continue;
      const start = (h.location_of_extent_le + h.extended_attribute_record_length) * bs;
      const extent: Extent = { start, length: h.data_length_le };
      if (previous?.more && sameBytes(previous.identifier, id)) {
        // Another extent of the same multi-extent file.
        previous.node.extents.push(extent);
        previous.node.size += extent.length;
        previous.more = (h.file_flags & FLAG_MULTI_EXTENT) !== 0;
        continue;
      }
      if (previous?.more) this.diagnostics.report({ severity: 'warning', code: 'iso-multi-extent-broken', message: 'a multi-extent file ends without its final extent', structure: 'ISO 9660 directory record', offset: record.offset });
      const node = await this.nodeOf(record, extent);
      previous = { node, identifier: id, more: (h.file_flags & FLAG_MULTI_EXTENT) !== 0 };
      if (node.rr?.relocated) continue;
      out.push(node);
    }
    this.cache.set(where.start, out);
    return out;
  }

  private async nodeOf(record: DirectoryRecord, extent: Extent): Promise<IsoNode> {
    const h = record.header;
    const bs = this.descriptors.blockSize;
    let rr: RockRidge | undefined;
    if (this.names === 'rockridge') {
      const entries = await readSystemUse({ area: record.systemUse, origin: record.systemUseOffset, skip: this.suspSkip, blockSize: bs, imageSize: this.device.size, read: (o, l) => this.device.read(o, l), diagnostics: this.diagnostics });
      rr = decodeRockRidge(entries, this.diagnostics);
    }
    const name = rr?.name ?? (this.names === 'joliet' ? jolietName(record.identifier) : plainName(record.identifier));
    let type: FileType = h.file_flags & FLAG_DIRECTORY ? 'directory' : 'file';
    let dir = type === 'directory' ? { start: h.location_of_extent_le * bs, length: h.data_length_le } : undefined;
    if (rr?.childLink !== undefined) {
      // A relocated directory: its records live at the CL block; its "." record has the length.
      const start = rr.childLink * bs;
      checkExtent({ start, length: bs, size: this.device.size, structure: 'Rock Ridge CL entry', offset: record.systemUseOffset });
      const [dot] = decodeDirectoryRecords({ data: await this.device.read(start, bs), origin: start, blockSize: bs });
      type = 'directory';
      dir = { start, length: dot?.header.data_length_le ?? bs };
    }
    if (rr?.mode !== undefined && rr.childLink === undefined) {
      const fmt = rr.mode & 0o170000;
      if (fmt === 0o120000) type = 'symlink';
      else if (fmt === 0o040000) type = 'directory';
      else if (fmt !== 0o100000 && fmt !== 0) type = 'other';
    } else if (rr?.symlink !== undefined) type = 'symlink';
    if (type === 'directory' && !dir) dir = { start: h.location_of_extent_le * bs, length: h.data_length_le };
    const mtime = recordingTime(h);
    return {
      name,
      type,
      size: type === 'directory' ? h.data_length_le : type === 'symlink' ? 0 : extent.length,
      extents: type === 'file' ? [extent] : [],
      ...(dir ? { dir } : {}),
      ...(mtime ? { mtime } : {}),
      ...(rr ? { rr } : {}),
      hidden: (h.file_flags & FLAG_HIDDEN) !== 0,
      inode: dir ? dir.start / bs : (rr?.ino ?? record.offset),
      recordOffset: record.offset,
      interleaved: h.file_unit_size !== 0 || h.interleave_gap_size !== 0,
    };
  }
}

function rootNode(bytes: Uint8Array, offset: number, bs: number): IsoNode {
  const h = DIRECTORY_RECORD.decode(bytes, { origin: offset });
  if (h.length_of_directory_record < 34 || !(h.file_flags & FLAG_DIRECTORY)) {
    throw new CorruptError('the root directory record is not a directory record', { structure: 'ISO 9660 root directory record', offset });
  }
  const start = h.location_of_extent_le * bs;
  return { name: '', type: 'directory', size: h.data_length_le, extents: [], dir: { start, length: h.data_length_le }, hidden: false, inode: h.location_of_extent_le, recordOffset: offset, interleaved: false };
}

function checkExtent(args: { start: number; length: number; size: number; structure: string; offset: number }): void {
  if (args.start + args.length > args.size) {
    throw new CorruptError(`extent at byte ${args.start} of ${args.length} bytes lies outside the image (${args.size} bytes)`, { structure: args.structure, offset: args.offset });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function stripVersion(name: string): string {
  const semi = name.lastIndexOf(';');
  const base = semi >= 0 && /^\d*$/.test(name.slice(semi + 1)) ? name.slice(0, semi) : name;
  return base.endsWith('.') ? base.slice(0, -1) : base;
}

export function plainName(identifier: Uint8Array): string {
  return stripVersion(String.fromCharCode(...identifier));
}

export function jolietName(identifier: Uint8Array): string {
  return stripVersion(ucs2beText(identifier));
}

export async function openIso9660(device: BlockDevice, options: OpenIso9660Options = {}): Promise<Iso9660FileSystem> {
  return Iso9660FileSystem.open(device, options);
}
