// Reading an OVF descriptor (DMTF DSP0243, OVF 1.x/2.x) into the facts rehost needs: the
// virtual system's name and guest OS, the files and disks, and the virtual hardware (CPUs,
// memory, firmware, disk controllers, NICs, disks and removable drives with the controller
// they hang off). Namespace prefixes are dropped (rasd:, vssd:, vmw:, sasd:, epasd:), so OVF
// 1.x Items and OVF 2.x StorageItem/EthernetPortItem read alike. VMware records the firmware
// as <vmw:Config vmw:key="firmware" vmw:value="efi"/>; VirtualBox as
// <vbox:Machine><Hardware><Platform><Firmware type="EFI"/> (older: <BIOS>…</BIOS> only).
// CIM ResourceType values: 3 CPU, 4 memory, 5 IDE, 6 parallel SCSI, 10 Ethernet, 14 floppy,
// 15 CD drive, 16 DVD drive, 17 disk drive, 20 other storage (SATA/AHCI, NVMe).

import { CorruptError } from '../../errors.js';
import { attr, child, children, integer, parseXml, text, type XmlNode } from '../../xml/index.js';

export type ControllerKind = 'ide' | 'scsi' | 'sata' | 'nvme' | 'other';

export interface OvfFile {
  id: string;
  href: string;
  size?: number;
  /** ovf:compression, e.g. "gzip". */
  compression?: string;
  chunkSize?: number;
}

export interface OvfDisk {
  diskId: string;
  fileRef?: string;
  /** Capacity in bytes (capacity × capacityAllocationUnits). */
  capacity?: number;
  capacityAllocationUnits?: string;
  /** Format URL, e.g. …/vmdk.html#streamOptimized. */
  format?: string;
  populatedSize?: number;
}

export interface OvfController {
  instanceId: string;
  kind: ControllerKind;
  resourceType: number;
  /** ResourceSubType: lsilogic, lsilogicsas, VirtualSCSI, buslogic, AHCI, vmware.nvme.controller… */
  subtype?: string;
  address?: string;
  name?: string;
}

export interface OvfNic {
  instanceId: string;
  /** ResourceSubType: E1000, E1000e, VmxNet3, PCNet32… */
  model?: string;
  mac?: string;
  connection?: string;
  name?: string;
}

export interface OvfDrive {
  instanceId: string;
  kind: 'disk' | 'cdrom' | 'floppy';
  /** For disks: the DiskSection diskId named by HostResource ovf:/disk/<id>. */
  diskId?: string;
  hostResource?: string;
  controllerId?: string;
  controller?: ControllerKind;
  addressOnParent?: number;
  name?: string;
}

export interface OvfDescriptor {
  name?: string;
  virtualSystemId?: string;
  /** How many VirtualSystems the envelope holds; the first is described here. */
  virtualSystemCount: number;
  os?: { id?: number; osType?: string; description?: string };
  virtualSystemType?: string;
  firmware: 'bios' | 'uefi';
  cpus?: number;
  memoryBytes?: number;
  files: OvfFile[];
  disks: OvfDisk[];
  networks: string[];
  controllers: OvfController[];
  nics: OvfNic[];
  drives: OvfDrive[];
}

/** Bound on a descriptor's size (real ones are tens of KiB). */
export const MAX_OVF_BYTES = 16 * 1024 * 1024;

const ARRAYS = new Set(['File', 'Disk', 'Item', 'StorageItem', 'EthernetPortItem', 'Config', 'Network', 'VirtualSystem']);

type Node = XmlNode;

/**
 * Multiplier of a DMTF programmatic unit such as "byte * 2^30", "byte * 10^6", "MegaBytes",
 * "KB", "GigaBytes"; undefined when it cannot be read.
 */
export function unitMultiplier(units: string | undefined): number | undefined {
  if (units === undefined || units.trim() === '') return 1;
  const u = units.trim();
  const programmatic = /^byte(?:\s*\*\s*(\d+)\s*\^\s*(\d+))?$/i.exec(u);
  if (programmatic) {
    if (programmatic[1] === undefined) return 1;
    const value = Number(programmatic[1]) ** Number(programmatic[2]);
    return Number.isSafeInteger(value) ? value : undefined;
  }
  const named: Record<string, number> = { kb: 2 ** 10, kilobytes: 2 ** 10, mb: 2 ** 20, megabytes: 2 ** 20, gb: 2 ** 30, gigabytes: 2 ** 30, tb: 2 ** 40, terabytes: 2 ** 40 };
  return named[u.toLowerCase()];
}

function scaled(quantity: string | undefined, units: string | undefined): number | undefined {
  const n = integer(quantity);
  const m = unitMultiplier(units);
  if (n === undefined || m === undefined) return undefined;
  const value = n * m;
  return Number.isSafeInteger(value) ? value : undefined;
}

function controllerKind(resourceType: number, subtype: string | undefined): ControllerKind | undefined {
  if (resourceType === 5) return 'ide';
  if (resourceType === 6) return 'scsi';
  if (resourceType === 20) return /nvme/i.test(subtype ?? '') ? 'nvme' : 'sata';
  if (resourceType === 7 || resourceType === 8 || resourceType === 9) return 'other';
  return undefined;
}

/** Parses descriptor text. Pure; CorruptError when it is not an OVF envelope. */
export function parseOvf(xml: string): OvfDescriptor {
  const document = parseXml({ xml, structure: 'OVF descriptor', arrays: ARRAYS, maxLength: MAX_OVF_BYTES });
  const envelope = child(document, 'Envelope');
  if (!envelope) throw new CorruptError('OVF descriptor has no Envelope element', { structure: 'OVF descriptor' });

  const files: OvfFile[] = children(child(envelope, 'References'), 'File').map((f) => ({
    id: attr(f, 'id') ?? '',
    href: attr(f, 'href') ?? '',
    size: integer(attr(f, 'size')),
    compression: attr(f, 'compression'),
    chunkSize: integer(attr(f, 'chunkSize')),
  }));

  const disks: OvfDisk[] = children(child(envelope, 'DiskSection') ?? child(envelope, 'VirtualDiskSection'), 'Disk').map((d) => ({
    diskId: attr(d, 'diskId') ?? '',
    fileRef: attr(d, 'fileRef'),
    capacity: scaled(attr(d, 'capacity'), attr(d, 'capacityAllocationUnits')),
    capacityAllocationUnits: attr(d, 'capacityAllocationUnits'),
    format: attr(d, 'format'),
    populatedSize: integer(attr(d, 'populatedSize')),
  }));

  const networks = children(child(envelope, 'NetworkSection'), 'Network')
    .map((n) => attr(n, 'name'))
    .filter((n): n is string => n !== undefined);

  const systems = [...children(envelope, 'VirtualSystem'), ...children(child(envelope, 'VirtualSystemCollection'), 'VirtualSystem')];
  const system = systems[0];
  const osSection = child(system, 'OperatingSystemSection');
  const hardware = child(system, 'VirtualHardwareSection');
  // The parser groups elements by name, so OVF 2.0's StorageItem/EthernetPortItem lose their
  // place among the Items; InstanceIDs ascend in document order in practice, so sort by them.
  const items = [...children(hardware, 'Item'), ...children(hardware, 'StorageItem'), ...children(hardware, 'EthernetPortItem')];
  const instanceNumber = (item: Node): number => integer(text(item.InstanceID)) ?? Number.MAX_SAFE_INTEGER;
  items.sort((a, b) => instanceNumber(a) - instanceNumber(b));

  let cpus: number | undefined;
  let memoryBytes: number | undefined;
  const controllers: OvfController[] = [];
  const nics: OvfNic[] = [];
  const drives: OvfDrive[] = [];
  const byInstance = new Map<string, ControllerKind>();
  for (const item of items) {
    const resourceType = integer(text(item.ResourceType)) ?? -1;
    const subtype = text(item.ResourceSubType);
    const kind = controllerKind(resourceType, subtype);
    if (kind) byInstance.set(text(item.InstanceID) ?? '', kind);
  }
  for (const item of items) {
    const resourceType = integer(text(item.ResourceType)) ?? -1;
    const instanceId = text(item.InstanceID) ?? '';
    const subtype = text(item.ResourceSubType);
    const name = text(item.ElementName);
    const parent = text(item.Parent);
    const addressOnParent = integer(text(item.AddressOnParent));
    if (resourceType === 3) cpus = integer(text(item.VirtualQuantity));
    else if (resourceType === 4) memoryBytes = scaled(text(item.VirtualQuantity), text(item.AllocationUnits) ?? 'byte * 2^20');
    else if (resourceType === 10) {
      nics.push({ instanceId, model: subtype, mac: text(item.Address), connection: text(item.Connection), name });
    } else if (resourceType === 14 || resourceType === 15 || resourceType === 16 || resourceType === 17) {
      const hostResource = text(item.HostResource);
      const diskMatch = /^(?:ovf:)?\/disk\/(.+)$/.exec(hostResource ?? '');
      drives.push({
        instanceId,
        kind: resourceType === 17 ? 'disk' : resourceType === 14 ? 'floppy' : 'cdrom',
        diskId: resourceType === 17 ? diskMatch?.[1] : undefined,
        hostResource,
        controllerId: parent,
        controller: parent !== undefined ? byInstance.get(parent) : undefined,
        addressOnParent,
        name,
      });
    } else {
      const kind = controllerKind(resourceType, subtype);
      if (kind) controllers.push({ instanceId, kind, resourceType, subtype, address: text(item.Address), name });
    }
  }

  const configs = children(hardware, 'Config');
  const firmwareConfig = configs.find((c) => attr(c, 'key') === 'firmware');
  const vboxFirmware = attr(child(child(child(child(system, 'Machine'), 'Hardware'), 'Platform'), 'Firmware'), 'type') ?? attr(child(child(child(system, 'Machine'), 'Hardware'), 'Firmware'), 'type');
  const efi = /^efi/i.test(attr(firmwareConfig, 'value') ?? '') || /^efi/i.test(vboxFirmware ?? '');

  const osId = integer(attr(osSection, 'id'));
  return {
    name: text(system?.Name) ?? attr(system, 'id'),
    virtualSystemId: attr(system, 'id'),
    virtualSystemCount: systems.length,
    os: osSection ? { id: osId, osType: attr(osSection, 'osType'), description: text(osSection.Description) } : undefined,
    virtualSystemType: text(child(hardware, 'System')?.VirtualSystemType),
    firmware: efi ? 'uefi' : 'bios',
    cpus,
    memoryBytes,
    files,
    disks,
    networks,
    controllers,
    nics,
    drives,
  };
}
