// The plan the transaction tests (and the kill-test child process) apply to the guest disk of
// guest-disk.ts: one patch of every kind, with preconditions from the files mkfs was given.

import { sha256Hex, type Patch } from '../../src/patch/index.js';
import { fileEntry } from '../../src/linux/initramfs/index.js';
import { GUEST_FILES } from './guest-files.js';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const hashOf = (path: string): string => {
  const v = GUEST_FILES[path] as string | Uint8Array;
  return sha256Hex(typeof v === 'string' ? enc(v) : v);
};

export const NEW_LINK = '[Match]\nMACAddress=52:54:00:12:34:56\n[Link]\nName=eth0\n';

export function guestPatches(): Patch[] {
  return [
    {
      kind: 'edit-config',
      volume: 'p1',
      path: '/etc/fstab',
      expect: { sha256: hashOf('etc/fstab') },
      edit: { format: 'fstab', edits: [{ op: 'set-field', where: { equals: '/' }, field: 'spec', value: 'UUID=0f3c6a7e-1111-4222-8333-444455556666' }] },
    },
    {
      kind: 'edit-config',
      volume: 'p1',
      path: '/etc/default/grub',
      expect: { sha256: hashOf('etc/default/grub') },
      edit: { format: 'shell-vars', edits: [{ op: 'set-arg', key: 'GRUB_CMDLINE_LINUX', arg: 'root=UUID=0f3c6a7e-1111-4222-8333-444455556666' }] },
    },
    {
      kind: 'edit-config',
      volume: 'p1',
      path: '/etc/initramfs-tools/modules',
      expect: { sha256: hashOf('etc/initramfs-tools/modules') },
      edit: { format: 'modules-list', edits: [{ op: 'add-module', module: 'virtio_blk' }] },
    },
    { kind: 'delete-file', volume: 'p1', path: '/etc/lvm/devices/system.devices', expect: { sha256: hashOf('etc/lvm/devices/system.devices') } },
    { kind: 'write-file', volume: 'p1', path: '/etc/systemd/network/10-eth0.link', expect: 'absent', content: enc(NEW_LINK) },
    { kind: 'mask-unit', volume: 'p1', unit: 'open-vm-tools.service', expect: 'absent' },
    {
      kind: 'append-initramfs',
      volume: 'p1',
      path: '/boot/initrd.img-6.1.0-18-amd64',
      expect: { sha256: hashOf('boot/initrd.img-6.1.0-18-amd64') },
      entries: [fileEntry({ path: 'usr/lib/modules/6.1.0-18-amd64/kernel/drivers/block/virtio_blk.ko', data: new Uint8Array(70_000).fill(0x5a) })],
    },
  ];
}

