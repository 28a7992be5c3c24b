// Questions asked of a loaded catalog: a platform by id, its devices for one function, which
// platforms present a PCI ID, which platforms an SMBIOS identity points at. Pure functions.

import { NotFoundError } from '../errors.js';
import type { Catalog, DeviceFunction, Platform, PlatformDevice } from './types.js';

/** The platform with this id; NotFoundError when there is none. */
export function platformById(catalog: Catalog, id: string): Platform {
  const platform = findPlatform(catalog, id);
  if (!platform) throw new NotFoundError(`no platform "${id}" in the catalog (known: ${catalog.platforms.map((p) => p.id).join(', ')})`, { kind: 'platform' });
  return platform;
}

/** The platform with this id, or undefined. */
export function findPlatform(catalog: Catalog, id: string): Platform | undefined {
  return catalog.platforms.find((p) => p.id === id);
}

/** Devices of one function, the platform's default first. */
export function devicesByFunction(platform: Platform, fn: DeviceFunction): PlatformDevice[] {
  const list = platform.devices.filter((d) => d.function === fn);
  return [...list.filter((d) => d.default === true), ...list.filter((d) => d.default !== true)];
}

export interface PciMatch {
  platform: Platform;
  devices: PlatformDevice[];
}

function hex4(value: string | number): string {
  const text = typeof value === 'number' ? value.toString(16) : value.replace(/^0x/i, '');
  return text.toUpperCase().padStart(4, '0');
}

/** Platforms presenting a device with this PCI vendor/device ID (hex string or number). */
export function platformsForPciId(catalog: Catalog, id: { vendor: string | number; device: string | number }): PciMatch[] {
  const vendor = hex4(id.vendor);
  const device = hex4(id.device);
  const out: PciMatch[] = [];
  for (const platform of catalog.platforms) {
    const devices = platform.devices.filter((d) => d.pci?.some((p) => p.vendor === vendor && p.device === device));
    if (devices.length > 0) out.push({ platform, devices });
  }
  return out;
}

const normalise = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * Platforms whose SMBIOS identity matches (case- and whitespace-insensitive). Without a
 * product, the manufacturer alone decides. Several platforms can share an identity (KVM,
 * Proxmox and Nutanix images all say QEMU or similar), so the answer is a list.
 */
export function platformsForSmbios(catalog: Catalog, identity: { manufacturer: string; product?: string }): Platform[] {
  const manufacturer = normalise(identity.manufacturer);
  const product = identity.product !== undefined ? identity.product.trim() : undefined;
  return catalog.platforms.filter((platform) =>
    platform.smbios.some((s) => {
      if (normalise(s.manufacturer) !== manufacturer) return false;
      if (product === undefined) return true;
      if (s.product !== undefined) return normalise(s.product) === normalise(product);
      if (s.productPattern !== undefined) return new RegExp(s.productPattern, 'iu').test(product);
      return true;
    }),
  );
}
