// Writes a guest disk as a VHD. `dynamic` (the default) follows qemu's layout: footer copy at 0,
// dynamic header at 512, BAT at 1536, then 2 MiB blocks (each behind a 512-byte sector bitmap
// with every bit set, as qemu writes it) in guest order, and the footer at the end; all-zero
// blocks stay unallocated. `fixed` is the raw data followed by a footer, with the size rounded
// up to a whole MiB because Azure accepts only fixed VHDs of a whole number of MiB.
//
// The footer names the creator "qem2": qemu sizes any image from its CHS geometry unless the
// creator is one it knows to mean "current_size is exact" (Hyper-V's "win ", qemu's own
// force_size "qem2", …), and CHS cannot express most sizes. "qem2" states what we mean, and
// Hyper-V, Azure and libvhdi use current_size whatever the creator.

import { UnsupportedError } from '../../errors.js';
import { encodeUuidBE, randomGuid } from '../../binary/index.js';
import type { ImageWriter, WriteImageOptions } from '../types.js';
import { scanChunks } from '../scan.js';
import { DISK_TYPE_DYNAMIC, DISK_TYPE_FIXED, FOOTER_SIZE, VHD_EPOCH_SECONDS, encodeFooter, geometryFor } from './footer.js';
import { BAT_UNUSED, encodeDynamicHeader } from './dynamic-header.js';

const SECTOR = 512;
const MIB = 1024 * 1024;
const BLOCK_SIZE = 2 * MIB;
const HEADER_OFFSET = 512;
const BAT_OFFSET = 1536;
/** qemu's VHD_MAX_SECTORS: 2040 GiB, the most a VHD is allowed to address. */
const MAX_SIZE = 0xff000000 * SECTOR;

export const vhdWriter: ImageWriter = {
  name: 'vpc',
  subformats: ['dynamic', 'fixed'],
  async write(options: WriteImageOptions): Promise<void> {
    if (options.backing) throw new UnsupportedError('writing differencing VHDs is not supported', { kind: 'format' });
    const subformat = options.subformat ?? 'dynamic';
    if (subformat === 'dynamic') return writeDynamic(options);
    if (subformat === 'fixed') return writeFixed(options);
    throw new UnsupportedError(`unknown VHD subformat ${subformat} (dynamic, fixed)`, { kind: 'subformat' });
  },
};

function footerFor(size: number, diskType: number, dataOffset: bigint): Uint8Array {
  const geometry = geometryFor(Math.floor(size / SECTOR));
  return encodeFooter({
    features: 2,
    fileFormatVersion: 0x00010000,
    dataOffset,
    timeStamp: Math.max(0, Math.floor(Date.now() / 1000) - VHD_EPOCH_SECONDS) >>> 0,
    creatorApplication: new Uint8Array([0x71, 0x65, 0x6d, 0x32]), // "qem2"
    creatorVersion: 0x00010000,
    creatorHostOs: 'Wi2k',
    originalSize: size,
    currentSize: size,
    diskGeometryCylinders: geometry.cylinders,
    diskGeometryHeads: geometry.heads,
    diskGeometrySectorsPerTrack: geometry.sectorsPerTrack,
    diskType,
    uniqueId: encodeUuidBE(randomGuid()),
    savedState: 0,
  });
}

function checkSize(size: number): void {
  if (size > MAX_SIZE) throw new UnsupportedError(`a VHD cannot hold ${size} bytes (at most ${MAX_SIZE})`, { kind: 'size' });
}

async function finish(output: WriteImageOptions['output'], size: number): Promise<void> {
  if (output.truncate) await output.truncate(size);
  await output.flush();
}

async function writeFixed({ source, output, onProgress }: WriteImageOptions): Promise<void> {
  const size = Math.ceil(source.size / MIB) * MIB;
  checkSize(size);
  for await (const chunk of scanChunks(source, { chunkSize: MIB })) {
    if (chunk.data) await output.write(chunk.offset, chunk.data);
    onProgress?.(chunk.offset + chunk.length, source.size);
  }
  await output.write(size, footerFor(size, DISK_TYPE_FIXED, 0xffffffffffffffffn));
  await finish(output, size + FOOTER_SIZE);
}

async function writeDynamic({ source, output, onProgress }: WriteImageOptions): Promise<void> {
  const size = Math.ceil(source.size / SECTOR) * SECTOR;
  checkSize(size);
  const entries = Math.ceil(size / BLOCK_SIZE);
  const bat = new Uint32Array(entries).fill(BAT_UNUSED);
  const batBytes = Math.ceil((entries * 4) / SECTOR) * SECTOR;
  const bitmap = new Uint8Array(BLOCK_SIZE / SECTOR / 8).fill(0xff);
  let next = BAT_OFFSET + batBytes;
  for await (const chunk of scanChunks(source, { chunkSize: BLOCK_SIZE })) {
    onProgress?.(chunk.offset + chunk.length, source.size);
    if (!chunk.data) continue;
    const block = chunk.offset / BLOCK_SIZE;
    bat[block] = next / SECTOR;
    await output.write(next, bitmap);
    await output.write(next + bitmap.length, chunk.data);
    next += bitmap.length + BLOCK_SIZE;
  }
  const footer = footerFor(size, DISK_TYPE_DYNAMIC, BigInt(HEADER_OFFSET));
  await output.write(0, footer);
  await output.write(HEADER_OFFSET, encodeDynamicHeader({
    dataOffset: 0xffffffffffffffffn,
    tableOffset: BAT_OFFSET,
    headerVersion: 0x00010000,
    maxTableEntries: entries,
    blockSize: BLOCK_SIZE,
    parentUniqueId: new Uint8Array(16),
    parentTimeStamp: 0,
    reserved1: 0,
    parentUnicodeName: '',
    parentLocatorEntries: new Uint8Array(192),
    reserved2: new Uint8Array(256),
  }));
  const table = new Uint8Array(batBytes).fill(0xff);
  const view = new DataView(table.buffer);
  bat.forEach((entry, i) => view.setUint32(i * 4, entry, false));
  await output.write(BAT_OFFSET, table);
  await output.write(next, footer);
  await finish(output, next + FOOTER_SIZE);
}
