// The files mkfs.ext4 -d puts in the test guest's root filesystem.

export const GUEST_FILES: Record<string, string | Uint8Array> = {
  'etc/fstab': '# /etc/fstab\n/dev/sda1 / ext4 errors=remount-ro 0 1\n/dev/sda5 none swap sw 0 0\n',
  'etc/default/grub': 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n',
  'etc/initramfs-tools/modules': '# modules\nvmw_pvscsi\n',
  'etc/lvm/devices/system.devices': 'VERSION=1.1.1\n',
  'etc/hostname': 'vmware-guest\n',
  'boot/initrd.img-6.1.0-18-amd64': new Uint8Array(300_001).map((_, i) => (i * 31 + 7) & 0xff),
};
