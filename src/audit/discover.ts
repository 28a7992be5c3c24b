// Fleet discovery: SOURCES (image files, directories walked recursively, manifests of paths)
// → the VMs to inspect, in a deterministic order. Files are recognised by content
// (classify.ts). A descriptor (.vmx, .ovf, .vbox, libvirt XML) makes one VM of itself and the
// disks it names; an OVA is one VM with its disks; every image no descriptor names and no
// other image uses (backing files, vmdk extents) is a VM of its own.

import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { readVmDescription } from '../descriptors/index.js';
import { openImage, backingChain } from '../image/open.js';
import { FileDevice } from '../io/file-device.js';
import { readOvaPackage } from '../image/ova/index.js';
import { NotFoundError, PreconditionError, RehostError } from '../errors.js';
import { classifyFile, readManifestLines, type FileKind } from './classify.js';
import { keyOf, vmId } from './vm-id.js';
import { errorJson } from './error-json.js';
import type { AuditDisk, AuditVm } from './types.js';

/** Bounds on the walk: a fleet larger than this is split with manifests or shards. */
export const MAX_DISCOVERED_FILES = 1_000_000;
const MAX_MANIFEST_DEPTH = 4;
const MAX_DIRECTORY_DEPTH = 64;

export interface Discovery {
  /** The directory every key is relative to. */
  root: string;
  vms: AuditVm[];
}

interface Candidate {
  path: string;
  kind: FileKind;
}

export async function discoverFleet(sources: string[]): Promise<Discovery> {
  if (sources.length === 0) throw new PreconditionError('no sources given');
  const bases: string[] = [];
  const files = new Map<string, FileKind>();
  for (const source of sources) await expandSource({ path: resolve(source), files, bases, depth: 0 });
  const root = commonDirectory(bases);
  const candidates = [...files].map(([path, kind]) => ({ path, kind })).sort((a, b) => compare(a.path, b.path));
  return { root, vms: await groupVms({ root, candidates }) };
}

async function expandSource(args: { path: string; files: Map<string, FileKind>; bases: string[]; depth: number }): Promise<void> {
  const { path, files, bases } = args;
  let info;
  try {
    info = await stat(path);
  } catch {
    // A manifest (an inventory export) naming a disk that is gone: that VM's row says so.
    if (args.depth > 0) {
      bases.push(dirname(path));
      files.set(path, 'raw-image');
      return;
    }
    throw new NotFoundError(`source not found: ${path}`, { path, kind: 'source' });
  }
  if (info.isDirectory()) {
    bases.push(path);
    await walk({ dir: path, files, seen: new Set(), depth: 0 });
    return;
  }
  const kind = await classifyFile(path);
  if (kind === 'text') {
    if (args.depth >= MAX_MANIFEST_DEPTH) throw new PreconditionError(`manifests nest deeper than ${MAX_MANIFEST_DEPTH}`, { path });
    for (const line of await readManifestLines(path)) {
      await expandSource({ path: resolve(dirname(path), line), files, bases, depth: args.depth + 1 });
    }
    return;
  }
  bases.push(dirname(path));
  // A file named on the command line or in a manifest is audited even when it is raw
  // without a signature; only directory walks skip such files.
  files.set(path, kind === 'other' ? 'raw-image' : kind);
}

async function walk(args: { dir: string; files: Map<string, FileKind>; seen: Set<string>; depth: number }): Promise<void> {
  const { dir, files, seen } = args;
  if (args.depth > MAX_DIRECTORY_DEPTH) return;
  const real = await realpath(dir);
  if (seen.has(real)) return;
  seen.add(real);
  const entries = (await readdir(dir)).sort(compare);
  for (const name of entries) {
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined);
    if (!info) continue;
    // Symbolic links to directories are not followed (loops); links to files are.
    if (info.isDirectory()) {
      await walk({ dir: path, files, seen, depth: args.depth + 1 });
      continue;
    }
    if (!info.isFile() && !info.isSymbolicLink()) continue;
    if (info.isSymbolicLink() && !(await stat(path).catch(() => undefined))?.isFile()) continue;
    if (files.size >= MAX_DISCOVERED_FILES) throw new PreconditionError(`more than ${MAX_DISCOVERED_FILES} files under the sources`);
    const kind = await classifyFile(path);
    if (kind === 'ova' || kind === 'image' || kind === 'raw-image' || kind === 'descriptor') files.set(path, kind);
  }
}

async function groupVms(args: { root: string; candidates: Candidate[] }): Promise<AuditVm[]> {
  const { root } = args;
  const vms: AuditVm[] = [];
  /** Files some VM already covers: disks named by descriptors, backing files, extents. */
  const claimed = new Set<string>();
  const images = args.candidates.filter((c) => c.kind === 'image' || c.kind === 'raw-image');
  for (const image of images) {
    for (const file of await filesUsedBy(image.path)) claimed.add(await canonical(file));
  }
  for (const candidate of args.candidates) {
    const key = keyOf(root, candidate.path);
    if (candidate.kind === 'descriptor') {
      vms.push(await descriptorVm({ path: candidate.path, key, claimed }));
    } else if (candidate.kind === 'ova') {
      vms.push(await ovaVm({ path: candidate.path, key }));
    }
  }
  for (const image of images) {
    if (claimed.has(await canonical(image.path))) continue;
    const key = keyOf(root, image.path);
    vms.push({ id: vmId(key), key, kind: 'image', name: key, disks: [{ path: image.path }] });
  }
  return vms.sort((a, b) => compare(a.key, b.key));
}

/** Files an image reads besides its own: extents and the whole backing chain. */
async function filesUsedBy(path: string): Promise<string[]> {
  try {
    const image = await openImage(path);
    try {
      const used: string[] = [];
      for (const layer of backingChain(image)) {
        for (const file of layer.files) {
          const absolute = resolve(file);
          if (absolute !== path) used.push(absolute);
        }
      }
      return used;
    } finally {
      await image.close();
    }
  } catch (error) {
    // A broken image is still a VM; the worker reports why.
    if (error instanceof RehostError) return [];
    throw error;
  }
}

async function descriptorVm(args: { path: string; key: string; claimed: Set<string> }): Promise<AuditVm> {
  const { path, key, claimed } = args;
  const id = vmId(key);
  try {
    const description = await readVmDescription(path);
    const disks: AuditDisk[] = [];
    for (const disk of description.disks) {
      if (disk.deviceType !== 'disk' || disk.file === undefined) continue;
      const file = resolve(dirname(path), disk.file);
      claimed.add(await canonical(file));
      for (const link of disk.chain ?? []) claimed.add(await canonical(resolve(dirname(path), link)));
      disks.push({ path: file, slot: `${disk.controller}:${disk.unit ?? disk.slot}` });
    }
    return { id, key, kind: 'descriptor', name: description.name || key, descriptorPath: path, disks };
  } catch (error) {
    if (!(error instanceof RehostError)) throw error;
    return { id, key, kind: 'descriptor', name: key, descriptorPath: path, disks: [], error: errorJson(error) };
  }
}

async function ovaVm(args: { path: string; key: string }): Promise<AuditVm> {
  const { path, key } = args;
  const id = vmId(key);
  const file = await FileDevice.open(path);
  try {
    const ova = await readOvaPackage(file);
    const disks: AuditDisk[] = ova.disks.map((disk, index) => ({ path, ovaDisk: index, slot: disk.id }));
    return { id, key, kind: 'ova', name: ova.ovf.name ?? key, descriptorPath: path, disks };
  } catch (error) {
    if (!(error instanceof RehostError)) throw error;
    return { id, key, kind: 'ova', name: key, descriptorPath: path, disks: [], error: errorJson(error) };
  } finally {
    await file.close();
  }
}

/** Claims compare real paths: a descriptor may name a disk through another path (a symlinked mount). */
async function canonical(path: string): Promise<string> {
  return realpath(path).catch(() => path);
}

/** The deepest directory holding every base. */
export function commonDirectory(paths: string[]): string {
  const split = paths.map((p) => p.split(sep));
  const first = split[0] ?? [''];
  let length = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < length && i < parts.length && parts[i] === first[i]) i++;
    length = i;
  }
  return first.slice(0, length).join(sep) || sep;
}

/** Code-unit order: the same on every machine and locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
