// Writes a guest disk as a VHDX ([MS-VHDX] 1.0), laid out as qemu lays out its own: file
// identifier at 0, headers at 64 and 128 KiB, region tables at 192 and 256 KiB, a 1 MiB log at
// 1 MiB (empty: LogGuid is zero), the metadata region at 2 MiB, the BAT at 3 MiB, then 32 MiB
// payload blocks in guest order. `dynamic` (the default) leaves all-zero blocks NOT_PRESENT;
// `fixed` allocates every block and sets LeaveBlocksAllocated. Inside an allocated block only
// the non-zero MiBs are written, so the output stays sparse on filesystems with holes.

import { UnsupportedError } from '../../errors.js';
import { encodeGuid, randomGuid } from '../../binary/index.js';
import type { ImageWriter, WriteImageOptions } from '../types.js';
import { scanChunks } from '../scan.js';
import {
  GUIDS, HEADER_OFFSETS, HEADER_SIZE, METADATA_FLAG_IS_REQUIRED, METADATA_FLAG_IS_VIRTUAL_DISK, METADATA_TABLE_SIZE, MIB,
  PAYLOAD_BLOCK_FULLY_PRESENT, REGION_TABLE_OFFSETS, REGION_TABLE_SIZE, SECTORS_PER_BITMAP_BLOCK, VhdxFileIdentifier,
  VhdxHeader, VhdxMetadataTableEntry, VhdxMetadataTableHeader, VhdxRegionTableEntry, VhdxRegionTableHeader,
  FILE_PARAMETERS_LEAVE_BLOCKS_ALLOCATED, vhdxChecksum,
} from './structures.js';

const BLOCK_SIZE = 32 * MIB;
const SECTOR = 512;
const LOG_OFFSET = 1 * MIB;
const LOG_LENGTH = 1 * MIB;
const METADATA_OFFSET = 2 * MIB;
const METADATA_LENGTH = 1 * MIB;
const BAT_OFFSET = 3 * MIB;
const MAX_SIZE = 64 * 1024 * 1024 * MIB;

export const vhdxWriter: ImageWriter = {
  name: 'vhdx',
  subformats: ['dynamic', 'fixed'],
  async write(options: WriteImageOptions): Promise<void> {
    if (options.backing) throw new UnsupportedError('writing differencing VHDX files is not supported', { kind: 'format' });
    const subformat = options.subformat ?? 'dynamic';
    if (subformat !== 'dynamic' && subformat !== 'fixed') throw new UnsupportedError(`unknown VHDX subformat ${subformat} (dynamic, fixed)`, { kind: 'subformat' });
    await writeVhdx(options, subformat === 'fixed');
  },
};

function withChecksum(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(4, vhdxChecksum(bytes, 4), true);
  return bytes;
}

function guidBytes(text: string): Uint8Array {
  return encodeGuid(text);
}

function encodeHeader(sequenceNumber: bigint, fileWriteGuid: string, dataWriteGuid: string): Uint8Array {
  const bytes = new Uint8Array(HEADER_SIZE);
  VhdxHeader.encode({
    signature: new Uint8Array(0),
    checksum: 0,
    sequenceNumber,
    fileWriteGuid: guidBytes(fileWriteGuid),
    dataWriteGuid: guidBytes(dataWriteGuid),
    logGuid: new Uint8Array(16),
    logVersion: 0,
    version: 1,
    logLength: LOG_LENGTH,
    logOffset: LOG_OFFSET,
    reserved: new Uint8Array(4016),
  }, bytes);
  return withChecksum(bytes);
}

function encodeRegionTable(batLength: number): Uint8Array {
  const bytes = new Uint8Array(REGION_TABLE_SIZE);
  VhdxRegionTableHeader.encode({ signature: new Uint8Array(0), checksum: 0, entryCount: 2, reserved: 0 }, bytes);
  VhdxRegionTableEntry.encode({ guid: guidBytes(GUIDS.batRegion), fileOffset: BAT_OFFSET, length: batLength, required: 1 }, bytes, VhdxRegionTableHeader.size);
  VhdxRegionTableEntry.encode({ guid: guidBytes(GUIDS.metadataRegion), fileOffset: METADATA_OFFSET, length: METADATA_LENGTH, required: 1 }, bytes, VhdxRegionTableHeader.size + VhdxRegionTableEntry.size);
  return withChecksum(bytes);
}

function encodeMetadata(args: { size: number; leaveBlocksAllocated: boolean }): Uint8Array {
  const bytes = new Uint8Array(METADATA_TABLE_SIZE + 64 * 1024);
  const required = METADATA_FLAG_IS_REQUIRED;
  const disk = METADATA_FLAG_IS_VIRTUAL_DISK | METADATA_FLAG_IS_REQUIRED;
  const items: Array<{ id: string; flags: number; value: Uint8Array }> = [];
  const u32 = (v: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
  const params = new Uint8Array(8);
  new DataView(params.buffer).setUint32(0, BLOCK_SIZE, true);
  new DataView(params.buffer).setUint32(4, args.leaveBlocksAllocated ? FILE_PARAMETERS_LEAVE_BLOCKS_ALLOCATED : 0, true);
  const size = new Uint8Array(8);
  new DataView(size.buffer).setBigUint64(0, BigInt(args.size), true);
  items.push({ id: GUIDS.fileParameters, flags: required, value: params });
  items.push({ id: GUIDS.virtualDiskSize, flags: disk, value: size });
  items.push({ id: GUIDS.logicalSectorSize, flags: disk, value: u32(SECTOR) });
  items.push({ id: GUIDS.physicalSectorSize, flags: disk, value: u32(4096) });
  items.push({ id: GUIDS.page83Data, flags: disk, value: guidBytes(randomGuid()) });
  VhdxMetadataTableHeader.encode({ signature: new Uint8Array(0), reserved: 0, entryCount: items.length, reserved2: new Uint8Array(20) }, bytes);
  let at = METADATA_TABLE_SIZE;
  items.forEach((item, i) => {
    VhdxMetadataTableEntry.encode({ itemId: guidBytes(item.id), offset: at, length: item.value.length, flags: item.flags, reserved2: 0 }, bytes, VhdxMetadataTableHeader.size + i * VhdxMetadataTableEntry.size);
    bytes.set(item.value, at);
    at += item.value.length;
  });
  return bytes;
}

async function writeVhdx({ source, output, onProgress }: WriteImageOptions, fixed: boolean): Promise<void> {
  const size = Math.ceil(source.size / SECTOR) * SECTOR;
  if (size === 0 || size > MAX_SIZE) throw new UnsupportedError(`a VHDX cannot hold ${size} bytes (1 byte to 64 TiB)`, { kind: 'size' });
  const chunkRatio = (SECTORS_PER_BITMAP_BLOCK * SECTOR) / BLOCK_SIZE;
  const dataBlocks = Math.ceil(size / BLOCK_SIZE);
  const totalEntries = dataBlocks + Math.floor((dataBlocks - 1) / chunkRatio);
  const batLength = Math.ceil((totalEntries * 8) / MIB) * MIB;
  const blockOffsets = new Float64Array(dataBlocks).fill(-1);
  let next = BAT_OFFSET + batLength;
  const allocate = (block: number): number => {
    if ((blockOffsets[block] ?? -1) < 0) {
      blockOffsets[block] = next;
      next += BLOCK_SIZE;
    }
    return blockOffsets[block] as number;
  };
  for await (const chunk of scanChunks(source, { chunkSize: MIB })) {
    onProgress?.(chunk.offset + chunk.length, source.size);
    const block = Math.floor(chunk.offset / BLOCK_SIZE);
    if (fixed && chunk.offset % BLOCK_SIZE === 0) allocate(block);
    if (!chunk.data) continue;
    await output.write(allocate(block) + (chunk.offset - block * BLOCK_SIZE), chunk.data);
  }
  const identifier = new Uint8Array(64 * 1024);
  VhdxFileIdentifier.encode({ signature: new Uint8Array(0), creator: 'rehost' }, identifier);
  await output.write(0, identifier);
  const fileWriteGuid = randomGuid();
  const dataWriteGuid = randomGuid();
  await output.write(HEADER_OFFSETS[0], encodeHeader(1n, fileWriteGuid, dataWriteGuid));
  await output.write(HEADER_OFFSETS[1], encodeHeader(2n, fileWriteGuid, dataWriteGuid));
  const regions = encodeRegionTable(batLength);
  await output.write(REGION_TABLE_OFFSETS[0], regions);
  await output.write(REGION_TABLE_OFFSETS[1], regions);
  await output.write(METADATA_OFFSET, encodeMetadata({ size, leaveBlocksAllocated: fixed }));
  const bat = new Uint8Array(batLength);
  const view = new DataView(bat.buffer);
  for (let block = 0; block < dataBlocks; block++) {
    const offset = blockOffsets[block] ?? -1;
    if (offset < 0) continue;
    const index = block + Math.floor(block / chunkRatio);
    // FileOffsetMB in bits 20-63, the state in bits 0-2.
    view.setBigUint64(index * 8, (BigInt(offset / MIB) << 20n) | BigInt(PAYLOAD_BLOCK_FULLY_PRESENT), true);
  }
  await output.write(BAT_OFFSET, bat);
  if (output.truncate) await output.truncate(next);
  else if (output.size < next) await output.write(next - 1, new Uint8Array(1));
  await output.flush();
}
