// Data only: the Linux storage and bus drivers whose presence decides whether a kernel can
// mount its root on a given virtual controller, with the Kconfig symbol that builds each
// (drivers/*/Kconfig in the kernel tree). The platform catalog may pass its own list; this is
// the default used when it does not.

export interface DriverSymbol {
  /** kmod module name (underscores, as modules.builtin and modprobe normalise it). */
  module: string;
  /** CONFIG_ symbol without the prefix. */
  config: string;
}

export const DEFAULT_STORAGE_DRIVERS: DriverSymbol[] = [
  { module: 'vmw_pvscsi', config: 'VMWARE_PVSCSI' },
  { module: 'mptspi', config: 'FUSION_SPI' },
  { module: 'mptsas', config: 'FUSION_SAS' },
  { module: 'mptscsih', config: 'FUSION_SPI' },
  { module: 'sym53c8xx', config: 'SCSI_SYM53C8XX_2' },
  { module: 'ahci', config: 'SATA_AHCI' },
  { module: 'ata_piix', config: 'ATA_PIIX' },
  { module: 'ata_generic', config: 'ATA_GENERIC' },
  { module: 'virtio', config: 'VIRTIO' },
  { module: 'virtio_ring', config: 'VIRTIO' },
  { module: 'virtio_pci', config: 'VIRTIO_PCI' },
  { module: 'virtio_blk', config: 'VIRTIO_BLK' },
  { module: 'virtio_scsi', config: 'SCSI_VIRTIO' },
  { module: 'virtio_net', config: 'VIRTIO_NET' },
  { module: 'nvme', config: 'BLK_DEV_NVME' },
  { module: 'nvme_core', config: 'NVME_CORE' },
  { module: 'hv_vmbus', config: 'HYPERV' },
  { module: 'hv_storvsc', config: 'HYPERV_STORAGE' },
  { module: 'hv_netvsc', config: 'HYPERV_NET' },
  { module: 'xen_blkfront', config: 'XEN_BLKDEV_FRONTEND' },
  { module: 'xen_netfront', config: 'XEN_NETDEV_FRONTEND' },
  { module: 'sd_mod', config: 'BLK_DEV_SD' },
  { module: 'vmxnet3', config: 'VMXNET3' },
  { module: 'e1000', config: 'E1000' },
  { module: 'e1000e', config: 'E1000E' },
  { module: 'ena', config: 'ENA_ETHERNET' },
];

/** Config symbols always worth reporting besides the drivers' own. */
export const EXTRA_CONFIG_SYMBOLS = ['MODULE_COMPRESS_XZ', 'MODULE_COMPRESS_ZSTD', 'MODULE_COMPRESS_GZIP', 'MODULE_DECOMPRESS', 'X86_XEN', 'X86_64_XEN', 'EFI', 'EFI_STUB', 'EXT4_FS', 'XFS_FS', 'BTRFS_FS', 'BLK_DEV_DM', 'DM_CRYPT'];
