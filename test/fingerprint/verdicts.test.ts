// Verdicts on hand-built facts: every verdict kind for Windows and Linux, the firmware gate,
// and the cell = best device rule, against the real catalog.

import { beforeAll, describe, expect, test } from 'vitest';
import { loadCatalog, platformById, type Catalog } from '../../src/catalog/index.js';
import { compareKernelVersions, functionVerdict, platformVerdicts } from '../../src/fingerprint/index.js';
import { parseDeviceId } from '../../src/windows/device-id.js';
import type { ServiceFacts } from '../../src/windows/types.js';
import { kernel, linuxFacts, linuxOs, windowsFacts, windowsOs } from './builders.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

const svc = (name: string, start: number, extra: Partial<ServiceFacts> = {}): ServiceFacts => ({ name, start, ...extra });
const device = (id: string, service: string) => ({ ...parseDeviceId(id), instance: '1', hardwareIds: [id], service });
const dev = (os: ReturnType<typeof windowsOs>, platform: string, fn: 'boot-storage' | 'network' | 'display', id: string) =>
  functionVerdict({ os, platform: platformById(catalog, platform), fn }).devices.find((d) => d.device === id)!;

describe('Windows', () => {
  test('boots: boot-start service, file present, controller id seen bound to it', () => {
    const os = windowsOs(windowsFacts({ services: [svc('pvscsi', 0, { fileExists: true, file: '/Windows/System32/drivers/pvscsi.sys' })], devices: [device('PCI\\VEN_15AD&DEV_07C0&SUBSYS_07C015AD&REV_02', 'pvscsi')] }));
    const v = dev(os, 'vmware-esxi', 'boot-storage', 'pvscsi');
    expect(v.verdict).toBe('boots');
    expect(v.evidence.join('\n')).toMatch(/Enum device PCI\\VEN_15AD&DEV_07C0.*pvscsi/);
    expect(functionVerdict({ os, platform: platformById(catalog, 'vmware-esxi'), fn: 'boot-storage' })).toMatchObject({ verdict: 'boots', via: 'pvscsi' });
  });

  test('boots-after-patch: demand start, StartOverride, missing file, missing binding each become a patch', () => {
    const os = windowsOs(windowsFacts({ services: [svc('pvscsi', 3, { startOverride: { '0': 3 }, fileExists: false, file: '/Windows/System32/drivers/pvscsi.sys' })] }));
    const v = dev(os, 'vmware-esxi', 'boot-storage', 'pvscsi');
    expect(v.verdict).toBe('boots-after-patch');
    expect(v.patches).toEqual([
      'restore /Windows/System32/drivers/pvscsi.sys from the driver store or VMware Tools',
      'set pvscsi Start=0 (boot)',
      'remove pvscsi\\StartOverride',
      'bind PCI\\VEN_15AD&DEV_07C0 to pvscsi (DriverDatabase)',
    ]);
  });

  test('a stub service key without Start is not a driver', () => {
    const os = windowsOs(windowsFacts({ services: [{ name: 'pvscsi' }] }));
    expect(dev(os, 'vmware-esxi', 'boot-storage', 'pvscsi').evidence[0]).toBe('service pvscsi not installed');
  });

  test('boots-after-patch: absent driver injectable from a vendor package; cannot-boot when the guest is too old for it', () => {
    const modern = windowsOs(windowsFacts());
    expect(dev(modern, 'kvm', 'boot-storage', 'virtio-blk')).toMatchObject({ verdict: 'boots-after-patch' });
    const xp = windowsOs(windowsFacts({ majorVersion: 5, minorVersion: 1, build: 2600, arch: 'i386' }));
    const v = dev(xp, 'kvm', 'boot-storage', 'virtio-blk');
    expect(v.verdict).toBe('cannot-boot');
    expect(v.evidence.join('\n')).toMatch(/virtio-win needs build 6000/);
  });

  test('network: an inbox driver not yet installed works through Plug and Play', () => {
    const os = windowsOs(windowsFacts());
    expect(dev(os, 'hyperv-gen1', 'network', 'netvsc')).toMatchObject({ verdict: 'boots' });
  });

  test('msahci stands in for storahci on Windows 7', () => {
    const os = windowsOs(windowsFacts({ majorVersion: 6, minorVersion: 1, build: 7601, services: [svc('msahci', 3)] }));
    const v = dev(os, 'kvm', 'boot-storage', 'ahci-ich9');
    expect(v.verdict).toBe('boots-after-patch');
    expect(v.patches).toContain('set msahci Start=0 (boot)');
  });

  test('display: a PCI adapter without a driver still works through VGA; unknown when the platform has no display device', () => {
    const os = windowsOs(windowsFacts({ majorVersion: 5, minorVersion: 1, build: 2600 }));
    expect(dev(os, 'hyperv-gen1', 'display', 'hyperv-vga').verdict).toBe('boots');
    expect(functionVerdict({ os, platform: platformById(catalog, 'aws-nitro'), fn: 'display' }).verdict).toBe('unknown');
  });

  test('firmware gate: BIOS/MBR Windows on UEFI-only Hyper-V Gen2 — cannot (32-bit, old) or after patch (mbr2gpt)', () => {
    const services = [svc('storvsc', 0), svc('vmbus', 0)];
    const bindings = [{ ...parseDeviceId('VMBUS\\{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}'), source: 'DriverDatabase' as const, infs: [], packages: [], services: ['storvsc'] }];
    const mbr = [{ letter: 'C:', kind: 'mbr' as const }];
    const old = windowsOs(windowsFacts({ arch: 'i386', majorVersion: 6, minorVersion: 1, build: 7601, services, driverBindings: bindings, driveLetters: mbr }));
    const gen2 = platformById(catalog, 'hyperv-gen2');
    const cell = functionVerdict({ os: old, platform: gen2, fn: 'boot-storage' });
    expect(cell.devices[0]!.verdict).toBe('boots');
    expect(cell.verdict).toBe('cannot-boot');
    expect(cell.notes[0]).toMatch(/BIOS\/MBR/);
    const win10 = windowsOs(windowsFacts({ build: 19045, services, driverBindings: bindings, driveLetters: mbr }));
    expect(functionVerdict({ os: win10, platform: gen2, fn: 'boot-storage' })).toMatchObject({ verdict: 'boots-after-patch', notes: [expect.stringMatching(/mbr2gpt/)] });
    const gpt = windowsOs(windowsFacts({ services, driverBindings: bindings, driveLetters: [{ letter: 'C:', kind: 'gpt' }] }));
    expect(functionVerdict({ os: gpt, platform: gen2, fn: 'boot-storage' })).toMatchObject({ verdict: 'boots', notes: [] });
  });
});

describe('Linux', () => {
  const os = (drivers: Record<string, 'builtin' | 'initramfs' | 'module-tree' | 'absent'>, extra = {}) => linuxOs(linuxFacts({ kernels: [kernel('6.1.0-18-amd64', drivers)], ...extra }));
  const storage = (o: ReturnType<typeof os>, platform: string, id: string) => functionVerdict({ os: o, platform: platformById(catalog, platform), fn: 'boot-storage' }).devices.find((d) => d.device === id)!;

  test('boots: driver and its transport in the initramfs or built in', () => {
    expect(storage(os({ virtio_blk: 'initramfs', virtio_pci: 'builtin' }), 'kvm', 'virtio-blk').verdict).toBe('boots');
  });
  test('boots-after-patch: module tree only, with the patch naming the modules', () => {
    const v = storage(os({ virtio_blk: 'module-tree', virtio_pci: 'initramfs' }), 'kvm', 'virtio-blk');
    expect(v.verdict).toBe('boots-after-patch');
    expect(v.patches).toEqual(['add virtio_blk to the initramfs of 6.1.0-18-amd64 and rebuild it']);
  });
  test('cannot-boot: absent; the transport missing counts too', () => {
    expect(storage(os({ virtio_blk: 'absent', virtio_pci: 'builtin' }), 'kvm', 'virtio-blk').verdict).toBe('cannot-boot');
    expect(storage(os({ virtio_blk: 'initramfs', virtio_pci: 'absent' }), 'kvm', 'virtio-blk').verdict).toBe('cannot-boot');
  });
  test('unknown: no kernel installed, or the module was not inspected', () => {
    expect(storage(linuxOs(linuxFacts()), 'kvm', 'virtio-blk')).toMatchObject({ verdict: 'unknown', evidence: ['no installed kernel found'] });
    expect(storage(os({}), 'kvm', 'virtio-blk').verdict).toBe('unknown');
  });
  test('network modules only need the module tree', () => {
    const v = functionVerdict({ os: os({ virtio_net: 'module-tree', virtio_pci: 'module-tree' }), platform: platformById(catalog, 'kvm'), fn: 'network' });
    expect(v).toMatchObject({ verdict: 'boots', via: 'virtio-net' });
  });
  test('the default boot entry kernel decides; otherwise the newest', () => {
    const kernels = [kernel('5.10.0-28-amd64', { virtio_blk: 'initramfs', virtio_pci: 'builtin' }), kernel('6.1.0-18-amd64', { virtio_blk: 'absent', virtio_pci: 'builtin' })];
    const newest = linuxOs(linuxFacts({ kernels }));
    expect(storage(newest, 'kvm', 'virtio-blk').verdict).toBe('cannot-boot');
    const facts = linuxFacts({ kernels });
    facts.boot.defaultEntry = { title: 'old', kernelVersion: '5.10.0-28-amd64', selectedBy: 'test' };
    expect(storage(linuxOs(facts), 'kvm', 'virtio-blk').verdict).toBe('boots');
    expect(compareKernelVersions('5.10.0-28', '6.1.0-18')).toBeLessThan(0);
    expect(compareKernelVersions('6.1.10', '6.1.9')).toBeGreaterThan(0);
  });
  test('the lab-guest shape: vmware flavour boots on pvscsi/ahci, not on virtio; kvm flavour boots on virtio', () => {
    const vmware = os({ vmw_pvscsi: 'initramfs', ahci: 'initramfs', virtio_blk: 'module-tree', virtio_scsi: 'module-tree', virtio_pci: 'module-tree' });
    expect(storage(vmware, 'vmware-esxi', 'pvscsi').verdict).toBe('boots');
    expect(storage(vmware, 'vmware-esxi', 'vmware-ahci').verdict).toBe('boots');
    expect(storage(vmware, 'kvm', 'virtio-blk').verdict).toBe('boots-after-patch');
    expect(storage(vmware, 'kvm', 'virtio-scsi').verdict).toBe('boots-after-patch');
    const kvm = os({ virtio_blk: 'initramfs', virtio_scsi: 'initramfs', virtio_pci: 'initramfs', vmw_pvscsi: 'module-tree' });
    expect(storage(kvm, 'kvm', 'virtio-blk').verdict).toBe('boots');
    expect(platformVerdicts({ os: kvm, platform: platformById(catalog, 'kvm') }).map((v) => v.function)).toEqual(['boot-storage', 'network', 'display']);
  });
  test('firmware: a UEFI Linux guest on BIOS-only AWS Xen boots after installing a BIOS boot loader', () => {
    const facts = linuxFacts({ kernels: [kernel('6.1.0-18-amd64', { xen_blkfront: 'initramfs' })] });
    facts.boot.firmware = 'uefi';
    const v = functionVerdict({ os: linuxOs(facts), platform: platformById(catalog, 'aws-xen'), fn: 'boot-storage' });
    expect(v).toMatchObject({ verdict: 'boots-after-patch', notes: [expect.stringMatching(/UEFI/)] });
  });
});
