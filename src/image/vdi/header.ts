// The VDI (VirtualBox Disk Image) header, version 1.1: a 64-byte text pre-header
// ("<<< Oracle VM VirtualBox Disk Image >>>\n", or qemu's own wording), the signature
// 0xbeda107f and version, then VDIHEADER1 (VirtualBox src/VBox/Storage/VDICore.h; qemu
// block/vdi.c). Only the signature matters for probing: the text differs between writers.
// Image types follow VirtualBox: 1 = normal (dynamic), 2 = fixed (static), 3 = undo,
// 4 = diff; undo and diff images need their parent and are not supported here.

import { struct, ascii, bytes, u32le, u64le } from '../../binary/struct.js';
import { decodeGuid } from '../../binary/guid.js';
import { isPowerOfTwo } from '../../binary/int.js';
import { CorruptError, UnsupportedError } from '../../errors.js';

export const VDI_SIGNATURE = 0xbeda107f;
export const VDI_VERSION_1_1 = 0x00010001;

export const VDI_HEADER = struct('VDI header', {
  fileInfo: ascii(64), //       0x000  pre-header text
  signature: u32le, //          0x040  0xbeda107f
  version: u32le, //            0x044  major << 16 | minor
  cbHeader: u32le, //           0x048  size of the header from here: 0x180 (qemu) or 0x190 (VirtualBox, v1plus)
  imageType: u32le, //          0x04c
  imageFlags: u32le, //         0x050
  comment: ascii(256), //       0x054
  offBlocks: u32le, //          0x154  block map
  offData: u32le, //            0x158  first block
  cylinders: u32le, //          0x15c  legacy geometry
  heads: u32le, //              0x160
  sectors: u32le, //            0x164
  cbSector: u32le, //           0x168
  dummy: u32le, //              0x16c
  cbDisk: u64le, //             0x170  virtual size
  cbBlock: u32le, //            0x178
  cbBlockExtra: u32le, //       0x17c  per-block data stored before each block
  cBlocks: u32le, //            0x180
  cBlocksAllocated: u32le, //   0x184
  uuidCreate: bytes(16), //     0x188
  uuidModify: bytes(16), //     0x198
  uuidLinkage: bytes(16), //    0x1a8  parent's uuidCreate (diff images)
  uuidParentModify: bytes(16), // 0x1b8
});
export type VdiHeader = ReturnType<typeof VDI_HEADER.decode>;

/** cbHeader of VDIHEADER1: from 0x48 through uuidParentModify. */
const HEADER1_SIZE = VDI_HEADER.size - 0x48;
/** Largest block size accepted (VirtualBox uses 1 MiB). */
export const MAX_VDI_BLOCK_SIZE = 256 * 1024 * 1024;
/** Largest block map accepted (16 Mi entries = 16 TiB of 1 MiB blocks). */
export const MAX_VDI_MAP_BYTES = 64 * 1024 * 1024;

export const VDI_IMAGE_TYPES: Readonly<Record<number, string>> = { 1: 'dynamic', 2: 'static', 3: 'undo', 4: 'diff' };

export interface VdiLayout {
  header: VdiHeader;
  /** 'dynamic' | 'static' */
  type: string;
  blockSize: number;
  /** Bytes from one block's start to the next one's in the file (block + extra data). */
  blockStride: number;
  virtualSize: number;
  uuid: string;
  modifyUuid: string;
}

export function hasVdiSignature(bytes: Uint8Array): boolean {
  if (bytes.length < 0x48) return false;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0x40, true) === VDI_SIGNATURE;
}

/** Decodes and checks the header against the file's size. Pure. */
export function decodeVdiHeader(bytes: Uint8Array, fileSize: number): VdiLayout {
  const header = VDI_HEADER.decode(bytes);
  const at = (field: keyof VdiHeader & string): { structure: string; offset: number } => ({ structure: 'VDI header', offset: VDI_HEADER.offsetOf(field) });
  if (header.signature !== VDI_SIGNATURE) throw new CorruptError('bad VDI signature', at('signature'));
  if (header.version !== VDI_VERSION_1_1) {
    throw new UnsupportedError(`VDI version ${header.version >>> 16}.${header.version & 0xffff} (only 1.1 is supported)`, at('version'));
  }
  if (header.cbHeader < HEADER1_SIZE || header.cbHeader > 4096) throw new CorruptError(`header size ${header.cbHeader} is invalid`, at('cbHeader'));
  const type = VDI_IMAGE_TYPES[header.imageType];
  if (type === undefined) throw new CorruptError(`unknown image type ${header.imageType}`, at('imageType'));
  if (type === 'undo' || type === 'diff') {
    throw new UnsupportedError(`VDI ${type} (differencing) images are not supported: they need their parent image`, { ...at('imageType'), kind: type });
  }
  if (!isPowerOfTwo(header.cbBlock) || header.cbBlock < 512 || header.cbBlock > MAX_VDI_BLOCK_SIZE) {
    throw new CorruptError(`block size ${header.cbBlock} is invalid`, at('cbBlock'));
  }
  if (header.cbBlockExtra > MAX_VDI_BLOCK_SIZE) throw new CorruptError(`block extra size ${header.cbBlockExtra} is invalid`, at('cbBlockExtra'));
  if (header.cBlocks * 4 > MAX_VDI_MAP_BYTES) throw new CorruptError(`${header.cBlocks} blocks exceed the block-map bound`, at('cBlocks'));
  if (header.cBlocks * header.cbBlock < header.cbDisk) {
    throw new CorruptError(`${header.cBlocks} blocks of ${header.cbBlock} bytes do not cover the disk size ${header.cbDisk}`, at('cBlocks'));
  }
  if (header.cBlocksAllocated > header.cBlocks) throw new CorruptError(`${header.cBlocksAllocated} allocated of ${header.cBlocks} blocks`, at('cBlocksAllocated'));
  const mapEnd = header.offBlocks + header.cBlocks * 4;
  if (header.offBlocks < 0x48 + HEADER1_SIZE || mapEnd > fileSize) {
    throw new CorruptError(`block map ${header.offBlocks}+${header.cBlocks * 4} lies outside the header or the ${fileSize}-byte file`, at('offBlocks'));
  }
  if (header.offData < mapEnd) throw new CorruptError(`data offset ${header.offData} overlaps the block map ending at ${mapEnd}`, at('offData'));
  return {
    header,
    type,
    blockSize: header.cbBlock,
    blockStride: header.cbBlock + header.cbBlockExtra,
    virtualSize: header.cbDisk,
    uuid: decodeGuid(header.uuidCreate),
    modifyUuid: decodeGuid(header.uuidModify),
  };
}
