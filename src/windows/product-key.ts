// Product keys stored in SOFTWARE\Microsoft\Windows NT\CurrentVersion:
//  - DigitalProductId (164 bytes, version 3): ProductId string at 8, SKU/part number at 36,
//    the encoded key in bytes 52..66 (15 bytes, a 120-bit little-endian number written in
//    base 24 over the alphabet BCDFGHJKMPQRTVWXY2346789). Windows 8 and later set bit 3 of
//    byte 66 and encode an 'N' whose position is the first base-24 digit: the digit is
//    dropped and 'N' is inserted at that index of the remaining 24 characters.
//  - DigitalProductId4 (1272 bytes, Windows 7+): UTF-16 strings at fixed offsets (advanced
//    PID 0x08, activation id 0x88, OEM id 0x108, edition type 0x118, part number 0x378,
//    key type / channel 0x3f8, EULA type 0x478) and the encoded key at 0x328 (same 15-byte
//    encoding). Layout as dissect.target's productkey plugin and public write-ups describe.
// Quirks: Windows 8+ usually stores a generic or default key, not the one typed in.

import { CorruptError } from '../errors.js';

const ALPHABET = 'BCDFGHJKMPQRTVWXY2346789';
const utf16 = new TextDecoder('utf-16le');

/** Decodes a 15-byte encoded product key into "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX". */
export function decodeProductKeyBytes(encoded: Uint8Array): string {
  if (encoded.length < 15) throw new CorruptError(`encoded product key needs 15 bytes, got ${encoded.length}`, { structure: 'product key' });
  const key = Array.from(encoded.subarray(0, 15));
  const win8 = ((key[14] as number) >> 3) & 1;
  key[14] = (key[14] as number) & 0xf7;
  let digits = '';
  let last = 0;
  for (let i = 24; i >= 0; i--) {
    let current = 0;
    for (let j = 14; j >= 0; j--) {
      current = current * 256 + (key[j] as number);
      key[j] = Math.floor(current / 24);
      current %= 24;
    }
    digits = ALPHABET[current] + digits;
    last = current;
  }
  if (win8 === 1) {
    const rest = digits.slice(1);
    digits = rest.slice(0, last) + 'N' + rest.slice(last);
  }
  return [0, 5, 10, 15, 20].map((i) => digits.slice(i, i + 5)).join('-');
}

export interface DigitalProductId {
  length: number;
  version: number;
  productId: string;
  /** e.g. "[TH]X19-98841" */
  sku: string;
  productKey: string;
  /** True when the Windows 8+ 'N' encoding flag (bit 3 of byte 66) is set. */
  win8Encoding: boolean;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end && i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (c === 0) break;
    out += String.fromCharCode(c);
  }
  return out;
}

function wide(bytes: Uint8Array, start: number, chars: number): string {
  const slice = bytes.subarray(start, Math.min(bytes.length, start + chars * 2));
  const text = utf16.decode(slice.subarray(0, slice.length & ~1));
  const nul = text.indexOf('\0');
  return nul === -1 ? text : text.slice(0, nul);
}

export function decodeDigitalProductId(bytes: Uint8Array): DigitalProductId {
  if (bytes.length < 67) throw new CorruptError(`DigitalProductId has ${bytes.length} bytes; at least 67 needed`, { structure: 'DigitalProductId', offset: 0 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    length: view.getUint32(0, true),
    version: view.getUint32(4, true),
    productId: ascii(bytes, 8, 32),
    sku: ascii(bytes, 36, 52),
    productKey: decodeProductKeyBytes(bytes.subarray(52, 67)),
    win8Encoding: (((bytes[66] as number) >> 3) & 1) === 1,
  };
}

export interface DigitalProductId4 {
  length: number;
  version: number;
  advancedPid: string;
  activationId: string;
  oemId: string;
  editionType: string;
  isUpgrade: boolean;
  partNumber: string;
  /** The channel: Retail, OEM:DM, OEM:SLP, OEM:NONSLP, Volume:GVLK, Volume:MAK, … */
  keyType: string;
  eulaType: string;
  productKey: string;
}

export const DPID4_SIZE = 0x4f8;

export function decodeDigitalProductId4(bytes: Uint8Array): DigitalProductId4 {
  if (bytes.length < DPID4_SIZE) throw new CorruptError(`DigitalProductId4 has ${bytes.length} bytes; ${DPID4_SIZE} needed`, { structure: 'DigitalProductId4', offset: 0 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    length: view.getUint32(0x00, true), // cbSize
    version: view.getUint32(0x04, true), // dwVersion
    advancedPid: wide(bytes, 0x08, 64), // szAdvancedPid
    activationId: wide(bytes, 0x88, 64), // szActivationId
    oemId: wide(bytes, 0x108, 8), // szOemID
    editionType: wide(bytes, 0x118, 260), // szEditionType
    isUpgrade: bytes[0x320] !== 0, // bIsUpgrade
    productKey: decodeProductKeyBytes(bytes.subarray(0x328, 0x337)), // abCdKey
    partNumber: wide(bytes, 0x378, 64), // szPartNumber
    keyType: wide(bytes, 0x3f8, 64), // szProductKeyType
    eulaType: wide(bytes, 0x478, 64), // szEulaType
  };
}
