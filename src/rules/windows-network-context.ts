// The network part of the Windows evaluation context: `derived.network`, which
// packs/windows-platform.json tests. Pure: which target devices the staged driver set covers is
// found by the caller (firstbootPlanInput → FirstbootPlanInput.stagedDevices).
// Per network adapter of the target that the catalog names a Windows driver for:
//  - 'present': the guest has the driver's service (a key with a Type, its file not missing);
//  - 'staged': the driver set staged for first boot has it and the first-boot run is armed
//    (pnputil installs it then: virtio-win's netkvm, the AWS ENA or GCE gVNIC package);
//  - 'missing': neither. The VM boots but has no network on that adapter, which on a cloud
//    (ENA on Nitro) leaves it unreachable — said as a warning naming the adapters it does have
//    a driver for, because a NIC is chosen when the VM is created, not by the guest.

import type { Platform } from '../catalog/index.js';
import { hasDriverService } from '../windows/service-facts.js';
import type { WindowsFacts } from '../windows/types.js';

export interface DerivedNetworkDevice {
  id: string;
  name: string;
  default: boolean;
  services: string[];
  state: 'present' | 'staged' | 'missing';
  /** The staged INF, for 'staged'. */
  inf?: string;
}

export interface DerivedNetwork {
  devices: DerivedNetworkDevice[];
  staged: DerivedNetworkDevice[];
  /** The target's default adapters with no driver. */
  missingDefault: DerivedNetworkDevice[];
  /** Adapters of the target that will have a driver (present or staged), by name; 'none' when there are none. */
  usable: string;
}

export function windowsNetworkDerived(args: {
  facts: WindowsFacts;
  target: Platform;
  /** Target devices the staged set has a driver for. */
  staged: ReadonlyArray<{ device: string; inf: string }>;
  /** Whether the first-boot run that installs the staged set is (or will be) armed. */
  armed: boolean;
}): { network: DerivedNetwork } {
  const devices: DerivedNetworkDevice[] = args.target.devices
    .filter((d) => d.function === 'network' && (d.windows?.services.length ?? 0) > 0)
    .map((d) => {
      const services = d.windows?.services ?? [];
      const base = { id: d.id, name: d.name, default: d.default === true, services };
      if (services.some((s) => hasDriverService(args.facts, s))) return { ...base, state: 'present' as const };
      const staged = args.armed ? args.staged.find((s) => s.device === d.id) : undefined;
      return staged !== undefined ? { ...base, state: 'staged' as const, inf: staged.inf } : { ...base, state: 'missing' as const };
    });
  return {
    network: {
      devices,
      staged: devices.filter((d) => d.state === 'staged'),
      missingDefault: devices.filter((d) => d.default && d.state === 'missing'),
      usable: devices.filter((d) => d.state !== 'missing').map((d) => d.name).join(', ') || 'none',
    },
  };
}
