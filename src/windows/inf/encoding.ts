// Turns INF file bytes into text the way SetupAPI does: a UTF-16LE byte-order mark means a
// Unicode INF (UTF-16BE is accepted too); anything else is an "ANSI" INF in the system code
// page, which we take as Windows-1252. A UTF-8 BOM is honoured, and BOM-less text that decodes
// as valid UTF-8 with non-ASCII characters is read as UTF-8 with a warning (Windows would show
// mojibake there; the driver author almost surely meant UTF-8). A Ctrl-Z (0x1A) ends the text,
// as it does for old DOS-era INFs.

import { CorruptError } from '../../errors.js';
import type { Diagnostics } from '../../diagnostics.js';

export type InfEncoding = 'utf-16le' | 'utf-16be' | 'utf-8' | 'windows-1252';

/** INFs are small; anything larger is not an INF (checked before decoding). */
export const MAX_INF_BYTES = 16 * 1024 * 1024;

export interface DecodedInf {
  text: string;
  encoding: InfEncoding;
  /** Byte length of the BOM, so character offsets can be related to the file. */
  bomLength: number;
}

export function decodeInfBytes(args: { bytes: Uint8Array; diagnostics: Diagnostics; path?: string }): DecodedInf {
  const { bytes, diagnostics, path } = args;
  if (bytes.length > MAX_INF_BYTES) {
    throw new CorruptError(`INF file is ${bytes.length} bytes, more than ${MAX_INF_BYTES}`, { structure: 'INF file', offset: 0, ...(path ? { path } : {}) });
  }
  let decoded: DecodedInf;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    decoded = { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le', bomLength: 2 };
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    decoded = { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be', bomLength: 2 };
  } else if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    decoded = { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8', bomLength: 3 };
  } else if (looksLikeBomlessUtf16le(bytes)) {
    // Some tools write UTF-16LE without a BOM; every other byte of ASCII text is then zero.
    diagnostics.report({ severity: 'warning', code: 'inf-utf16-without-bom', message: 'INF looks like UTF-16LE without a byte-order mark', structure: 'INF file', offset: 0, ...(path ? { path } : {}) });
    decoded = { text: new TextDecoder('utf-16le').decode(bytes), encoding: 'utf-16le', bomLength: 0 };
  } else {
    const ascii = bytes.every((b) => b < 0x80);
    let text: string | undefined;
    if (!ascii) {
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        diagnostics.report({ severity: 'warning', code: 'inf-utf8-without-bom', message: 'INF has non-ASCII UTF-8 text without a byte-order mark (Windows would read it as ANSI)', structure: 'INF file', offset: 0, ...(path ? { path } : {}) });
      } catch {
        text = undefined;
      }
    }
    decoded = text !== undefined ? { text, encoding: 'utf-8', bomLength: 0 } : { text: decodeWindows1252(bytes), encoding: 'windows-1252', bomLength: 0 };
  }
  const eof = decoded.text.indexOf('\x1a');
  if (eof >= 0) decoded = { ...decoded, text: decoded.text.slice(0, eof) };
  return decoded;
}

function looksLikeBomlessUtf16le(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes.length % 2 !== 0) return false;
  const sample = Math.min(bytes.length, 512);
  let zeros = 0;
  for (let i = 1; i < sample; i += 2) if (bytes[i] === 0 && bytes[i - 1] !== 0) zeros++;
  return zeros * 2 >= sample * 0.9;
}

/** Windows-1252 differs from Latin-1 only in 0x80–0x9F (five of which are unassigned and kept
 *  as the C1 code point, as Windows' MultiByteToWideChar does). Done by hand because Node
 *  builds without full ICU decode 'windows-1252' as Latin-1. */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

export function decodeWindows1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(bytes.length, start + CHUNK);
    const codes = new Array<number>(end - start);
    for (let i = start; i < end; i++) {
      const b = bytes[i] as number;
      codes[i - start] = b >= 0x80 && b < 0xa0 ? (CP1252_HIGH[b - 0x80] as number) : b;
    }
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}
