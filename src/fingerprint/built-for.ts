// "Built for": the platform a guest was installed on or last ran on, from the evidence it
// keeps offline. Weights (why): the SMBIOS identity in HardwareConfig is the machine Windows
// last booted on (conversion-facts.md §f.2) — 4 (a --vm descriptor, when given, 5); installed guest tools are chosen
// by a person for the platform — 3; a PCI/VMBus id seen in Enum or bound in a host-only
// initramfs is real hardware the guest met — 2 for an id only one family presents, split
// across families otherwise (e1000 is on VMware, KVM and VirtualBox alike). A Linux
// initramfs that is not host-only carries every driver, so it proves nothing and is skipped.

import { platformsForPciId, platformsForSmbios, type Catalog } from '../catalog/index.js';
import type { OperatingSystem } from '../inspect/inspect.js';
import { parseDeviceId } from '../windows/device-id.js';
import type { BuiltFor, BuiltForCandidate, Confidence } from './types.js';

/** Tool platform families (Windows tool ids / Linux guest-tool hypervisors) → catalog platform ids. */
export const FAMILY_PLATFORMS: Record<string, string[]> = {
  vmware: ['vmware-esxi'],
  hyperv: ['hyperv-gen1', 'hyperv-gen2'],
  azure: ['azure'],
  kvm: ['kvm', 'proxmox', 'nutanix-ahv'],
  xen: ['xen-hvm', 'xcp-ng', 'aws-xen'],
  virtualbox: ['virtualbox'],
  aws: ['aws-nitro', 'aws-xen'],
  gce: ['gce'],
};

const KNOWN_HYPERVISOR_VENDORS = /vmware|microsoft|qemu|xen|innotek|oracle|amazon|google|nutanix|red hat|parallels|bochs/i;

/** What a VM descriptor (--vm) said, as matchDescription reads it against the catalog. */
export interface DescriptorEvidence {
  source: string;
  platformIds: string[];
}

export function builtFor(args: { os: OperatingSystem; catalog: Catalog; descriptor?: DescriptorEvidence }): BuiltFor {
  const { os, catalog } = args;
  const scores = new Map<string, BuiltForCandidate>();
  const known = new Set(catalog.platforms.map((p) => p.id));
  const add = (platforms: string[], weight: number, evidence: string): void => {
    const present = platforms.filter((p) => known.has(p));
    if (present.length === 0) return;
    const share = weight / present.length;
    for (const id of present) {
      const c = scores.get(id) ?? { platform: id, score: 0, evidence: [] };
      c.score += share;
      if (!c.evidence.includes(evidence)) c.evidence.push(evidence);
      scores.set(id, c);
    }
  };
  const evidence: string[] = [];
  let other: string | undefined;

  // The hypervisor's own description of the VM the disk came from is the strongest evidence
  // of where it last ran (5); its first platform is the one most devices matched.
  if (args.descriptor !== undefined && args.descriptor.platformIds.length > 0) {
    add(args.descriptor.platformIds.slice(0, 1), 5, `VM descriptor (${args.descriptor.source}) matches ${args.descriptor.platformIds.join(', ')}`);
  }
  if (os.type === 'windows') {
    const m = os.facts.machine;
    if (m?.systemManufacturer !== undefined) {
      const identity = `${m.systemManufacturer}${m.systemProductName !== undefined ? ` / ${m.systemProductName}` : ''}`;
      const matches = platformsForSmbios(catalog, { manufacturer: m.systemManufacturer, ...(m.systemProductName !== undefined ? { product: m.systemProductName } : {}) });
      if (matches.length > 0) add(matches.map((p) => p.id), 4, `HardwareConfig SMBIOS ${identity}`);
      else if (!KNOWN_HYPERVISOR_VENDORS.test(identity)) {
        other = 'physical';
        evidence.push(`HardwareConfig SMBIOS ${identity} is not a virtual platform in the catalog (physical machine)`);
      } else evidence.push(`HardwareConfig SMBIOS ${identity} matches no catalog platform`);
    }
    for (const tool of os.facts.tools) {
      const platforms = FAMILY_PLATFORMS[tool.platform];
      if (platforms !== undefined) add(platforms, 3, `${tool.name} installed`);
      else {
        other ??= tool.platform;
        evidence.push(`${tool.name} installed (${tool.platform}, not in the catalog)`);
      }
    }
    const seenIds = new Set<string>();
    for (const d of os.facts.devices) {
      const id = d.vendor !== undefined ? d : parseDeviceId(d.id);
      if (id.bus !== 'PCI' || id.vendor === undefined || id.device === undefined) continue;
      const key = `${id.vendor}:${id.device}`;
      if (seenIds.has(key)) continue;
      seenIds.add(key);
      const matches = platformsForPciId(catalog, { vendor: id.vendor, device: id.device });
      const families = new Set(matches.map((mm) => mm.platform.vendor));
      if (matches.length > 0) add(matches.map((mm) => mm.platform.id), 2 / families.size, `Enum device PCI ${key} (${matches[0]!.devices[0]!.name})`);
    }
  } else {
    for (const tool of os.facts.guestTools) {
      const platforms = FAMILY_PLATFORMS[tool.hypervisor];
      if (platforms !== undefined) add(platforms, 3, `${tool.name} installed`);
    }
    for (const kernel of os.facts.kernels) {
      const initramfs = kernel.initramfs;
      if (initramfs?.hostonly !== true) continue;
      for (const module of initramfs.modules) {
        const platforms = catalog.platforms.filter((p) => p.devices.some((d) => d.function === 'boot-storage' && d.linux?.modules.some((m) => m.replace(/-/g, '_') === module)));
        const families = new Set(platforms.map((p) => p.vendor));
        if (platforms.length > 0 && families.size <= 2) add(platforms.map((p) => p.id), 2 / families.size, `host-only initramfs of ${kernel.version} carries ${module}`);
      }
    }
  }

  const candidates = [...scores.values()]
    .map((c) => ({ ...c, score: Math.round(c.score * 100) / 100 }))
    .sort((a, b) => b.score - a.score || (a.platform < b.platform ? -1 : 1));
  const top = candidates[0];
  if (top === undefined) return { ...(other !== undefined ? { other } : {}), confidence: other === 'physical' ? 'medium' : 'none', evidence, candidates };
  const second = candidates[1]?.score ?? 0;
  const confidence: Confidence = top.score >= 6 && top.score - second >= 2 ? 'high' : top.score >= 3 && top.score > second ? 'medium' : 'low';
  return { platform: top.platform, ...(other !== undefined ? { other } : {}), confidence, evidence: [...top.evidence, ...evidence], candidates };
}
