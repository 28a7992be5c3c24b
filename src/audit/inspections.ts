// The full Inspections of one VM, kept beside its lean record as vms/<id>.inspection.json.gz
// (one entry per disk of the record, null for a disk that failed). gzip brings a Windows
// inspection from ~0.7 MB to ~40 KB. A --resume run with other --to targets re-fingerprints
// from this file instead of reading the disks again; merge copies it with the record.
// Written through a temporary name like the record, and before it, so a record on disk
// always has its inspection file.

import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Inspection } from '../inspect/index.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** A decompressed inspection file larger than this is treated as missing (the disks are read again). */
export const MAX_INSPECTION_FILE_BYTES = 512 * 1024 * 1024;

export type DiskInspections = Array<Inspection | null>;

export function inspectionFile(outDir: string, id: string): string {
  return join(outDir, 'vms', `${id}.inspection.json.gz`);
}

export async function writeInspections(args: { outDir: string; id: string; inspections: DiskInspections }): Promise<void> {
  const path = inspectionFile(args.outDir, args.id);
  // Node's gzip writes mtime 0 and a fixed OS byte: equal inspections give equal bytes.
  await writeFile(`${path}.tmp`, await gzipAsync(JSON.stringify(args.inspections)));
  await rename(`${path}.tmp`, path);
}

/** The VM's inspections, or undefined when the file is missing, unreadable or not the disk count. */
export async function readInspections(args: { outDir: string; id: string; disks: number }): Promise<DiskInspections | undefined> {
  try {
    const bytes = await gunzipAsync(await readFile(inspectionFile(args.outDir, args.id)), { maxOutputLength: MAX_INSPECTION_FILE_BYTES });
    const parsed = JSON.parse(bytes.toString('utf8')) as unknown;
    if (!Array.isArray(parsed) || parsed.length !== args.disks) return undefined;
    return parsed as DiskInspections;
  } catch {
    return undefined;
  }
}
