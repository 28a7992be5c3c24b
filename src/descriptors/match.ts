// Connects a VM's description to the platform catalog: which platforms its descriptor kind
// points at, and which catalog device each controller, disk bus and NIC model is. Names are
// matched through each catalog device's `descriptorNames` (data, not code), case-insensitively.
// The boot storage is the device behind the first hard disk, the one whose driver the guest
// must have had to boot where it ran.

import type { Catalog, PlatformDevice } from '../catalog/index.js';
import type { VmDescription } from './types.js';

export interface DescribedDevice {
  kind: 'controller' | 'disk-bus' | 'nic';
  /** The descriptor's reference: controller id, disk bus, or "nic<N>". */
  ref: string;
  /** The name looked up: controller model (or its bus when it has none), bus, NIC model. */
  model: string;
  /** Catalog devices with that name, per candidate platform (empty when none is known). */
  matches: { platform: string; device: PlatformDevice }[];
}

export interface DescriptionMatch {
  /** Platforms the descriptor points at, best first (most devices recognised). */
  platformIds: string[];
  devices: DescribedDevice[];
  bootStorage?: DescribedDevice;
}

/** Platforms implied by descriptor kinds that carry no device names in the catalog. */
const KIND_ONLY: Partial<Record<VmDescription['source'], string[]>> = { vmcx: ['hyperv-gen1', 'hyperv-gen2'] };

export function matchDescription(catalog: Catalog, description: VmDescription): DescriptionMatch {
  const source = description.source;
  const candidates = source === 'vmcx' ? [] : catalog.platforms.filter((p) => p.devices.some((d) => (d.descriptorNames?.[source]?.length ?? 0) > 0));
  // The same word names different things per kind (libvirt "virtio" is a disk bus, a NIC model
  // and a video model), so a lookup only considers devices of the matching functions.
  const lookup = (model: string, kind: DescribedDevice['kind']): DescribedDevice['matches'] => {
    const want = model.toLowerCase();
    const functions = kind === 'nic' ? ['network'] : ['boot-storage', 'storage'];
    const out: DescribedDevice['matches'] = [];
    for (const platform of candidates) {
      for (const device of platform.devices) {
        if (!functions.includes(device.function)) continue;
        if (source !== 'vmcx' && device.descriptorNames?.[source]?.some((n) => n.toLowerCase() === want)) out.push({ platform: platform.id, device });
      }
    }
    return out;
  };

  const devices: DescribedDevice[] = [];
  const controllerIds = new Set(description.controllers.map((c) => c.id));
  for (const c of description.controllers) {
    const model = c.model ?? c.bus;
    devices.push({ kind: 'controller', ref: c.id, model, matches: lookup(model, 'controller') });
  }
  const busesSeen = new Set<string>();
  for (const d of description.disks) {
    if (controllerIds.has(d.controller) || busesSeen.has(d.bus)) continue;
    busesSeen.add(d.bus);
    devices.push({ kind: 'disk-bus', ref: d.bus, model: d.bus, matches: lookup(d.bus, 'disk-bus') });
  }
  description.nics.forEach((n, i) => {
    if (n.model !== undefined) devices.push({ kind: 'nic', ref: `nic${i}`, model: n.model, matches: lookup(n.model, 'nic') });
  });

  const score = new Map<string, number>();
  for (const item of devices) for (const platform of new Set(item.matches.map((m) => m.platform))) score.set(platform, (score.get(platform) ?? 0) + 1);
  const order = catalog.platforms.map((p) => p.id);
  const platformIds = KIND_ONLY[source] ?? [...score.keys()].sort((a, b) => (score.get(b) ?? 0) - (score.get(a) ?? 0) || order.indexOf(a) - order.indexOf(b));

  const firstDisk = description.disks.find((d) => d.deviceType === 'disk');
  const bootStorage = firstDisk === undefined ? undefined
    : devices.find((x) => (x.kind === 'controller' && x.ref === firstDisk.controller) || (x.kind === 'disk-bus' && !controllerIds.has(firstDisk.controller) && x.ref === firstDisk.bus));
  return { platformIds, devices, bootStorage };
}
