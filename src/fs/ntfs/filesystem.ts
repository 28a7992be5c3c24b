// NtfsFileSystem: the FileSystem contract over an NTFS volume, plus what NTFS adds: volume
// facts (version, label, serial, geometry, dirty flag, hibernation), named streams (ADS),
// reparse points reported as symlinks (never followed), and a fast recursive walk over the
// MFT catalog. Paths are '/'-separated and matched case-insensitively through $UpCase;
// Windows forms (C:\Windows\…) are accepted. Spec: see the files this one composes.
// Quirks relied on: readdir hides DOS-only names (namespace 2) like ntfsls; sizes come from
// the unnamed $DATA attribute (the copies in $FILE_NAME go stale); WOF-compressed files keep
// a sparse unnamed $DATA and their real bytes in the WofCompressedData stream, which this
// reader recognises but does not decompress, so reading them is refused, not zero-filled.

import type { BlockDevice } from '../../io/block-device.js';
import type { Diagnostics } from '../../diagnostics.js';
import { ignoreDiagnostics } from '../../diagnostics.js';
import { CorruptError, NotFoundError, UnsupportedError } from '../../errors.js';
import { splitPath, notFound, fromWindowsPath } from '../path.js';
import type { DirEntry, FileSystem, FileType, Stat } from '../types.js';
import { decodeBootSector, type NtfsGeometry } from './boot-sector.js';
import { Mft, mergedSource, readSmallAttribute, type MftFile } from './mft.js';
import { AttributeStream } from './data-stream.js';
import { UpcaseTable } from './upcase.js';
import {
  checkAllocationSize, indexAllocationAttribute, indexEntries, keyFileAttributes, keyName, keyNamespace, lookupEntry,
  openDirectoryIndex, type DirectoryIndex,
} from './directory.js';
import { MftCatalog, classifyRecord, isInterix, type WalkDirectory, type WalkEntry } from './catalog.js';
import type { WalkVisitor } from '../types.js';
import { decodeFileName, type FileName } from './file-name.js';
import { decodeStandardInformation, filetimeToDate, type StandardInformation } from './standard-information.js';
import { decodeVolumeInformation, decodeVolumeName, volumeFlagNames, VOLUME_IS_DIRTY } from './volume-information.js';
import { decodeReparsePoint, decodeInterixSymlink, IO_REPARSE_TAG_MOUNT_POINT, IO_REPARSE_TAG_SYMLINK, IO_REPARSE_TAG_WOF, type ReparsePoint } from './reparse-point.js';
import { decodeObjectId, type ObjectId } from './object-id.js';
import {
  AT_DATA, AT_FILE_NAME, AT_INDEX_ROOT, AT_OBJECT_ID, AT_REPARSE_POINT, AT_SECURITY_DESCRIPTOR, AT_STANDARD_INFORMATION, AT_VOLUME_INFORMATION,
  AT_VOLUME_NAME, ATTR_COMPRESSION_MASK, ATTR_IS_ENCRYPTED, ATTR_IS_SPARSE, FILE_ATTRIBUTE_REPARSE_POINT, FILE_ATTRIBUTE_SYSTEM,
  MFT_RECORD_IS_DIRECTORY, MFT_RECORD_ROOT, MFT_RECORD_UPCASE, MFT_RECORD_VOLUME, NAMESPACE_DOS, NAMESPACE_NAMES,
  fileAttributeNames,
} from './attribute-types.js';
import type { AttributeRecord } from './attribute.js';

/** Largest file readFile returns in one buffer; bigger files go through openStream. */
const MAX_READFILE = 2 ** 31 - 1;
const MAX_CACHED_DIRECTORIES = 256;
/** Entries a subtree walk reads through indexes before a whole-$MFT pass is cheaper. */
const SUBTREE_BUDGET = 4096;

export type VolumeState = 'clean' | 'dirty' | 'hibernated' | 'dirty-hibernated';

export interface NtfsVolumeInfo {
  /** "3.1" */
  version: string;
  label: string;
  /** 64-bit serial as 16 hex digits (as fsntfsinfo prints it). */
  serial: string;
  sectorSize: number;
  clusterSize: number;
  mftRecordSize: number;
  indexRecordSize: number;
  size: number;
  totalClusters: number;
  mftRecords: number;
  flags: number;
  flagNames: string[];
  dirty: boolean;
  /** hiberfil.sys signature ('hibr', 'HIBR', 'wake', 'WAKE'), if the file exists and has one. */
  hibernationSignature: string | undefined;
  hibernated: boolean;
  state: VolumeState;
}

export interface NtfsStreamInfo {
  /** '' for the unnamed (default) stream. */
  name: string;
  size: number;
  allocatedSize: number;
  resident: boolean;
  compressed: boolean;
  sparse: boolean;
  encrypted: boolean;
}

export interface NtfsNameInfo {
  name: string;
  namespace: (typeof NAMESPACE_NAMES)[number] | string;
  parent: number;
}

export interface NtfsStatExtra {
  fileAttributes: number;
  attributeNames: string[];
  reparseTag?: number;
  reparseTarget?: string;
  /** True for junctions and absolute symlinks: the target may be on another volume; never followed. */
  crossVolume?: boolean;
  compressed: boolean;
  sparse: boolean;
  encrypted: boolean;
  /** WOF ("CompactOS") compression: the algorithm and whether this reader can decompress it. */
  wof?: { algorithm: string; readable: boolean };
  objectId?: ObjectId;
  /** Key into $Secure ($SII/$SDS) from $STANDARD_INFORMATION (NTFS 3.x). */
  securityId?: number;
  /** A per-file $SECURITY_DESCRIPTOR attribute (NTFS 1.x style, and what ntfs-3g writes), as stored. */
  securityDescriptor?: Uint8Array;
  names: NtfsNameInfo[];
  streams: string[];
  allocatedSize: number;
  hasAttributeList: boolean;
}

export interface NtfsStat extends Stat {
  extra: NtfsStatExtra & Record<string, unknown>;
}

export class NtfsFileSystem implements FileSystem {
  readonly kind = 'ntfs';
  readonly label: string;
  readonly uuid: string;
  private catalogPromise: Promise<MftCatalog> | undefined;
  private readonly directories = new Map<number, Promise<DirectoryIndex>>();

  private constructor(
    readonly device: BlockDevice,
    readonly geometry: NtfsGeometry,
    readonly mft: Mft,
    readonly upcase: UpcaseTable,
    readonly volume: NtfsVolumeInfo,
    private readonly diagnostics: Diagnostics,
  ) {
    this.label = volume.label;
    this.uuid = volume.serial;
  }

  static async open(device: BlockDevice, options: { diagnostics?: Diagnostics } = {}): Promise<NtfsFileSystem> {
    const diagnostics = options.diagnostics ?? ignoreDiagnostics;
    if (device.size < 512) throw new CorruptError('device is smaller than a boot sector', { structure: 'NTFS boot sector', offset: 0 });
    const { geometry } = decodeBootSector(await device.read(0, 512));
    if (geometry.volumeSize > device.size + geometry.clusterSize) {
      diagnostics.report({
        severity: 'warning',
        code: 'NTFS_TRUNCATED',
        message: `the boot sector says ${geometry.volumeSize} bytes but the device has ${device.size}`,
        structure: 'NTFS boot sector',
        offset: 0x28,
      });
    }
    const mft = await Mft.bootstrap(device, geometry, diagnostics);
    let upcase: UpcaseTable;
    try {
      const upcaseFile = await mft.loadFile(MFT_RECORD_UPCASE);
      const data = upcaseFile.attributes.find((a) => a.type === AT_DATA && a.name === '');
      if (!data) throw new CorruptError('$UpCase has no $DATA', { structure: 'NTFS $UpCase' });
      upcase = UpcaseTable.decode(await readSmallAttribute({ device, geometry, attribute: data, description: '$UpCase' }), data.offset);
    } catch (error) {
      if (!(error instanceof CorruptError)) throw error;
      diagnostics.report({ severity: 'warning', code: 'NTFS_UPCASE', message: `$UpCase unreadable, folding ASCII only: ${error.message}`, structure: 'NTFS $UpCase' });
      upcase = UpcaseTable.ascii();
    }
    const volumeFile = await mft.loadFile(MFT_RECORD_VOLUME);
    const infoAttribute = volumeFile.attributes.find((a) => a.type === AT_VOLUME_INFORMATION);
    const nameAttribute = volumeFile.attributes.find((a) => a.type === AT_VOLUME_NAME);
    if (!infoAttribute?.resident) throw new CorruptError('$Volume has no resident $VOLUME_INFORMATION', { structure: 'NTFS $Volume', offset: mft.deviceOffset(3) });
    const info = decodeVolumeInformation(infoAttribute.value!, infoAttribute.offset);
    const volume: NtfsVolumeInfo = {
      version: `${info.major_version}.${info.minor_version}`,
      label: nameAttribute?.resident ? decodeVolumeName(nameAttribute.value!) : '',
      serial: geometry.serial.toString(16).padStart(16, '0'),
      sectorSize: geometry.sectorSize,
      clusterSize: geometry.clusterSize,
      mftRecordSize: geometry.mftRecordSize,
      indexRecordSize: geometry.indexRecordSize,
      size: geometry.volumeSize,
      totalClusters: geometry.totalClusters,
      mftRecords: mft.recordCount,
      flags: info.flags,
      flagNames: volumeFlagNames(info.flags),
      dirty: (info.flags & VOLUME_IS_DIRTY) !== 0,
      hibernationSignature: undefined,
      hibernated: false,
      state: 'clean',
    };
    const fs = new NtfsFileSystem(device, geometry, mft, upcase, volume, diagnostics);
    try {
      await fs.checkHibernation();
    } catch (error) {
      if (!(error instanceof CorruptError)) throw error;
      diagnostics.report({ severity: 'warning', code: 'NTFS_HIBERFIL', message: `could not check hiberfil.sys: ${error.message}`, structure: 'NTFS root directory' });
    }
    volume.state = volume.dirty ? (volume.hibernated ? 'dirty-hibernated' : 'dirty') : volume.hibernated ? 'hibernated' : 'clean';
    return fs;
  }

  private async checkHibernation(): Promise<void> {
    const root = await this.directory(MFT_RECORD_ROOT);
    const entry = lookupEntry(root, 'hiberfil.sys', this.upcase);
    if (!entry) return;
    const file = await this.mft.loadFile(entry.recordNumber);
    const data = file.attributes.find((a) => a.type === AT_DATA && a.name === '');
    if (!data || data.dataSize < 4) return;
    const head = await this.stream(file, data).read(0, 4);
    const signature = String.fromCharCode(...head);
    if (['hibr', 'HIBR', 'wake', 'WAKE'].includes(signature)) {
      this.volume.hibernationSignature = signature;
      this.volume.hibernated = true;
    }
  }

  // ---- internals -------------------------------------------------------------------------

  private stream(file: MftFile, attribute: AttributeRecord): AttributeStream {
    const label = `record ${file.record.recordNumber} ${attribute.name === '' ? '$DATA' : `$DATA:${attribute.name}`}`;
    return new AttributeStream({ device: this.device, clusterSize: this.geometry.clusterSize, source: mergedSource(attribute, label) });
  }

  private directory(record: number): Promise<DirectoryIndex> {
    const hit = this.directories.get(record);
    if (hit) return hit;
    const pending = (async () => {
      const file = await this.mft.loadFile(record);
      const allocationAttribute = indexAllocationAttribute(file);
      let allocation: Uint8Array | undefined;
      if (allocationAttribute && !allocationAttribute.resident) {
        checkAllocationSize(allocationAttribute, this.geometry.clusterSize);
        allocation = await new AttributeStream({ device: this.device, clusterSize: this.geometry.clusterSize, source: mergedSource(allocationAttribute, `record ${record} $INDEX_ALLOCATION`) }).read(0, allocationAttribute.dataSize);
      }
      return openDirectoryIndex({ file, allocation, clusterSize: this.geometry.clusterSize, origin: allocationAttribute?.offset ?? 0 });
    })();
    this.directories.set(record, pending);
    pending.catch(() => this.directories.delete(record));
    if (this.directories.size > MAX_CACHED_DIRECTORIES) this.directories.delete(this.directories.keys().next().value as number);
    return pending;
  }

  private normalize(path: string): string[] {
    return splitPath(/^[A-Za-z]:/.test(path) ? fromWindowsPath(path) : path);
  }

  /** Resolves a path to its MFT record and the name it is listed under. */
  private async resolve(path: string): Promise<{ record: number; name: string; parent: number }> {
    const parts = this.normalize(path);
    let record = MFT_RECORD_ROOT;
    let name = '';
    let parent = MFT_RECORD_ROOT;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const partial = '/' + parts.slice(0, i).join('/');
      const file = await this.fileOrThrow(record, partial);
      if (!file.attributes.some((a) => a.type === AT_INDEX_ROOT && a.name === '$I30')) throw notFound(partial, 'ENOTDIR');
      const index = await this.directory(record);
      const entry = lookupEntry(index, part, this.upcase);
      if (!entry) throw notFound('/' + parts.slice(0, i + 1).join('/'));
      parent = record;
      record = entry.recordNumber;
      name = keyName(entry.key);
    }
    return { record, name, parent };
  }

  private async fileOrThrow(record: number, path: string): Promise<MftFile> {
    try {
      return await this.mft.loadFile(record);
    } catch (error) {
      if (error instanceof NotFoundError) throw notFound(path);
      throw error;
    }
  }

  private static isDirectory(file: MftFile): boolean {
    return (file.record.flags & MFT_RECORD_IS_DIRECTORY) !== 0 && file.attributes.some((a) => a.type === AT_INDEX_ROOT && a.name === '$I30');
  }

  private async reparse(file: MftFile): Promise<ReparsePoint | undefined> {
    const attribute = file.attributes.find((a) => a.type === AT_REPARSE_POINT);
    if (!attribute) return undefined;
    const value = await readSmallAttribute({ device: this.device, geometry: this.geometry, attribute, description: `record ${file.record.recordNumber} $REPARSE_POINT` });
    return decodeReparsePoint(value, attribute.offset);
  }

  private async interixTarget(file: MftFile, si: StandardInformation | undefined, data: AttributeRecord | undefined): Promise<string | undefined> {
    if (!si || (si.file_attributes & FILE_ATTRIBUTE_SYSTEM) === 0 || !data || data.dataSize < 8 || data.dataSize > 4096) return undefined;
    return decodeInterixSymlink(await this.stream(file, data).read(0, data.dataSize));
  }

  // ---- FileSystem ------------------------------------------------------------------------

  async stat(path: string): Promise<NtfsStat> {
    const { record, name } = await this.resolve(path);
    const file = await this.fileOrThrow(record, path);
    return this.statFile(file, name);
  }

  /**
   * The stat of an assembled file listed as `listedName` (public so the writer can answer
   * from its own current records without reopening the reader).
   */
  async statFile(file: MftFile, listedName: string): Promise<NtfsStat> {
    const siAttribute = file.attributes.find((a) => a.type === AT_STANDARD_INFORMATION && a.resident);
    const si = siAttribute ? decodeStandardInformation(siAttribute.value!, siAttribute.offset) : undefined;
    const names: FileName[] = file.attributes.filter((a) => a.type === AT_FILE_NAME && a.resident).map((a) => decodeFileName(a.value!, a.offset));
    const data = file.attributes.find((a) => a.type === AT_DATA && a.name === '');
    const isDirectory = NtfsFileSystem.isDirectory(file);
    const reparse = await this.reparse(file);
    let type: FileType = isDirectory ? 'directory' : (file.record.flags & 0x8) !== 0 ? 'other' : 'file';
    let target: string | undefined;
    if (reparse && (reparse.tag === IO_REPARSE_TAG_SYMLINK || reparse.tag === IO_REPARSE_TAG_MOUNT_POINT)) {
      type = 'symlink';
      target = reparse.target;
    } else if (!isDirectory) {
      const interix = await this.interixTarget(file, si, data);
      if (interix !== undefined) {
        type = 'symlink';
        target = interix;
      }
    }
    const objectIdAttribute = file.attributes.find((a) => a.type === AT_OBJECT_ID && a.resident);
    const fileAttributes = si?.file_attributes ?? 0;
    const wof = reparse?.tag === IO_REPARSE_TAG_WOF ? { algorithm: reparse.wofAlgorithm ?? 'unknown', readable: false } : undefined;
    const links = names.filter((n) => n.namespace !== NAMESPACE_DOS);
    const extra: NtfsStatExtra = {
      fileAttributes,
      attributeNames: fileAttributeNames(fileAttributes),
      compressed: data !== undefined && !data.resident && (data.flags & ATTR_COMPRESSION_MASK) !== 0,
      sparse: data !== undefined && (data.flags & ATTR_IS_SPARSE) !== 0,
      encrypted: data !== undefined && (data.flags & ATTR_IS_ENCRYPTED) !== 0,
      names: names.map((n) => ({ name: n.name, namespace: NAMESPACE_NAMES[n.namespace] ?? String(n.namespace), parent: n.parentRecord })),
      streams: file.attributes.filter((a) => a.type === AT_DATA && a.name !== '').map((a) => a.name),
      allocatedSize: data ? (data.resident ? data.dataSize : data.compressedSize) : 0,
      hasAttributeList: file.attributeList !== undefined,
    };
    if (reparse) {
      extra.reparseTag = reparse.tag;
      if (reparse.target !== undefined) {
        extra.reparseTarget = reparse.target;
        extra.crossVolume = reparse.tag === IO_REPARSE_TAG_MOUNT_POINT || reparse.relative === false;
      }
    }
    if (wof) extra.wof = wof;
    if (objectIdAttribute) extra.objectId = decodeObjectId(objectIdAttribute.value!, objectIdAttribute.offset);
    if (si && siAttribute!.value!.length >= 0x38) extra.securityId = si.security_id;
    const sdAttribute = file.attributes.find((a) => a.type === AT_SECURITY_DESCRIPTOR);
    if (sdAttribute) extra.securityDescriptor = (await readSmallAttribute({ device: this.device, geometry: this.geometry, attribute: sdAttribute, description: `record ${file.record.recordNumber} $SECURITY_DESCRIPTOR` })).slice();
    const size = type === 'symlink' ? (target ?? '').length : isDirectory ? 0 : (data?.dataSize ?? 0);
    const stat: NtfsStat = {
      name: listedName,
      type,
      size,
      mode: type === 'directory' ? 0o40755 : type === 'symlink' ? 0o120777 : 0o100644,
      inode: file.record.recordNumber,
      nlink: Math.max(1, links.length),
      extra: extra as NtfsStatExtra & Record<string, unknown>,
    };
    if (target !== undefined) stat.target = target;
    if (si) {
      const set = (key: 'mtime' | 'atime' | 'ctime' | 'birthtime', value: bigint): void => {
        const date = filetimeToDate(value);
        if (date) stat[key] = date;
      };
      set('mtime', si.last_data_change_time);
      set('atime', si.last_access_time);
      set('ctime', si.last_mft_change_time);
      set('birthtime', si.creation_time);
    }
    return stat;
  }

  async readdir(path: string): Promise<DirEntry[]> {
    const { record } = await this.resolve(path);
    const file = await this.fileOrThrow(record, path);
    if (!NtfsFileSystem.isDirectory(file)) throw notFound(path, 'ENOTDIR');
    const index = await this.directory(record);
    return this.listEntries({ directory: record, entries: indexEntries(index), loadFile: (n) => this.mft.loadFile(n) });
  }

  /**
   * A directory listing from its index entries in collation order (DOS aliases and the root's
   * "." left out), types refined from the records where the keys do not say enough. Public so
   * the writer lists its staged entries exactly as the reader lists the flushed index.
   */
  async listEntries(args: { directory: number; entries: Iterable<{ recordNumber: number; key: Uint8Array }>; loadFile: (n: number) => Promise<MftFile> }): Promise<DirEntry[]> {
    const record = args.directory;
    const out: DirEntry[] = [];
    const keyAttributes: number[] = [];
    for (const entry of args.entries) {
      if (keyNamespace(entry.key) === NAMESPACE_DOS) continue;
      const name = keyName(entry.key);
      if (record === MFT_RECORD_ROOT && entry.recordNumber === MFT_RECORD_ROOT) continue; // the root's "."
      const attributes = keyFileAttributes(entry.key);
      const type: FileType = (attributes & 0x10000000) !== 0 ? 'directory' : 'file';
      out.push({ name, type, inode: entry.recordNumber });
      keyAttributes.push(attributes);
    }
    // Refine types that need the record: reparse points (symlinks, junctions) and Interix
    // symlinks (SYSTEM files), whose index keys do not say enough.
    for (let i = 0; i < out.length; i++) {
      const entry = out[i]!;
      if (entry.type === 'directory' || (keyAttributes[i]! & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_SYSTEM)) !== 0) {
        const file2 = await args.loadFile(entry.inode!);
        const refine = entry.type !== 'directory' || file2.attributes.some((a) => a.type === AT_REPARSE_POINT);
        if (refine) entry.type = (await this.statFile(file2, entry.name)).type;
      }
    }
    return out;
  }

  /** readdir with full stats (one record read per entry). */
  async readdirStats(path: string): Promise<NtfsStat[]> {
    const entries = await this.readdir(path);
    const out: NtfsStat[] = [];
    for (const entry of entries) out.push(await this.statFile(await this.mft.loadFile(entry.inode!), entry.name));
    return out;
  }

  async readFile(path: string): Promise<Uint8Array> {
    return this.readStream(path, '');
  }

  /** Reads a named stream (ADS) of a file; '' is the unnamed default stream. */
  async readStream(path: string, streamName: string): Promise<Uint8Array> {
    return this.readWhole(await this.openStream(path, streamName), path);
  }

  /** A whole stream in one buffer, refused past MAX_READFILE (public for the writer). */
  async readWhole(device: BlockDevice, path: string): Promise<Uint8Array> {
    if (device.size > MAX_READFILE) {
      throw new UnsupportedError(`${path} is ${device.size} bytes; read it through openStream`, { path });
    }
    return device.read(0, device.size);
  }

  /** A stream as a BlockDevice, for reading large files in pieces. */
  /** The unnamed data stream as a device (FileSystem.open). */
  async open(path: string): Promise<BlockDevice> {
    return this.openStream(path);
  }

  async openStream(path: string, streamName = ''): Promise<BlockDevice> {
    const { record } = await this.resolve(path);
    return this.fileStream({ file: await this.fileOrThrow(record, path), streamName, path });
  }

  /** A stream of an assembled file as a device (public for the writer's staged reads). */
  async fileStream(args: { file: MftFile; streamName: string; path: string }): Promise<BlockDevice> {
    const { file, streamName, path } = args;
    const data = file.attributes.find((a) => a.type === AT_DATA && this.upcase.compare(a.name, streamName) === 0);
    if (!data) {
      if (streamName === '' && NtfsFileSystem.isDirectory(file)) throw notFound(path, 'EISDIR');
      throw new NotFoundError(`no stream ${JSON.stringify(streamName)}: ${path}`, { path, kind: 'stream' });
    }
    if (streamName === '') {
      const reparse = await this.reparse(file);
      if (reparse?.tag === IO_REPARSE_TAG_WOF) {
        throw new UnsupportedError(`${path} is WOF-compressed (${reparse.wofAlgorithm ?? 'unknown'}); its data lives in WofCompressedData, which rehost does not decompress yet`, { path });
      }
    }
    return this.stream(file, data);
  }

  /** Named streams of a file (the unnamed stream is listed with name ''). */
  async listStreams(path: string): Promise<NtfsStreamInfo[]> {
    const { record } = await this.resolve(path);
    const file = await this.fileOrThrow(record, path);
    return file.attributes
      .filter((a) => a.type === AT_DATA)
      .map((a) => ({
        name: a.name,
        size: a.dataSize,
        allocatedSize: a.resident ? a.dataSize : a.allocatedSize,
        resident: a.resident,
        compressed: !a.resident && (a.flags & ATTR_COMPRESSION_MASK) !== 0,
        sparse: (a.flags & ATTR_IS_SPARSE) !== 0,
        encrypted: (a.flags & ATTR_IS_ENCRYPTED) !== 0,
      }));
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.resolve(path);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  // ---- fast recursive listing ----------------------------------------------------------

  /** The whole-volume catalog (one sequential pass over $MFT), built once. */
  catalog(): Promise<MftCatalog> {
    this.catalogPromise ??= MftCatalog.build(this.mft, this.diagnostics);
    return this.catalogPromise;
  }

  /** Everything under `path` as ntfsls -R lists it: each directory's entries, depth first. */
  async walkTree(path = '/'): Promise<WalkDirectory[]> {
    const { record } = await this.resolve(path);
    const normalized = '/' + this.normalize(path).join('/');
    // A small subtree is cheaper through its indexes than through a pass over all of $MFT;
    // the index walk gives up past a budget and the catalog takes over.
    if (this.catalogPromise === undefined && record !== MFT_RECORD_ROOT) {
      const small = await this.walkTreeByIndex(record, normalized);
      if (small) return small;
    }
    const catalog = await this.catalog();
    if (catalog.typeOf(record) !== 'directory') throw notFound(path, 'ENOTDIR');
    return catalog.walkTree({ directory: record, path: normalized, upcase: this.upcase });
  }

  /** walkTree through directory indexes and records, or undefined past SUBTREE_BUDGET entries. */
  private async walkTreeByIndex(directory: number, path: string): Promise<WalkDirectory[] | undefined> {
    const top = await this.fileOrThrow(directory, path);
    if ((await this.listingEntry(top)).type !== 'directory') throw notFound(path, 'ENOTDIR');
    const out: WalkDirectory[] = [];
    const visited = new Set<number>();
    const stack: { directory: number; path: string }[] = [{ directory, path }];
    let budget = SUBTREE_BUDGET;
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (visited.has(next.directory)) continue;
      visited.add(next.directory);
      const index = await this.directory(next.directory);
      const prefix = next.path === '/' ? '/' : next.path + '/';
      const entries: WalkEntry[] = [];
      for (const entry of indexEntries(index)) {
        if (keyNamespace(entry.key) === NAMESPACE_DOS || entry.recordNumber === next.directory) continue;
        if (--budget < 0) return undefined;
        const name = keyName(entry.key);
        const facts = await this.listingEntry(await this.mft.loadFile(entry.recordNumber));
        entries.push({ path: prefix + name, name, inode: entry.recordNumber, ...facts });
      }
      out.push({ path: next.path, inode: next.directory, entries });
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i]!;
        if (entry.type === 'directory') stack.push({ directory: entry.inode, path: entry.path });
      }
    }
    return out;
  }

  /** Type, size and time of a record as the catalog would list it. */
  private async listingEntry(file: MftFile): Promise<{ type: FileType; size: number; mtimeMs: number }> {
    const si = file.attributes.find((a) => a.type === AT_STANDARD_INFORMATION && a.resident && a.value!.length >= 0x30);
    const data = file.attributes.find((a) => a.type === AT_DATA && a.name === '');
    const reparse = file.attributes.find((a) => a.type === AT_REPARSE_POINT && a.resident && a.value!.length >= 4);
    const siView = si ? new DataView(si.value!.buffer, si.value!.byteOffset, si.value!.byteLength) : undefined;
    const type = classifyRecord({
      directory: (file.record.flags & MFT_RECORD_IS_DIRECTORY) !== 0,
      viewIndex: (file.record.flags & 0x8) !== 0,
      reparseTag: reparse ? new DataView(reparse.value!.buffer, reparse.value!.byteOffset).getUint32(0, true) : 0,
      interixData: data !== undefined && data.resident && data.value!.length >= 8 && isInterix(data.value!, 0),
      fileAttributes: siView ? siView.getUint32(0x20, true) : 0,
    });
    const mtimeMs = siView ? (siView.getUint32(0x0c, true) * 0x100000000 + siView.getUint32(0x08, true)) / 10000 - 11644473600000 : 0;
    return { type, size: type === 'directory' ? 0 : (data?.dataSize ?? 0), mtimeMs };
  }

  /**
   * The fastest recursive listing: walkTree's order through callbacks, without building an
   * object per entry (for `ls -R` of a whole volume).
   */
  async walkEach(path: string, visitor: WalkVisitor): Promise<void> {
    const { record } = await this.resolve(path);
    const normalized = '/' + this.normalize(path).join('/');
    if (this.catalogPromise === undefined && record !== MFT_RECORD_ROOT) {
      const small = await this.walkTreeByIndex(record, normalized);
      if (small) {
        for (const dir of small) {
          visitor.directory(dir.path, dir.inode);
          for (const e of dir.entries) visitor.entry(e.name, e.type, e.size, e.inode, e.mtimeMs);
        }
        return;
      }
    }
    const catalog = await this.catalog();
    if (catalog.typeOf(record) !== 'directory') throw notFound(path, 'ENOTDIR');
    catalog.walkEach({ directory: record, path: normalized, upcase: this.upcase, visitor });
  }

  /** Every entry under `path` (not including it), depth first, parents before children. */
  async walk(path = '/'): Promise<WalkEntry[]> {
    const tree = await this.walkTree(path);
    const byPath = new Map<string, WalkEntry[]>();
    for (const dir of tree) byPath.set(dir.path, dir.entries);
    const out: WalkEntry[] = [];
    const visit = (entries: WalkEntry[]): void => {
      for (const entry of entries) {
        out.push(entry);
        if (entry.type === 'directory') {
          const children = byPath.get(entry.path);
          if (children) {
            byPath.delete(entry.path);
            visit(children);
          }
        }
      }
    };
    visit(tree[0]?.entries ?? []);
    return out;
  }

  async close(): Promise<void> {}
}
