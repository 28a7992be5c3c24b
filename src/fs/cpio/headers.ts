// The four cpio header formats, as GNU cpio (cpio(5), libarchive's cpio(5)) and the kernel
// (init/initramfs.c, usr/gen_init_cpio.c) define them:
// - newc "070701" and crc "070702": 110 bytes, magic + 13 fields of 8 hex digits (ino, mode,
//   uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize,
//   check); header + name padded to 4 bytes, data padded to 4 bytes.
// - odc "070707": 76 bytes, magic + octal fields dev(6) ino(6) mode(6) uid(6) gid(6) nlink(6)
//   rdev(6) mtime(11) namesize(6) filesize(11); no padding.
// - old binary: 26 bytes of 16-bit words in the writer's byte order, magic 0o070707 (0x71c7):
//   dev ino mode uid gid nlink rdev mtime[2] namesize filesize[2]; the 32-bit values are two
//   words, most significant first; header + name padded to 2 bytes, data padded to 2 bytes.
// namesize counts the terminating NUL in every format.

import { CorruptError } from '../../errors.js';
import type { CpioFormat } from './types.js';

export interface RawHeader {
  format: CpioFormat;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  filesize: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
  namesize: number;
  check: number;
}

export const HEADER_SIZE: Record<CpioFormat, number> = { newc: 110, crc: 110, odc: 76, 'bin-le': 26, 'bin-be': 26 };
/** Alignment of header+name and of data. */
export const ALIGNMENT: Record<CpioFormat, number> = { newc: 4, crc: 4, odc: 1, 'bin-le': 2, 'bin-be': 2 };

/** Which format starts at `at`, or undefined. */
export function detectCpioFormat(data: Uint8Array, at: number): CpioFormat | undefined {
  if (at + 6 <= data.length && data[at] === 0x30 && data[at + 1] === 0x37 && data[at + 2] === 0x30 && data[at + 3] === 0x37 && data[at + 4] === 0x30) {
    const last = data[at + 5];
    if (last === 0x31) return 'newc';
    if (last === 0x32) return 'crc';
    if (last === 0x37) return 'odc';
  }
  if (at + 2 <= data.length) {
    if (data[at] === 0xc7 && data[at + 1] === 0x71) return 'bin-le';
    if (data[at] === 0x71 && data[at + 1] === 0xc7) return 'bin-be';
  }
  return undefined;
}

function parseDigits(args: { data: Uint8Array; at: number; width: number; radix: 8 | 16; field: string; offset: number }): number {
  let value = 0;
  for (let i = 0; i < args.width; i++) {
    const c = args.data[args.at + i] as number;
    let digit: number;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (args.radix === 16 && c >= 0x61 && c <= 0x66) digit = c - 0x61 + 10;
    else if (args.radix === 16 && c >= 0x41 && c <= 0x46) digit = c - 0x41 + 10;
    else digit = 99;
    if (digit >= args.radix) {
      throw new CorruptError(`cpio header field ${args.field} is not ${args.radix === 16 ? 'hexadecimal' : 'octal'}`, {
        structure: 'cpio header',
        offset: args.offset + i,
      });
    }
    value = value * args.radix + digit;
  }
  return value;
}

const NEWC_FIELDS = ['ino', 'mode', 'uid', 'gid', 'nlink', 'mtime', 'filesize', 'devMajor', 'devMinor', 'rdevMajor', 'rdevMinor', 'namesize', 'check'] as const;
const ODC_FIELDS = [
  ['dev', 6],
  ['ino', 6],
  ['mode', 6],
  ['uid', 6],
  ['gid', 6],
  ['nlink', 6],
  ['rdev', 6],
  ['mtime', 11],
  ['namesize', 6],
  ['filesize', 11],
] as const;

/** Decodes the header at `at`; `baseOffset` makes error offsets absolute. */
export function decodeHeader(args: { data: Uint8Array; at: number; format: CpioFormat; baseOffset: number }): RawHeader {
  const { data, at, format } = args;
  const offset = args.baseOffset + at;
  if (at + HEADER_SIZE[format] > data.length) throw new CorruptError('truncated cpio header', { structure: 'cpio header', offset });
  const h: RawHeader = { format, ino: 0, mode: 0, uid: 0, gid: 0, nlink: 0, mtime: 0, filesize: 0, devMajor: 0, devMinor: 0, rdevMajor: 0, rdevMinor: 0, namesize: 0, check: 0 };
  if (format === 'newc' || format === 'crc') {
    NEWC_FIELDS.forEach((field, i) => {
      h[field] = parseDigits({ data, at: at + 6 + i * 8, width: 8, radix: 16, field, offset: offset + 6 + i * 8 });
    });
    return h;
  }
  if (format === 'odc') {
    let pos = at + 6;
    for (const [field, width] of ODC_FIELDS) {
      const value = parseDigits({ data, at: pos, width, radix: 8, field, offset: offset + pos - at });
      pos += width;
      if (field === 'dev') [h.devMajor, h.devMinor] = [Math.floor(value / 256), value % 256];
      else if (field === 'rdev') [h.rdevMajor, h.rdevMinor] = [Math.floor(value / 256), value % 256];
      else h[field] = value;
    }
    return h;
  }
  const view = new DataView(data.buffer, data.byteOffset + at, 26);
  const le = format === 'bin-le';
  const word = (i: number): number => view.getUint16(i * 2, le);
  const dev = word(1);
  const rdev = word(7);
  h.devMajor = dev >> 8;
  h.devMinor = dev & 0xff;
  h.ino = word(2);
  h.mode = word(3);
  h.uid = word(4);
  h.gid = word(5);
  h.nlink = word(6);
  h.rdevMajor = rdev >> 8;
  h.rdevMinor = rdev & 0xff;
  h.mtime = word(8) * 65536 + word(9);
  h.namesize = word(10);
  h.filesize = word(11) * 65536 + word(12);
  return h;
}

function digits(value: number, width: number, radix: 8 | 16, field: string): string {
  const text = value.toString(radix);
  if (!Number.isInteger(value) || value < 0 || text.length > width) {
    throw new RangeError(`cpio field ${field} = ${value} does not fit ${width} ${radix === 16 ? 'hex' : 'octal'} digits`);
  }
  return text.padStart(width, '0');
}

/** Encodes a header; throws RangeError when a value does not fit the format. */
export function encodeHeader(h: RawHeader): Uint8Array {
  const format = h.format;
  if (format === 'newc' || format === 'crc') {
    const text = (format === 'newc' ? '070701' : '070702') + NEWC_FIELDS.map((field) => digits(h[field], 8, 16, field)).join('').toUpperCase();
    // GNU cpio and gen_init_cpio write upper-case hex ("%08X").
    return new TextEncoder().encode(text);
  }
  if (format === 'odc') {
    const dev = h.devMajor * 256 + h.devMinor;
    const rdev = h.rdevMajor * 256 + h.rdevMinor;
    const values: Record<string, number> = { ino: h.ino, mode: h.mode, uid: h.uid, gid: h.gid, nlink: h.nlink, mtime: h.mtime, namesize: h.namesize, filesize: h.filesize, dev, rdev };
    return new TextEncoder().encode('070707' + ODC_FIELDS.map(([field, width]) => digits(values[field] as number, width, 8, field)).join(''));
  }
  const out = new Uint8Array(26);
  const view = new DataView(out.buffer);
  const le = format === 'bin-le';
  const words = [
    0o070707,
    h.devMajor * 256 + h.devMinor,
    h.ino,
    h.mode,
    h.uid,
    h.gid,
    h.nlink,
    h.rdevMajor * 256 + h.rdevMinor,
    Math.floor(h.mtime / 65536),
    h.mtime % 65536,
    h.namesize,
    Math.floor(h.filesize / 65536),
    h.filesize % 65536,
  ];
  words.forEach((value, i) => {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`cpio binary header word ${i} = ${value} does not fit 16 bits`);
    view.setUint16(i * 2, value, le);
  });
  return out;
}
