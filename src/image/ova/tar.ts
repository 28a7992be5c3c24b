// Listing the members of a tar archive without reading their data: POSIX ustar (name +
// prefix), pax extended headers ('x': path and size records; 'g' is skipped), and GNU long
// names ('L'). Sizes are octal text or, for members past 8 GiB, GNU base-256 (high bit set).
// Every header's checksum is verified (unsigned byte sum with the checksum field read as
// spaces; the old signed sum is accepted too), every member must lie inside the file, and the
// number of headers is bounded. Follows POSIX.1-2017 pax(1) "ustar Interchange Format" and
// GNU tar's documentation of its extensions.

import { CorruptError } from '../../errors.js';
import type { BlockDevice } from '../../io/block-device.js';

export const TAR_BLOCK = 512;
/** Bound on headers walked (an OVA has a handful of members). */
export const MAX_TAR_MEMBERS = 10_000;
/** Bound on a GNU long name or pax header's data. */
export const MAX_TAR_META_BYTES = 1024 * 1024;

export interface TarMember {
  name: string;
  /** Absolute offset of the member's data in the archive. */
  offset: number;
  size: number;
  /** Type flag: '0' regular file, '5' directory, '2' symlink, … */
  type: string;
  /** Offset of the member's (first) header, for error messages. */
  headerOffset: number;
}

export interface TarHeader {
  name: string;
  size: number;
  type: string;
  /** Name as ustar assembles it (prefix/name) when the magic is POSIX "ustar\0". */
  fullName: string;
}

const cString = (bytes: Uint8Array): string => {
  const end = bytes.indexOf(0);
  return new TextDecoder('utf-8').decode(end < 0 ? bytes : bytes.subarray(0, end));
};

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Parses an octal or GNU base-256 numeric field; CorruptError when it is neither. */
function parseNumber(field: Uint8Array, what: string, offset: number): number {
  if (((field[0] as number) & 0x80) !== 0) {
    if (field[0] === 0xff) throw new CorruptError(`negative ${what}`, { structure: 'tar header', offset });
    let value = (field[0] as number) & 0x7f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + (field[i] as number);
      if (value > Number.MAX_SAFE_INTEGER) throw new CorruptError(`${what} does not fit in 2^53`, { structure: 'tar header', offset });
    }
    return value;
  }
  const text = String.fromCharCode(...field).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new CorruptError(`${what} ${JSON.stringify(text)} is not octal`, { structure: 'tar header', offset });
  const value = parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw new CorruptError(`${what} does not fit in 2^53`, { structure: 'tar header', offset });
  return value;
}

/** True when the block's checksum field matches its contents. Pure. */
export function tarChecksumOk(block: Uint8Array): boolean {
  if (block.length < TAR_BLOCK) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  const text = String.fromCharCode(...block.subarray(148, 156)).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (!/^[0-7]+$/.test(text)) return false;
  const stored = parseInt(text, 8);
  return stored === unsigned || stored === signed;
}

/** Decodes one header block (checksum verified). Pure. `offset` is its absolute position. */
export function decodeTarHeader(block: Uint8Array, offset: number): TarHeader {
  if (!tarChecksumOk(block)) throw new CorruptError('tar header checksum does not match', { structure: 'tar header', offset });
  const name = cString(block.subarray(0, 100));
  const size = parseNumber(block.subarray(124, 136), 'member size', offset + 124);
  const type = block[156] === 0 ? '0' : String.fromCharCode(block[156] as number);
  const magic = String.fromCharCode(...block.subarray(257, 263));
  const prefix = magic === 'ustar\0' ? cString(block.subarray(345, 500)) : '';
  return { name, size, type, fullName: prefix ? `${prefix}/${name}` : name };
}

/** Parses pax "length key=value\n" records. Pure. */
export function parsePaxRecords(data: Uint8Array, offset: number): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  for (let count = 0; at < data.length; count++) {
    if (data[at] === 0) break;
    const space = data.indexOf(0x20, at);
    const lengthText = space < 0 ? '' : String.fromCharCode(...data.subarray(at, space));
    const length = /^\d{1,8}$/.test(lengthText) ? Number(lengthText) : NaN;
    if (!(length > space - at + 1) || at + length > data.length || data[at + length - 1] !== 0x0a) {
      throw new CorruptError('malformed pax record', { structure: 'pax header', offset: offset + at });
    }
    const record = new TextDecoder('utf-8').decode(data.subarray(space + 1, at + length - 1));
    const eq = record.indexOf('=');
    if (eq < 0) throw new CorruptError('pax record without "="', { structure: 'pax header', offset: offset + at });
    records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

function normalise(name: string): string {
  return name.replace(/^(\.\/)+/, '');
}

/**
 * Lists the archive's file members (regular files; directories and links are skipped).
 * Stops at the first all-zero block or at the end of the file.
 */
export async function listTarMembers(file: BlockDevice, options: { maxMembers?: number } = {}): Promise<TarMember[]> {
  const maxMembers = options.maxMembers ?? MAX_TAR_MEMBERS;
  const members: TarMember[] = [];
  let offset = 0;
  let longName: string | undefined;
  let pax: Map<string, string> | undefined;
  let metaStart: number | undefined;
  for (let headers = 0; offset + TAR_BLOCK <= file.size; headers++) {
    if (headers >= maxMembers) throw new CorruptError(`more than ${maxMembers} tar headers`, { structure: 'tar archive', offset });
    const block = await file.read(offset, TAR_BLOCK);
    if (isZeroBlock(block)) break;
    const header = decodeTarHeader(block, offset);
    let size = header.size;
    if (pax?.has('size')) {
      const text = pax.get('size') as string;
      if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) throw new CorruptError(`pax size ${JSON.stringify(text)} is invalid`, { structure: 'pax header', offset });
      if (header.type !== 'x' && header.type !== 'g' && header.type !== 'L' && header.type !== 'K') size = Number(text);
    }
    const dataOffset = offset + TAR_BLOCK;
    if (dataOffset + size > file.size) {
      throw new CorruptError(`member "${header.fullName}" of ${size} bytes runs past the end of the ${file.size}-byte archive`, { structure: 'tar header', offset });
    }
    const readMeta = async (): Promise<Uint8Array> => {
      if (size > MAX_TAR_META_BYTES) throw new CorruptError(`${size}-byte extended header exceeds ${MAX_TAR_META_BYTES}`, { structure: 'tar header', offset });
      return file.read(dataOffset, size);
    };
    switch (header.type) {
      case 'L':
        longName = cString(await readMeta());
        metaStart ??= offset;
        break;
      case 'x':
        pax = parsePaxRecords(await readMeta(), dataOffset);
        metaStart ??= offset;
        break;
      case 'K':
      case 'g':
        break;
      default: {
        const name = normalise(pax?.get('path') ?? longName ?? header.fullName);
        if (header.type === '0' || header.type === '7') {
          members.push({ name, offset: dataOffset, size, type: header.type, headerOffset: metaStart ?? offset });
        }
        longName = undefined;
        pax = undefined;
        metaStart = undefined;
      }
    }
    offset = dataOffset + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
  return members;
}
