// Every findings rule with an input that triggers it and one that does not.

import { beforeAll, describe, expect, test } from 'vitest';
import { loadCatalog, platformById, type Catalog } from '../../src/catalog/index.js';
import { findings, LINUX_RULES, platformVerdicts, TARGET_RULES, WINDOWS_RULES } from '../../src/fingerprint/index.js';
import type { LinuxFacts } from '../../src/linux/facts/inspect.js';
import type { WindowsFacts } from '../../src/windows/types.js';
import { kernel, linuxFacts, linuxOs, windowsFacts, windowsOs } from './builders.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

const unsafe = (u: Partial<WindowsFacts['unsafe']>) => ({ unsafe: { bitlocker: false, pendingFileRenameOperations: [], hiveLogs: {}, ...u } });
const nic = (dhcp: boolean, ips: string[]) => ({ classKey: '0007', driverDesc: 'Intel(R) PRO/1000 MT', tcpip: { interfaceId: '{x}', dhcp, ipAddresses: ips, subnetMasks: [], gateways: ['10.0.0.1'], nameServers: [] } });
const ref = (raw: string, naming: string) => ({ raw, naming }) as never;

const WINDOWS: Record<string, [Partial<WindowsFacts>, Partial<WindowsFacts>]> = {
  'windows-hibernated': [unsafe({ hibernationSignature: 'hibr' }), unsafe({ hibernationSignature: '' })],
  'windows-fast-startup': [unsafe({ hiberbootEnabled: true }), unsafe({ hiberbootEnabled: false })],
  'windows-dirty-volume': [unsafe({ volumeState: 'dirty' }), unsafe({ volumeState: 'clean' })],
  'windows-unreplayed-hive': [unsafe({ hiveLogs: { SYSTEM: 'unreplayed' } }), unsafe({ hiveLogs: { SYSTEM: 'replayed (SYSTEM.LOG1)' } })],
  'windows-bitlocker': [unsafe({ bitlocker: true }), unsafe({ bitlocker: false })],
  'windows-device-install-restrictions': [{ deviceInstallRestrictions: { DenyRemovableDevices: 1 } }, { deviceInstallRestrictions: {} }],
  'windows-antivirus': [
    { applications: [{ key: 's', view: 'native', displayName: 'Sophos Endpoint Agent', antivirus: true }] },
    { applications: [{ key: '7z', view: 'native', displayName: '7-Zip', antivirus: false }] },
  ],
  'windows-static-ip': [{ network: [nic(false, ['192.168.1.5'])] }, { network: [nic(true, [])] }],
  'windows-sha2-signing': [{ majorVersion: 6, minorVersion: 1, build: 7601 }, { majorVersion: 10, minorVersion: 0, build: 17763 }],
  'windows-pending-file-renames': [unsafe({ pendingFileRenameOperations: ['\\??\\C:\\x.tmp'] }), unsafe({})],
};

const LINUX: Record<string, [Partial<LinuxFacts>, Partial<LinuxFacts>]> = {
  'linux-luks': [{ crypttab: [{ line: 1, name: 'cr_root', device: ref('UUID=abc', 'uuid'), options: [] }] }, { crypttab: [] }],
  'linux-fstab-device-name': [
    { fstab: [{ line: 3, device: ref('/dev/sda1', 'device-path'), mountpoint: '/', fstype: 'ext4', options: [], freq: 0, passno: 1 }] },
    { fstab: [{ line: 3, device: ref('UUID=abc', 'uuid'), mountpoint: '/', fstype: 'ext4', options: [], freq: 0, passno: 1 }] },
  ],
  'linux-lvm-devices-file': [{ lvm: { devicesFile: true, devicesFileEntries: 1, lvmConf: true } }, { lvm: { devicesFile: false, lvmConf: true } }],
  'linux-nic-renaming': [
    { network: { configs: [], macBindings: [{ source: 'udev', file: '/etc/udev/rules.d/70-persistent-net.rules', mac: '00:50:56:aa:bb:cc', name: 'eth0' }], interfaces: [], managers: [] } },
    { network: { configs: [], macBindings: [], interfaces: [{ name: 'eth0', scheme: 'kernel' }], managers: [] } },
  ],
  'linux-static-ip': [
    { network: { configs: [{ source: 'ifupdown', file: '/etc/network/interfaces', name: 'ens192', method: 'static', addresses: ['10.0.0.5/24'], dns: [] }] as never, macBindings: [], interfaces: [], managers: [] } },
    { network: { configs: [{ source: 'ifupdown', file: '/etc/network/interfaces', name: 'ens192', method: 'dhcp', addresses: [], dns: [] }] as never, macBindings: [], interfaces: [], managers: [] } },
  ],
};

describe('Windows rules', () => {
  test('every rule has a case', () => expect(Object.keys(WINDOWS).sort()).toEqual(WINDOWS_RULES.map((r) => r.id).sort()));
  test.each(Object.entries(WINDOWS))('%s', (id, [on, off]) => {
    const ids = (over: Partial<WindowsFacts>) => findings({ os: windowsOs(windowsFacts(over)), verdicts: [] }).map((f) => f.id);
    expect(ids(on)).toContain(id);
    expect(ids(off)).not.toContain(id);
  });
});

describe('Linux rules', () => {
  test('every rule has a case', () => expect(Object.keys(LINUX).sort()).toEqual(LINUX_RULES.map((r) => r.id).sort()));
  test.each(Object.entries(LINUX))('%s', (id, [on, off]) => {
    const ids = (over: Partial<LinuxFacts>) => findings({ os: linuxOs(linuxFacts(over)), verdicts: [] }).map((f) => f.id);
    expect(ids(on)).toContain(id);
    expect(ids(off)).not.toContain(id);
  });
});

describe('target rules', () => {
  test('every rule is covered', () => expect(TARGET_RULES.map((r) => r.id).sort()).toEqual(['kernel-without-target-driver', 'no-boot-storage-driver']));
  test('kernel-without-target-driver names the kernel lacking every driver, per target', () => {
    const os = linuxOs(linuxFacts({ kernels: [kernel('4.9.0-old', { virtio_blk: 'absent', virtio_scsi: 'absent', nvme: 'absent', ahci: 'absent', ata_piix: 'absent', sym53c8xx: 'absent', virtio_pci: 'absent' }), kernel('6.1.0', { virtio_blk: 'initramfs', virtio_pci: 'builtin' })] }));
    const verdicts = platformVerdicts({ os, platform: platformById(catalog, 'kvm') });
    const f = findings({ os, verdicts }).filter((x) => x.id === 'kernel-without-target-driver');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ platform: 'kvm', severity: 'critical' });
    expect(f[0]!.evidence[0]).toMatch(/^kernel 4\.9\.0-old: no driver/);
    const good = linuxOs(linuxFacts({ kernels: [kernel('6.1.0', { virtio_blk: 'initramfs', virtio_pci: 'builtin' })] }));
    expect(findings({ os: good, verdicts: platformVerdicts({ os: good, platform: platformById(catalog, 'kvm') }) }).map((x) => x.id)).not.toContain('kernel-without-target-driver');
  });
  test('no-boot-storage-driver fires for XP on KVM-like virtio-only GCE, not on KVM (IDE)', () => {
    const os = windowsOs(windowsFacts({ majorVersion: 5, minorVersion: 1, build: 2600, arch: 'i386' }));
    const gce = findings({ os, verdicts: platformVerdicts({ os, platform: platformById(catalog, 'gce') }) });
    expect(gce.find((f) => f.id === 'no-boot-storage-driver')).toMatchObject({ platform: 'gce' });
    const kvm = findings({ os, verdicts: platformVerdicts({ os, platform: platformById(catalog, 'kvm') }) });
    expect(kvm.map((f) => f.id)).not.toContain('no-boot-storage-driver');
  });
});
