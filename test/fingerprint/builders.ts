// Hand-built Inspection objects for the fingerprint tests: a minimal WindowsFacts or
// LinuxFacts with every list empty, overridden field by field by each test.

import type { Inspection, OperatingSystem } from '../../src/inspect/inspect.js';
import type { KernelFacts } from '../../src/linux/facts/kernels.js';
import type { LinuxFacts } from '../../src/linux/facts/inspect.js';
import type { WindowsFacts } from '../../src/windows/types.js';

export function windowsFacts(over: Partial<WindowsFacts> = {}): WindowsFacts {
  return {
    os: 'windows',
    systemRoot: '/Windows',
    arch: 'x86_64',
    productName: 'Windows Server 2019 Standard',
    majorVersion: 10,
    minorVersion: 0,
    build: 17763,
    realTimeIsUniversal: false,
    services: [],
    classFilters: [],
    driverBindings: [],
    devices: [],
    applications: [],
    tools: [],
    groupPolicies: [],
    network: [],
    activation: { evaluation: false, oemCertificates: [], oemProductId: false, licensingStores: [] },
    unsafe: { bitlocker: false, pendingFileRenameOperations: [], hiveLogs: {} },
    driveLetters: [],
    ...over,
  };
}

export function kernel(version: string, drivers: KernelFacts['drivers']): KernelFacts {
  return { version, vmlinuz: `/boot/vmlinuz-${version}`, size: 1, debug: false, drivers };
}

export function linuxFacts(over: Partial<LinuxFacts> = {}): LinuxFacts {
  return {
    osType: 'linux',
    distro: { id: 'debian', idLike: [], prettyName: 'Debian GNU/Linux 12 (bookworm)', version: '12', major: 12, minor: 5, sources: ['/etc/os-release'] },
    arch: 'x86_64',
    packages: { installed: [] },
    guestTools: [],
    cloudInit: { installed: false, sources: [], disabled: false },
    kernels: [],
    boot: { firmware: 'bios', evidence: [], espPartitions: [], biosBootPartitions: [], bootloader: 'grub2', grub2: [], blsEntries: [], rootNamings: [] },
    fstab: [],
    crypttab: [],
    lvm: { devicesFile: false, lvmConf: false },
    initramfsConfig: {},
    modprobe: { files: [], aliases: [], blacklist: [], install: [], options: [], loadAtBoot: [] },
    network: { configs: [], macBindings: [], interfaces: [], managers: [] },
    ...over,
  } as LinuxFacts;
}

export const windowsOs = (facts: WindowsFacts): OperatingSystem => ({ type: 'windows', root: 'p1', facts });
export const linuxOs = (facts: LinuxFacts): OperatingSystem => ({ type: 'linux', root: 'p1', mounts: { '/': 'p1' }, unresolvedMounts: [], facts });
export const inspectionOf = (...os: OperatingSystem[]): Inspection => ({ schemaVersion: 1, volumes: [], operatingSystems: os, warnings: [] });
