// The platform catalog's data model, mirroring schema/platform.schema.json field for field.
// A platform file describes one hypervisor's or cloud's virtual hardware as a guest sees it.

export type DeviceFunction = 'boot-storage' | 'storage' | 'network' | 'display' | 'input' | 'balloon' | 'agent-channel' | 'platform';
export type DeviceBus = 'pci' | 'vmbus' | 'xenbus' | 'isa' | 'acpi';
export type UnverifiedField =
  | 'pci' | 'vmbusClass' | 'acpiHid'
  | 'windows.services' | 'windows.inf' | 'windows.inbox' | 'windows.inbox.since'
  | 'linux.modules' | 'linux.config';

export interface PciId {
  /** Four upper-case hex digits, as pci.ids and Windows hardware IDs spell them. */
  vendor: string;
  device: string;
  subsystemVendor?: string;
  subsystemDevice?: string;
  /** e.g. "legacy" / "modern" for virtio transitional vs 1.0 devices. */
  variant?: string;
}

export interface InboxStatus {
  status: 'inbox' | 'not-inbox' | 'unknown';
  /** First Windows release carrying the driver inbox, in words. */
  since?: string;
  /** Its build number (6000 Vista/2008, 7600 7/2008 R2, 9200 8/2012, 9600 8.1/2012 R2). */
  sinceBuild?: number;
  evidence?: string;
}

export interface PlatformDevice {
  id: string;
  name: string;
  function: DeviceFunction;
  bus: DeviceBus;
  pci?: PciId[];
  /** VMBus device class GUID (lower case), for synthetic Hyper-V devices. */
  vmbusClass?: string;
  /** First 8 hex digits of a VMBus class GUID when only that much is documented. */
  vmbusClassPrefix?: string;
  /** XenBus device type (vbd, vif, vkbd, vfb, console). */
  xenbusType?: string;
  acpiHid?: string;
  /** How VM descriptors name this device (vmx virtualDev, OVF ResourceSubType, vbox type, libvirt model/bus). */
  descriptorNames?: { vmx?: string[]; ovf?: string[]; vbox?: string[]; libvirt?: string[] };
  /** Without a driver for it the guest cannot find its root disk (or its bus). */
  bootCritical: boolean;
  /** What the platform gives a new VM by default for this function. */
  default?: boolean;
  windows?: { services: string[]; inf?: string; inbox: InboxStatus };
  linux?: { modules: string[]; config?: string[] };
  /** Fields that come from general knowledge (marked † in conversion-facts.md or not listed there). */
  unverified?: UnverifiedField[];
  note?: string;
  source: string;
}

export interface SmbiosIdentity {
  manufacturer: string;
  product?: string;
  /** Regular expression over the product string when it varies (VMware7,1 / VMware20,1; EC2 instance types). */
  productPattern?: string;
  machine?: string;
  assetTag?: string;
  note?: string;
  source: string;
  unverified?: boolean;
}

export interface Platform {
  $schema?: string;
  id: string;
  name: string;
  vendor: string;
  kind: 'hypervisor' | 'cloud';
  basedOn?: string;
  firmware: { bios: boolean; uefi: boolean; secureBoot: boolean; default: 'bios' | 'uefi' | 'none'; note?: string };
  smbios: SmbiosIdentity[];
  devices: PlatformDevice[];
  guestTools: { windowsServices: string[]; linuxPackages: string[]; registryKeys?: string[]; unverified?: string[]; note?: string };
  notes?: string[];
  sources: string[];
}

export interface Catalog {
  platforms: Platform[];
  /** Where each platform was loaded from (file path), by id. */
  origins: Map<string, string>;
}
