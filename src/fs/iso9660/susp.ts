// System Use Sharing Protocol (SUSP 1.12) entries in a directory record's System Use area, and
// the Rock Ridge (RRIP 1.09/1.12) entries we use: PX (POSIX mode, links, uid, gid, inode),
// NM (alternate name, possibly split with the CONTINUE flag), SL (symlink components), TF
// (times, short 7-byte or long 17-byte form), CL/RE/PL (deep-directory relocation). A CE entry
// continues the area in another block; its chain is followed with a bound on the number of
// areas and the total bytes, and a cycle check, and every CE target is checked against the
// image. SP in the root's "." record announces SUSP and how many bytes to skip (LEN_SKP).

import type { Diagnostics } from '../../diagnostics.js';
import { CorruptError } from '../../errors.js';

export const MAX_CONTINUATIONS = 32;
export const MAX_SYSTEM_USE_BYTES = 256 * 1024;

export interface SuspEntry {
  signature: string;
  version: number;
  data: Uint8Array;
  /** Absolute offset of the entry. */
  offset: number;
}

/** Splits one System Use area into entries; stops at ST or padding. */
export function decodeSuspArea(args: { area: Uint8Array; origin: number; diagnostics: Diagnostics }): SuspEntry[] {
  const { area, origin, diagnostics } = args;
  const out: SuspEntry[] = [];
  let pos = 0;
  while (pos + 4 <= area.length) {
    const s0 = area[pos] as number;
    const s1 = area[pos + 1] as number;
    if (s0 === 0) break; // padding
    const length = area[pos + 2] as number;
    const signature = String.fromCharCode(s0, s1);
    if (length < 4 || pos + length > area.length) {
      diagnostics.report({ severity: 'warning', code: 'iso-susp-bad-entry', message: `SUSP entry ${JSON.stringify(signature)} has length ${length}; rest of the area ignored`, structure: 'SUSP entry', offset: origin + pos });
      break;
    }
    if (signature === 'ST') break;
    out.push({ signature, version: area[pos + 3] as number, data: area.subarray(pos + 4, pos + length), offset: origin + pos });
    pos += length;
  }
  return out;
}

export interface ContinuationArea {
  block: number;
  offset: number;
  length: number;
  /** Absolute offset of the CE entry. */
  at: number;
}

export function continuationOf(entry: SuspEntry): ContinuationArea {
  if (entry.data.length < 24) throw new CorruptError('CE entry is shorter than 28 bytes', { structure: 'SUSP CE entry', offset: entry.offset });
  const v = new DataView(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
  return { block: v.getUint32(0, true), offset: v.getUint32(8, true), length: v.getUint32(16, true), at: entry.offset };
}

/** Reads a record's System Use entries including every continuation area (bounded). */
export async function readSystemUse(args: {
  area: Uint8Array;
  origin: number;
  skip: number;
  blockSize: number;
  imageSize: number;
  read: (offset: number, length: number) => Promise<Uint8Array>;
  diagnostics: Diagnostics;
}): Promise<SuspEntry[]> {
  const { blockSize, imageSize, read, diagnostics } = args;
  const first = args.area.subarray(Math.min(args.skip, args.area.length));
  const entries: SuspEntry[] = [];
  let pending = decodeSuspArea({ area: first, origin: args.origin + args.skip, diagnostics });
  const seen = new Set<string>();
  let total = first.length;
  for (let areas = 0; ; areas++) {
    let next: ContinuationArea | undefined;
    for (const e of pending) {
      if (e.signature === 'CE') next = continuationOf(e);
      else entries.push(e);
    }
    if (!next) return entries;
    if (areas >= MAX_CONTINUATIONS) throw new CorruptError(`more than ${MAX_CONTINUATIONS} SUSP continuation areas`, { structure: 'SUSP CE entry', offset: next.at });
    const key = `${next.block}:${next.offset}`;
    if (seen.has(key)) throw new CorruptError('SUSP continuation areas form a loop', { structure: 'SUSP CE entry', offset: next.at });
    seen.add(key);
    const start = next.block * blockSize + next.offset;
    total += next.length;
    if (next.length === 0 || next.offset >= blockSize || start + next.length > imageSize || total > MAX_SYSTEM_USE_BYTES) {
      throw new CorruptError(`SUSP continuation area (block ${next.block}, offset ${next.offset}, ${next.length} bytes) is outside the image or too large`, { structure: 'SUSP CE entry', offset: next.at });
    }
    const area = await read(start, next.length);
    pending = decodeSuspArea({ area, origin: start, diagnostics });
  }
}

export interface RockRidge {
  mode?: number;
  nlink?: number;
  uid?: number;
  gid?: number;
  ino?: number;
  name?: string;
  /** NM with the CURRENT or PARENT flag: the entry names '.' or '..'. */
  nameIsDot?: boolean;
  symlink?: string;
  mtime?: Date;
  atime?: Date;
  ctime?: Date;
  birthtime?: Date;
  /** CL: this entry is a relocated directory; its content is at this block. */
  childLink?: number;
  /** RE: this is the relocated directory itself (hidden from its rr_moved parent listing). */
  relocated?: boolean;
  parentLink?: number;
}

const utf8 = new TextDecoder('utf-8');

function u32(data: Uint8Array, at: number): number | undefined {
  if (at + 4 > data.length) return undefined;
  return new DataView(data.buffer, data.byteOffset + at, 4).getUint32(0, true);
}

/** Interprets the Rock Ridge entries of one record. */
export function decodeRockRidge(entries: SuspEntry[], diagnostics: Diagnostics): RockRidge {
  const rr: RockRidge = {};
  let name: Uint8Array[] | undefined;
  let link: string[] | undefined;
  let pendingComponent = '';
  let linkDone = false;
  for (const e of entries) {
    const d = e.data;
    switch (e.signature) {
      case 'PX': {
        const mode = u32(d, 0);
        if (mode === undefined || d.length < 32) {
          diagnostics.report({ severity: 'warning', code: 'iso-rr-bad-px', message: 'PX entry too short', structure: 'Rock Ridge PX entry', offset: e.offset });
          break;
        }
        rr.mode = mode;
        rr.nlink = u32(d, 8) as number;
        rr.uid = u32(d, 16) as number;
        rr.gid = u32(d, 24) as number;
        if (d.length >= 40) rr.ino = u32(d, 32) as number;
        break;
      }
      case 'NM': {
        const flags = d[0] ?? 0;
        if (flags & 0x06) {
          rr.nameIsDot = true;
          break;
        }
        (name ??= []).push(d.subarray(1));
        break;
      }
      case 'SL': {
        if (linkDone) break;
        const flags = d[0] ?? 0;
        let pos = 1;
        link ??= [];
        while (pos + 2 <= d.length) {
          const cflags = d[pos] as number;
          const len = d[pos + 1] as number;
          if (pos + 2 + len > d.length) {
            diagnostics.report({ severity: 'warning', code: 'iso-rr-bad-sl', message: 'SL component runs past its entry', structure: 'Rock Ridge SL entry', offset: e.offset });
            break;
          }
          let text: string;
          if (cflags & 0x02) text = '.';
          else if (cflags & 0x04) text = '..';
          else if (cflags & 0x08) text = '';
          else text = utf8.decode(d.subarray(pos + 2, pos + 2 + len));
          pendingComponent += text;
          if (!(cflags & 0x01)) {
            // A root component starts an absolute path: '' joined gives a leading '/'.
            link.push(pendingComponent);
            if (cflags & 0x08 && link.length === 1) link.push('');
            pendingComponent = '';
          }
          pos += 2 + len;
        }
        if (!(flags & 0x01)) linkDone = true;
        break;
      }
      case 'TF':
        decodeTimes(d, rr);
        break;
      case 'CL':
        rr.childLink = u32(d, 0);
        break;
      case 'PL':
        rr.parentLink = u32(d, 0);
        break;
      case 'RE':
        rr.relocated = true;
        break;
      default:
        break;
    }
  }
  if (name) {
    const total = name.reduce((n, p) => n + p.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of name) {
      all.set(p, at);
      at += p.length;
    }
    rr.name = utf8.decode(all);
  }
  if (link) {
    if (pendingComponent !== '') link.push(pendingComponent);
    const absolute = link.length >= 2 && link[0] === '' && link[1] === '';
    rr.symlink = absolute ? '/' + link.slice(2).join('/') : link.join('/');
  }
  return rr;
}

function decodeTimes(d: Uint8Array, rr: RockRidge): void {
  const flags = d[0] ?? 0;
  const long = (flags & 0x80) !== 0;
  const size = long ? 17 : 7;
  const order: Array<keyof RockRidge | undefined> = ['birthtime', 'mtime', 'atime', 'ctime', undefined, undefined, undefined];
  let pos = 1;
  for (let bit = 0; bit < 7; bit++) {
    if (!(flags & (1 << bit))) continue;
    if (pos + size > d.length) return;
    const t = long ? longTime(d.subarray(pos, pos + size)) : shortTime(d.subarray(pos, pos + size));
    const key = order[bit];
    if (key && t) (rr as Record<string, unknown>)[key] = t;
    pos += size;
  }
}

function shortTime(b: Uint8Array): Date | undefined {
  const [y = 0, mo = 0, day = 0, h = 0, mi = 0, s = 0] = b;
  if (y === 0 && mo === 0) return undefined;
  const off = ((b[6] ?? 0) << 24) >> 24;
  const t = Date.UTC(1900 + y, mo - 1, day, h, mi, s) - off * 15 * 60000;
  return Number.isFinite(t) ? new Date(t) : undefined;
}

function longTime(b: Uint8Array): Date | undefined {
  const digits = String.fromCharCode(...b.subarray(0, 16));
  if (!/^\d{16}$/.test(digits) || digits.startsWith('0000')) return undefined;
  const n = (from: number, len: number) => Number(digits.slice(from, from + len));
  const off = ((b[16] ?? 0) << 24) >> 24;
  const t = Date.UTC(n(0, 4), n(4, 2) - 1, n(6, 2), n(8, 2), n(10, 2), n(12, 2), n(14, 2) * 10) - off * 15 * 60000;
  return Number.isFinite(t) ? new Date(t) : undefined;
}
