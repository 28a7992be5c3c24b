// Data only: where a Windows driver can come from when the guest does not have it, and from
// which Windows build on. A catalog device whose services the guest lacks is "boots after
// patch" when a source covers the guest's build, "cannot boot" when none does. Builds: 2600
// XP, 3790 2003, 6000 Vista/2008, 7600 7/2008 R2, 9200 8/2012, 9600 8.1/2012 R2, 17763 2019.
// These minimum builds come from the vendors' published support matrices as generally known
// (virtio-win README, VMware Tools and AWS/Citrix PV driver release notes); they are not
// checked against a corpus and are marked unverified in reports through `note`.

export interface DriverSource {
  /** Windows service names (case-insensitive) this package provides. */
  services: string[];
  package: string;
  minBuild: number;
  note?: string;
}

export const WINDOWS_DRIVER_SOURCES: DriverSource[] = [
  { services: ['viostor', 'vioscsi', 'netkvm', 'viogpudo', 'qxldod'], package: 'virtio-win', minBuild: 6000, note: 'current virtio-win releases cover Windows 8/2012 and later; Vista/7/2008 R2 drivers are in archived releases' },
  { services: ['pvscsi', 'vmxnet3ndis6', 'vmxnet3', 'vmxnet', 'vm3dmp', 'vm3dmp_loader', 'vmx_svga', 'svga_wddm'], package: 'VMware Tools', minBuild: 2600, note: 'VMware Tools 10.0.12 is the last release for XP/2003' },
  { services: ['xenvbd', 'xenvif', 'xennet'], package: 'Xen PV drivers (XCP-ng / Citrix / AWS PV)', minBuild: 6000 },
  { services: ['AWSNVMe', 'ena'], package: 'AWS NVMe and ENA drivers', minBuild: 7600 },
  { services: ['storvsc', 'storflt', 'netvsc'], package: 'Hyper-V Integration Components', minBuild: 2600, note: 'inbox since Windows 7/2008 R2; older releases need the Integration Components' },
  { services: ['mana'], package: 'Microsoft Azure Network Adapter driver', minBuild: 17763 },
  { services: ['mlx5'], package: 'NVIDIA/Mellanox WinOF-2', minBuild: 9600 },
  { services: ['gvnic'], package: 'Google gVNIC driver', minBuild: 9600 },
  { services: ['ixgbevf'], package: 'Intel 82599 VF driver', minBuild: 7600 },
  { services: ['stornvme'], package: 'Microsoft NVMe hotfix KB2990941 (inbox from 8.1/2012 R2)', minBuild: 7600 },
  { services: ['storahci'], package: 'inbox msahci (Vista/7) or storahci (8+)', minBuild: 6000 },
  { services: ['LSI_SCSI', 'LSI_SAS'], package: 'LSI/Broadcom driver (inbox from Vista/2008; symmpi on XP)', minBuild: 2600 },
  { services: ['E1G60', 'e1i65x64', 'e1iexpress'], package: 'Intel PRO/1000 driver', minBuild: 2600 },
  { services: ['VBoxWddm', 'VBoxVideo'], package: 'VirtualBox Guest Additions', minBuild: 2600 },
  { services: ['HyperVideo'], package: 'Hyper-V Integration Components', minBuild: 6000 },
  { services: ['intelide', 'atapi', 'pciide', 'dc21x4', 'RTL8023xp'], package: 'inbox', minBuild: 2600 },
];

/**
 * Services that do the same job under another name on older Windows: Vista/7 drive AHCI with
 * msahci, not storahci (corpus win7-sp1-x86-vmware has msahci, no storahci).
 */
export const WINDOWS_SERVICE_ALIASES: Record<string, string[]> = {
  storahci: ['msahci'],
};
