// Which drivers of a source fit one guest, per hardware ID. Windows' own rule decides
// applicability: the INF must have a Models section for the guest's arch and version (its
// [Manufacturer] TargetOSVersion decorations). virtio-win's directory convention then ranks
// the applicable INFs, because virtio-win ships one INF per release that often says only
// NTamd64 (so the w7 INF "applies" to Windows 11 too): an INF in the guest's own OS folder
// wins, then one outside the convention (a vendor folder), then the closest older release's
// folder; folders for newer releases or another arch are not used. Ties go to the newer
// DriverVer. Files are resolved in the source case-insensitively, through [SourceDisksFiles].

import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import type { FileSystem } from '../../fs/types.js';
import { selectInstall, type InfInstall, type InfService } from '../inf/install.js';
import type { DriverVer, InfArch, InfOs, InfRegEntry } from '../inf/types.js';
import { conventionFit, osDirIndexFor, osDirName, osDirVersionRank } from './convention.js';
import { scanDriverSource, type DriverPackage, type DriverSource } from './source.js';

export interface DriverFile {
  /** Name as installed. */
  name: string;
  /** Path in the source, found case-insensitively; undefined when the file is missing. */
  source?: string;
  /** Destination on the system volume ('/Windows/System32/drivers/viostor.sys'). */
  destination?: string;
  dirid: number;
}

export interface DriverMatch {
  hardwareId: string;
  /** The other IDs the Models line lists (matched the same way). */
  compatibleIds: string[];
  description: string;
  infPath: string;
  /** Driver folder name from the convention, or the INF's base name. */
  driver: string;
  installSection: string;
  resolvedSection: string;
  services: InfService[];
  files: DriverFile[];
  addReg: InfRegEntry[];
  hwAddReg: InfRegEntry[];
  /** KMDF bindings (.Wdf section). */
  wdf: InfInstall['wdf'];
  catalogFile?: string;
  /** The catalog's path in the source, when found. */
  catalogSource?: string;
  driverVer?: DriverVer;
  class?: string;
  classGuid?: string;
  provider?: string;
  modelsSection: string;
  /** How the INF's folder fits virtio-win's convention for this guest. */
  convention: { fit: 'match' | 'older' | 'none'; osDir?: string; arch?: InfArch };
  /** Other applicable INFs that lost to this one, by path. */
  alternatives: string[];
}

export interface FindDriversArgs {
  source: DriverSource;
  os: InfOs;
  /** Only these device IDs (any of a Models line's IDs, case-insensitive). */
  hardwareIds?: string[];
  diagnostics?: Diagnostics;
  /** Already-scanned packages (to scan a source once for several guests). */
  packages?: DriverPackage[];
  systemRoot?: string;
}

interface Candidate {
  pkg: DriverPackage;
  install: InfInstall;
  modelsSection: string;
  catalogFile?: string;
  fit: 'match' | 'older' | 'none';
  rank: number;
}

const FIT_RANK = { match: 3, none: 2, older: 1 } as const;

export async function findDrivers(args: FindDriversArgs): Promise<DriverMatch[]> {
  const { source, os } = args;
  const diagnostics = args.diagnostics ?? ignoreDiagnostics;
  const packages = args.packages ?? (await scanDriverSource(source, { diagnostics }));
  const wanted = args.hardwareIds?.map((id) => id.toUpperCase());
  const byId = new Map<string, Candidate[]>();
  for (const pkg of packages) {
    const fit = conventionFit(pkg.hint, os);
    if (fit === 'newer' || fit === 'other-arch') continue;
    const selections = selectInstall({ inf: pkg.inf, os, ...(args.systemRoot !== undefined ? { systemRoot: args.systemRoot } : {}), driverStoreName: storeName(pkg, os.arch) });
    for (const sel of selections) {
      for (const install of sel.installs) {
        const ids = [install.hardwareId, ...install.compatibleIds].map((id) => id.toUpperCase());
        if (wanted && !ids.some((id) => wanted.includes(id))) continue;
        const key = install.hardwareId.toUpperCase();
        const list = byId.get(key) ?? [];
        list.push({
          pkg,
          install,
          modelsSection: sel.modelsSection,
          ...(sel.catalogFile !== undefined ? { catalogFile: sel.catalogFile } : {}),
          fit,
          rank: pkg.hint.osIndex !== undefined ? osDirVersionRank(pkg.hint.osIndex) : 0,
        });
        byId.set(key, list);
      }
    }
  }
  const out: DriverMatch[] = [];
  for (const [, candidates] of [...byId.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    candidates.sort(compareCandidates);
    const best = candidates[0] as Candidate;
    if (best.fit === 'older') {
      const want = osDirIndexFor(os);
      diagnostics.report({
        severity: 'warning',
        code: 'driver-older-release',
        message: `${best.install.hardwareId}: no driver in a ${want !== undefined ? osDirName(want) : 'matching'} folder; using ${best.pkg.infPath} (for ${best.pkg.hint.osDir})`,
        path: best.pkg.infPath,
      });
    }
    out.push(await toMatch({ fs: source.fs, best, alternatives: candidates.slice(1).map((c) => c.pkg.infPath), diagnostics }));
  }
  return out;
}

function storeName(pkg: DriverPackage, arch: InfArch): string {
  const base = (pkg.infPath.split('/').pop() ?? 'driver.inf').toLowerCase();
  return `${base}_${arch}_0000000000000000`;
}

function compareCandidates(a: Candidate, b: Candidate): number {
  const fit = FIT_RANK[b.fit] - FIT_RANK[a.fit];
  if (fit !== 0) return fit;
  if (a.rank !== b.rank) return b.rank - a.rank; // the closest older release first
  const va = versionKey(a.pkg.inf.version.driverVer);
  const vb = versionKey(b.pkg.inf.version.driverVer);
  if (va !== vb) return va < vb ? 1 : -1;
  // virtio-win's per-driver folders (viostor/w10/amd64) before its flattened copies (amd64/w10).
  const folder = Number(b.pkg.hint.driver !== undefined) - Number(a.pkg.hint.driver !== undefined);
  if (folder !== 0) return folder;
  return a.pkg.infPath < b.pkg.infPath ? -1 : a.pkg.infPath > b.pkg.infPath ? 1 : 0;
}

/** A sortable key: ISO date, then the four version parts zero-padded. */
function versionKey(v: DriverVer | undefined): string {
  if (!v) return '';
  const parts = (v.version ?? '').split('.').map((p) => (Number(p) || 0).toString().padStart(10, '0'));
  return `${v.isoDate ?? '0000-00-00'} ${parts.join('.')}`;
}

/** Finds `relative` below `dir` matching each element case-insensitively. */
export async function resolveInSource(fs: FileSystem, dir: string, relative: string): Promise<string | undefined> {
  let current = dir === '' ? '/' : dir;
  for (const part of relative.split('/').filter((p) => p !== '' && p !== '.')) {
    if (part === '..') {
      current = current.slice(0, current.lastIndexOf('/')) || '/';
      continue;
    }
    let entries;
    try {
      entries = await fs.readdir(current);
    } catch {
      return undefined;
    }
    const hit = entries.find((e) => e.name === part) ?? entries.find((e) => e.name.toLowerCase() === part.toLowerCase());
    if (!hit) return undefined;
    current = `${current === '/' ? '' : current}/${hit.name}`;
  }
  return current;
}

async function toMatch(args: { fs: FileSystem; best: Candidate; alternatives: string[]; diagnostics: Diagnostics }): Promise<DriverMatch> {
  const { fs, best, diagnostics } = args;
  const { pkg, install } = best;
  const files: DriverFile[] = [];
  for (const f of install.files) {
    const source = await resolveInSource(fs, pkg.dir, f.sourcePath);
    if (source === undefined) diagnostics.report({ severity: 'warning', code: 'driver-file-missing', message: `${pkg.infPath}: ${f.sourcePath} is not in the source`, path: pkg.infPath });
    files.push({ name: f.name, ...(source !== undefined ? { source } : {}), ...(f.guestPath !== undefined ? { destination: f.guestPath } : {}), dirid: f.dirid });
  }
  const catalogSource = best.catalogFile !== undefined ? await resolveInSource(fs, pkg.dir, best.catalogFile) : undefined;
  const v = pkg.inf.version;
  const infBase = pkg.infPath.split('/').pop() ?? '';
  return {
    hardwareId: install.hardwareId,
    compatibleIds: install.compatibleIds,
    description: install.description,
    infPath: pkg.infPath,
    driver: pkg.hint.driver ?? infBase.replace(/\.inf$/i, ''),
    installSection: install.installSection,
    resolvedSection: install.resolvedSection,
    services: install.services,
    files,
    addReg: install.addReg,
    hwAddReg: install.hwAddReg,
    wdf: install.wdf,
    ...(best.catalogFile !== undefined ? { catalogFile: best.catalogFile } : {}),
    ...(catalogSource !== undefined ? { catalogSource } : {}),
    ...(install.driverVer ?? v.driverVer ? { driverVer: (install.driverVer ?? v.driverVer) as DriverVer } : {}),
    ...(v.class !== undefined ? { class: v.class } : {}),
    ...(v.classGuid !== undefined ? { classGuid: v.classGuid } : {}),
    ...(v.provider !== undefined ? { provider: v.provider } : {}),
    modelsSection: best.modelsSection,
    convention: { fit: best.fit, ...(pkg.hint.osDir !== undefined ? { osDir: pkg.hint.osDir } : {}), ...(pkg.hint.arch !== undefined ? { arch: pkg.hint.arch } : {}) },
    alternatives: args.alternatives,
  };
}

/** The IDs Windows builds for a PCI function ("Identifiers for PCI Devices"): its hardware IDs,
 *  most specific first, then its compatible IDs. `classCode` is class, subclass, prog-if. */
export function pciDeviceIds(args: { vendor: number; device: number; subsystem?: number; revision?: number; classCode?: number }): string[] {
  const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
  const ven = `PCI\\VEN_${hex(args.vendor, 4)}`;
  const base = `${ven}&DEV_${hex(args.device, 4)}`;
  const subsys = args.subsystem !== undefined ? `&SUBSYS_${hex(args.subsystem, 8)}` : undefined;
  const rev = args.revision !== undefined ? `&REV_${hex(args.revision, 2)}` : undefined;
  const cc = args.classCode;
  const ids: string[] = [];
  if (subsys && rev) ids.push(base + subsys + rev);
  if (subsys) ids.push(base + subsys);
  if (cc !== undefined) ids.push(`${base}&CC_${hex(cc, 6)}`, `${base}&CC_${hex(cc >> 8, 4)}`);
  if (rev) ids.push(base + rev);
  ids.push(base);
  if (cc !== undefined) ids.push(`${ven}&CC_${hex(cc, 6)}`, `${ven}&CC_${hex(cc >> 8, 4)}`);
  ids.push(ven);
  if (cc !== undefined) ids.push(`PCI\\CC_${hex(cc, 6)}`, `PCI\\CC_${hex(cc >> 8, 4)}`);
  return [...new Set(ids)];
}
