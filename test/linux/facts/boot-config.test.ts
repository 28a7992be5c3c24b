import { describe, expect, it } from 'vitest';
import { CorruptError } from '../../../src/errors.js';
import {
  applyDracutConf,
  classifyDevice,
  grubWords,
  kconfigState,
  parseBlsEntry,
  parseCmdline,
  parseCrypttabLine,
  parseDefaultGrub,
  parseDpkgStatus,
  parseFstabLine,
  parseGrubCfg,
  parseGrubLegacy,
  parseGrubenv,
  parseInitramfsToolsModules,
  parseKconfig,
  parseModulesBuiltin,
  parseTable,
  pickInitramfs,
  kernelVersionFromFileName,
  splitCmdline,
  splitDebVersion,
  type DracutConfig,
} from '../../../src/linux/facts/index.js';

describe('device naming', () => {
  it('classifies every form', () => {
    const cases: Array<[string, string, string?]> = [
      ['UUID=264b0bb9-9417', 'uuid', '264b0bb9-9417'],
      ['LABEL="root fs"', 'label', 'root fs'],
      ['PARTUUID=0a1b-02', 'partuuid'],
      ['PARTLABEL=root', 'partlabel'],
      ['/dev/disk/by-uuid/abc', 'by-uuid', 'abc'],
      ['/dev/disk/by-label/x', 'by-label'],
      ['/dev/disk/by-partuuid/x', 'by-partuuid'],
      ['/dev/disk/by-id/ata-VBOX_HARDDISK-part1', 'by-id'],
      ['/dev/disk/by-path/pci-0000:00:10.0-scsi-0:0:0:0-part2', 'by-path'],
      ['/dev/mapper/rhel-root', 'mapper', 'rhel-root'],
      ['/dev/rhel/root', 'lvm-path', 'rhel/root'],
      ['/dev/md0', 'md'],
      ['/dev/sda2', 'device-path', 'sda2'],
      ['/dev/nvme0n1p2', 'device-path'],
      ['0801', 'block-number'],
      ['none', 'none'],
      ['tmpfs', 'other'],
    ];
    for (const [raw, naming, value] of cases) {
      const ref = classifyDevice(raw);
      expect(ref.naming, raw).toBe(naming);
      if (value !== undefined) expect(ref.value, raw).toBe(value);
    }
    expect(classifyDevice('/dev/xvda1').bus).toBe('xvd');
    expect(classifyDevice('/dev/vda1').bus).toBe('vd');
    expect(classifyDevice('/dev/hda1').bus).toBe('hd');
    expect(classifyDevice('/dev/cciss/c0d0p1').bus).toBe('cciss');
  });
  it('parses kernel command lines', () => {
    expect(splitCmdline('a "b c" d="e f"  ')).toEqual(['a', 'b c', 'd=e f']);
    const cmd = parseCmdline('BOOT_IMAGE=/vmlinuz root=/dev/mapper/rhel-root ro resume=UUID=1 console=tty0 console=ttyS0,115200 rd.lvm.lv=rhel/root net.ifnames=0 -- single');
    expect(cmd.root).toMatchObject({ naming: 'mapper' });
    expect(cmd.resume).toMatchObject({ naming: 'uuid', value: '1' });
    expect(cmd.console).toEqual(['tty0', 'ttyS0,115200']);
    expect(cmd.params).toEqual({ ro: true, 'rd.lvm.lv': 'rhel/root', 'net.ifnames': '0' });
  });
});

describe('grub2', () => {
  const cfg = `
set default="0"
function load_video {
  insmod all_video
}
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux $menuentry_id_option 'gnulinux-simple-264b' {
\tload_video
\tinsmod ext2
\tlinux\t/boot/vmlinuz-6.1.0-18-amd64 root=UUID=264b ro  quiet
\tinitrd\t/boot/initrd.img-6.1.0-18-amd64
}
submenu 'Advanced options for Debian GNU/Linux' $menuentry_id_option 'gnulinux-advanced-264b' {
\tmenuentry 'Debian GNU/Linux, with Linux 6.1.0-17-amd64 (recovery mode)' {
\t\tlinux16 /vmlinuz-6.1.0-17-amd64 root=/dev/sda2 ro single console="ttyS0,115200"
\t\tinitrd16 /initrd.img-6.1.0-17-amd64 /microcode.img
\t}
}
### BEGIN /etc/grub.d/10_linux ###
insmod blscfg
blscfg
`;
  it('lists menu entries, nested ones with their submenu', () => {
    const parsed = parseGrubCfg(cfg, '/boot/grub/grub.cfg');
    expect(parsed.default).toBe('0');
    expect(parsed.blscfg).toBe(true);
    expect(parsed.entries).toHaveLength(2);
    expect(parsed.entries[0]).toMatchObject({ title: 'Debian GNU/Linux', kernel: '/boot/vmlinuz-6.1.0-18-amd64', initrd: ['/boot/initrd.img-6.1.0-18-amd64'] });
    expect(parsed.entries[0]?.cmdline?.root?.naming).toBe('uuid');
    expect(parsed.entries[1]).toMatchObject({ submenu: ['Advanced options for Debian GNU/Linux'], initrd: ['/initrd.img-6.1.0-17-amd64', '/microcode.img'] });
    expect(parsed.entries[1]?.cmdline?.root?.raw).toBe('/dev/sda2');
    expect(parsed.entries[1]?.cmdline?.console).toEqual(['ttyS0,115200']);
  });
  it('detects the ESP stub that hands over to another config', () => {
    const stub = parseGrubCfg("search --no-floppy --fs-uuid --set=dev 1234\nset prefix=($dev)/grub2\nexport $prefix\nconfigfile $prefix/grub.cfg\n", '/boot/efi/EFI/fedora/grub.cfg');
    expect(stub).toMatchObject({ configfile: '$prefix/grub.cfg', entries: [] });
  });
  it('splits words with shell quoting', () => {
    expect(grubWords(`menuentry 'a b' "c \\"d\\"" e\\ f # comment`)).toEqual(['menuentry', 'a b', 'c "d"', 'e f']);
  });
  it('reads /etc/default/grub', () => {
    const d = parseDefaultGrub('GRUB_DEFAULT=saved\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="resume=/dev/sda3 crashkernel=auto rd.lvm.lv=rhel/root"\nGRUB_ENABLE_BLSCFG=true\n', '/etc/default/grub');
    expect(d).toMatchObject({ default: 'saved', enableBlscfg: true });
    expect(d.cmdlineLinux?.resume).toMatchObject({ naming: 'device-path', bus: 'sd' });
    expect(d.cmdlineLinuxDefault?.params).toEqual({ quiet: true });
  });
  it('reads BLS entries, expanding $kernelopts from grubenv', () => {
    const env = parseGrubenv('# GRUB Environment Block\nsaved_entry=abc\nkernelopts=root=/dev/mapper/rl-root ro resume=/dev/mapper/rl-swap\n####################');
    const entry = parseBlsEntry({
      text: 'title Rocky Linux (4.18.0-513.el8.x86_64) 8.9\nversion 4.18.0-513.el8.x86_64\nlinux /vmlinuz-4.18.0-513.el8.x86_64\ninitrd /initramfs-4.18.0-513.el8.x86_64.img $tuned_initrd\noptions $kernelopts $tuned_params\nid rocky\n',
      file: '/boot/loader/entries/x.conf',
      kernelopts: env.get('kernelopts') as string,
    });
    expect(entry).toMatchObject({ title: 'Rocky Linux (4.18.0-513.el8.x86_64) 8.9', version: '4.18.0-513.el8.x86_64', kernel: '/vmlinuz-4.18.0-513.el8.x86_64' });
    expect(entry.cmdline?.root).toMatchObject({ naming: 'mapper', value: 'rl-root' });
    expect(entry.cmdline?.resume?.naming).toBe('mapper');
  });
  it('reads grub legacy menu.lst', () => {
    const legacy = parseGrubLegacy('default=0\ntimeout=5\ntitle CentOS (2.6.32-754.el6.x86_64)\n\troot (hd0,0)\n\tkernel /vmlinuz-2.6.32-754.el6.x86_64 ro root=/dev/VolGroup/lv_root rd_LVM_LV=VolGroup/lv_root\n\tinitrd /initramfs-2.6.32-754.el6.x86_64.img\ntitle Other\n\tkernel (hd0,0)/vmlinuz-x root=LABEL=/\n', '/boot/grub/grub.conf');
    expect(legacy.default).toBe(0);
    expect(legacy.entries).toHaveLength(2);
    expect(legacy.entries[0]).toMatchObject({ root: '(hd0,0)', kernel: '/vmlinuz-2.6.32-754.el6.x86_64', initrd: ['/initramfs-2.6.32-754.el6.x86_64.img'] });
    expect(legacy.entries[0]?.cmdline?.root?.naming).toBe('lvm-path');
    expect(legacy.entries[1]).toMatchObject({ kernel: '/vmlinuz-x' });
    expect(legacy.entries[1]?.cmdline?.root?.naming).toBe('label');
  });
});

describe('fstab and crypttab', () => {
  it('parses entries with their naming, octal escapes and defaults', () => {
    const { entries, errors } = parseTable('# /etc/fstab\nUUID=abc / ext4 errors=remount-ro 0 1\n/dev/sda1\t/boot\text2\tdefaults\n/dev/mapper/vg-swap none swap sw 0 0\nLABEL=data /mnt/my\\040data xfs noatime,nofail 0 2\nproc /proc proc\n', parseFstabLine);
    expect(errors).toEqual([]);
    expect(entries.map((e) => [e.device.naming, e.mountpoint, e.fstype, e.passno])).toEqual([
      ['uuid', '/', 'ext4', 1],
      ['device-path', '/boot', 'ext2', 0],
      ['mapper', 'none', 'swap', 0],
      ['label', '/mnt/my data', 'xfs', 2],
      ['other', '/proc', 'proc', 0],
    ]);
    expect(entries[3]?.options).toEqual(['noatime', 'nofail']);
  });
  it('reports bad lines as CorruptError and keeps the good ones', () => {
    const { entries, errors } = parseTable('UUID=a / ext4 defaults 0 1\n/dev/sdb1 /x\n/dev/sdc1 /y ext4 defaults zero 1\n', parseFstabLine);
    expect(entries).toHaveLength(1);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(CorruptError);
    expect(errors[0]?.message).toMatch(/line 2/);
  });
  it('parses crypttab', () => {
    const { entries, errors } = parseTable('luks-1234 UUID=1234 none luks,discard\ncryptswap /dev/sda3 /dev/urandom swap\nlonely\n', parseCrypttabLine);
    expect(entries[0]).toMatchObject({ name: 'luks-1234', device: { naming: 'uuid' }, options: ['luks', 'discard'] });
    expect(entries[0]?.keyFile).toBeUndefined();
    expect(entries[1]).toMatchObject({ keyFile: '/dev/urandom', device: { naming: 'device-path' } });
    expect(errors).toHaveLength(1);
  });
});

describe('kernel files', () => {
  it('reads kconfig states', () => {
    const config = parseKconfig('# comment\nCONFIG_VIRTIO_BLK=m\nCONFIG_EXT4_FS=y\n# CONFIG_XEN is not set\nCONFIG_LOCALVERSION=""\nCONFIG_NR_CPUS=64\n');
    expect(kconfigState(config, 'VIRTIO_BLK')).toBe('m');
    expect(kconfigState(config, 'CONFIG_EXT4_FS')).toBe('y');
    expect(kconfigState(config, 'XEN')).toBe('n');
    expect(kconfigState(config, 'NR_CPUS')).toBe('y');
    expect(kconfigState(config, 'HYPERV')).toBe('absent');
  });
  it('reads modules.builtin names, normalising dashes', () => {
    expect([...parseModulesBuiltin('kernel/drivers/ata/libata.ko\nkernel/crypto/crc32c_generic.ko\nkernel/lib/crc-t10dif.ko\n\n')]).toEqual(['libata', 'crc32c_generic', 'crc_t10dif']);
  });
  it('takes versions from /boot names and skips backups', () => {
    expect(kernelVersionFromFileName('vmlinuz-6.1.0-18-amd64')).toBe('6.1.0-18-amd64');
    expect(kernelVersionFromFileName('vmlinuz-6.1.0-18-amd64.dpkg-bak')).toBeUndefined();
    expect(kernelVersionFromFileName('vmlinuz')).toBeUndefined();
    expect(kernelVersionFromFileName('config-6.1.0')).toBeUndefined();
  });
  it('picks the shortest non-kdump initramfs', () => {
    const names = ['initramfs-5.14.0-362.el9.x86_64.img', 'initramfs-5.14.0-362.el9.x86_64kdump.img', 'initramfs-5.14.0-362.el9.x86_64-xen.img', 'vmlinuz-5.14.0-362.el9.x86_64'];
    expect(pickInitramfs(names, '5.14.0-362.el9.x86_64')).toBe('initramfs-5.14.0-362.el9.x86_64.img');
    expect(pickInitramfs(['initrd.img-6.1.0-18-amd64', 'initrd.img-6.1.0-18-amd64.bak'], '6.1.0-18-amd64')).toBe('initrd.img-6.1.0-18-amd64');
    expect(pickInitramfs(['initrd.img-6.1.0-17-amd64'], '6.1.0-18-amd64')).toBeUndefined();
  });
});

describe('initramfs generator configuration', () => {
  it('applies dracut.conf files in order (+= appends, = replaces)', () => {
    const config: DracutConfig = { files: [], addDrivers: [], forceDrivers: [], omitDrivers: [], addDracutModules: [], omitDracutModules: [] };
    applyDracutConf(config, 'hostonly="yes"\nadd_drivers+=" vmw_pvscsi mptspi "\ncompress="zstd"\n# omit_drivers+=" x "\n');
    applyDracutConf(config, 'add_drivers+=" ahci "\nhostonly="no"\nomit_drivers="virtio_blk"\n');
    expect(config).toMatchObject({ hostonly: false, addDrivers: ['vmw_pvscsi', 'mptspi', 'ahci'], omitDrivers: ['virtio_blk'], compress: 'zstd' });
    applyDracutConf(config, 'add_drivers=" nvme "\n');
    expect(config.addDrivers).toEqual(['nvme']);
  });
  it('reads /etc/initramfs-tools/modules lines', () => {
    expect(parseInitramfsToolsModules('# List of modules\n\nvirtio_blk\nraid1 param=1\n')).toEqual(['virtio_blk', 'raid1 param=1']);
  });
});

describe('dpkg status', () => {
  it('parses stanzas with continuation lines and status words', () => {
    const pkgs = parseDpkgStatus(
      'Package: open-vm-tools\nStatus: install ok installed\nPriority: extra\nArchitecture: amd64\nSource: open-vm-tools (2:12.2.0-1)\nVersion: 2:12.2.0-1+deb12u4\nDescription: Open VMware Tools\n long text\n .\n more\n\nPackage: old-thing\nStatus: deinstall ok config-files\nVersion: 1.0\n\n',
    );
    expect(pkgs).toEqual([
      { name: 'open-vm-tools', version: '12.2.0', release: '1+deb12u4', epoch: 2, arch: 'amd64', status: 'installed', source: 'open-vm-tools' },
      { name: 'old-thing', version: '1.0', status: 'config-files' },
    ]);
    expect(splitDebVersion('1:2.3-4-5')).toEqual({ epoch: 1, version: '2.3-4', release: '5' });
    expect(splitDebVersion('abc:1')).toEqual({ version: 'abc:1' });
  });
  it('rejects lines that are not fields', () => {
    expect(() => parseDpkgStatus('Package: a\nthis line has no colon\n')).toThrow(CorruptError);
    expect(() => parseDpkgStatus(' continuation first\nPackage: a\n')).toThrow(CorruptError);
  });
});

describe('modprobe configuration', () => {
  it('reads aliases, blacklists, install overrides, options and boot-time loads', async () => {
    const { MemoryFileSystem } = await import('../../../src/fs/memory/index.js');
    const { GuestFs, readModprobe, parseModulesLoad } = await import('../../../src/linux/facts/index.js');
    const fs = await MemoryFileSystem.from({
      usr: { lib: { 'modprobe.d': { 'systemd.conf': 'options bonding max_bonds=0\n' } } },
      lib: { symlink: 'usr/lib' },
      etc: {
        'modprobe.d': { 'virtio.conf': '# no virtio here\nblacklist virtio-blk\ninstall virtio_scsi /bin/false\nalias scsi_hostadapter mptspi\nalias eth0 vmxnet3\n', 'ignored.txt': 'blacklist x\n' },
        'modprobe.conf': 'alias scsi_hostadapter1 ata_piix\n',
        modules: '# /etc/modules\nloop\nvmw-balloon opt=1\n',
        'modules-load.d': { 'a.conf': 'virtio_net\n; comment\n' },
        sysconfig: { kernel: 'INITRD_MODULES="mptspi ata_piix"\nDOMU_INITRD_MODULES="xennet xenblk"\n' },
      },
    });
    const facts = await readModprobe(new GuestFs({ root: fs }));
    expect(facts.files).toEqual(['/usr/lib/modprobe.d/systemd.conf', '/etc/modprobe.d/virtio.conf', '/etc/modprobe.conf']);
    expect(facts.blacklist).toEqual([{ module: 'virtio_blk', file: '/etc/modprobe.d/virtio.conf' }]);
    expect(facts.install).toEqual([{ module: 'virtio_scsi', command: '/bin/false', file: '/etc/modprobe.d/virtio.conf' }]);
    expect(facts.aliases.map((a) => `${a.alias}=${a.module}`)).toEqual(['scsi_hostadapter=mptspi', 'eth0=vmxnet3', 'scsi_hostadapter1=ata_piix']);
    expect(facts.options).toEqual([{ module: 'bonding', options: 'max_bonds=0', file: '/usr/lib/modprobe.d/systemd.conf' }]);
    expect(facts.loadAtBoot.map((l) => l.module)).toEqual(['loop', 'vmw_balloon', 'virtio_net']);
    expect(facts.sysconfigKernel).toEqual({ initrdModules: ['mptspi', 'ata_piix'], domuInitrdModules: ['xennet', 'xenblk'] });
    expect(parseModulesLoad('')).toEqual([]);
  });
});

describe('kernel packages', () => {
  it('maps kernels to packages by naming convention', async () => {
    const { kernelPackage } = await import('../../../src/linux/facts/index.js');
    const pkgs = [
      { name: 'linux-image-6.1.0-18-amd64', version: '6.1.76', release: '1' },
      { name: 'kernel-core', version: '5.14.0', release: '362.el9', arch: 'x86_64' },
      { name: 'kernel-default', version: '5.14.21', release: '150500.55.39.1', arch: 'x86_64' },
      { name: 'kernel-devel', version: '4.18.0', release: '513.el8', arch: 'x86_64' },
    ];
    expect(kernelPackage('6.1.0-18-amd64', pkgs)?.name).toBe('linux-image-6.1.0-18-amd64');
    expect(kernelPackage('5.14.0-362.el9.x86_64', pkgs)?.name).toBe('kernel-core');
    expect(kernelPackage('5.14.21-150500.55.39-default', pkgs)?.name).toBe('kernel-default');
    expect(kernelPackage('4.18.0-513.el8.x86_64', pkgs)).toBeUndefined();
  });
});

describe('device.map, resume and X drivers', () => {
  it('reads them through inspectLinux', async () => {
    const { MemoryFileSystem } = await import('../../../src/fs/memory/index.js');
    const { inspectLinux, parseDeviceMap, parseXorgDevices } = await import('../../../src/linux/facts/index.js');
    expect(parseDeviceMap('# this device map was generated by anaconda\n(hd0)     /dev/sda\n(hd1) /dev/disk/by-id/scsi-36000c29\nbogus line\n').map((e) => [e.drive, e.device.naming])).toEqual([
      ['(hd0)', 'device-path'],
      ['(hd1)', 'by-id'],
    ]);
    expect(parseXorgDevices('Section "Device"\n  Identifier "Card0"\n  Driver "vmware" # pinned\nEndSection\nSection "Screen"\n Driver "x"\nEndSection\nSection "Device"\nIdentifier "none"\nEndSection\n', 'x.conf')).toEqual([{ file: 'x.conf', identifier: 'Card0', driver: 'vmware' }]);
    const fs = await MemoryFileSystem.from({
      etc: {
        'initramfs-tools': { 'conf.d': { resume: 'RESUME=UUID=1234-swap\n' }, 'initramfs.conf': 'MODULES=most\n' },
        X11: { 'xorg.conf.d': { '20-vm.conf': 'Section "Device"\n Identifier "vm"\n Driver "qxl"\nEndSection\n' } },
      },
      usr: {},
      boot: { grub: { 'device.map': '(hd0) /dev/vda\n' } },
    });
    const facts = await inspectLinux({ fs });
    expect(facts.initramfsConfig.initramfsTools).toMatchObject({ modules: 'most', resume: { naming: 'uuid', value: '1234-swap' } });
    expect(facts.boot.deviceMap).toEqual({ path: '/boot/grub/device.map', entries: [{ drive: '(hd0)', device: { raw: '/dev/vda', naming: 'device-path', value: 'vda', bus: 'vd' } }] });
    expect(facts.xorgDrivers).toEqual([{ file: '/etc/X11/xorg.conf.d/20-vm.conf', identifier: 'vm', driver: 'qxl' }]);
  });
});

describe('default boot entry', () => {
  it('follows grub default forms', async () => {
    const { selectDefaultEntry, compareVersions } = await import('../../../src/linux/facts/index.js');
    const entries = [
      { title: 'Debian', kernel: '/boot/vmlinuz-6.1.0-18-amd64', initrd: [] },
      { title: 'Debian 6.1.0-18', kernel: '/boot/vmlinuz-6.1.0-18-amd64', initrd: [], submenu: ['Advanced'] },
      { title: 'Debian 6.1.0-17', kernel: '/boot/vmlinuz-6.1.0-17-amd64', initrd: [], submenu: ['Advanced'] },
      { title: 'Memtest', initrd: [] },
    ];
    expect(selectDefaultEntry({ entries, key: '0' })).toMatchObject({ entry: { title: 'Debian' }, selectedBy: 'set default 0' });
    expect(selectDefaultEntry({ entries, key: '1>1' })?.entry.title).toBe('Debian 6.1.0-17');
    expect(selectDefaultEntry({ entries, key: '2' })?.entry.title).toBe('Memtest');
    expect(selectDefaultEntry({ entries, key: '"Memtest"' })?.entry.title).toBe('Memtest');
    expect(selectDefaultEntry({ entries, key: '${saved_entry}', savedEntry: 'Debian 6.1.0-17' })).toMatchObject({ entry: { title: 'Debian 6.1.0-17' }, selectedBy: 'grubenv saved_entry Debian 6.1.0-17' });
    expect(selectDefaultEntry({ entries, key: '9' })?.selectedBy).toBe('first entry');
    expect(selectDefaultEntry({ entries: [] })).toBeUndefined();
    const bls = [{ title: 'a', initrd: [], file: '/boot/loader/entries/abc-5.14.0-70.conf' }];
    expect(selectDefaultEntry({ entries: bls, savedEntry: 'abc-5.14.0-70' })?.selectedBy).toBe('grubenv saved_entry abc-5.14.0-70');
    expect(['5.14.0-70.el9', '5.14.0-362.el9', '5.14.0-9.el9'].sort(compareVersions)).toEqual(['5.14.0-9.el9', '5.14.0-70.el9', '5.14.0-362.el9']);
  });
});
