// libvirt domain XML (https://libvirt.org/formatdomain.html): <domain><name>, <memory unit=…>
// (default KiB), <vcpu>, <genid>, <os firmware="efi"> or <os><loader type="pflash"
// secure="yes">, <os><type machine="q35">; <devices> with <disk device="disk|cdrom|floppy">
// (<source file|dev|volume|name>, <target dev bus>, <address controller unit>),
// <controller type index model>, and <interface type> (<mac address>, <model type>,
// <source bridge|network>). The libosinfo metadata gives the guest OS id.

import { CorruptError } from '../errors.js';
import { normaliseMac } from './mac.js';
import type { DiskBus, VmController, VmDescription, VmDisk, VmNic } from './types.js';
import { attr, child, children, integer, parseXml, text } from './xml.js';

const ARRAYS = new Set(['disk', 'controller', 'interface']);

const UNIT_MIB: Record<string, number> = { b: 1 / 2 ** 20, bytes: 1 / 2 ** 20, k: 1 / 1024, kib: 1 / 1024, kb: 1000 / 2 ** 20, m: 1, mib: 1, mb: 1e6 / 2 ** 20, g: 1024, gib: 1024, gb: 1e9 / 2 ** 20, t: 2 ** 20, tib: 2 ** 20 };

function busOf(bus: string | undefined, dev: string | undefined): DiskBus {
  const b = bus?.toLowerCase() ?? (dev?.startsWith('vd') ? 'virtio' : dev?.startsWith('sd') ? 'scsi' : dev?.startsWith('hd') ? 'ide' : dev?.startsWith('fd') ? 'fdc' : dev?.startsWith('xvd') ? 'xen' : undefined);
  switch (b) {
    case 'ide': case 'scsi': case 'sata': case 'virtio': case 'xen': case 'usb': case 'nvme': return b;
    case 'fdc': return 'fdc';
    default: return 'other';
  }
}

/** Index of a target name's letters: sda → 0, vdb → 1, sdaa → 26, hdc → 2. */
function letterIndex(dev: string | undefined): number | undefined {
  const m = /^(?:sd|vd|hd|xvd|fd|nvme)([a-z]{1,3})$/.exec(dev ?? '');
  if (!m) return undefined;
  let n = 0;
  for (const c of m[1]!) n = n * 26 + (c.charCodeAt(0) - 96);
  return n - 1;
}

export function looksLikeLibvirt(text: string): boolean {
  return /<domain[\s>]/.test(text.slice(0, 65536));
}

export function describeLibvirt(xml: string): VmDescription {
  const doc = parseXml(xml, 'libvirt domain XML', ARRAYS);
  const domain = child(doc, 'domain');
  if (!domain) throw new CorruptError('libvirt XML has no domain element', { structure: 'libvirt domain XML' });
  const notes: string[] = [];
  const os = child(domain, 'os');
  const loader = child(os, 'loader');
  const efi = attr(os, 'firmware') === 'efi' || attr(loader, 'type') === 'pflash' || /ovmf|edk2|aavmf/i.test(text(loader) ?? '');
  const secureFeature = children(child(os, 'firmware'), 'feature').find((f) => attr(f, 'name') === 'secure-boot');
  const secureBoot = efi ? attr(loader, 'secure') === 'yes' || attr(secureFeature, 'enabled') === 'yes' : false;

  const memory = child(domain, 'memory');
  const amount = integer(text(memory));
  const unit = UNIT_MIB[(attr(memory, 'unit') ?? 'KiB').toLowerCase()];
  const memoryMiB = amount !== undefined && unit !== undefined ? Math.round(amount * unit) : undefined;

  const devices = child(domain, 'devices');
  const controllers: VmController[] = [];
  for (const c of children(devices, 'controller')) {
    const type = attr(c, 'type');
    if (type === undefined || !['scsi', 'sata', 'ide', 'fdc', 'virtio-serial', 'usb', 'nvme'].includes(type)) continue;
    const bus: DiskBus = type === 'virtio-serial' ? 'other' : busOf(type, undefined);
    controllers.push({ id: `${type}${attr(c, 'index') ?? '0'}`, bus, model: attr(c, 'model') ?? (type === 'virtio-serial' ? 'virtio-serial' : undefined) });
  }

  const disks: VmDisk[] = [];
  for (const d of children(devices, 'disk')) {
    const target = child(d, 'target');
    const dev = attr(target, 'dev');
    const bus = busOf(attr(target, 'bus'), dev);
    const address = child(d, 'address');
    const source = child(d, 'source');
    const file = attr(source, 'file') ?? attr(source, 'dev') ?? attr(source, 'name') ?? (attr(source, 'volume') !== undefined ? `${attr(source, 'pool') ?? ''}/${attr(source, 'volume')}` : undefined);
    const device = attr(d, 'device') ?? 'disk';
    const controllerIndex = integer(attr(address, 'controller'));
    const unit = integer(attr(address, 'unit'));
    const bus2 = integer(attr(address, 'bus'));
    const slot = bus === 'ide' && bus2 !== undefined && unit !== undefined ? bus2 * 2 + unit : unit ?? letterIndex(dev) ?? disks.filter((x) => x.bus === bus).length;
    disks.push({
      controller: bus === 'virtio' ? (dev ?? 'virtio') : `${bus}${controllerIndex ?? 0}`,
      bus,
      slot,
      unit,
      controllerIndex,
      file,
      deviceType: device === 'disk' || device === 'lun' ? 'disk' : device === 'cdrom' ? 'cdrom' : device === 'floppy' ? 'floppy' : 'other',
      rawType: device,
    });
  }

  const nics: VmNic[] = [];
  for (const i of children(devices, 'interface')) {
    const type = attr(i, 'type');
    const source = child(i, 'source');
    nics.push({
      model: attr(child(i, 'model'), 'type')?.toLowerCase(),
      mac: normaliseMac(attr(child(i, 'mac'), 'address')),
      network: attr(source, 'bridge') ?? attr(source, 'network') ?? attr(source, 'dev'),
      networkType: type === 'bridge' ? 'bridge' : type === 'network' ? 'network' : type === 'user' ? 'nat' : 'other',
    });
  }

  const osinfo = attr(child(child(child(domain, 'metadata'), 'libosinfo'), 'os'), 'id');
  const genid = text(child(domain, 'genid'));
  return {
    source: 'libvirt',
    name: text(child(domain, 'name')) ?? '',
    guestOs: osinfo,
    firmware: efi ? 'uefi' : 'bios',
    secureBoot,
    memoryMiB,
    cpus: integer(text(child(domain, 'vcpu'))) ?? 1,
    genid: genid !== undefined && genid !== '' ? genid.toLowerCase() : undefined,
    machine: attr(child(os, 'type'), 'machine'),
    controllers,
    disks,
    nics,
    notes,
  };
}
