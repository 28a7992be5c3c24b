// A driver source: a host directory, or an ISO image read with our ISO 9660 reader (such as
// virtio-win.iso). Every INF in it (matched case-insensitively, *.inf) is found with a
// bounded walk and parsed; an INF that SetupAPI would refuse is reported and skipped, so one
// bad file does not hide the others.

import { stat } from 'node:fs/promises';
import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import { CorruptError, NotFoundError, UnsupportedError, isRehostError } from '../../errors.js';
import type { DirEntry, FileSystem } from '../../fs/types.js';
import { FileDevice } from '../../io/file-device.js';
import { identifyVolume } from '../../fs/identify.js';
import { openIso9660 } from '../../fs/iso9660/index.js';
import { parseInf } from '../inf/document.js';
import { readDriverInf, type DriverInf } from '../inf/driver-inf.js';
import { HostDirectoryFileSystem } from './host-directory.js';
import { conventionOf, type ConventionHint } from './convention.js';

/** Bounds of the walk over a source tree. */
export const MAX_SOURCE_DEPTH = 24;
export const MAX_SOURCE_ENTRIES = 500_000;

export interface DriverSource {
  /** 'directory' or 'iso'. */
  kind: 'directory' | 'iso';
  path: string;
  fs: FileSystem;
  close(): Promise<void>;
}

export interface DriverPackage {
  /** Path of the INF inside the source ('/viostor/w10/amd64/viostor.inf'). */
  infPath: string;
  /** Its folder ('/viostor/w10/amd64'). */
  dir: string;
  inf: DriverInf;
  hint: ConventionHint;
}

export async function openDriverSource(path: string, options: { diagnostics?: Diagnostics } = {}): Promise<DriverSource> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new NotFoundError(`driver source not found: ${path}`, { path, kind: 'file' });
  }
  if (info.isDirectory()) return { kind: 'directory', path, fs: new HostDirectoryFileSystem(path), close: async () => undefined };
  const device = await FileDevice.open(path);
  try {
    const identity = await identifyVolume(device);
    if (identity.kind !== 'iso9660') throw new UnsupportedError(`driver source ${path} is neither a directory nor an ISO 9660 image (found ${identity.kind})`, { path });
    const fs = await openIso9660(device, { diagnostics: options.diagnostics ?? ignoreDiagnostics });
    return { kind: 'iso', path, fs, close: () => device.close() };
  } catch (error) {
    await device.close();
    throw error;
  }
}

/**
 * Calls `visit` for every entry that is not a directory, walking the tree depth-first with each
 * directory's entries in name order, within MAX_SOURCE_DEPTH and MAX_SOURCE_ENTRIES.
 */
export function walkSource(fs: FileSystem, visit: (path: string, entry: DirEntry) => void | Promise<void>): Promise<void> {
  return walkSourceFrom({ fs, root: '/', visit });
}

/** walkSource below one folder of the source. */
export async function walkSourceFrom(args: { fs: FileSystem; root: string; visit: (path: string, entry: DirEntry) => void | Promise<void> }): Promise<void> {
  const { fs, visit } = args;
  let seen = 0;
  const visited = new Set<string>();
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > MAX_SOURCE_DEPTH) throw new CorruptError(`driver source is deeper than ${MAX_SOURCE_DEPTH} levels at ${dir}`, { path: dir });
    const entries = await fs.readdir(dir);
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (++seen > MAX_SOURCE_ENTRIES) throw new CorruptError(`driver source has more than ${MAX_SOURCE_ENTRIES} entries`, { path: dir });
      const path = `${dir === '/' ? '' : dir}/${entry.name}`;
      if (entry.type === 'directory') {
        // Directories are walked once each (an ISO can point two records at one extent).
        const key = entry.inode !== undefined ? `i${entry.inode}` : path;
        if (visited.has(key)) continue;
        visited.add(key);
        await walk(path, depth + 1);
      } else await visit(path, entry);
    }
  };
  await walk(args.root, 0);
}

/** Every INF file in the source, in path order. */
export async function listInfFiles(fs: FileSystem): Promise<string[]> {
  const out: string[] = [];
  await walkSource(fs, (path, entry) => {
    if (entry.type === 'file' && /\.inf$/i.test(entry.name)) out.push(path);
  });
  return out;
}

export async function scanDriverSource(source: DriverSource, options: { diagnostics?: Diagnostics } = {}): Promise<DriverPackage[]> {
  const diagnostics = options.diagnostics ?? ignoreDiagnostics;
  const out: DriverPackage[] = [];
  for (const infPath of await listInfFiles(source.fs)) {
    try {
      const doc = parseInf(await source.fs.readFile(infPath), { diagnostics, path: infPath });
      const dir = infPath.slice(0, infPath.lastIndexOf('/')) || '/';
      out.push({ infPath, dir, inf: readDriverInf(doc), hint: conventionOf(dir) });
    } catch (error) {
      if (!isRehostError(error)) throw error;
      diagnostics.report({ severity: 'warning', code: 'driver-inf-skipped', message: `${infPath} skipped: ${error.message}`, path: infPath });
    }
  }
  return out;
}
