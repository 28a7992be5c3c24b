// The I/O half of planning a Windows driver installation: a driver source (--drivers: a host
// directory or an ISO such as virtio-win.iso) is scanned with src/windows/drivers
// (findDrivers: Windows' own applicability through the INF's [Manufacturer] decorations,
// then virtio-win's folder convention), and every driver that fits one of the target's
// boot-storage PCI devices becomes a WindowsDriverCandidate — plain data (INF service
// parameters, the service AddReg as registry values, each file's path and sha256) that
// src/rules/windows-context.ts, which is pure, plans from.

import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import type { Platform } from '../../catalog/index.js';
import type { RegistryKeyValues, RegistryValueSpec, WindowsDriverFile } from '../../rules/types.js';
import type { WindowsDriverCandidate } from '../../rules/windows-context.js';
import { infArch } from '../../rules/windows-context.js';
import { deviceMatchesId, findDrivers, openDriverSource, scanDriverSource, type DriverMatch } from '../../windows/drivers/index.js';
import type { InfArch, InfOs, InfRegEntry } from '../../windows/inf/types.js';
import type { WindowsFacts } from '../../windows/types.js';
import { ntVersion } from '../../rules/windows-context.js';
import { sha256Hex } from '../hash.js';

const SERVICE_KERNEL_DRIVER = 1;
const SERVICE_ERROR_NORMAL = 1;
/** DIRID_DRIVER_STORE: %SystemRoot%\System32\DriverStore\FileRepository\<package>. */
const DIRID_DRIVER_STORE = 13;

/** The guest as INF applicability sees it; undefined when its version or arch is unknown. */
export function infOsOf(facts: WindowsFacts): InfOs | undefined {
  const version = ntVersion(facts);
  const arch = infArch(facts.arch) as InfArch | undefined;
  if (version === undefined || arch === undefined) return undefined;
  const server = /server/i.test(facts.installationType ?? '') || /server/i.test(facts.productName ?? '');
  return {
    major: Math.floor(version / 100),
    minor: version % 100,
    ...(facts.build !== undefined ? { build: facts.build } : {}),
    arch,
    productType: server ? 'server' : 'workstation',
  };
}

/** One INF AddReg entry (HKR) as a value to set, or undefined when it sets nothing we write. */
function regSpec(entry: InfRegEntry): { key: string; spec: RegistryValueSpec } | undefined {
  if (entry.keyOnly || entry.deleteValue || entry.append || entry.type === undefined) return undefined;
  if (entry.root.toUpperCase() !== 'HKR') return undefined;
  const name = entry.valueName ?? '';
  const d = entry.data;
  let spec: RegistryValueSpec | undefined;
  switch (entry.type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      spec = { name, type: entry.type, data: typeof d === 'string' ? d : '' };
      break;
    case 'REG_MULTI_SZ':
      spec = { name, type: 'REG_MULTI_SZ', data: Array.isArray(d) ? d : [] };
      break;
    case 'REG_DWORD':
      if (typeof d === 'number') spec = { name, type: 'REG_DWORD', data: d >>> 0 };
      else if (d instanceof Uint8Array && d.length === 4) spec = { name, type: 'REG_DWORD', data: new DataView(d.buffer, d.byteOffset, 4).getUint32(0, true) };
      break;
    case 'REG_QWORD':
      if (typeof d === 'bigint') spec = { name, type: 'REG_QWORD', data: BigInt.asUintN(64, d).toString() };
      break;
    case 'REG_BINARY':
      if (d instanceof Uint8Array) spec = { name, type: 'REG_BINARY', data: Buffer.from(d).toString('hex') };
      break;
    default:
      break;
  }
  return spec === undefined ? undefined : { key: entry.subkey, spec };
}

function serviceValues(entries: readonly InfRegEntry[]): RegistryKeyValues[] {
  const byKey = new Map<string, RegistryValueSpec[]>();
  for (const entry of entries) {
    const hit = regSpec(entry);
    if (hit === undefined) continue;
    const list = byKey.get(hit.key) ?? [];
    const at = list.findIndex((v) => v.name.toLowerCase() === hit.spec.name.toLowerCase());
    if (at >= 0) list[at] = hit.spec; // a later AddReg line wins, as SetupAPI applies them in order
    else list.push(hit.spec);
    byKey.set(hit.key, list);
  }
  return [...byKey.entries()].map(([key, values]) => ({ key, values }));
}

async function candidateOf(args: { match: DriverMatch; driverSource: string; read: (path: string) => Promise<Uint8Array>; systemRoot: string }): Promise<WindowsDriverCandidate | undefined> {
  const { match } = args;
  const service = match.services.find((s) => s.functionDriver) ?? match.services[0];
  if (service === undefined) return undefined;
  const files: WindowsDriverFile[] = [];
  const missing: string[] = [];
  for (const f of match.files) {
    if (f.source === undefined || f.destination === undefined) {
      missing.push(f.name);
      continue;
    }
    const bytes = await args.read(f.source);
    // DIRID 13 (run from the driver store, Windows 10 1709+ INFs) names a DriverStore folder
    // that only a real package install creates; a boot driver placed offline goes to
    // System32\drivers as virt-v2v places it, and its ImagePath follows.
    const dest = f.dirid === DIRID_DRIVER_STORE ? `${args.systemRoot}/System32/drivers/${f.name}` : f.destination;
    files.push({ source: f.source, dest, sha256: sha256Hex(bytes), size: bytes.length });
  }
  const runsFromStore = service.binary?.dirid === DIRID_DRIVER_STORE;
  const binaryName = service.binary?.written.split('\\').pop() ?? `${service.name}.sys`;
  const imagePath = runsFromStore || service.binary?.imagePath === undefined ? `\\SystemRoot\\System32\\drivers\\${binaryName}` : service.binary.imagePath;
  return {
    driverSource: args.driverSource,
    inf: match.infPath,
    service: service.name,
    hardwareIds: [match.hardwareId, ...match.compatibleIds],
    ...(match.classGuid !== undefined ? { classGuid: match.classGuid } : {}),
    serviceParams: {
      type: service.serviceType ?? SERVICE_KERNEL_DRIVER,
      start: service.startType ?? 0,
      errorControl: service.errorControl ?? SERVICE_ERROR_NORMAL,
      ...(service.loadOrderGroup !== undefined ? { group: service.loadOrderGroup } : {}),
      imagePath,
      ...(service.displayName !== undefined ? { displayName: service.displayName } : {}),
    },
    serviceValues: serviceValues(service.addReg),
    files,
    missingFiles: missing,
  };
}

/**
 * The drivers a source offers for this guest's boot storage on the target: one candidate per
 * (INF, service), its hardware IDs merged over the Models lines that matched (viostor's legacy
 * 1001 and modern 1042 lines become one candidate).
 */
export async function windowsDriverCandidates(args: { driverSource: string; facts: WindowsFacts; target: Platform; diagnostics?: Diagnostics }): Promise<WindowsDriverCandidate[]> {
  const diagnostics = args.diagnostics ?? ignoreDiagnostics;
  const os = infOsOf(args.facts);
  if (os === undefined) {
    diagnostics.report({ severity: 'warning', code: 'windows-version-unknown', message: 'the guest\'s Windows version or architecture is unknown; no driver of the source can be chosen' });
    return [];
  }
  const devices = args.target.devices.filter((d) => d.function === 'boot-storage').map((d) => ({ id: d.id, pci: d.pci ?? [] }));
  const source = await openDriverSource(args.driverSource, { diagnostics });
  try {
    const packages = await scanDriverSource(source, { diagnostics });
    const matches = await findDrivers({ source, os, packages, diagnostics, systemRoot: args.facts.systemRoot });
    const relevant = matches.filter((m) => [m.hardwareId, ...m.compatibleIds].some((id) => devices.some((d) => deviceMatchesId(d, id))));
    const byKey = new Map<string, WindowsDriverCandidate>();
    for (const match of relevant) {
      const candidate = await candidateOf({ match, driverSource: args.driverSource, read: (p) => source.fs.readFile(p), systemRoot: args.facts.systemRoot });
      if (candidate === undefined) continue;
      const key = `${candidate.inf}\n${candidate.service.toLowerCase()}`;
      const seen = byKey.get(key);
      if (seen === undefined) byKey.set(key, candidate);
      else seen.hardwareIds = [...new Set([...seen.hardwareIds, ...candidate.hardwareIds])];
    }
    return [...byKey.values()];
  } finally {
    await source.close();
  }
}
