// The common description of a VM's virtual hardware, read from its hypervisor's own
// descriptor (VMware .vmx, OVF, VirtualBox .vbox, libvirt domain XML, Hyper-V .vmcx).
// It records what the guest was given, not what the guest configured: this is evidence of
// the platform a disk image was built on, and of which file backs which disk.

export type DescriptorSource = 'vmx' | 'ovf' | 'vbox' | 'libvirt' | 'vmcx';

/** The bus a disk hangs off, as the guest sees it. */
export type DiskBus = 'ide' | 'scsi' | 'sata' | 'nvme' | 'virtio' | 'xen' | 'usb' | 'fdc' | 'other';

export interface VmController {
  /** The descriptor's own name for it: "scsi0", "SATA", an OVF InstanceID, "scsi" + index. */
  id: string;
  bus: DiskBus;
  /** Model as the descriptor spells it: pvscsi, lsisas1068, AHCI, PIIX4, virtio-scsi… */
  model?: string;
}

export interface VmDisk {
  /** The controller's id (see VmController.id). */
  controller: string;
  bus: DiskBus;
  /**
   * Position on the bus. For IDE it is channel × 2 + unit (the old master/slave numbering
   * virt-v2v prints as "slot"); for other buses the target, port or unit number.
   */
  slot: number;
  /** Position on its own controller: vmx target, OVF AddressOnParent, vbox device (IDE) or port, libvirt unit. */
  unit?: number;
  /** Index of the controller among those of its bus (scsi1 → 1), when the descriptor says. */
  controllerIndex?: number;
  /** Backing file as written in the descriptor (relative to it, or absolute); absent for an empty drive. */
  file?: string;
  /** Files of the backing chain from base to the attached image (VirtualBox differencing images). */
  chain?: string[];
  deviceType: 'disk' | 'cdrom' | 'floppy' | 'other';
  /** The descriptor's own device type string (vmx deviceType, vbox AttachedDevice type…). */
  rawType?: string;
  encrypted?: boolean;
}

export interface VmNic {
  /** Model as the descriptor spells it, lower case: vmxnet3, e1000, e1000e, 82540em, virtio… */
  model?: string;
  /** MAC address, lower case with colons. */
  mac?: string;
  /** Network or bridge name it connects to. */
  network?: string;
  networkType?: 'network' | 'bridge' | 'nat' | 'host-only' | 'internal' | 'other';
}

export interface VmDescription {
  source: DescriptorSource;
  name: string;
  guestOs?: string;
  firmware: 'bios' | 'uefi' | 'unknown';
  secureBoot?: boolean;
  memoryMiB?: number;
  cpus?: number;
  /** VM Generation ID as a UUID (VMware vm.genid/vm.genidX, libvirt <genid>). */
  genid?: string;
  /** Machine type where the descriptor says (libvirt os/type@machine: q35, pc-i440fx…). */
  machine?: string;
  controllers: VmController[];
  disks: VmDisk[];
  nics: VmNic[];
  /** The descriptor (or disks it names) is encrypted; hardware may then be partly unknown. */
  encrypted?: boolean;
  /** What a reader should know: defaults applied, parts not decoded, oddities. */
  notes: string[];
}

/** Bound on any descriptor text (real ones are a few KiB to a few hundred KiB). */
export const MAX_DESCRIPTOR_BYTES = 16 * 1024 * 1024;
