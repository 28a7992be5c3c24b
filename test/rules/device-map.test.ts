// Device-name mapping and guest-path resolution used by the Linux context.

import { describe, expect, it } from 'vitest';
import { classifyDevice } from '../../src/linux/facts/index.js';
import { mapDevice, parseKernelDeviceName, resolveGuestPath, type VolumeInfo } from '../../src/rules/index.js';

const volumes: VolumeInfo[] = [
  { id: 'p1', kind: 'unknown' },
  { id: 'p2', kind: 'ext4', uuid: 'aaaa' },
  { id: 'p3', kind: 'swap', uuid: 'bbbb' },
  { id: 'vg/root', kind: 'xfs', uuid: 'cccc' },
];

describe('kernel device names', () => {
  it('parses disk index and partition', () => {
    expect(parseKernelDeviceName('sda2')).toEqual({ disk: 0, partition: 2 });
    expect(parseKernelDeviceName('vdb')).toEqual({ disk: 1 });
    expect(parseKernelDeviceName('xvda1')).toEqual({ disk: 0, partition: 1 });
    expect(parseKernelDeviceName('hdc3')).toEqual({ disk: 2, partition: 3 });
    expect(parseKernelDeviceName('sdaa1')).toEqual({ disk: 26, partition: 1 });
    expect(parseKernelDeviceName('nvme0n1p2')).toEqual({ disk: 0, partition: 2 });
    expect(parseKernelDeviceName('nvme1n1')).toEqual({ disk: 1 });
    expect(parseKernelDeviceName('mmcblk0p1')).toEqual({ disk: 0, partition: 1 });
    expect(parseKernelDeviceName('cciss/c0d0p1')).toEqual({ disk: 0, partition: 1 });
    expect(parseKernelDeviceName('nvme0n2p1')).toBeUndefined();
    expect(parseKernelDeviceName('sr0')).toBeUndefined();
  });
  it('maps first-disk partitions with a UUID and explains the rest', () => {
    const map = (raw: string, partitioned = true) => mapDevice({ ref: classifyDevice(raw), volumes, partitioned });
    expect(map('/dev/sda2')).toEqual({ volume: 'p2', to: 'UUID=aaaa' });
    expect(map('/dev/vda3')).toEqual({ volume: 'p3', to: 'UUID=bbbb' });
    expect(map('/dev/nvme0n1p2')).toEqual({ volume: 'p2', to: 'UUID=aaaa' });
    expect(map('/dev/disk/by-path/pci-0000:00:10.0-scsi-0:0:0:0-part2')).toEqual({ volume: 'p2', to: 'UUID=aaaa' });
    expect(map('/dev/sdb1')).toEqual({ reason: expect.stringMatching(/disk 2 of the guest/) });
    expect(map('/dev/sda')).toEqual({ reason: expect.stringMatching(/whole disk, which is partitioned/) });
    expect(map('/dev/sda')).not.toHaveProperty('volume');
    expect(map('/dev/sda1')).toEqual({ reason: expect.stringMatching(/p1 \(unknown\), whose UUID rehost cannot read/) });
    expect(map('/dev/sda9')).toEqual({ reason: expect.stringMatching(/does not have/) });
    expect(map('/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_drive0')).toEqual({ reason: expect.stringMatching(/whole disk/) });
    expect(map('UUID=aaaa')).toEqual({ reason: expect.stringMatching(/does not depend/) });
    expect(map('/dev/mapper/vg-root')).toEqual({ reason: expect.stringMatching(/does not depend/) });
  });
});

describe('guest paths', () => {
  it('resolves by the longest mount prefix', () => {
    const mounts = { '/boot': 'p1', '/boot/efi': 'p9', '/var': 'vg/var' };
    expect(resolveGuestPath({ path: '/boot/initrd.img-6.1', root: 'vg/root', mounts })).toEqual({ volume: 'p1', path: '/initrd.img-6.1' });
    expect(resolveGuestPath({ path: '/boot/efi/EFI/debian/grub.cfg', root: 'vg/root', mounts })).toEqual({ volume: 'p9', path: '/EFI/debian/grub.cfg' });
    expect(resolveGuestPath({ path: '/bootstrap', root: 'vg/root', mounts })).toEqual({ volume: 'vg/root', path: '/bootstrap' });
    expect(resolveGuestPath({ path: '/etc/fstab', root: 'vg/root', mounts })).toEqual({ volume: 'vg/root', path: '/etc/fstab' });
  });
});
