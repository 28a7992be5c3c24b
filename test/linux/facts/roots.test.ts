// Root discovery and fstab mounting on a disk made here with the real tools: a GPT disk
// (sgdisk) with an ESP-typed partition, a /boot ext4 and a root ext4 (mkfs.ext4 -d, with
// chosen UUIDs and labels), then openImage → discoverVolumes → inspectLinuxVolumes.

import { mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverVolumes } from '../../../src/fs/discover.js';
import { openImage } from '../../../src/image/open.js';
import { classifyDevice, inspectLinuxVolumes, matchVolume, splitMapperName } from '../../../src/linux/index.js';
import { run, tempDir } from '../../helpers/tools.js';
import { bzImage } from './builders.js';

const MiB = 1024 * 1024;

describe('matchVolume', () => {
  const volumes = [
    { id: 'p1', partUuid: '0a1b2c3d-0000-4000-8000-000000000001', partLabel: 'EFI' },
    { id: 'p2', fsUuid: '11111111-2222-3333-4444-555555555555', fsLabel: 'boot' },
    { id: 'vg-data/lv-home', fsUuid: 'aaaa' },
    { id: 'rl/root' },
  ];
  it('resolves every naming kind', () => {
    const cases: Array<[string, string | undefined]> = [
      ['UUID=11111111-2222-3333-4444-555555555555', 'p2'],
      ['UUID=11111111-2222-3333-4444-555555555555'.toUpperCase(), 'p2'],
      ['LABEL=boot', 'p2'],
      ['PARTUUID=0a1b2c3d-0000-4000-8000-000000000001', 'p1'],
      ['PARTLABEL=EFI', 'p1'],
      ['/dev/disk/by-uuid/aaaa', 'vg-data/lv-home'],
      ['/dev/mapper/vg--data-lv--home', 'vg-data/lv-home'],
      ['/dev/mapper/rl-root', 'rl/root'],
      ['/dev/rl/root', 'rl/root'],
      ['/dev/sda2', 'p2'],
      ['/dev/vda1', 'p1'],
      ['/dev/nvme0n1p2', 'p2'],
      ['/dev/sda', undefined],
      ['UUID=missing', undefined],
      ['tmpfs', undefined],
    ];
    for (const [raw, id] of cases) expect(matchVolume(classifyDevice(raw), volumes), raw).toBe(id);
    expect(splitMapperName('a-b')).toEqual(['a', 'b']);
    expect(splitMapperName('nodash')).toBeUndefined();
  });
});

describe('inspectLinuxVolumes on a generated GPT disk', () => {
  it('finds the root and mounts /boot from fstab by UUID', async () => {
    const dir = tempDir('rehost-linux-roots-');
    const rootTree = join(dir, 'root');
    const bootTree = join(dir, 'boot');
    for (const d of ['etc/default', 'usr/bin', 'boot', 'var/lib/dpkg']) mkdirSync(join(rootTree, d), { recursive: true });
    mkdirSync(join(bootTree, 'grub/x86_64-efi'), { recursive: true });
    writeFileSync(join(rootTree, 'etc/os-release'), 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n');
    writeFileSync(join(rootTree, 'etc/hostname'), 'gen-host\n');
    writeFileSync(join(rootTree, 'etc/fstab'), 'PARTUUID=22222222-0000-4000-8000-000000000003 / ext4 defaults 0 1\nUUID=11111111-2222-3333-4444-555555555555 /boot ext4 defaults 0 2\nLABEL=nothere /data ext4 nofail 0 2\n');
    writeFileSync(join(rootTree, 'var/lib/dpkg/status'), 'Package: openssh-server\nStatus: install ok installed\nVersion: 1:8.9p1-3\nArchitecture: amd64\n');
    writeFileSync(join(rootTree, 'usr/bin/ls'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, ...new Array(11).fill(0), 62, 0, ...new Array(44).fill(0)]));
    symlinkSync('usr/bin', join(rootTree, 'bin'));
    writeFileSync(join(bootTree, 'vmlinuz-5.15.0-91-generic'), bzImage('5.15.0-91-generic (buildd@lcy02-amd64-045) #101-Ubuntu\0'));
    writeFileSync(join(bootTree, 'grub/grub.cfg'), "menuentry 'Ubuntu' {\n linux /vmlinuz-5.15.0-91-generic root=PARTUUID=22222222-0000-4000-8000-000000000003 ro\n}\n");

    const disk = join(dir, 'disk.raw');
    run('truncate', ['-s', `${48 * MiB}`, disk]);
    run('sgdisk', ['-n', '1:1M:+4M', '-t', '1:EF00', '-u', '1:0a1b2c3d-0000-4000-8000-000000000001', '-n', '2:5M:+16M', '-t', '2:8300', '-n', '3:21M:+26M', '-t', '3:8300', '-u', '3:22222222-0000-4000-8000-000000000003', disk]);
    run('mkfs.ext4', ['-q', '-F', '-E', `offset=${5 * MiB}`, '-U', '11111111-2222-3333-4444-555555555555', '-L', 'boot', '-d', bootTree, disk, '16M']);
    run('mkfs.ext4', ['-q', '-F', '-E', `offset=${21 * MiB}`, '-L', 'root', '-d', rootTree, disk, '26M']);

    const image = await openImage(disk);
    const { volumes } = await discoverVolumes(image.device);
    const roots = await inspectLinuxVolumes({ volumes });
    expect(roots).toHaveLength(1);
    const [root] = roots;
    expect(root).toMatchObject({ root: 'p3', mounts: { '/boot': 'p2' }, unresolved: ['/data'] });
    expect(root!.facts).toMatchObject({ hostname: 'gen-host', arch: 'x86_64', distro: { id: 'ubuntu', major: 22, minor: 4 } });
    expect(root!.facts.kernels.map((k) => [k.version, k.headerRelease])).toEqual([['5.15.0-91-generic', '5.15.0-91-generic']]);
    expect(root!.facts.boot).toMatchObject({ firmware: 'uefi', espPartitions: ['p1'], bootloader: 'grub2', rootNamings: ['partuuid'] });
    expect(root!.facts.packages.installed).toEqual([{ name: 'openssh-server', epoch: 1, version: '8.9p1', release: '3', arch: 'amd64', status: 'installed' }]);
  }, 60_000);
});
