// The lean per-VM audit record: what a fleet needs from one disk's Inspection and one OS's
// fingerprint, and nothing more. A full Windows Inspection is ~0.7 MB of JSON (~2 MB
// indented) — driverBindings (every DriverDatabase hardware-id binding, ~85%), services and
// device instances — which the fingerprint needs but a fleet row, a CSV line or fleet.html
// do not. The record keeps the OS, version, key facts (risks, static IPs, guest tools,
// kernels, firmware), verdicts per target × function, built-for, activation risk per
// target, findings and errors; the full Inspection is kept compressed beside it
// (inspections.ts) for re-fingerprinting and for tools that want every fact, and
// `rehost inspect` still prints it whole.

import type { Inspection, OperatingSystem } from '../inspect/index.js';
import type { ActivationChannel, Confidence, Finding, FunctionVerdict, OsFingerprint, Risk } from '../fingerprint/index.js';

/** One volume of the disk: enough to count encrypted and unreadable volumes. */
export interface VolumeBrief {
  id: string;
  kind: string;
  size: number;
  encrypted?: boolean;
  unreadable?: string;
}

/** The key facts of one operating system found on a disk. */
export interface OsBrief {
  type: 'windows' | 'linux';
  root: string;
  /** "Windows 7 Professional 6.1.7601", "debian 12": what the fleet counts per distribution. */
  distro: string;
  /** Product name or os-release PRETTY_NAME. */
  name?: string;
  /** "6.1.7601" (major.minor.build) or os-release VERSION_ID. */
  version?: string;
  edition?: string;
  arch?: string;
  hostname?: string;
  firmware?: string;
  hibernated: boolean;
  fastStartup: boolean;
  bitlocker: boolean;
  staticIps: string[];
  /** Hypervisors whose guest tools are installed. */
  guestTools: string[];
  /** Linux: installed kernel versions. */
  kernels?: string[];
}

export interface DiskFacts {
  partitionTable?: string;
  volumes: VolumeBrief[];
  operatingSystems: OsBrief[];
  /** How many diagnostics the inspection reported (the full list is in the inspection file). */
  warnings: number;
}

/** A FunctionVerdict without the per-device evidence (kept in the full fingerprint). */
export type VerdictBrief = Pick<FunctionVerdict, 'platform' | 'function' | 'verdict' | 'via'>;

export interface OsFingerprintBrief {
  type: OsFingerprint['type'];
  root: string;
  name: string;
  builtFor: { platform?: string; other?: string; confidence: Confidence; evidence: string[] };
  verdicts: VerdictBrief[];
  activation?: { channel: ActivationChannel; targets: Array<{ platform: string; risk: Risk }> };
  findings: Finding[];
}

function windowsVersion(major?: number, minor?: number, build?: number): string | undefined {
  return major !== undefined ? `${major}.${minor ?? 0}.${build ?? 0}` : undefined;
}

const sortedUnique = (values: Iterable<string>): string[] => [...new Set(values)].sort();

export function osBrief(os: OperatingSystem): OsBrief {
  if (os.type === 'windows') {
    const f = os.facts;
    const version = windowsVersion(f.majorVersion, f.minorVersion, f.build);
    const staticIps = f.network.flatMap((adapter) => (adapter.tcpip && adapter.tcpip.dhcp === false ? adapter.tcpip.ipAddresses.filter((ip) => ip !== '' && ip !== '0.0.0.0') : []));
    return {
      type: 'windows',
      root: os.root,
      distro: [f.productName ?? 'Windows', version].filter(Boolean).join(' '),
      ...(f.productName !== undefined ? { name: f.productName } : {}),
      ...(version !== undefined ? { version } : {}),
      ...(f.editionId !== undefined ? { edition: f.editionId } : {}),
      ...(f.arch !== undefined ? { arch: f.arch } : {}),
      ...(f.hostname !== undefined ? { hostname: f.hostname } : {}),
      ...(f.boot ? { firmware: f.boot.firmware } : {}),
      hibernated: f.unsafe.hibernationSignature !== undefined,
      fastStartup: f.unsafe.hiberbootEnabled === true,
      bitlocker: f.unsafe.bitlocker,
      staticIps: sortedUnique(staticIps),
      guestTools: sortedUnique(f.tools.map((t) => t.platform)),
    };
  }
  const f = os.facts;
  const staticIps = f.network.configs.flatMap((c) => (c.method === 'static' ? (c.addresses.length > 0 ? c.addresses : [c.name ?? c.file]) : []));
  return {
    type: 'linux',
    root: os.root,
    distro: [f.distro.id ?? 'linux', f.distro.version].filter(Boolean).join(' '),
    ...(f.distro.prettyName !== undefined ? { name: f.distro.prettyName } : {}),
    ...(f.distro.version !== undefined ? { version: f.distro.version } : {}),
    ...(f.arch !== undefined ? { arch: f.arch } : {}),
    ...(f.hostname !== undefined ? { hostname: f.hostname } : {}),
    firmware: f.boot.firmware,
    hibernated: false,
    fastStartup: false,
    bitlocker: false,
    staticIps: sortedUnique(staticIps),
    guestTools: sortedUnique(f.guestTools.map((t) => t.hypervisor)),
    kernels: f.kernels.map((k) => k.version),
  };
}

export function diskFacts(inspection: Inspection): DiskFacts {
  return {
    ...(inspection.partitionTable ? { partitionTable: inspection.partitionTable.scheme } : {}),
    volumes: inspection.volumes.map((v) => ({
      id: v.id,
      kind: v.filesystem.kind,
      size: v.size,
      ...(v.filesystem.encrypted !== undefined ? { encrypted: v.filesystem.encrypted } : {}),
      ...(v.unreadable !== undefined ? { unreadable: v.unreadable } : {}),
    })),
    operatingSystems: inspection.operatingSystems.map(osBrief),
    warnings: inspection.warnings.length,
  };
}

export function fingerprintBrief(print: OsFingerprint): OsFingerprintBrief {
  const { builtFor } = print;
  return {
    type: print.type,
    root: print.root,
    name: print.name,
    builtFor: {
      ...(builtFor.platform !== undefined ? { platform: builtFor.platform } : {}),
      ...(builtFor.other !== undefined ? { other: builtFor.other } : {}),
      confidence: builtFor.confidence,
      evidence: builtFor.evidence,
    },
    verdicts: print.verdicts.map((v) => ({ platform: v.platform, function: v.function, verdict: v.verdict, ...(v.via !== undefined ? { via: v.via } : {}) })),
    ...(print.activation ? { activation: { channel: print.activation.channel, targets: print.activation.targets.map((t) => ({ platform: t.platform, risk: t.risk })) } } : {}),
    findings: print.findings,
  };
}
