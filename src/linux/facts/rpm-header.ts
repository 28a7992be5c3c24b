// rpm package headers as rpmdb stores them (rpm's lib/header.c, "header blob"; the on-disk
// package format of rpm-format(5) minus the 8-byte magic intro): il (u32be, index entries),
// dl (u32be, data bytes), il entries of { tag u32be, type u32be, offset i32be, count u32be },
// then dl data bytes. Types: 4 INT32, 6 STRING, 8 STRING_ARRAY, 9 I18NSTRING (an array; the
// first string is the C locale). Tags: 1000 NAME, 1001 VERSION, 1002 RELEASE, 1003 EPOCH,
// 1004 SUMMARY, 1022 ARCH. Plus the database readers: rpmdb.sqlite's "Packages" table (hnum
// INTEGER PRIMARY KEY, blob BLOB) read through sqlite.ts, and the Berkeley DB Packages hash
// (key: the 4-byte header instance number, 0 holding rpm's own counter; data: the blob)
// read through bdb.ts.

import { CorruptError } from '../../errors.js';
import type { InstalledPackage } from './packages.js';
import { readBdbHash } from './bdb.js';
import { SqliteFile } from './sqlite.js';

const TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, summary: 1004, arch: 1022 } as const;
const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_STRING_ARRAY = 8;
const TYPE_I18NSTRING = 9;
/** rpm's own limits (lib/header_internal.h): hdrchkTags 0x10000 entries, hdrchkData 256 MiB. */
const MAX_INDEX_ENTRIES = 0x10000;
const MAX_DATA = 256 * 1024 * 1024;

export interface RpmHeaderFields {
  name?: string;
  version?: string;
  release?: string;
  epoch?: number;
  arch?: string;
  summary?: string;
}

export function parseRpmHeaderBlob(blob: Uint8Array): RpmHeaderFields {
  const structure = 'rpm header blob';
  if (blob.length < 8) throw new CorruptError('rpm header blob shorter than its 8-byte preamble', { structure, offset: 0 });
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const il = view.getUint32(0);
  const dl = view.getUint32(4);
  if (il > MAX_INDEX_ENTRIES || dl > MAX_DATA) throw new CorruptError(`rpm header claims ${il} entries and ${dl} data bytes`, { structure, offset: 0 });
  const dataStart = 8 + il * 16;
  if (dataStart + dl > blob.length) throw new CorruptError(`rpm header needs ${dataStart + dl} bytes, blob has ${blob.length}`, { structure, offset: 0 });
  const data = blob.subarray(dataStart, dataStart + dl);
  const stringAt = (offset: number, at: number): string => {
    if (offset < 0 || offset >= data.length) throw new CorruptError(`string offset ${offset} outside the data store`, { structure, offset: at });
    const end = data.indexOf(0, offset);
    if (end < 0) throw new CorruptError('string is not NUL-terminated', { structure, offset: dataStart + offset });
    return new TextDecoder().decode(data.subarray(offset, end));
  };
  const fields: RpmHeaderFields = {};
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = view.getUint32(at);
    const type = view.getUint32(at + 4);
    const offset = view.getInt32(at + 8);
    const count = view.getUint32(at + 12);
    const key = (Object.keys(TAG) as Array<keyof typeof TAG>).find((k) => TAG[k] === tag);
    if (key === undefined) continue;
    if (key === 'epoch') {
      if (type !== TYPE_INT32 || count < 1) throw new CorruptError(`EPOCH has type ${type}`, { structure, offset: at });
      if (offset < 0 || offset + 4 > data.length) throw new CorruptError('EPOCH value outside the data store', { structure, offset: at });
      fields.epoch = new DataView(data.buffer, data.byteOffset + offset, 4).getUint32(0);
    } else {
      if (type !== TYPE_STRING && type !== TYPE_I18NSTRING && type !== TYPE_STRING_ARRAY) throw new CorruptError(`tag ${tag} has type ${type}, expected a string`, { structure, offset: at });
      fields[key] = stringAt(offset, at);
    }
  }
  return fields;
}

function packageFromBlob(blob: Uint8Array): InstalledPackage | undefined {
  const header = parseRpmHeaderBlob(blob);
  if (header.name === undefined) return undefined;
  const pkg: InstalledPackage = { name: header.name, version: header.version ?? '' };
  if (header.epoch !== undefined) pkg.epoch = header.epoch;
  if (header.release !== undefined) pkg.release = header.release;
  if (header.arch !== undefined) pkg.arch = header.arch;
  return pkg;
}

/** Every package in an rpmdb.sqlite file; throws CorruptError/UnsupportedError on a bad database. */
export function readRpmSqlite(data: Uint8Array): InstalledPackage[] {
  const db = new SqliteFile(data);
  const table = db.findTable('Packages');
  if (table === undefined) throw new CorruptError('rpmdb.sqlite has no Packages table', { structure: 'SQLite schema', offset: 0 });
  const out: InstalledPackage[] = [];
  for (const row of db.tableRows(table.rootPage)) {
    const blob = row.values.find((v): v is Uint8Array => v instanceof Uint8Array);
    const pkg = blob === undefined ? undefined : packageFromBlob(blob);
    if (pkg !== undefined) out.push(pkg);
  }
  return out;
}

/** Every package in a Berkeley DB Packages file (rpm < 4.16 and distributions that kept bdb). */
export function readRpmBdb(data: Uint8Array): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const pair of readBdbHash(data)) {
    // Key 0 is rpm's next-instance counter, not a package.
    if (pair.key.length !== 4 || pair.key.every((b) => b === 0)) continue;
    const pkg = packageFromBlob(pair.data);
    if (pkg !== undefined) out.push(pkg);
  }
  return out;
}
