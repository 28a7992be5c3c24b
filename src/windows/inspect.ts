// inspectWindows: a mounted-nowhere Windows volume → WindowsFacts. Composes the pieces: find
// the system root (locate.ts), open SYSTEM and SOFTWARE with their logs, read each hive's
// facts (system-hive.ts, software-hive.ts), then join them with what only the volume knows
// (driver files present, hiberfil state, OEM certificates, licensing stores) and, when the
// caller passes the disk's volume discovery, drive letters, BitLocker and the boot firmware.
// The osinfo mapping follows libguestfs inspect-osinfo.c (conversion-facts §c.2).

import { ignoreDiagnostics, type Diagnostics } from '../diagnostics.js';
import { NotFoundError, isRehostError } from '../errors.js';
import type { VolumeDiscovery } from '../fs/discover.js';
import type { FileSystem } from '../fs/types.js';
import { AVMA_KEYS, GVLK_KEYS } from './data/activation-keys.js';
import { HYPERVISOR_TOOLS } from './data/hypervisor-tools.js';
import { matchDriveLetters } from './drive-letters.js';
import { findWindows, openWindowsHive, type OpenedHive } from './locate.js';
import { readSoftwareHive, type SoftwareHiveFacts } from './software-hive.js';
import { readSystemHive } from './system-hive.js';
import { readBoot } from './boot.js';
import type { ActivationFacts, DetectedTool, ServiceFacts, WindowsFacts } from './types.js';

export interface InspectWindowsInput {
  fs: FileSystem;
  diagnostics?: Diagnostics;
  /** The disk's volumes (discoverVolumes), for drive letters, BitLocker and firmware. */
  disk?: VolumeDiscovery;
}

const SERVICE_KERNEL_DRIVER = 0x1;
const SERVICE_FILE_SYSTEM_DRIVER = 0x2;

export async function inspectWindows(input: InspectWindowsInput): Promise<WindowsFacts> {
  const diagnostics = input.diagnostics ?? ignoreDiagnostics;
  const { fs } = input;
  const location = await findWindows(fs, { diagnostics });
  if (location === undefined) throw new NotFoundError('no Windows system root (/Windows/System32/config) on this volume', { kind: 'file', path: '/Windows/System32/config' });
  const systemRoot = location.systemRoot;

  const systemHive = await openWindowsHive({ fs, systemRoot, name: 'SYSTEM', diagnostics });
  if (systemHive === undefined) throw new NotFoundError('the SYSTEM hive is missing', { kind: 'file', path: `${systemRoot}/System32/config/SYSTEM` });
  const softwareHive = await openWindowsHive({ fs, systemRoot, name: 'SOFTWARE', diagnostics });
  if (softwareHive === undefined) diagnostics.report({ severity: 'warning', code: 'WINDOWS_NO_SOFTWARE', message: 'the SOFTWARE hive is missing: version, applications and activation facts are unknown' });

  const system = readSystemHive({ hive: systemHive.hive, diagnostics });
  const software: SoftwareHiveFacts | undefined = softwareHive ? readSoftwareHive({ hive: softwareHive.hive, diagnostics }) : undefined;

  for (const service of system.services) await resolveServiceFile({ fs, systemRoot, service });

  const arch = location.arch ?? archFromEnvironment(system.processorArchitecture);
  const facts: WindowsFacts = {
    os: 'windows',
    systemRoot,
    arch,
    productName: software?.productName,
    editionId: software?.editionId,
    compositionEditionId: software?.compositionEditionId,
    installationType: software?.installationType,
    currentVersion: software?.currentVersion,
    majorVersion: software?.majorVersion,
    minorVersion: software?.minorVersion,
    build: software?.build,
    ubr: software?.ubr,
    displayVersion: software?.displayVersion,
    osinfo: software ? osinfo(software) : undefined,
    controlSet: system.controlSet,
    hostname: system.hostname,
    timeZone: system.timeZone,
    realTimeIsUniversal: system.realTimeIsUniversal,
    machine: system.machine,
    services: system.services,
    classFilters: system.classFilters,
    driverBindings: system.driverBindings,
    devices: system.devices,
    applications: software?.applications ?? [],
    tools: detectTools(system.services, software),
    defenderEnabled: software?.defenderEnabled,
    groupPolicies: software?.groupPolicies ?? [],
    deviceInstallRestrictions: software?.deviceInstallRestrictions,
    network: system.network,
    activation: await activation({ fs, systemRoot, system: system.productOptions, software }),
    unsafe: {
      volumeState: volumeInfo(fs)?.state,
      hibernationSignature: volumeInfo(fs)?.hibernationSignature,
      hiberbootEnabled: system.hiberbootEnabled,
      bitlocker: (input.disk?.volumes ?? []).some((v) => v.filesystem.kind === 'bitlocker'),
      pendingFileRenameOperations: system.pendingFileRenameOperations,
      hiveLogs: hiveLogStates([systemHive, softwareHive]),
    },
    driveLetters: matchDriveLetters({ mounted: system.mountedDevices, disk: input.disk }),
    boot: await readBoot({ fs, disk: input.disk, diagnostics }),
  };
  return facts;
}

function volumeInfo(fs: FileSystem): { state?: string; hibernationSignature?: string } | undefined {
  // The NTFS reader exposes its volume facts as `volume`; other filesystems have none.
  const volume = (fs as { volume?: { state?: unknown; hibernationSignature?: unknown } }).volume;
  if (volume === undefined || typeof volume !== 'object') return undefined;
  return {
    state: typeof volume.state === 'string' ? volume.state : undefined,
    hibernationSignature: typeof volume.hibernationSignature === 'string' ? volume.hibernationSignature : undefined,
  };
}

function hiveLogStates(hives: (OpenedHive | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const hive of hives) {
    if (hive === undefined) continue;
    const name = hive.path.split('/').pop() as string;
    out[name] = hive.recovery.state + (hive.recovery.usedLogs.length > 0 ? ` (${hive.recovery.usedLogs.join(', ')})` : '');
  }
  return out;
}

function archFromEnvironment(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return ({ AMD64: 'x86_64', x86: 'i386', ARM64: 'aarch64', IA64: 'ia64' } as Record<string, string>)[value];
}

/**
 * Maps an ImagePath to a path on the system volume: "\SystemRoot\…", "%SystemRoot%\…",
 * "System32\drivers\x.sys" (relative to the system root), "\??\C:\…" and "C:\…" (the system
 * drive is taken to be C:). Arguments and quotes are dropped. Kernel and file-system drivers
 * without an ImagePath load System32\drivers\<name>.sys.
 */
export function resolveImagePath(input: { imagePath: string | undefined; serviceName: string; type: number | undefined; systemRoot: string }): string | undefined {
  let path = input.imagePath?.trim();
  const isDriver = input.type !== undefined && (input.type & (SERVICE_KERNEL_DRIVER | SERVICE_FILE_SYSTEM_DRIVER)) !== 0;
  if (!path) return isDriver ? `${input.systemRoot}/System32/drivers/${input.serviceName}.sys` : undefined;
  if (path.startsWith('"')) path = path.slice(1, path.indexOf('"', 1) === -1 ? undefined : path.indexOf('"', 1));
  else path = /^(.*?\.(?:exe|sys|dll|com))(?:\s|$)/i.exec(path)?.[1] ?? path.split(' ')[0] ?? path;
  path = path.replace(/^\\\?\?\\/, '');
  const root = input.systemRoot;
  let out: string | undefined;
  if (/^\\SystemRoot\\/i.test(path)) out = root + '/' + path.slice('\\SystemRoot\\'.length);
  else if (/^%(SystemRoot|windir)%\\/i.test(path)) out = root + '/' + path.slice(path.indexOf('\\') + 1);
  else if (/^[Cc]:\\/.test(path)) out = '/' + path.slice(3);
  else if (/^[A-Za-z]:\\/.test(path) || path.startsWith('\\\\') || path.includes('%')) out = undefined;
  else if (/^system32\\/i.test(path)) out = root + '/' + path;
  else if (path.startsWith('\\')) out = path;
  else out = undefined;
  return out?.replace(/\\/g, '/');
}

async function resolveServiceFile(input: { fs: FileSystem; systemRoot: string; service: ServiceFacts }): Promise<void> {
  const { service } = input;
  const file = resolveImagePath({ imagePath: service.imagePath, serviceName: service.name, type: service.type, systemRoot: input.systemRoot });
  if (file === undefined) return;
  service.file = file;
  try {
    service.fileExists = await input.fs.exists(file);
  } catch (error) {
    if (!isRehostError(error)) throw error;
  }
}

function detectTools(services: ServiceFacts[], software: SoftwareHiveFacts | undefined): DetectedTool[] {
  const serviceNames = new Map(services.map((s) => [s.name.toLowerCase(), s.name]));
  const out: DetectedTool[] = [];
  for (const pattern of HYPERVISOR_TOOLS) {
    const evidence: string[] = [];
    for (const name of pattern.services) {
      const hit = serviceNames.get(name.toLowerCase());
      if (hit !== undefined) evidence.push(`service ${hit}`);
    }
    for (const app of software?.applications ?? []) {
      if (pattern.displayNames.some((p) => app.displayName.toLowerCase().includes(p.toLowerCase()))) evidence.push(`application "${app.displayName}"${app.displayVersion ? ` ${app.displayVersion}` : ''}`);
    }
    for (const key of software?.presentToolKeys ?? []) {
      if (pattern.softwareKeys.includes(key)) evidence.push(`SOFTWARE\\${key}`);
    }
    if (evidence.length > 0) out.push({ id: pattern.id, name: pattern.name, platform: pattern.platform, evidence, verified: pattern.verified });
  }
  return out;
}

async function existsQuietly(fs: FileSystem, path: string): Promise<boolean> {
  try {
    return await fs.exists(path);
  } catch (error) {
    if (isRehostError(error)) return false;
    throw error;
  }
}

async function activation(input: {
  fs: FileSystem;
  systemRoot: string;
  system: { productType?: string; productSuite?: string[]; osProductPfn?: string; osProductContentId?: string };
  software: SoftwareHiveFacts | undefined;
}): Promise<ActivationFacts> {
  const { software, system, fs, systemRoot } = input;
  const dpid = software?.digitalProductId;
  const dpid4 = software?.digitalProductId4;
  const keys = [dpid?.productKey, dpid4?.productKey].filter((k): k is string => k !== undefined);
  const matches = (table: { key: string; products: string[] }[]): string[] | undefined => {
    const hit = table.filter((entry) => keys.includes(entry.key)).flatMap((entry) => entry.products);
    return hit.length > 0 ? hit : undefined;
  };
  let oemCertificates: string[] = [];
  const oemDir = `${systemRoot}/System32/OEM`;
  if (await existsQuietly(fs, oemDir)) {
    try {
      oemCertificates = (await fs.readdir(oemDir)).map((e) => e.name).filter((n) => /\.xrm-ms$/i.test(n)).sort();
    } catch (error) {
      if (!isRehostError(error)) throw error;
    }
  }
  const stores = [
    `${systemRoot}/System32/spp/store/2.0/tokens.dat`,
    `${systemRoot}/System32/spp/store/tokens.dat`,
    `${systemRoot}/ServiceProfiles/NetworkService/AppData/Roaming/Microsoft/SoftwareProtectionPlatform/tokens.dat`,
  ];
  const licensingStores: string[] = [];
  for (const store of stores) if (await existsQuietly(fs, store)) licensingStores.push(store);
  return {
    productType: system.productType,
    productSuite: system.productSuite,
    osProductPfn: system.osProductPfn,
    osProductContentId: system.osProductContentId,
    productId: software?.productId ?? dpid?.productId,
    productKey: dpid?.productKey,
    sku: dpid?.sku,
    keyType: dpid4?.keyType || undefined,
    editionType: dpid4?.editionType || undefined,
    activationId: dpid4?.activationId || undefined,
    dpid4ProductKey: dpid4?.productKey,
    gvlk: matches(GVLK_KEYS),
    avma: matches(AVMA_KEYS),
    kmsHost: software?.kmsHost,
    kmsPort: software?.kmsPort,
    evaluation: /eval$/i.test(software?.editionId ?? ''),
    oemInformation: software?.oemInformation,
    oemCertificates,
    oemProductId: /-OEM-/i.test(software?.productId ?? ''),
    licensingStores,
  };
}

/** libguestfs's osinfo short ids (inspect-osinfo.c), by major/minor, build and product name. */
export function osinfo(software: Pick<SoftwareHiveFacts, 'majorVersion' | 'minorVersion' | 'build' | 'productName' | 'installationType'>): string | undefined {
  const { majorVersion: major, minorVersion: minor } = software;
  const name = software.productName ?? '';
  const server = /server/i.test(software.installationType ?? '') || /server/i.test(name);
  if (major === undefined || minor === undefined) return undefined;
  if (major === 5 && minor === 1) return 'winxp';
  if (major === 5 && minor === 2) return /R2/.test(name) ? 'win2k3r2' : /Server/.test(name) ? 'win2k3' : 'winxp';
  if (major === 6) {
    const table: Record<number, [string, string]> = { 0: ['winvista', 'win2k8'], 1: ['win7', 'win2k8r2'], 2: ['win8', 'win2k12'], 3: ['win8.1', 'win2k12r2'] };
    const pair = table[minor];
    return pair ? pair[server ? 1 : 0] : undefined;
  }
  if (major === 10 && minor === 0) {
    if (server) {
      if (/2025/.test(name)) return 'win2k25';
      if (/2022/.test(name)) return 'win2k22';
      if (/2019/.test(name)) return 'win2k19';
      return 'win2k16';
    }
    return (software.build ?? 0) >= 22000 ? 'win11' : 'win10';
  }
  return undefined;
}
