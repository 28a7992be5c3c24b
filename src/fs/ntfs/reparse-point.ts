// $REPARSE_POINT (0xC0): a tag and tag-specific data. Decoded here: symbolic links
// (0xA000000C), mount points / junctions (0xA0000003) and WOF (0x80000017, the "CompactOS"
// compression of system files). Spec: [MS-FSCC] 2.1.2 reparse data buffers; WOF layout from
// the Windows SDK wofapi.h (WOF_EXTERNAL_INFO + FILE_PROVIDER_EXTERNAL_INFO_V1).
// Also recognised: ntfs-3g/Interix symlinks, a SYSTEM file whose data starts "IntxLNK\1".

import { struct, u16le, u32le, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';
import { readUtf16 } from './file-name.js';

export const REPARSE_HEADER = struct('NTFS $REPARSE_POINT', {
  reparse_tag: u32le, //          0x00
  reparse_data_length: u16le, //  0x04
  reserved: u16le, //             0x06
});
export type ReparseHeader = Decoded<typeof REPARSE_HEADER.fields>;

export const IO_REPARSE_TAG_MOUNT_POINT = 0xa0000003;
export const IO_REPARSE_TAG_SYMLINK = 0xa000000c;
export const IO_REPARSE_TAG_WOF = 0x80000017;
export const IO_REPARSE_TAG_DEDUP = 0x80000013;
export const SYMLINK_FLAG_RELATIVE = 1;

export const WOF_ALGORITHMS = ['XPRESS4K', 'LZX', 'XPRESS8K', 'XPRESS16K'] as const;

export interface ReparsePoint {
  tag: number;
  data: Uint8Array;
  /** Symlink / junction: the target as Windows prints it (print name, else substitute name). */
  target?: string;
  substituteName?: string;
  relative?: boolean;
  /** WOF: the compression algorithm of the WofCompressedData stream. */
  wofAlgorithm?: string;
}

export function decodeReparsePoint(value: Uint8Array, origin: number): ReparsePoint {
  const structure = REPARSE_HEADER.name;
  const header = REPARSE_HEADER.decode(value, { origin });
  if (8 + header.reparse_data_length > value.length) {
    throw new CorruptError(`reparse data length ${header.reparse_data_length} runs past the attribute`, { structure, offset: origin + 4 });
  }
  const data = value.subarray(8, 8 + header.reparse_data_length);
  const point: ReparsePoint = { tag: header.reparse_tag, data };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const names = (pathBuffer: number): void => {
    if (data.length < pathBuffer) throw new CorruptError('link reparse data is too short', { structure, offset: origin + 8 });
    const [subOff, subLen, printOff, printLen] = [0, 2, 4, 6].map((o) => view.getUint16(o, true)) as [number, number, number, number];
    if (pathBuffer + subOff + subLen > data.length || pathBuffer + printOff + printLen > data.length) {
      throw new CorruptError('link names run past the reparse data', { structure, offset: origin + 8 });
    }
    point.substituteName = readUtf16(data, pathBuffer + subOff, subLen >>> 1);
    const printName = readUtf16(data, pathBuffer + printOff, printLen >>> 1);
    point.target = printName !== '' ? printName : point.substituteName.replace(/^\\\?\?\\/, '');
  };
  if (header.reparse_tag === IO_REPARSE_TAG_SYMLINK) {
    names(12);
    point.relative = (view.getUint32(8, true) & SYMLINK_FLAG_RELATIVE) !== 0;
  } else if (header.reparse_tag === IO_REPARSE_TAG_MOUNT_POINT) {
    names(8);
    point.relative = false;
  } else if (header.reparse_tag === IO_REPARSE_TAG_WOF && data.length >= 16) {
    // WOF_EXTERNAL_INFO {Version, Provider}; provider 2 = file: {Version, Algorithm}.
    if (view.getUint32(4, true) === 2) point.wofAlgorithm = WOF_ALGORITHMS[view.getUint32(12, true)] ?? `unknown(${view.getUint32(12, true)})`;
  }
  return point;
}

export function encodeReparsePoint(tag: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  REPARSE_HEADER.encode({ reparse_tag: tag, reparse_data_length: data.length, reserved: 0 }, out);
  out.set(data, 8);
  return out;
}

export const INTERIX_SYMLINK_MAGIC = Uint8Array.from([0x49, 0x6e, 0x74, 0x78, 0x4c, 0x4e, 0x4b, 0x01]); // "IntxLNK\1"

/** The target of an Interix symlink (as ntfs-3g writes them by default), or undefined. */
export function decodeInterixSymlink(data: Uint8Array): string | undefined {
  if (data.length < 8 || (data.length & 1) !== 0) return undefined;
  for (let i = 0; i < 8; i++) if (data[i] !== INTERIX_SYMLINK_MAGIC[i]) return undefined;
  return readUtf16(data, 8, (data.length - 8) >>> 1);
}
