import { describe, expect, it } from 'vitest';
import { CorruptError } from '../../../src/errors.js';
import { MemoryFileSystem } from '../../../src/fs/memory/index.js';
import { GuestFs, inspectLinux } from '../../../src/linux/index.js';

describe('GuestFs', () => {
  it('resolves symlinks inside the guest and across mounts', async () => {
    const root = await MemoryFileSystem.from({ etc: { 'os-release': { symlink: '../usr/lib/os-release' } }, usr: { lib: { 'os-release': 'ID=x\n' } }, boot: {}, vmlinuz: { symlink: 'boot/vmlinuz-1' } });
    const boot = await MemoryFileSystem.from({ 'vmlinuz-1': 'kernel', grub: { 'grub.cfg': 'cfg' }, abs: { symlink: '/etc/os-release' } });
    const guest = new GuestFs({ root, mounts: { '/boot': boot } });
    expect(await guest.readText('/etc/os-release')).toBe('ID=x\n');
    expect(await guest.realpath('/vmlinuz')).toBe('/boot/vmlinuz-1');
    expect(await guest.readText('/vmlinuz')).toBe('kernel');
    // An absolute link inside the /boot filesystem means the guest's root, not /boot's.
    expect(await guest.readText('/boot/abs')).toBe('ID=x\n');
    expect((await guest.list('/boot')).map((e) => e.name)).toEqual(['abs', 'grub', 'vmlinuz-1']);
    expect(await guest.list('/missing')).toEqual([]);
    expect(await guest.read('/boot/vmlinuz-1', 3)).toBeUndefined();
    const walked: string[] = [];
    for await (const e of guest.walk('/boot', { maxEntries: 10 })) walked.push(e.path);
    expect(walked.sort()).toEqual(['/boot/abs', '/boot/grub', '/boot/grub/grub.cfg', '/boot/vmlinuz-1']);
    await expect(async () => {
      for await (const _ of guest.walk('/boot', { maxEntries: 2 })) void _;
    }).rejects.toThrow(CorruptError);
  });

  it('treats symlink loops as missing files and inspection goes on', async () => {
    const root = await MemoryFileSystem.from({ etc: { 'os-release': { symlink: 'os-release2' }, 'os-release2': { symlink: 'os-release' }, hostname: 'h\n' }, usr: { bin: { ls: { symlink: '/usr/bin/ls' } } }, lib: { modules: { '1.0': { symlink: '1.0' } } }, boot: { 'vmlinuz-1.0': 'x' } });
    const guest = new GuestFs({ root });
    await expect(guest.realpath('/etc/os-release')).rejects.toThrow(CorruptError);
    expect(await guest.readText('/etc/os-release')).toBeUndefined();
    const facts = await inspectLinux({ fs: root });
    expect(facts.hostname).toBe('h');
    expect(facts.distro.id).toBeUndefined();
    expect(facts.arch).toBeUndefined();
    expect(facts.kernels.map((k) => [k.version, k.modules])).toEqual([['1.0', undefined]]);
  });
});
