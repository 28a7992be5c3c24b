// Realizers for config patches on in-memory guests: each PlannedPatch becomes concrete patches
// that applyPatch carries out; the result is checked byte for byte; a guest that no longer
// matches the plan's facts is refused (PreconditionError naming what differs); a second
// realize after applying yields nothing or only no-op patches.

import { describe, expect, test } from 'vitest';
import { PreconditionError } from '../../src/errors.js';
import { MemoryFileSystem, type MemoryTree } from '../../src/fs/memory/memory-fs.js';
import { applyPatch } from '../../src/patch/apply.js';
import { guestView, realize, realizeAll, nicPinContent } from '../../src/patch/realize/index.js';
import type { GuestView } from '../../src/patch/realize/index.js';
import type { PlannedPatch } from '../../src/rules/types.js';

const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

async function guest(trees: Record<string, MemoryTree>, mounts: Record<string, string> = {}): Promise<{ view: GuestView; fss: Record<string, MemoryFileSystem> }> {
  const fss: Record<string, MemoryFileSystem> = {};
  for (const [id, tree] of Object.entries(trees)) fss[id] = await MemoryFileSystem.from(tree, { kind: 'ext4' });
  const view = guestView({ root: 'p2', mounts: { '/': 'p2', ...mounts }, open: async (v) => fss[v] as MemoryFileSystem });
  return { view, fss };
}

/** Realizes and applies; returns the outcomes of the applied patches. */
async function realizeApply(planned: PlannedPatch, g: { view: GuestView; fss: Record<string, MemoryFileSystem> }): Promise<string[]> {
  const patches = await realize({ planned, guest: g.view });
  const outcomes: string[] = [];
  for (const p of patches) {
    expect(p.volume).toBeDefined();
    outcomes.push((await applyPatch(g.fss[p.volume as string] as MemoryFileSystem, p)).outcome);
  }
  return outcomes;
}

async function read(fs: MemoryFileSystem, path: string): Promise<string> {
  return Buffer.from(await fs.readFile(path)).toString('utf8');
}

const base = { volume: 'p2', precondition: 'test', rule: 'test-rule' };

describe('table-device', () => {
  const fstab = '# static\n/dev/sda2   /      ext4  errors=remount-ro 0 1\n/dev/sda1\t/boot\text4\tdefaults\t0 2\n/dev/sda5 none swap sw 0 0\n';
  test('replaces the device field of the planned line only, keeping spacing', async () => {
    const g = await guest({ p2: { etc: { fstab } } });
    const planned: PlannedPatch = { ...base, kind: 'table-device', path: '/etc/fstab', format: 'fstab', line: 2, from: '/dev/sda2', to: 'UUID=abcd-1' };
    expect(await realizeApply(planned, g)).toEqual(['applied']);
    expect(await read(g.fss.p2 as MemoryFileSystem, '/etc/fstab')).toBe(fstab.replace('/dev/sda2   /', 'UUID=abcd-1   /'));
    // Realized again on the result: the line holds `to`, the patch is a no-op.
    expect(await realizeApply(planned, g)).toEqual(['already']);
  });
  test('crypttab edits the second field', async () => {
    const crypttab = 'cryptroot /dev/sda3 none luks,discard\n';
    const g = await guest({ p2: { etc: { crypttab } } });
    const planned: PlannedPatch = { ...base, kind: 'table-device', path: '/etc/crypttab', format: 'crypttab', line: 1, from: '/dev/sda3', to: 'UUID=c-3' };
    expect(await realizeApply(planned, g)).toEqual(['applied']);
    expect(await read(g.fss.p2 as MemoryFileSystem, '/etc/crypttab')).toBe('cryptroot UUID=c-3 none luks,discard\n');
  });
  test('a line that no longer holds `from` is refused, naming what is there', async () => {
    const g = await guest({ p2: { etc: { fstab } } });
    const planned: PlannedPatch = { ...base, kind: 'table-device', path: '/etc/fstab', format: 'fstab', line: 3, from: '/dev/sda2', to: 'UUID=x' };
    await expect(realize({ planned, guest: g.view })).rejects.toThrow(/line 3: the spec field is "\/dev\/sda1", the plan expected "\/dev\/sda2"/);
    const missing: PlannedPatch = { ...planned, path: '/etc/nofstab' };
    await expect(realize({ planned: missing, guest: g.view })).rejects.toBeInstanceOf(PreconditionError);
  });
});

describe('kernel-arg-device', () => {
  test('default-grub: the key holding root=/dev/sda2 is edited', async () => {
    const grub = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="root=/dev/sda2 resume=/dev/sda5 net.ifnames=1"\n';
    const g = await guest({ p2: { etc: { default: { grub } } } });
    const planned: PlannedPatch = { ...base, kind: 'kernel-arg-device', path: '/etc/default/grub', format: 'default-grub', arg: 'root', from: '/dev/sda2', to: 'UUID=r-2' };
    expect(await realizeApply(planned, g)).toEqual(['applied']);
    expect(await read(g.fss.p2 as MemoryFileSystem, '/etc/default/grub')).toBe(grub.replace('root=/dev/sda2', 'root=UUID=r-2'));
    expect(await realize({ planned, guest: g.view })).toEqual([]);
    const other: PlannedPatch = { ...planned, arg: 'resume', from: '/dev/sdb9' };
    await expect(realize({ planned: other, guest: g.view })).rejects.toThrow(/no resume=\/dev\/sdb9 to replace \(found GRUB_CMDLINE_LINUX: resume=\/dev\/sda5\)/);
  });
  test('grub.cfg on a separate /boot: only the linux lines holding the old root change', async () => {
    const cfg = [
      "menuentry 'Debian' {",
      '\tlinux\t/vmlinuz-6.1.0-18-amd64 root=/dev/sda2 ro quiet',
      '}',
      "menuentry 'Debian (recovery)' {",
      '\tlinux\t/vmlinuz-6.1.0-18-amd64 root=/dev/sda2 ro single',
      '}',
      "menuentry 'memtest' {",
      '\tlinux16\t/memtest86+.bin',
      '}',
      '',
    ].join('\n');
    const g = await guest({ p1: { grub: { 'grub.cfg': cfg } }, p2: { etc: {} } }, { '/boot': 'p1' });
    const planned: PlannedPatch = { ...base, volume: 'p1', kind: 'kernel-arg-device', path: '/boot/grub/grub.cfg', format: 'grub-cfg', arg: 'root', from: '/dev/sda2', to: 'UUID=r-2' };
    const patches = await realize({ planned, guest: g.view });
    expect(patches.map((p) => [p.volume, 'path' in p ? p.path : ''])).toEqual([['p1', '/grub/grub.cfg']]);
    expect(await realizeApply(planned, g)).toEqual(['applied']);
    expect(await read(g.fss.p1 as MemoryFileSystem, '/grub/grub.cfg')).toBe(cfg.replaceAll('root=/dev/sda2', 'root=UUID=r-2'));
    // The same file named inside its volume lands on the same file.
    expect(await realize({ planned: { ...planned, path: '/grub/grub.cfg' }, guest: g.view })).toEqual([]);
  });
  test('BLS options line', async () => {
    const entry = 'title Fedora\nlinux /vmlinuz-6.5\noptions root=/dev/vda3 ro rhgb\n';
    const g = await guest({ p2: { boot: { loader: { entries: { 'a.conf': entry } } } } });
    const planned: PlannedPatch = { ...base, kind: 'kernel-arg-device', path: '/boot/loader/entries/a.conf', format: 'bls', arg: 'root', from: 'root=/dev/vda3', to: 'UUID=f-3' };
    expect(await realizeApply(planned, g)).toEqual(['applied']);
    expect(await read(g.fss.p2 as MemoryFileSystem, '/boot/loader/entries/a.conf')).toBe(entry.replace('root=/dev/vda3', 'root=UUID=f-3'));
  });
});

describe('remove-file', () => {
  test('deletes what is there, expecting its hash; absent needs nothing; a directory is refused', async () => {
    const g = await guest({ p2: { etc: { lvm: { devices: { 'system.devices': 'VERSION=1.1.1\n' } }, 'blkid.tab': { x: 'y' } } } });
    const planned: PlannedPatch = { ...base, kind: 'remove-file', path: '/etc/lvm/devices/system.devices' };
    expect(await realizeApply(planned, g)).toEqual(['applied']);
    expect(await g.fss.p2?.exists('/etc/lvm/devices/system.devices')).toBe(false);
    expect(await realize({ planned, guest: g.view })).toEqual([]);
    await expect(realize({ planned: { ...planned, path: '/etc/blkid.tab' }, guest: g.view })).rejects.toThrow(/is directory, not the regular file/);
  });
});

describe('pin-nic-name', () => {
  for (const via of ['systemd-link', 'udev-rule'] as const) {
    test(`${via}: written when absent, no-op when identical, refused when different`, async () => {
      const path = via === 'systemd-link' ? '/etc/systemd/network/10-rehost-ens160.link' : '/etc/udev/rules.d/70-rehost-net.rules';
      const g = await guest({ p2: { etc: {} } });
      const planned: PlannedPatch = { ...base, kind: 'pin-nic-name', name: 'ens160', mac: '00:0C:29:AA:BB:CC', via, path };
      expect(await realizeApply(planned, g)).toEqual(['applied']);
      const content = await read(g.fss.p2 as MemoryFileSystem, path);
      expect(content).toBe(nicPinContent({ name: 'ens160', mac: '00:0c:29:aa:bb:cc', via }));
      if (via === 'systemd-link') expect(content).toContain('[Match]\nMACAddress=00:0c:29:aa:bb:cc\n\n[Link]\nName=ens160\n');
      else expect(content).toContain('SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:0c:29:aa:bb:cc", NAME="ens160"\n');
      expect(await realizeApply(planned, g)).toEqual(['already']);
      await expect(realize({ planned: { ...planned, name: 'eth0' }, guest: g.view })).rejects.toThrow(/exists with other content/);
      await expect(realize({ planned: { ...planned, mac: 'zz' }, guest: g.view })).rejects.toThrow(/not a MAC address/);
      await expect(realize({ planned: { ...planned, name: 'a/b' }, guest: g.view })).rejects.toThrow(/not an interface name/);
    });
  }
});

describe('disable-service', () => {
  test('systemd: masks an installed unit; refuses a missing one or a foreign symlink', async () => {
    const g = await guest({ p2: { lib: { systemd: { system: { 'vboxadd.service': '[Unit]\n' } } }, etc: { systemd: { system: { 'odd.service': { symlink: '/lib/systemd/system/other.service' } } } } } });
    const planned: PlannedPatch = { ...base, kind: 'disable-service', service: 'vboxadd', via: 'systemd' };
    expect(await realizeApply(planned, g)).toEqual(['applied']);
    expect((await g.fss.p2?.stat('/etc/systemd/system/vboxadd.service'))?.target).toBe('/dev/null');
    expect(await realize({ planned, guest: g.view })).toEqual([]);
    await expect(realize({ planned: { ...planned, service: 'nothere.service' }, guest: g.view })).rejects.toThrow(/nothere.service is not installed/);
    await expect(realize({ planned: { ...planned, service: 'odd.service' }, guest: g.view })).rejects.toThrow(/symlink:\/lib\/systemd\/system\/other.service/);
  });
  test('sysv: start links in rc2-5 become stop links', async () => {
    const link = { symlink: '../init.d/vboxadd' };
    const g = await guest({
      p2: { etc: { 'init.d': { vboxadd: '#!/bin/sh\n' }, 'rc0.d': { K01vboxadd: link }, 'rc2.d': { S01vboxadd: link, S01other: { symlink: '../init.d/other' } }, 'rc3.d': { S01vboxadd: link }, 'rc5.d': {} } },
    });
    const planned: PlannedPatch = { ...base, kind: 'disable-service', service: 'vboxadd', via: 'sysv' };
    const patches = await realize({ planned, guest: g.view });
    expect(patches).toEqual([expect.objectContaining({ kind: 'disable-sysv', links: [{ path: '/etc/rc2.d/S01vboxadd', target: '../init.d/vboxadd' }, { path: '/etc/rc3.d/S01vboxadd', target: '../init.d/vboxadd' }] })]);
    expect(await realizeApply(planned, g)).toEqual(['applied']);
    expect((await g.fss.p2?.readdir('/etc/rc2.d'))?.map((e) => e.name).sort()).toEqual(['K01vboxadd', 'S01other']);
    expect(await realize({ planned, guest: g.view })).toEqual([]);
    await expect(realize({ planned: { ...planned, service: 'gone' }, guest: g.view })).rejects.toThrow(/init script \/etc\/init.d\/gone is not installed/);
  });
});

describe('initramfs-config-modules', () => {
  test('initramfs-tools: missing modules are appended to the list', async () => {
    const g = await guest({ p2: { etc: { 'initramfs-tools': { modules: '# list\nvmw_pvscsi\nvirtio-blk\n' } } } });
    const planned: PlannedPatch = { ...base, kind: 'initramfs-config-modules', generator: 'initramfs-tools', path: '/etc/initramfs-tools/modules', modules: ['virtio_blk', 'virtio_scsi', 'virtio_pci'] };
    expect(await realizeApply(planned, g)).toEqual(['applied']);
    expect(await read(g.fss.p2 as MemoryFileSystem, '/etc/initramfs-tools/modules')).toBe('# list\nvmw_pvscsi\nvirtio-blk\nvirtio_scsi\nvirtio_pci\n');
    expect(await realize({ planned, guest: g.view })).toEqual([]);
    await expect(realize({ planned: { ...planned, modules: ['../x'] }, guest: g.view })).rejects.toThrow(/not a kernel module name/);
  });
  test('dracut: a drop-in with add_drivers+=', async () => {
    const g = await guest({ p2: { etc: { 'dracut.conf.d': { 'other.conf': 'x\n' } } } });
    const planned: PlannedPatch = { ...base, kind: 'initramfs-config-modules', generator: 'dracut', path: '/etc/dracut.conf.d/50-rehost.conf', modules: ['virtio_blk', 'virtio_scsi'] };
    expect(await realizeApply(planned, g)).toEqual(['applied']);
    expect(await read(g.fss.p2 as MemoryFileSystem, '/etc/dracut.conf.d/50-rehost.conf')).toMatch(/\nadd_drivers\+=" virtio_blk virtio_scsi "\n$/);
    expect(await realize({ planned, guest: g.view })).toEqual([]);
    await expect(realize({ planned: { ...planned, path: '/etc/dracut.conf.d/other.conf' }, guest: g.view })).rejects.toThrow(/exists with other content/);
  });
});

test('guestView resolves by the longest mount prefix', async () => {
  const g = await guest({ p1: {}, p2: {}, p3: {} }, { '/boot': 'p1', '/boot/efi': 'p3' });
  expect(g.view.resolve('/boot/efi/EFI/x')).toEqual({ volume: 'p3', path: '/EFI/x' });
  expect(g.view.resolve('/boot')).toEqual({ volume: 'p1', path: '/' });
  expect(g.view.resolve('/bootx/y')).toEqual({ volume: 'p2', path: '/bootx/y' });
  expect(text('a')).toEqual(new Uint8Array([97]));
});

describe('realizeAll', () => {
  test('edits of one file merge into one patch expecting its original hash; all apply', async () => {
    const fstab = '/dev/sda2 / ext4 defaults 0 1\n/dev/sda1 /boot ext2 defaults 0 2\n/dev/sda3 none swap sw 0 0\n';
    const g = await guest({ p2: { etc: { fstab } } });
    const lines = [
      { line: 1, from: '/dev/sda2', to: 'UUID=r' },
      { line: 2, from: '/dev/sda1', to: 'UUID=b' },
      { line: 3, from: '/dev/sda3', to: 'UUID=s' },
    ];
    const planned: PlannedPatch[] = lines.map((l) => ({ ...base, kind: 'table-device', path: '/etc/fstab', format: 'fstab', ...l }));
    const patches = await realizeAll({ planned, guest: g.view });
    expect(patches).toHaveLength(1);
    expect(patches[0]?.kind === 'edit-config' && patches[0].edit.edits).toHaveLength(3);
    for (const p of patches) await applyPatch(g.fss.p2 as MemoryFileSystem, p);
    expect(await read(g.fss.p2 as MemoryFileSystem, '/etc/fstab')).toBe('UUID=r / ext4 defaults 0 1\nUUID=b /boot ext2 defaults 0 2\nUUID=s none swap sw 0 0\n');
    expect(await realizeAll({ planned, guest: g.view }).then((ps) => ps.map((p) => p.kind))).toEqual(['edit-config']);
  });
  test('the first precondition that fails stops realizing', async () => {
    const g = await guest({ p2: { etc: { fstab: '/dev/sda2 / ext4 defaults 0 1\n' } } });
    const planned: PlannedPatch[] = [
      { ...base, kind: 'remove-file', path: '/etc/fstab' },
      { ...base, kind: 'table-device', path: '/etc/fstab', format: 'fstab', line: 1, from: '/dev/sdb1', to: 'UUID=x' },
    ];
    await expect(realizeAll({ planned, guest: g.view })).rejects.toBeInstanceOf(PreconditionError);
    expect(await g.fss.p2?.exists('/etc/fstab')).toBe(true);
  });
});
