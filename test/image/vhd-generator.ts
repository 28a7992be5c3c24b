// A small VHD generator for tests, written from the VHD specification (not from our writer):
// builds dynamic or differencing disks block by block with explicit sector bitmaps and parent
// locators, so tests can cover what qemu-img cannot create (differencing disks, odd bitmaps).

import { onesComplementByteSum } from '../../src/binary/index.js';

const SECTOR = 512;

export interface GeneratedBlock {
  /** Guest block index. */
  index: number;
  /** block_size bytes of data. */
  data: Uint8Array;
  /** Sector numbers (within the block) whose bitmap bit is set; default all. */
  present?: number[];
}

export interface GenerateVhdOptions {
  size: number;
  blockSize?: number;
  blocks: GeneratedBlock[];
  uniqueId?: Uint8Array;
  creator?: string;
  parent?: { uniqueId: Uint8Array; name: string; locators: Array<{ code: string; text: string }> };
}

function putAscii(b: Uint8Array, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) b[at + i] = text.charCodeAt(i);
}

function checksumInto(b: Uint8Array, at: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(at, onesComplementByteSum(b), false);
}

export function generateVhd(options: GenerateVhdOptions): Uint8Array {
  const blockSize = options.blockSize ?? 2 * 1024 * 1024;
  const entries = Math.ceil(options.size / blockSize);
  const bitmapSize = Math.ceil(blockSize / SECTOR / 8 / SECTOR) * SECTOR;
  const batSize = Math.ceil((entries * 4) / SECTOR) * SECTOR;
  const locatorData = (options.parent?.locators ?? []).map((l) => {
    const bytes = l.code === 'MacX' ? new TextEncoder().encode(l.text) : new Uint8Array(Buffer.from(l.text, 'utf16le'));
    return { code: l.code, bytes, space: Math.ceil(bytes.length / SECTOR) * SECTOR };
  });
  let cursor = 1536 + batSize;
  const locatorOffsets = locatorData.map((l) => {
    const at = cursor;
    cursor += l.space;
    return at;
  });
  const blockOffsets = options.blocks.map(() => {
    const at = cursor;
    cursor += bitmapSize + blockSize;
    return at;
  });
  const file = new Uint8Array(cursor + SECTOR);
  const view = new DataView(file.buffer);

  const footer = new Uint8Array(SECTOR);
  const fv = new DataView(footer.buffer);
  putAscii(footer, 0, 'conectix');
  fv.setUint32(8, 2, false);
  fv.setUint32(12, 0x00010000, false);
  fv.setBigUint64(16, 512n, false);
  putAscii(footer, 28, options.creator ?? 'win ');
  fv.setUint32(32, 0x000a0000, false);
  putAscii(footer, 36, 'Wi2k');
  fv.setBigUint64(40, BigInt(options.size), false);
  fv.setBigUint64(48, BigInt(options.size), false);
  fv.setUint16(56, 1024, false);
  footer[58] = 16;
  footer[59] = 63;
  fv.setUint32(60, options.parent ? 4 : 3, false);
  footer.set(options.uniqueId ?? new Uint8Array(16).fill(0x11), 68);
  checksumInto(footer, 64);
  file.set(footer, 0);
  file.set(footer, cursor);

  const header = new Uint8Array(1024);
  const hv = new DataView(header.buffer);
  putAscii(header, 0, 'cxsparse');
  hv.setBigUint64(8, 0xffffffffffffffffn, false);
  hv.setBigUint64(16, 1536n, false);
  hv.setUint32(24, 0x00010000, false);
  hv.setUint32(28, entries, false);
  hv.setUint32(32, blockSize, false);
  if (options.parent) {
    header.set(options.parent.uniqueId, 40);
    for (let i = 0; i < options.parent.name.length; i++) hv.setUint16(64 + i * 2, options.parent.name.charCodeAt(i), false);
    locatorData.forEach((l, i) => {
      const at = 576 + i * 24;
      putAscii(header, at, l.code);
      hv.setUint32(at + 4, l.space / SECTOR, false);
      hv.setUint32(at + 8, l.bytes.length, false);
      hv.setBigUint64(at + 16, BigInt(locatorOffsets[i]!), false);
      file.set(l.bytes, locatorOffsets[i]!);
    });
  }
  checksumInto(header, 36);
  file.set(header, 512);

  for (let i = 0; i < entries; i++) view.setUint32(1536 + i * 4, 0xffffffff, false);
  options.blocks.forEach((block, i) => {
    const at = blockOffsets[i]!;
    view.setUint32(1536 + block.index * 4, at / SECTOR, false);
    const bitmap = new Uint8Array(bitmapSize);
    const present = block.present ?? Array.from({ length: blockSize / SECTOR }, (_, s) => s);
    for (const s of present) bitmap[s >> 3]! |= 0x80 >> (s & 7);
    file.set(bitmap, at);
    file.set(block.data.subarray(0, blockSize), at + bitmapSize);
  });
  return file;
}
