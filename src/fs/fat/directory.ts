// FAT directory entries (fatgen103 section 6 and 7): 32-byte short entries and the long-name
// (LFN, VFAT) entries that precede them. Decoding walks the slots in order: 0x00 ends the
// directory, 0xE5 is a deleted slot, a first byte 0x05 stands for 0xE5 (a Kanji lead byte),
// volume-label entries are set aside. An LFN run is used only when its ordinals count down to
// 1 without a gap and every slot carries the checksum of the short name that follows; any
// other run is dropped and the short name used, as Windows does. DIR_NTRes bits 0x08 / 0x10
// (Windows NT) say the base / extension of a short-only name is shown in lower case.
// Encoding covers what the writer needs: short entries, LFN runs, the checksum, 8.3 validity
// and the spec's basis-name + numeric-tail short name generation.

import { bytes, struct, u16le, u32le, u8, type Decoded } from '../../binary/struct.js';
import { UnsupportedError } from '../../errors.js';

export const DIR_ENTRY = struct('FAT directory entry', {
  DIR_Name: bytes(11), //          0   8.3, space padded
  DIR_Attr: u8, //                 11
  DIR_NTRes: u8, //                12  0x08 lower-case base, 0x10 lower-case extension
  DIR_CrtTimeTenth: u8, //         13  0..199 in 10 ms units (the spec says tenths; Windows and Linux store hundredths)
  DIR_CrtTime: u16le, //           14
  DIR_CrtDate: u16le, //           16
  DIR_LstAccDate: u16le, //        18
  DIR_FstClusHI: u16le, //         20  0 on FAT12/16
  DIR_WrtTime: u16le, //           22
  DIR_WrtDate: u16le, //           24
  DIR_FstClusLO: u16le, //         26
  DIR_FileSize: u32le, //          28
});
export type DirEntryRecord = Decoded<typeof DIR_ENTRY.fields>;

export const LFN_ENTRY = struct('FAT long-name entry', {
  LDIR_Ord: u8, //                 0   sequence number; 0x40 marks the last (first stored)
  LDIR_Name1: bytes(10), //        1   characters 1..5 (UTF-16LE)
  LDIR_Attr: u8, //                11  0x0F
  LDIR_Type: u8, //                12  0
  LDIR_Chksum: u8, //              13  checksum of the short name
  LDIR_Name2: bytes(12), //        14  characters 6..11
  LDIR_FstClusLO: u16le, //        26  0
  LDIR_Name3: bytes(4), //         28  characters 12..13
});

export const ENTRY_SIZE = 32;
export const ATTR_READ_ONLY = 0x01;
export const ATTR_HIDDEN = 0x02;
export const ATTR_SYSTEM = 0x04;
export const ATTR_VOLUME_ID = 0x08;
export const ATTR_DIRECTORY = 0x10;
export const ATTR_ARCHIVE = 0x20;
export const ATTR_LONG_NAME = 0x0f;
const ATTR_LONG_NAME_MASK = 0x3f;
export const NTRES_LOWER_BASE = 0x08;
export const NTRES_LOWER_EXT = 0x10;
export const LAST_LONG_ENTRY = 0x40;
export const DELETED = 0xe5;
export const CHARS_PER_LFN = 13;
/** A long name is at most 255 UTF-16 code units (20 LFN slots). */
export const MAX_LONG_NAME = 255;

export interface FatDirent {
  /** The name shown: the long name when a valid LFN run precedes the entry, else the short one. */
  name: string;
  /** The short name as "BASE.EXT" (no case bits applied). */
  shortName: string;
  /** The raw 11-byte DIR_Name (0x05 lead byte turned back into 0xE5). */
  rawName: Uint8Array;
  attributes: number;
  ntRes: number;
  firstCluster: number;
  size: number;
  mtime?: Date;
  atime?: Date;
  ctime?: Date;
  /** Slot index (32-byte units from the directory start) of the short entry. */
  slot: number;
  /** Slot index of the first LFN entry in use (== slot when there is none). */
  firstSlot: number;
  isDirectory: boolean;
}

export interface DecodedDirectory {
  entries: FatDirent[];
  /** '.' and '..' (kept apart: hidden from listings). */
  dots: FatDirent[];
  /** The volume label entry's text, when the directory has one. */
  volumeLabel?: string;
  /** Slot index of the 0x00 end marker, or the slot count when the directory is full. */
  endSlot: number;
  /** LFN runs dropped because of a broken sequence or checksum. */
  orphanLfns: number;
}

/** The spec's one-byte rotate-and-add checksum over the 11-byte short name. */
export function shortNameChecksum(name: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = ((sum & 1 ? 0x80 : 0) + (sum >> 1) + (name[i] as number)) & 0xff;
  return sum;
}

/** FAT date and time fields (local time in the spec; read as UTC, as there is no zone). */
export function decodeDateTime(fields: { date: number; time: number; tenths?: number }): Date | undefined {
  const { date, time, tenths = 0 } = fields;
  if (date === 0) return undefined;
  const day = date & 0x1f;
  const month = (date >> 5) & 0x0f;
  const year = 1980 + (date >> 9);
  if (day === 0 || month === 0 || month > 12) return undefined;
  const seconds = (time & 0x1f) * 2;
  const minutes = (time >> 5) & 0x3f;
  const hours = time >> 11;
  if (seconds > 59 || minutes > 59 || hours > 23) return new Date(Date.UTC(year, month - 1, day));
  return new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds) + Math.min(tenths, 199) * 10);
}

/** The FAT date/time/tenths of a Date (its UTC fields, clamped to 1980..2107). */
export function encodeDateTime(when: Date): { date: number; time: number; tenths: number } {
  const year = when.getUTCFullYear();
  if (year < 1980) return { date: (1 << 5) | 1, time: 0, tenths: 0 };
  if (year > 2107) return { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29, tenths: 199 };
  const date = ((year - 1980) << 9) | ((when.getUTCMonth() + 1) << 5) | when.getUTCDate();
  const s = when.getUTCSeconds();
  const time = (when.getUTCHours() << 11) | (when.getUTCMinutes() << 5) | (s >> 1);
  const tenths = (s & 1) * 100 + Math.floor(when.getUTCMilliseconds() / 10);
  return { date, time, tenths };
}

function shortNameText(raw: Uint8Array, ntRes: number): { plain: string; shown: string } {
  const latin = (from: number, to: number): string => String.fromCharCode(...raw.subarray(from, to)).replace(/ +$/, '');
  const base = latin(0, 8);
  const ext = latin(8, 11);
  const plain = ext === '' ? base : `${base}.${ext}`;
  const b = ntRes & NTRES_LOWER_BASE ? base.toLowerCase() : base;
  const e = ntRes & NTRES_LOWER_EXT ? ext.toLowerCase() : ext;
  return { plain, shown: e === '' ? b : `${b}.${e}` };
}

function lfnChars(slot: Uint8Array): number[] {
  const out: number[] = [];
  for (const [from, to] of [
    [1, 11],
    [14, 26],
    [28, 32],
  ] as const) {
    for (let i = from; i < to; i += 2) out.push((slot[i] as number) | ((slot[i + 1] as number) << 8));
  }
  return out;
}

/** Decodes a directory's bytes (a multiple of 32; the fixed root or the whole cluster chain). */
export function decodeDirectory(data: Uint8Array): DecodedDirectory {
  const slots = Math.floor(data.length / ENTRY_SIZE);
  const entries: FatDirent[] = [];
  const dots: FatDirent[] = [];
  let volumeLabel: string | undefined;
  let orphanLfns = 0;
  // The LFN run being collected: its characters by ordinal, expected next ordinal, checksum.
  let run: { parts: number[][]; next: number; checksum: number; first: number } | undefined;
  let endSlot = slots;
  for (let slot = 0; slot < slots; slot++) {
    const at = slot * ENTRY_SIZE;
    const first = data[at] as number;
    if (first === 0x00) {
      endSlot = slot;
      break;
    }
    if (first === DELETED) {
      if (run) orphanLfns++;
      run = undefined;
      continue;
    }
    const attr = data[at + 11] as number;
    const bytesOf = data.subarray(at, at + ENTRY_SIZE);
    if ((attr & ATTR_LONG_NAME_MASK) === ATTR_LONG_NAME) {
      const ord = first & 0x3f;
      if (first & LAST_LONG_ENTRY) {
        if (run) orphanLfns++;
        run = ord >= 1 && ord <= 20 ? { parts: [], next: ord, checksum: bytesOf[13] as number, first: slot } : undefined;
      }
      if (!run || ord !== run.next || bytesOf[13] !== run.checksum) {
        if (run) orphanLfns++;
        run = undefined;
        continue;
      }
      run.parts[ord - 1] = lfnChars(bytesOf);
      run.next = ord - 1;
      continue;
    }
    const e = DIR_ENTRY.decode(bytesOf);
    const rawName = e.DIR_Name.slice();
    if (rawName[0] === 0x05) rawName[0] = 0xe5;
    if (attr & ATTR_VOLUME_ID && !(attr & ATTR_DIRECTORY)) {
      if (volumeLabel === undefined) volumeLabel = String.fromCharCode(...rawName).replace(/ +$/, '');
      run = undefined;
      continue;
    }
    let longName: string | undefined;
    let firstSlot = slot;
    if (run) {
      if (run.next === 0 && run.checksum === shortNameChecksum(e.DIR_Name)) {
        const units: number[] = [];
        for (const part of run.parts) for (const u of part) units.push(u);
        const nul = units.indexOf(0);
        longName = String.fromCharCode(...(nul >= 0 ? units.slice(0, nul) : units));
        if (longName === '') longName = undefined;
        else firstSlot = run.first;
      } else orphanLfns++;
      run = undefined;
    }
    const text = shortNameText(rawName, e.DIR_NTRes);
    const dirent: FatDirent = {
      name: longName ?? text.shown,
      shortName: text.plain,
      rawName,
      attributes: attr,
      ntRes: e.DIR_NTRes,
      firstCluster: (e.DIR_FstClusHI << 16) | e.DIR_FstClusLO,
      size: e.DIR_FileSize,
      slot,
      firstSlot,
      isDirectory: (attr & ATTR_DIRECTORY) !== 0,
    };
    const mtime = decodeDateTime({ date: e.DIR_WrtDate, time: e.DIR_WrtTime });
    const atime = decodeDateTime({ date: e.DIR_LstAccDate, time: 0 });
    const ctime = decodeDateTime({ date: e.DIR_CrtDate, time: e.DIR_CrtTime, tenths: e.DIR_CrtTimeTenth });
    if (mtime) dirent.mtime = mtime;
    if (atime) dirent.atime = atime;
    if (ctime) dirent.ctime = ctime;
    if (text.plain === '.' || text.plain === '..') dots.push(dirent);
    else entries.push(dirent);
  }
  if (run) orphanLfns++;
  return { entries, dots, ...(volumeLabel !== undefined ? { volumeLabel } : {}), endSlot, orphanLfns };
}

// ---- encoding (for the writer) ----

/** Characters allowed in a short name besides A-Z and 0-9 (fatgen103 section 6.1). */
const SHORT_SPECIAL = new Set("$%'-_@~`!(){}^#&".split(''));
/** Characters never allowed in a long name. */
const LONG_INVALID = /[\u0000-\u001f"*/:<>?\\|]/;

/** Throws UnsupportedError when `name` cannot be stored as a FAT long name. */
export function checkLongName(name: string): void {
  if (name === '' || name === '.' || name === '..') throw new UnsupportedError(`"${name}" is not a valid FAT name`, { path: name });
  if (name.length > MAX_LONG_NAME) throw new UnsupportedError(`name is ${name.length} UTF-16 units long; FAT allows ${MAX_LONG_NAME}`, { path: name });
  if (LONG_INVALID.test(name)) throw new UnsupportedError(`name ${JSON.stringify(name)} holds a character FAT does not allow (control, " * / : < > ? \\ |)`, { path: name });
  if (/[ .]$/.test(name)) throw new UnsupportedError(`name ${JSON.stringify(name)} ends with a space or period, which Windows strips`, { path: name });
}

function isShortChar(c: string): boolean {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || SHORT_SPECIAL.has(c);
}

/** 11-byte DIR_Name of "BASE.EXT" (already valid upper-case 8.3). */
export function packShortName(base: string, ext: string): Uint8Array {
  const out = new Uint8Array(11).fill(0x20);
  for (let i = 0; i < base.length; i++) out[i] = base.charCodeAt(i);
  for (let i = 0; i < ext.length; i++) out[8 + i] = ext.charCodeAt(i);
  if (out[0] === 0xe5) out[0] = 0x05;
  return out;
}

/**
 * How a name is stored when it needs no generated short name: an exact 8.3 name in upper case
 * ('upper'), or one whose base and extension are each all lower or all upper case, shown
 * through the NTRes case bits ('case-bits'). Undefined when an LFN is needed.
 */
export function plainShortName(name: string): { raw: Uint8Array; ntRes: number } | undefined {
  const dot = name.indexOf('.');
  const base = dot < 0 ? name : name.slice(0, dot);
  const ext = dot < 0 ? '' : name.slice(dot + 1);
  if (base.length < 1 || base.length > 8 || ext.length > 3 || ext.includes('.') || (dot >= 0 && ext === '')) return undefined;
  let ntRes = 0;
  for (const [part, bit] of [
    [base, NTRES_LOWER_BASE],
    [ext, NTRES_LOWER_EXT],
  ] as const) {
    const upper = part.toUpperCase();
    if (![...upper].every(isShortChar)) return undefined;
    if (part === upper) continue;
    if (part === part.toLowerCase() && part.toUpperCase() === upper && [...part].every((c) => c.toUpperCase().length === 1)) ntRes |= bit;
    else return undefined;
  }
  return { raw: packShortName(base.toUpperCase(), ext.toUpperCase()), ntRes };
}

/**
 * The spec's short-name generation (fatgen103 section 7.4, "basis-name" and "numeric-tail"):
 * upper-case, characters outside the short set turned into '_' (lossy), spaces and leading
 * periods stripped, up to 8 characters before the first period and 3 after the last, then
 * "~N" (N from 1) when the conversion was lossy, the long name does not fit 8.3, or the basis
 * collides. `taken` holds the 11-byte names already in the directory (as latin-1 strings).
 */
export function generateShortName(longName: string, taken: ReadonlySet<string>): Uint8Array {
  let lossy = false;
  let converted = '';
  for (const c of longName.toUpperCase()) {
    if (c === ' ') {
      lossy = true; // a stripped space means the long name does not round-trip
      continue;
    }
    if (c === '.' || isShortChar(c)) converted += c;
    else {
      converted += '_';
      lossy = true;
    }
  }
  const leading = converted.match(/^\.+/)?.[0].length ?? 0;
  if (leading > 0) lossy = true;
  converted = converted.slice(leading);
  const firstDot = converted.indexOf('.');
  const lastDot = converted.lastIndexOf('.');
  let base = (firstDot < 0 ? converted : converted.slice(0, firstDot)).slice(0, 8);
  const ext = lastDot < 0 ? '' : converted.slice(lastDot + 1).replace(/\./g, '').slice(0, 3);
  if (base === '') base = '_';
  const fits = !lossy && plainShortName(longName.toUpperCase()) !== undefined;
  const key = (raw: Uint8Array): string => String.fromCharCode(...raw);
  const plain = packShortName(base, ext);
  if (fits && !taken.has(key(plain))) return plain;
  for (let n = 1; n <= 999999; n++) {
    const tail = `~${n}`;
    const candidate = packShortName(base.slice(0, 8 - tail.length) + tail, ext);
    if (!taken.has(key(candidate))) return candidate;
  }
  throw new UnsupportedError(`no free short name for ${JSON.stringify(longName)}`, { path: longName });
}

/** The LFN slots for `longName` in the order they are stored (highest ordinal first). */
export function encodeLongName(longName: string, shortRaw: Uint8Array): Uint8Array[] {
  const units: number[] = [];
  for (let i = 0; i < longName.length; i++) units.push(longName.charCodeAt(i));
  const count = Math.ceil(units.length / CHARS_PER_LFN);
  // A name that fills its last slot exactly has no NUL; otherwise one NUL then 0xFFFF padding.
  if (units.length % CHARS_PER_LFN !== 0) units.push(0);
  while (units.length < count * CHARS_PER_LFN) units.push(0xffff);
  const checksum = shortNameChecksum(shortRaw);
  const slots: Uint8Array[] = [];
  for (let ord = count; ord >= 1; ord--) {
    const slot = new Uint8Array(ENTRY_SIZE);
    slot[0] = ord | (ord === count ? LAST_LONG_ENTRY : 0);
    slot[11] = ATTR_LONG_NAME;
    slot[13] = checksum;
    const part = units.slice((ord - 1) * CHARS_PER_LFN, ord * CHARS_PER_LFN);
    const positions = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
    positions.forEach((p, i) => {
      const u = part[i] as number;
      slot[p] = u & 0xff;
      slot[p + 1] = u >> 8;
    });
    slots.push(slot);
  }
  return slots;
}

/** A 32-byte short entry. */
export function encodeShortEntry(args: { raw: Uint8Array; attributes: number; ntRes: number; firstCluster: number; size: number; mtime: Date; ctime?: Date }): Uint8Array {
  const m = encodeDateTime(args.mtime);
  const c = encodeDateTime(args.ctime ?? args.mtime);
  return DIR_ENTRY.encode({
    DIR_Name: args.raw,
    DIR_Attr: args.attributes,
    DIR_NTRes: args.ntRes,
    DIR_CrtTimeTenth: c.tenths,
    DIR_CrtTime: c.time,
    DIR_CrtDate: c.date,
    DIR_LstAccDate: m.date,
    DIR_FstClusHI: (args.firstCluster >>> 16) & 0xffff,
    DIR_WrtTime: m.time,
    DIR_WrtDate: m.date,
    DIR_FstClusLO: args.firstCluster & 0xffff,
    DIR_FileSize: args.size,
  });
}
