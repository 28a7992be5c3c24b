// A small synthetic Debian-like guest for plan tests: GPT disk (BIOS boot, ext4 root made by
// mkfs.ext4 -d from a tree written here, swap made by mkswap), whose configuration names
// devices the ways a VMware-installed guest does: fstab and grub by /dev/sdX, resume= in
// /etc/default/grub, a second disk's /dev/sdb1, an LVM devices file, a blkid cache, ifupdown
// stanzas for predictable interface names, BLS entries (one with grubenv's $kernelopts), and VirtualBox Guest Additions from the ISO
// installer. No kernel (the plan must then say "cannot"). 48 MiB, sparse, built in ~1 s.

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from '../helpers/tools.js';

export const SYNTHETIC_ROOT_UUID = '0b1c2d3e-4f50-4a6b-8c7d-8e9fa0b1c2d3';
export const SYNTHETIC_SWAP_UUID = '5a6b7c8d-9eaf-4b0c-9d1e-2f3a4b5c6d7e';

const FILES: Record<string, string> = {
  'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
  'etc/hostname': 'synthetic\n',
  'etc/fstab': '# <file system> <mount point> <type> <options> <dump> <pass>\n/dev/sda2 / ext4 errors=remount-ro 0 1\n/dev/sda3 none swap sw 0 0\n/dev/sdb1 /data ext4 defaults,nofail 0 2\n',
  'etc/default/grub': 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="resume=/dev/sda3"\n',
  'boot/grub/grub.cfg':
    "set default=0\nmenuentry 'Debian GNU/Linux' {\n\tlinux /boot/vmlinuz-6.1.0-99-amd64 root=/dev/sda2 ro resume=/dev/sda3 quiet\n\tinitrd /boot/initrd.img-6.1.0-99-amd64\n}\n" +
    "menuentry 'Debian GNU/Linux (recovery)' {\n\tlinux /boot/vmlinuz-6.1.0-99-amd64 root=/dev/sda2 ro single\n\tinitrd /boot/initrd.img-6.1.0-99-amd64\n}\n",
  'boot/loader/entries/0123abcd-6.1.0-99-amd64.conf': 'title Debian GNU/Linux\nversion 6.1.0-99-amd64\nlinux /vmlinuz-6.1.0-99-amd64\noptions root=/dev/sda2 ro\n',
  'boot/loader/entries/0123abcd-6.1.0-98-amd64.conf': 'title Debian GNU/Linux (old)\nversion 6.1.0-98-amd64\nlinux /vmlinuz-6.1.0-98-amd64\noptions $kernelopts\n',
  'boot/grub/grubenv': '# GRUB Environment Block\nkernelopts=root=/dev/sda2 ro\n' + '#'.repeat(900) + '\n',
  'etc/blkid.tab': '<device DEVNO="0x0802" TIME="1700000000.1" UUID="x" TYPE="ext4">/dev/sda2</device>\n',
  'etc/lvm/devices/system.devices': '# LVM uses devices listed in this file.\nVERSION=1.1.1\nIDTYPE=sys_wwid IDNAME=naa.6000c29f00000000 DEVNAME=/dev/sda2 PVID=abcdef PART=2\n',
  'etc/network/interfaces': 'source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\nauto ens192\niface ens192 inet static\n\taddress 10.0.0.5/24\n\tgateway 10.0.0.1\n\nallow-hotplug ens224\niface ens224 inet dhcp\n',
  'var/lib/dpkg/status':
    'Package: systemd-sysv\nStatus: install ok installed\nArchitecture: amd64\nVersion: 252.19-1~deb12u1\n\nPackage: udev\nStatus: install ok installed\nArchitecture: amd64\nVersion: 252.19-1~deb12u1\n\n',
  'var/lib/VBoxGuestAdditions/config': 'INSTALL_DIR=/opt/VBoxGuestAdditions-7.0.12\n',
};

/** Builds the guest disk into `dir`; returns the raw image's path. */
export function buildSyntheticGuest(dir: string): string {
  const tree = join(dir, 'tree');
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), text);
  }
  for (const d of ['usr/bin', 'bin', 'boot', 'etc/systemd/system', 'etc/network/interfaces.d', 'etc/init.d', 'etc/rc2.d']) mkdirSync(join(tree, d), { recursive: true });
  // A masked unit (systemctl mask) and a sysv start link, for the service facts.
  symlinkSync('/dev/null', join(tree, 'etc/systemd/system/apt-daily.service'));
  writeFileSync(join(tree, 'etc/init.d/vboxadd'), '#!/bin/sh\n');
  symlinkSync('../init.d/vboxadd', join(tree, 'etc/rc2.d/S01vboxadd'));
  const root = join(dir, 'root.img');
  const swap = join(dir, 'swap.img');
  const disk = join(dir, 'disk.raw');
  run('truncate', ['-s', '24M', root]);
  run('mkfs.ext4', ['-q', '-F', '-U', SYNTHETIC_ROOT_UUID, '-L', 'synthetic-root', '-d', tree, root]);
  run('truncate', ['-s', '8M', swap]);
  run('mkswap', ['-U', SYNTHETIC_SWAP_UUID, swap]);
  run('truncate', ['-s', '48M', disk]);
  run('sgdisk', ['-a', '2048', '-n1:2048:4095', '-t1:EF02', '-n2:4096:53247', '-t2:8300', '-n3:53248:69631', '-t3:8200', disk]);
  run('dd', [`if=${root}`, `of=${disk}`, 'bs=1M', 'seek=2', 'conv=notrunc,sparse', 'status=none']);
  run('dd', [`if=${swap}`, `of=${disk}`, 'bs=1M', 'seek=26', 'conv=notrunc,sparse', 'status=none']);
  return disk;
}
