// The VMDK text descriptor (VMware Virtual Disk Format 1.1, "The Descriptor File"): header
// entries (version, CID, parentCID, createType, parentFileNameHint), one extent line per
// extent (`RW 8192 SPARSE "disk-s001.vmdk"`, `RW 20480 FLAT "disk-flat.vmdk" 0`, `RW 100 ZERO`)
// and the disk database (ddb.*). It is either a file of its own or embedded in a sparse
// extent, padded with NULs, so parsing stops at the first NUL. Keys are case-sensitive in
// VMware's writer, but readers (qemu, libvmdk) accept any case, and so do we.

import { CorruptError } from '../../errors.js';
import { SECTOR, MAX_CAPACITY_BYTES } from './sparse-header.js';

/** A descriptor larger than this is not a descriptor (VMware's are under 10 KiB). */
export const MAX_DESCRIPTOR_BYTES = 1024 * 1024;
/** A 62 TiB disk in 2 GiB pieces has about 32 000 extents; more is corrupt. */
export const MAX_EXTENTS = 40_000;
/** CID value meaning "no parent". */
export const NO_PARENT_CID = 0xffffffff;

export type ExtentAccess = 'RW' | 'RDONLY' | 'NOACCESS';
export type ExtentType = 'FLAT' | 'SPARSE' | 'ZERO' | 'VMFS' | 'VMFSSPARSE' | 'VMFSRDM' | 'VMFSRAW' | 'SESPARSE';
const EXTENT_TYPES: readonly ExtentType[] = ['FLAT', 'SPARSE', 'ZERO', 'VMFS', 'VMFSSPARSE', 'VMFSRDM', 'VMFSRAW', 'SESPARSE'];

export interface DescriptorExtent {
  access: ExtentAccess;
  /** Size in sectors. */
  sectors: number;
  type: ExtentType;
  /** The extent file, relative to the descriptor; absent for ZERO. */
  filename?: string;
  /** Start inside a flat file, in sectors. */
  offset: number;
  /** Absolute offset of this extent line, for errors. */
  lineOffset: number;
}

export interface VmdkDescriptor {
  version?: number;
  cid?: number;
  parentCid?: number;
  createType: string;
  parentFileNameHint?: string;
  extents: DescriptorExtent[];
  /** ddb.* entries without the prefix: adapterType, virtualHWVersion, geometry.cylinders, … */
  ddb: Record<string, string>;
  /** Every other header entry (encoding, isNativeSnapshot, …). */
  entries: Record<string, string>;
  /** Absolute offsets of lines that were neither entries nor extents (skipped). */
  ignoredLines: number[];
}

/** True when `bytes` (the start of a file) look like a text descriptor. */
export function looksLikeDescriptor(bytes: Uint8Array): boolean {
  const head = latin1(bytes.subarray(0, Math.min(bytes.length, 4096)));
  if (/^(?:\xEF\xBB\xBF)?\s*#\s*Disk DescriptorFile/i.test(head)) return true;
  // Hand-written descriptors may omit the comment line; qemu accepts a version= line. Require
  // createType too, and plain text, so a raw disk that happens to start with text is not taken.
  const text = head.split('\0')[0] ?? '';
  if (!/[^\x09\x0a\x0d\x20-\x7e]/.test(text) && /^\s*version\s*=/im.test(text) && /^\s*createType\s*=/im.test(text)) return true;
  return false;
}

function latin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4096) out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return out;
}

const EXTENT_LINE = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?\s*$/;

/**
 * Parses a descriptor. `origin` is the absolute offset of `bytes[0]` in its file, so errors
 * point at the offending line.
 */
export function parseDescriptor(bytes: Uint8Array, origin = 0): VmdkDescriptor {
  if (bytes.length > MAX_DESCRIPTOR_BYTES) {
    throw new CorruptError(`descriptor of ${bytes.length} bytes exceeds ${MAX_DESCRIPTOR_BYTES}`, { structure: 'VMDK descriptor', offset: origin });
  }
  const nul = bytes.indexOf(0);
  const body = nul >= 0 ? bytes.subarray(0, nul) : bytes;
  const decoder = new TextDecoder('utf-8');
  const descriptor: VmdkDescriptor = { createType: '', extents: [], ddb: {}, entries: {}, ignoredLines: [] };
  let createTypeSeen = false;
  let lineStart = 0;
  while (lineStart <= body.length) {
    let lineEnd = body.indexOf(0x0a, lineStart);
    if (lineEnd < 0) lineEnd = body.length;
    const line = decoder.decode(body.subarray(lineStart, lineEnd)).replace(/^\uFEFF/, '').trim();
    const lineOffset = origin + lineStart;
    lineStart = lineEnd + 1;
    if (line === '' || line.startsWith('#')) continue;
    const extent = EXTENT_LINE.exec(line);
    if (extent) {
      descriptor.extents.push(parseExtent(extent, lineOffset));
      if (descriptor.extents.length > MAX_EXTENTS) {
        throw new CorruptError(`more than ${MAX_EXTENTS} extents`, { structure: 'VMDK descriptor extent line', offset: lineOffset });
      }
      continue;
    }
    if (/^(RW|RDONLY|NOACCESS)\s/.test(line)) {
      throw new CorruptError(`malformed extent line ${JSON.stringify(line.slice(0, 80))}`, { structure: 'VMDK descriptor extent line', offset: lineOffset });
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      // qemu and libvmdk skip lines they do not understand; so do we, but the caller is told.
      descriptor.ignoredLines.push(lineOffset);
      continue;
    }
    const key = line.slice(0, eq).trim();
    const value = unquote(line.slice(eq + 1).trim());
    const lower = key.toLowerCase();
    if (lower.startsWith('ddb.')) descriptor.ddb[key.slice(4)] = value;
    else if (lower === 'version') {
      const version = Number.parseInt(value, 10);
      if (Number.isSafeInteger(version)) descriptor.version = version;
    }
    else if (lower === 'cid') descriptor.cid = parseCid(value, lineOffset);
    else if (lower === 'parentcid') descriptor.parentCid = parseCid(value, lineOffset);
    else if (lower === 'createtype') { descriptor.createType = value; createTypeSeen = true; }
    else if (lower === 'parentfilenamehint') descriptor.parentFileNameHint = value;
    else descriptor.entries[key] = value;
  }
  if (!createTypeSeen) throw new CorruptError('descriptor has no createType', { structure: 'VMDK descriptor', offset: origin });
  return descriptor;
}

function parseExtent(match: RegExpExecArray, lineOffset: number): DescriptorExtent {
  const [, access, sectorsText, typeText, filename, offsetText] = match;
  const where = { structure: 'VMDK descriptor extent line', offset: lineOffset };
  const type = (typeText ?? '').toUpperCase() as ExtentType;
  if (!EXTENT_TYPES.includes(type)) throw new CorruptError(`unknown extent type ${typeText}`, where);
  const sectors = Number(sectorsText);
  const offset = offsetText === undefined ? 0 : Number(offsetText);
  if (!Number.isSafeInteger(sectors) || sectors * SECTOR > MAX_CAPACITY_BYTES) {
    throw new CorruptError(`extent of ${sectorsText} sectors is absurd`, where);
  }
  if (!Number.isSafeInteger(offset) || offset * SECTOR > Number.MAX_SAFE_INTEGER - MAX_CAPACITY_BYTES) {
    throw new CorruptError(`extent offset ${offsetText} is absurd`, where);
  }
  if (type !== 'ZERO' && (filename === undefined || filename === '')) {
    throw new CorruptError(`${type} extent without a file name`, where);
  }
  return {
    access: access as ExtentAccess,
    sectors,
    type,
    ...(filename !== undefined && type !== 'ZERO' ? { filename } : {}),
    offset,
    lineOffset,
  };
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function parseCid(value: string, lineOffset: number): number {
  if (!/^[0-9a-fA-F]{1,8}$/.test(value)) {
    throw new CorruptError(`CID ${JSON.stringify(value.slice(0, 20))} is not 1 to 8 hex digits`, { structure: 'VMDK descriptor', offset: lineOffset });
  }
  return Number.parseInt(value, 16);
}

/** The descriptor as text, in VMware's layout (qemu-img and VMware readers both accept it). */
export function formatDescriptor(descriptor: {
  cid: number;
  parentCid: number;
  createType: string;
  parentFileNameHint?: string;
  extents: Array<{ access: ExtentAccess; sectors: number; type: ExtentType; filename?: string; offset?: number }>;
  ddb: Record<string, string>;
}): string {
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  const lines = [
    '# Disk DescriptorFile',
    'version=1',
    'encoding="UTF-8"',
    `CID=${hex(descriptor.cid)}`,
    `parentCID=${hex(descriptor.parentCid)}`,
    `createType="${descriptor.createType}"`,
  ];
  if (descriptor.parentFileNameHint !== undefined) lines.push(`parentFileNameHint="${descriptor.parentFileNameHint}"`);
  lines.push('', '# Extent description');
  for (const e of descriptor.extents) {
    let line = `${e.access} ${e.sectors} ${e.type}`;
    if (e.filename !== undefined) line += ` "${e.filename}"`;
    if (e.offset !== undefined) line += ` ${e.offset}`;
    lines.push(line);
  }
  lines.push('', '# The Disk Data Base', '#DDB', '');
  for (const [key, value] of Object.entries(descriptor.ddb)) lines.push(`ddb.${key} = "${value}"`);
  return `${lines.join('\n')}\n`;
}
