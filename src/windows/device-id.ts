// Parses Windows hardware ids into bus and vendor/device parts: PCI\VEN_15AD&DEV_07C0&SUBSYS_…
// &REV_01, VMBUS\{guid}, ACPI\PNP0A03 or ACPI\VEN_…&DEV_…, USB\VID_0E0F&PID_0003, SCSI\Disk…
// CriticalDeviceDatabase spells the separator '#' (pci#ven_8086&dev_7111), so both are accepted.
// Pure string work: unknown shapes keep their bus and the rest as `other`.

import type { DeviceId } from './types.js';

export function parseDeviceId(id: string): DeviceId {
  const normal = id.replace(/#/g, '\\');
  const slash = normal.indexOf('\\');
  const bus = (slash === -1 ? normal : normal.slice(0, slash)).toUpperCase();
  const rest = slash === -1 ? '' : normal.slice(slash + 1);
  const out: DeviceId = { id, bus };
  const field = (name: string): string | undefined => new RegExp(`(?:^|&)${name}_([0-9A-Za-z]+)`, 'i').exec(rest)?.[1]?.toUpperCase();
  if (bus === 'PCI' || bus === 'HDAUDIO') {
    const vendor = field('VEN');
    const device = field('DEV');
    const subsystem = field('SUBSYS');
    const revision = field('REV');
    if (vendor !== undefined) out.vendor = vendor;
    if (device !== undefined) out.device = device;
    if (subsystem !== undefined) out.subsystem = subsystem;
    if (revision !== undefined) out.revision = revision;
    if (vendor === undefined && rest) out.other = rest;
  } else if (bus === 'USB') {
    const vendor = field('VID');
    const device = field('PID');
    if (vendor !== undefined) out.vendor = vendor;
    if (device !== undefined) out.device = device;
    if (vendor === undefined && rest) out.other = rest;
  } else if (bus === 'ACPI') {
    const vendor = field('VEN');
    const device = field('DEV');
    if (vendor !== undefined && device !== undefined) {
      out.vendor = vendor;
      out.device = device;
    } else if (rest) out.other = rest.toUpperCase();
  } else if (rest) {
    const guid = /\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?/i.exec(rest)?.[1];
    out.other = guid !== undefined && bus === 'VMBUS' ? guid.toLowerCase() : rest;
  }
  return out;
}
