// The fleet-level facts of one VM, computed from its Inspection alone (no verdicts): which OS
// and version, and the migration risks an inspection can see by itself — a hibernated
// Windows, BitLocker or LUKS volumes, static IP addresses, guest tools per hypervisor. The
// summary counts these and the CSV/Markdown rows print them.

import type { VmRecord } from './types.js';

export interface VmFacts {
  /** 'windows' | 'linux' | 'none' (no OS found) | 'error'. */
  os: string;
  /** "Windows Server 2019 Datacenter 10.0.17763", "debian 12". */
  distros: string[];
  hibernated: boolean;
  fastStartup: boolean;
  bitlocker: boolean;
  encryptedVolumes: boolean;
  staticIps: string[];
  /** Hypervisors whose guest tools are installed. */
  guestTools: string[];
}

export function vmFacts(record: VmRecord): VmFacts {
  const oses = new Set<string>();
  const distros: string[] = [];
  const staticIps: string[] = [];
  const tools = new Set<string>();
  let hibernated = false;
  let fastStartup = false;
  let bitlocker = false;
  let encryptedVolumes = false;
  for (const disk of record.disks) {
    const inspection = disk.inspection;
    if (!inspection) continue;
    for (const volume of inspection.volumes) {
      if (volume.filesystem.encrypted) encryptedVolumes = true;
      if (volume.filesystem.kind === 'bitlocker') bitlocker = true;
    }
    for (const os of inspection.operatingSystems) {
      oses.add(os.type);
      if (os.type === 'windows') {
        const f = os.facts;
        distros.push([f.productName ?? 'Windows', f.majorVersion !== undefined ? `${f.majorVersion}.${f.minorVersion ?? 0}.${f.build ?? 0}` : undefined].filter(Boolean).join(' '));
        if (f.unsafe.hibernationSignature !== undefined) hibernated = true;
        if (f.unsafe.hiberbootEnabled) fastStartup = true;
        if (f.unsafe.bitlocker) bitlocker = true;
        for (const adapter of f.network) {
          const tcpip = adapter.tcpip;
          if (tcpip && tcpip.dhcp === false) staticIps.push(...tcpip.ipAddresses.filter((ip) => ip !== '' && ip !== '0.0.0.0'));
        }
        for (const tool of f.tools) tools.add(tool.platform);
      } else {
        const f = os.facts;
        distros.push([f.distro.id ?? 'linux', f.distro.version].filter(Boolean).join(' '));
        for (const config of f.network.configs) {
          if (config.method === 'static') staticIps.push(...(config.addresses.length > 0 ? config.addresses : [config.name ?? config.file]));
        }
        for (const tool of f.guestTools) tools.add(tool.hypervisor);
      }
    }
  }
  const os = oses.size > 0 ? [...oses].sort().join('+') : record.error ? 'error' : 'none';
  return {
    os,
    distros: [...new Set(distros)].sort(),
    hibernated,
    fastStartup,
    bitlocker,
    encryptedVolumes,
    staticIps: [...new Set(staticIps)].sort(),
    guestTools: [...tools].sort(),
  };
}
