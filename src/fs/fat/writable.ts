// FatWritableFileSystem: the WritableFileSystem contract over FAT12/16/32 (fatgen103),
// writing only through the WritableBlockDevice it was given (normally rehost's overlay).
// File data and directory slots are written through at once; FAT entries are kept by the
// FatTable and written to every FAT copy (only the active one when FAT32 mirroring is off) on
// flush(), together with FSInfo's FSI_Free_Count and FSI_Nxt_Free on FAT32, so fsck.fat finds
// the free count it computes. Allocation is contiguous when a free run is long enough, from
// FSI_Nxt_Free on FAT32 and first-fit from cluster 2 otherwise. New names get an LFN run and
// a generated 8.3 alias unless they already are an 8.3 name (upper case, or each part in one
// case, shown through the NTRes bits as Windows NT does). Directories grow by zeroed clusters;
// the fixed FAT12/16 root cannot grow. A volume whose FAT[1] clean-shutdown bit (FAT16 bit 15,
// FAT32 bit 27) is clear, or whose BS_Reserved1 dirty bit is set, is refused.
// Not provided: symlinks (FAT has none: UnsupportedError), hard links, file attributes other
// than ARCHIVE/DIRECTORY on new entries, the backup FSInfo sector (Windows leaves it too).

import type { WritableBlockDevice } from '../../io/block-device.js';
import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import { UnsafeStateError, UnsupportedError } from '../../errors.js';
import { notFound, splitPath } from '../path.js';
import type { WritableFileSystem, WriteFileOptions } from '../types.js';
import { clusterOffset, decodeFsInfo, FSINFO } from './boot-sector.js';
import { ATTR_ARCHIVE, ATTR_DIRECTORY, checkLongName, DELETED, encodeLongName, encodeShortEntry, ENTRY_SIZE, generateShortName, packShortName, plainShortName, type FatDirent } from './directory.js';
import { FatFileSystem, findEntry, MAX_DIRECTORY_BYTES, type FatDirectory, type OpenFatOptions } from './filesystem.js';

const WRITE_CHUNK = 1 << 20;

export class FatWritableFileSystem extends FatFileSystem implements WritableFileSystem {
  private readonly target: WritableBlockDevice;
  /** 1 per used data cluster, indexed by cluster number (built from one FAT scan at open). */
  private used = new Uint8Array(0);
  private freeCount = 0;
  /** Where the next allocation starts looking (FSI_Nxt_Free semantics on FAT32). */
  private nextFree = 2;
  private fsInfoValid = false;

  private constructor(args: { device: WritableBlockDevice; geometry: FatFileSystem['geometry']; diagnostics: Diagnostics }) {
    super({ device: args.device, geometry: args.geometry, diagnostics: args.diagnostics, label: '' });
    this.target = args.device;
  }

  static async openWritable(device: WritableBlockDevice, options: OpenFatOptions = {}): Promise<FatWritableFileSystem> {
    const { geometry } = await FatFileSystem.prepare(device);
    const fs = new FatWritableFileSystem({ device, geometry, diagnostics: options.diagnostics ?? ignoreDiagnostics });
    await fs.assertClean();
    await fs.loadAllocation();
    return fs.withLabel();
  }

  /** Refuses a volume that was not cleanly unmounted (fatgen103 section 4, FAT[1] bits). */
  private async assertClean(): Promise<void> {
    const g = this.geometry;
    if (g.reserved1 & 1) {
      throw new UnsafeStateError('the FAT volume is dirty: BS_Reserved1 bit 0 is set (not cleanly unmounted); run chkdsk or fsck.fat first', { structure: 'FAT boot sector', offset: g.reserved1Offset });
    }
    if (g.type === 12) return;
    const value = await this.fat.entry1();
    const clean = g.type === 16 ? 0x8000 : 0x08000000;
    if ((value & clean) === 0) {
      throw new UnsafeStateError(`the FAT volume is dirty: the clean-shutdown bit of FAT[1] (bit ${g.type === 16 ? 15 : 27}) is clear; run chkdsk or fsck.fat first`, { structure: 'FAT entry 1', offset: this.fat.entryOffset(1) });
    }
  }

  private async loadAllocation(): Promise<void> {
    const g = this.geometry;
    this.used = new Uint8Array(g.clusterCount + 2);
    this.used[0] = 1;
    this.used[1] = 1;
    let free = 0;
    await this.fat.scan((cluster, value) => {
      if (value === 0) free++;
      else this.used[cluster] = 1;
    });
    this.freeCount = free;
    if (g.type === 32 && g.fsInfoSector !== 0) {
      const info = decodeFsInfo(await this.target.read(g.fsInfoSector * g.bytesPerSector, FSINFO.size));
      this.fsInfoValid = info !== undefined;
      if (info && this.fat.inRange(info.FSI_Nxt_Free)) this.nextFree = info.FSI_Nxt_Free;
      if (!info) this.diagnostics.report({ severity: 'warning', code: 'fat-fsinfo-invalid', message: 'the FSInfo sector has bad signatures; it is not updated', structure: 'FAT32 FSInfo sector', offset: g.fsInfoSector * g.bytesPerSector });
    }
  }

  /** Free clusters as the writer counts them (what FSI_Free_Count gets on flush). */
  get freeClusters(): number {
    return this.freeCount;
  }

  async writeFile(path: string, data: Uint8Array, options: WriteFileOptions = {}): Promise<void> {
    if (data.length > 0xffffffff) throw new UnsupportedError(`${path}: FAT files are at most 4 GiB - 1 bytes`, { path });
    const { parent, name, existing } = await this.resolveNew(path);
    const mtime = options.mtime ?? new Date();
    if (existing && existing.isDirectory) throw notFound(path, 'EISDIR');
    if (existing) await this.freeChain(existing.firstCluster, path);
    const clusters = await this.allocate(Math.ceil(data.length / this.geometry.clusterSize));
    await this.writeData(clusters, data);
    const first = clusters[0] ?? 0;
    if (existing) {
      const bytes = encodeShortEntry({ raw: existing.rawName, attributes: existing.attributes | ATTR_ARCHIVE, ntRes: existing.ntRes, firstCluster: first, size: data.length, mtime, ...(existing.ctime ? { ctime: existing.ctime } : {}) });
      if (bytes[0] === 0xe5) bytes[0] = 0x05;
      await this.target.write(this.slotOffset(parent, existing.slot), bytes);
      this.forget(parent.first);
      return;
    }
    try {
      await this.addEntry({ dir: parent, name, attributes: ATTR_ARCHIVE, firstCluster: first, size: data.length, mtime });
    } catch (error) {
      await this.release(clusters);
      throw error;
    }
  }

  async mkdir(path: string, options: WriteFileOptions = {}): Promise<void> {
    const { parent, name, existing } = await this.resolveNew(path);
    if (existing) throw new UnsupportedError(`${path} already exists`, { path });
    const mtime = options.mtime ?? new Date();
    const [cluster] = await this.allocate(1);
    const self = cluster as number;
    const block = new Uint8Array(this.geometry.clusterSize);
    // '..' of a directory in the root holds 0, on FAT32 too (fatgen103 section 6.7).
    const parentCluster = parent.isRoot ? 0 : parent.first;
    block.set(encodeShortEntry({ raw: packShortName('.', ''), attributes: ATTR_DIRECTORY, ntRes: 0, firstCluster: self, size: 0, mtime }), 0);
    block.set(encodeShortEntry({ raw: packShortName('..', ''), attributes: ATTR_DIRECTORY, ntRes: 0, firstCluster: parentCluster, size: 0, mtime }), ENTRY_SIZE);
    await this.target.write(clusterOffset(this.geometry, self), block);
    try {
      await this.addEntry({ dir: parent, name, attributes: ATTR_DIRECTORY, firstCluster: self, size: 0, mtime });
    } catch (error) {
      await this.release([self]);
      throw error;
    }
  }

  async symlink(_target: string, path: string): Promise<void> {
    throw new UnsupportedError(`FAT has no symbolic links (${path})`, { path });
  }

  async unlink(path: string): Promise<void> {
    const node = await this.lookup(path);
    if (node.kind === 'root' || node.entry.isDirectory) throw notFound(path, 'EISDIR');
    await this.removeEntry(node.parent, node.entry);
    if (node.entry.firstCluster !== 0) await this.freeChain(node.entry.firstCluster, path);
  }

  async rmdir(path: string): Promise<void> {
    const node = await this.lookup(path);
    if (node.kind === 'root') throw new UnsupportedError('the root directory cannot be removed', { path });
    if (!node.entry.isDirectory) throw notFound(path, 'ENOTDIR');
    const dir = await this.directory(this.subdirectoryCluster(node));
    if (dir.decoded.entries.length > 0) throw new UnsupportedError(`directory ${path} is not empty`, { path });
    await this.removeEntry(node.parent, node.entry);
    await this.freeChain(node.entry.firstCluster, path);
    this.forget(dir.first);
  }

  async flush(): Promise<void> {
    await this.fat.flush(this.target);
    const g = this.geometry;
    if (g.type === 32 && this.fsInfoValid) {
      const at = g.fsInfoSector * g.bytesPerSector;
      const counts = new Uint8Array(8);
      const view = new DataView(counts.buffer);
      view.setUint32(0, this.freeCount, true);
      view.setUint32(4, this.nextFree, true);
      await this.target.write(at + FSINFO.offsetOf('FSI_Free_Count'), counts);
    }
    await this.target.flush();
  }

  // ---- names and entries ----

  private async resolveNew(path: string): Promise<{ parent: FatDirectory; name: string; existing?: FatDirent }> {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new UnsupportedError('the root directory cannot be replaced', { path });
    const parent = await this.directoryAt('/' + parts.join('/'));
    const existing = findEntry(parent.decoded.entries, name);
    if (!existing) checkLongName(name);
    return { parent, name, ...(existing ? { existing } : {}) };
  }

  /** Writes an LFN run (when needed) and the short entry into free slots of `dir`. */
  private async addEntry(args: { dir: FatDirectory; name: string; attributes: number; firstCluster: number; size: number; mtime: Date }): Promise<void> {
    let { dir } = args;
    const plain = plainShortName(args.name);
    const taken = new Set<string>();
    for (const e of dir.decoded.entries) taken.add(String.fromCharCode(...e.rawName));
    let raw: Uint8Array;
    let ntRes = 0;
    let slots: Uint8Array[];
    if (plain && !taken.has(String.fromCharCode(...plain.raw))) {
      raw = plain.raw;
      ntRes = plain.ntRes;
      slots = [];
    } else {
      raw = generateShortName(args.name, taken);
      slots = encodeLongName(args.name, raw);
    }
    const short = encodeShortEntry({ raw, attributes: args.attributes, ntRes, firstCluster: args.firstCluster, size: args.size, mtime: args.mtime });
    slots.push(short);
    let start = freeRun(dir, slots.length);
    if (start === undefined) {
      dir = await this.grow(dir, slots.length);
      start = freeRun(dir, slots.length) as number;
    }
    for (let i = 0; i < slots.length; i++) await this.target.write(this.slotOffset(dir, start + i), slots[i] as Uint8Array);
    // Slots past the end marker are free only while the marker stays: keep one after our run.
    const after = start + slots.length;
    const capacity = dir.data.length / ENTRY_SIZE;
    if (after < capacity && after >= dir.decoded.endSlot && dir.data[after * ENTRY_SIZE] !== 0) {
      await this.target.write(this.slotOffset(dir, after), new Uint8Array(ENTRY_SIZE));
    }
    this.forget(dir.first);
  }

  private async removeEntry(dir: FatDirectory, entry: FatDirent): Promise<void> {
    for (let slot = entry.firstSlot; slot <= entry.slot; slot++) await this.target.write(this.slotOffset(dir, slot), Uint8Array.of(DELETED));
    this.forget(dir.first);
  }

  /** Adds zeroed clusters to a directory so that `slots` free slots fit at its end. */
  private async grow(dir: FatDirectory, slots: number): Promise<FatDirectory> {
    const g = this.geometry;
    if (dir.clusters.length === 0) {
      throw new UnsupportedError(`the FAT${g.type} root directory is full (${g.rootEntryCount} entries); it cannot grow`, { structure: 'FAT root directory', offset: g.rootDirOffset });
    }
    const capacity = dir.data.length / ENTRY_SIZE;
    let tail = 0;
    while (tail < capacity && isFree(dir, capacity - 1 - tail)) tail++;
    const extraBytes = (slots - tail) * ENTRY_SIZE;
    const count = Math.ceil(extraBytes / g.clusterSize);
    if (dir.data.length + count * g.clusterSize > MAX_DIRECTORY_BYTES) {
      throw new UnsupportedError(`the directory would exceed the 65536 entries FAT allows`, { structure: 'FAT directory', offset: this.slotOffset(dir, 0) });
    }
    const added = await this.allocate(count);
    const zero = new Uint8Array(g.clusterSize);
    for (const c of added) await this.target.write(clusterOffset(g, c), zero);
    await this.fat.set(dir.clusters[dir.clusters.length - 1] as number, added[0] as number);
    this.forget(dir.first);
    return this.directory(dir.first);
  }

  // ---- clusters ----

  /** Allocates `count` clusters as one chain (ended, linked); contiguous when possible. */
  private async allocate(count: number): Promise<number[]> {
    if (count === 0) return [];
    const g = this.geometry;
    if (count > this.freeCount) throw new UnsupportedError(`the FAT volume has ${this.freeCount} free clusters, ${count} needed`, { structure: 'FAT' });
    const last = g.clusterCount + 1;
    const startAt = g.type === 32 ? this.nextFree : 2;
    let picked: number[] | undefined;
    // A contiguous run first, searching from the hint and wrapping once.
    for (const [from, to] of [
      [startAt, last],
      [2, Math.min(last, startAt + count - 1)],
    ] as const) {
      let runStart = from;
      let runLength = 0;
      for (let c = from; c <= to; c++) {
        if (this.used[c]) {
          runLength = 0;
          runStart = c + 1;
          continue;
        }
        if (++runLength === count) {
          picked = Array.from({ length: count }, (_, i) => runStart + i);
          break;
        }
      }
      if (picked) break;
    }
    if (!picked) {
      picked = [];
      for (let i = 0, c = startAt; i <= g.clusterCount && picked.length < count; i++, c = c >= last ? 2 : c + 1) if (!this.used[c]) picked.push(c);
    }
    for (let i = 0; i < picked.length; i++) {
      const c = picked[i] as number;
      this.used[c] = 1;
      await this.fat.set(c, i + 1 < picked.length ? (picked[i + 1] as number) : this.fat.endMark);
    }
    this.freeCount -= picked.length;
    const end = picked[picked.length - 1] as number;
    this.nextFree = end >= last ? 2 : end + 1;
    return picked;
  }

  /** Frees clusters just allocated (when the directory entry could not be written). */
  private async release(clusters: readonly number[]): Promise<void> {
    for (const c of clusters) {
      await this.fat.set(c, 0);
      this.used[c] = 0;
      this.freeCount++;
    }
  }

  private async freeChain(first: number, path: string): Promise<void> {
    if (first === 0) return;
    const clusters = await this.fat.chain({ first, what: path });
    await this.release(clusters);
  }

  private async writeData(clusters: readonly number[], data: Uint8Array): Promise<void> {
    const cs = this.geometry.clusterSize;
    for (let i = 0; i < clusters.length; ) {
      let j = i + 1;
      while (j < clusters.length && clusters[j] === (clusters[j - 1] as number) + 1 && (j - i) * cs < WRITE_CHUNK) j++;
      const from = i * cs;
      const to = Math.min(data.length, j * cs);
      const piece = data.subarray(from, to);
      const offset = clusterOffset(this.geometry, clusters[i] as number);
      await this.target.write(offset, piece);
      // The tail of the last cluster is zeroed so no old data lingers after the file's end.
      const slack = (j - i) * cs - piece.length;
      if (slack > 0) await this.target.write(offset + piece.length, new Uint8Array(slack));
      i = j;
    }
  }
}

function isFree(dir: FatDirectory, slot: number): boolean {
  if (slot >= dir.decoded.endSlot) return true;
  const first = dir.data[slot * ENTRY_SIZE];
  return first === DELETED || first === 0;
}

/** The first slot of `count` consecutive free slots inside the directory as it is. */
function freeRun(dir: FatDirectory, count: number): number | undefined {
  const capacity = dir.data.length / ENTRY_SIZE;
  let run = 0;
  for (let slot = 0; slot < capacity; slot++) {
    run = isFree(dir, slot) ? run + 1 : 0;
    if (run === count) return slot - count + 1;
  }
  return undefined;
}

export async function openFatWritable(device: WritableBlockDevice, options: OpenFatOptions = {}): Promise<FatWritableFileSystem> {
  return FatWritableFileSystem.openWritable(device, options);
}
