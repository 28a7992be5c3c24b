// The fleet-level facts of one VM, computed from its disks' lean facts alone (no verdicts): which OS
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
    const facts = disk.facts;
    if (!facts) continue;
    for (const volume of facts.volumes) {
      if (volume.encrypted) encryptedVolumes = true;
      if (volume.kind === 'bitlocker') bitlocker = true;
    }
    for (const os of facts.operatingSystems) {
      oses.add(os.type);
      distros.push(os.distro);
      if (os.hibernated) hibernated = true;
      if (os.fastStartup) fastStartup = true;
      if (os.bitlocker) bitlocker = true;
      staticIps.push(...os.staticIps);
      for (const tool of os.guestTools) tools.add(tool);
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
