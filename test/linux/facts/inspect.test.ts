// inspectLinux end to end over in-memory guests: a RHEL-like root with /boot on its own
// filesystem (BLS entries, rpm sqlite database, dracut config, an xz-compressed module tree,
// an initramfs made here with gzip in front of an uncompressed early cpio) and a Debian-like
// one with symlinked /bin and a tarball VMware Tools install.

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DiagnosticLog } from '../../../src/diagnostics.js';
import { MemoryFileSystem } from '../../../src/fs/memory/index.js';
import { buildSegment, directoryEntry, fileEntry, symlinkEntry } from '../../../src/linux/initramfs/index.js';
import { BIOS_BOOT_GPT_TYPE, ESP_GPT_TYPE, inspectLinux, looksLikeLinuxRoot } from '../../../src/linux/index.js';
import { bzImage } from './builders.js';

const KVER = '5.14.0-362.el9.x86_64';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function elf64(): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  b[0x12] = 62;
  return b;
}

function initramfs(): Uint8Array {
  const early = buildSegment([directoryEntry({ path: 'kernel' }), fileEntry({ path: 'kernel/x86/microcode/GenuineIntel.bin', data: enc('ucode') })]);
  const main = buildSegment([
    directoryEntry({ path: 'usr' }),
    directoryEntry({ path: 'usr/lib' }),
    symlinkEntry({ path: 'lib', target: 'usr/lib' }),
    directoryEntry({ path: 'usr/lib/dracut' }),
    fileEntry({ path: 'usr/lib/dracut/build-parameter.txt', data: enc(' --kver ' + KVER) }),
    fileEntry({ path: 'usr/lib/dracut/hostonly-files', data: enc('') }),
    fileEntry({ path: 'usr/lib/dracut-lib.sh', data: enc('') }),
    directoryEntry({ path: 'usr/lib/modules' }),
    directoryEntry({ path: `usr/lib/modules/${KVER}` }),
    directoryEntry({ path: `usr/lib/modules/${KVER}/kernel` }),
    fileEntry({ path: `usr/lib/modules/${KVER}/kernel/vmw_pvscsi.ko.xz`, data: enc('m') }),
    fileEntry({ path: `usr/lib/modules/${KVER}/kernel/ahci.ko.xz`, data: enc('m') }),
  ]);
  const out = new Uint8Array(early.length + 0);
  out.set(early);
  const gz = gzipSync(main);
  const all = new Uint8Array(out.length + gz.length);
  all.set(out);
  all.set(gz, out.length);
  return all;
}

describe('inspectLinux on a RHEL-like guest with a separate /boot', () => {
  it('finds distro, packages db, kernels, boot, storage and network facts', async () => {
    const root = await MemoryFileSystem.from({
      etc: {
        'os-release': 'NAME="Rocky Linux"\nVERSION="9.3 (Blue Onyx)"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n',
        'redhat-release': { symlink: 'rocky-release' },
        'rocky-release': 'Rocky Linux release 9.3 (Blue Onyx)\n',
        hostname: '# comment\nweb01.example.com\n',
        fstab: 'UUID=aaaa / xfs defaults 0 0\nUUID=bbbb /boot xfs defaults 0 0\n/dev/mapper/rl-swap none swap defaults 0 0\nbroken-line\n',
        crypttab: 'luks-1 UUID=cccc none discard\n',
        default: { grub: 'GRUB_CMDLINE_LINUX="crashkernel=1G-4G:192M resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root"\nGRUB_ENABLE_BLSCFG=true\n' },
        lvm: { devices: { 'system.devices': '# LVM uses devices listed in this file.\nVERSION=1.1.2\nIDTYPE=sys_wwid IDNAME=naa.6000c29 DEVNAME=/dev/sda2 PVID=abc PART=2\n' }, 'lvm.conf': '' },
        'dracut.conf.d': { '50-vmware.conf': 'add_drivers+=" vmw_pvscsi "\nhostonly="yes"\n' },
        sysconfig: { 'network-scripts': { 'ifcfg-ens192': 'DEVICE=ens192\nBOOTPROTO=none\nIPADDR=10.0.0.5\nPREFIX=24\nGATEWAY=10.0.0.1\nHWADDR=00:50:56:01:02:03\n' } },
        NetworkManager: { 'system-connections': { 'ens224.nmconnection': '[connection]\nid=ens224\ninterface-name=ens224\n[ipv4]\nmethod=auto\n' } },
        cloud: { 'cloud.cfg': 'users: [default]\n', 'cloud.cfg.d': { '90-ds.cfg': 'datasource_list: [ VMware, None ]\n' } },
        'machine-id': 'abcdef\n',
      },
      usr: {
        bin: { bash: elf64(), 'vmtoolsd': elf64(), dnf: '', sh: { symlink: 'bash' } },
        lib: {
          sysimage: { rpm: { 'rpmdb.sqlite': enc('SQLite format 3\0' + '\0'.repeat(100)) } },
          modules: {
            [KVER]: {
              kernel: { drivers: { scsi: { 'vmw_pvscsi.ko.xz': 'm', 'virtio_scsi.ko.xz': 'm' }, ata: { 'ahci.ko.xz': 'm' }, block: { 'virtio_blk.ko.xz': 'm' } } },
              'modules.builtin': 'kernel/drivers/virtio/virtio.ko\nkernel/drivers/virtio/virtio_ring.ko\nkernel/drivers/virtio/virtio_pci.ko\n',
              'modules.dep': 'kernel/drivers/scsi/vmw_pvscsi.ko.xz:\nkernel/drivers/scsi/virtio_scsi.ko.xz:\nkernel/drivers/ata/ahci.ko.xz:\nkernel/drivers/block/virtio_blk.ko.xz:\n',
            },
          },
        },
      },
      bin: { symlink: 'usr/bin' },
      lib: { symlink: 'usr/lib' },
      var: { lib: { rpm: { symlink: '../../usr/lib/sysimage/rpm' } } },
      boot: {},
    });
    const boot = await MemoryFileSystem.from({
      [`vmlinuz-${KVER}`]: bzImage(`${KVER} (mockbuild@x) #1 SMP\0`),
      'vmlinuz-0-rescue-abcdef': bzImage('5.14.0-300.el9.x86_64 (mockbuild@x)\0'),
      [`vmlinuz-${KVER}.hmac`]: 'x',
      [`config-${KVER}`]: 'CONFIG_VIRTIO_BLK=m\nCONFIG_VIRTIO=y\nCONFIG_VMWARE_PVSCSI=m\n# CONFIG_XEN is not set\nCONFIG_MODULE_COMPRESS_XZ=y\n',
      [`initramfs-${KVER}.img`]: initramfs(),
      [`initramfs-${KVER}kdump.img`]: 'not read',
      'initramfs-0-rescue-abcdef.img': 'garbage that is not an initramfs',
      grub2: { 'grub.cfg': 'set default="${saved_entry}"\ninsmod blscfg\nblscfg\n', grubenv: '# GRUB Environment Block\nkernelopts=root=/dev/mapper/rl-root ro\n###' },
      loader: { entries: { 'abc-5.14.conf': `title Rocky Linux (${KVER}) 9.3\nversion ${KVER}\nlinux /vmlinuz-${KVER}\ninitrd /initramfs-${KVER}.img\noptions $kernelopts console=ttyS0\n` } },
    });
    const efi = await MemoryFileSystem.from({ EFI: { rocky: { 'grub.cfg': 'configfile $prefix/grub.cfg\n' } } });
    expect(await looksLikeLinuxRoot(root)).toBe(true);
    const diagnostics = new DiagnosticLog();
    const facts = await inspectLinux({
      fs: root,
      mounts: { '/boot': boot, '/boot/efi': efi },
      partitions: [
        { id: 'p1', typeId: ESP_GPT_TYPE },
        { id: 'p2', typeId: '0fc63daf-8483-4772-8e79-3d69d8477de4' },
      ],
      diagnostics,
    });
    // JSON-serialisable, and stable through a round trip.
    expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
    expect(facts.distro).toMatchObject({ id: 'rocky', major: 9, minor: 3, idLike: ['rhel', 'centos', 'fedora'] });
    expect(facts).toMatchObject({ arch: 'x86_64', archSource: '/usr/bin/bash', hostname: 'web01.example.com', machineId: 'abcdef' });
    expect(facts.packages).toMatchObject({ format: 'rpm', management: 'dnf', rpmDatabase: { path: '/usr/lib/sysimage/rpm/rpmdb.sqlite', format: 'sqlite', magicMatches: true }, installed: [] });
    expect(facts.guestTools.map((t) => t.id)).toEqual(['open-vm-tools', 'cloud-init']);
    expect(facts.cloudInit).toMatchObject({ installed: true, datasources: ['VMware', 'None'], sources: ['/etc/cloud/cloud.cfg.d/90-ds.cfg'] });

    expect(facts.kernels.map((k) => k.version)).toEqual(['0-rescue-abcdef', KVER]);
    const kernel = facts.kernels[1]!;
    expect(kernel).toMatchObject({ headerRelease: KVER, modules: { count: 4, byCompression: { xz: 4 }, depCount: 4, builtinCount: 3 } });
    expect(kernel.config?.symbols).toMatchObject({ VIRTIO_BLK: 'm', VIRTIO: 'y', XEN_BLKDEV_FRONTEND: 'absent', MODULE_COMPRESS_XZ: 'y' });
    expect(kernel.initramfs).toMatchObject({ path: `/boot/initramfs-${KVER}.img`, compressions: ['none', 'gzip'], generator: 'dracut', hostonly: true, modules: ['ahci', 'vmw_pvscsi'], moduleKernelVersions: [KVER] });
    expect(kernel.drivers).toMatchObject({ virtio: 'builtin', virtio_pci: 'builtin', vmw_pvscsi: 'initramfs', ahci: 'initramfs', virtio_blk: 'module-tree', virtio_scsi: 'module-tree', nvme: 'absent' });
    expect(facts.kernels[0]?.initramfs?.error).toBeDefined();
    expect(diagnostics.entries.map((d) => d.code)).toContain('LINUX_INITRAMFS_UNREADABLE');

    expect(facts.boot).toMatchObject({ firmware: 'uefi', espPartitions: ['p1'], bootloader: 'grub2', rootNamings: ['mapper'] });
    expect(facts.boot.grub2.map((c) => [c.path, c.blscfg, c.configfile])).toEqual([
      ['/boot/grub2/grub.cfg', true, undefined],
      ['/boot/efi/EFI/rocky/grub.cfg', false, '$prefix/grub.cfg'],
    ]);
    expect(facts.boot.defaultEntry).toEqual({ title: `Rocky Linux (${KVER}) 9.3`, kernel: `/vmlinuz-${KVER}`, kernelVersion: KVER, selectedBy: 'first entry' });
    expect(facts.boot.blsEntries[0]?.cmdline).toMatchObject({ root: { naming: 'mapper', value: 'rl-root' }, console: ['ttyS0'] });
    expect(facts.boot.defaultGrub?.cmdlineLinux?.resume?.naming).toBe('mapper');

    expect(facts.fstab.map((e) => [e.device.naming, e.mountpoint])).toEqual([
      ['uuid', '/'],
      ['uuid', '/boot'],
      ['mapper', 'none'],
    ]);
    expect(diagnostics.entries.filter((d) => d.code === 'LINUX_TABLE_LINE')).toHaveLength(1);
    expect(facts.crypttab[0]).toMatchObject({ name: 'luks-1', device: { naming: 'uuid', value: 'cccc' } });
    expect(facts.lvm).toEqual({ devicesFile: true, devicesFileEntries: 1, lvmConf: true });
    expect(facts.initramfsConfig.dracut).toMatchObject({ files: ['/etc/dracut.conf.d/50-vmware.conf'], hostonly: true, addDrivers: ['vmw_pvscsi'] });
    expect(facts.network.configs.map((c) => [c.source, c.name, c.method, c.addresses])).toEqual([
      ['ifcfg', 'ens192', 'static', ['10.0.0.5/24']],
      ['networkmanager', 'ens224', 'dhcp', []],
    ]);
    expect(facts.network.interfaces.map((i) => i.scheme)).toEqual(['predictable-slot', 'predictable-slot']);
  });
});

describe('inspectLinux on a Debian-like guest', () => {
  it('reads dpkg, a tarball VMware Tools install, BIOS boot, and skips initramfs when asked', async () => {
    const root = await MemoryFileSystem.from({
      etc: {
        'os-release': 'ID=debian\nVERSION_ID="11"\nVERSION_CODENAME=bullseye\n',
        debian_version: '11.9\n',
        HOSTNAME: 'old-style\n',
        'vmware-tools': { locations: 'answer BINDIR /usr/bin\n' },
        network: { interfaces: 'auto eth0\niface eth0 inet static\n address 192.168.0.2/24\n' },
        fstab: '/dev/sda1 / ext4 defaults 0 1\n',
      },
      var: { lib: { dpkg: { status: 'Package: linux-image-5.10.0-28-amd64\nStatus: install ok installed\nVersion: 5.10.209-2\nArchitecture: amd64\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n' } } },
      usr: { bin: { dash: elf64() } },
      bin: { sh: { symlink: '/usr/bin/dash' } },
      boot: {
        'vmlinuz-5.10.0-28-amd64': bzImage('5.10.0-28-amd64 (debian-kernel@lists.debian.org)\0'),
        'initrd.img-5.10.0-28-amd64': 'not read when skipped',
        grub: { 'i386-pc': {}, 'menu.lst': 'title old\nkernel /vmlinuz root=/dev/hda1\n' },
      },
    });
    const facts = await inspectLinux({ fs: root, initramfs: 'skip', partitions: [{ id: 'p1', typeId: BIOS_BOOT_GPT_TYPE }] });
    expect(facts.distro).toMatchObject({ id: 'debian', version: '11', major: 11, minor: 9, codename: 'bullseye' });
    expect(facts).toMatchObject({ arch: 'x86_64', archSource: '/usr/bin/dash', hostname: 'old-style' });
    expect(facts.packages.installed.map((p) => p.name)).toEqual(['linux-image-5.10.0-28-amd64']);
    expect(facts.packages.totalRecords).toBe(2);
    expect(facts.guestTools).toEqual([{ id: 'vmware-tools-tarball', hypervisor: 'vmware', name: 'VMware Tools (tarball install)', evidence: ['path:/etc/vmware-tools/locations'] }]);
    expect(facts.kernels[0]?.initramfs).toBeUndefined();
    expect(facts.kernels[0]?.drivers.vmw_pvscsi).toBe('absent');
    expect(facts.boot).toMatchObject({ firmware: 'bios', bootloader: 'grub-legacy', rootNamings: ['device-path'] });
    expect(facts.network.configs[0]).toMatchObject({ name: 'eth0', addresses: ['192.168.0.2/24'], onBoot: true });
    expect(facts.network.interfaces).toEqual([{ name: 'eth0', scheme: 'kernel' }]);
  });
  it('does not take a Windows volume or an empty one for a Linux root', async () => {
    expect(await looksLikeLinuxRoot(await MemoryFileSystem.from({ Windows: { System32: {} }, etc: {}, usr: {} }))).toBe(false);
    expect(await looksLikeLinuxRoot(new MemoryFileSystem())).toBe(false);
  });
});
