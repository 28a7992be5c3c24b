// The pure half of Windows boot readiness (src/rules/windows-context.ts + packs/windows.json)
// on synthetic WindowsFacts, and the realizers' refusals (src/patch/realize/windows-*.ts) on a
// host directory laid out as a guest: every precondition the realizers re-check is given input
// that must fail it. The plans for a Windows 8+ and a pre-8 guest to KVM are compared side by
// side (the same install, bound through DriverDatabase vs CriticalDeviceDatabase).

import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { PreconditionError } from '../../src/errors.js';
import { guestView } from '../../src/patch/realize/guest-view.js';
import { realize } from '../../src/patch/realize/dispatch.js';
import { realizeWindowsPlan } from '../../src/patch/realize/windows-plan.js';
import { driverPackageVersion, encodeValueSpec, guidBytes } from '../../src/patch/realize/windows-hive.js';
import { DriverSourceCache, realizeDriverFiles } from '../../src/patch/realize/windows-driver-files.js';
import { assemblePlan, evaluate, windowsContext, type PlannedPatch, type WindowsDriverCandidate } from '../../src/rules/index.js';
import type { WindowsFacts } from '../../src/windows/types.js';
import { HostDirectoryFileSystem } from '../../src/windows/drivers/index.js';
import { extractCorpus, tempDir } from '../helpers/tools.js';
import { rulesAndCatalog } from './inject-helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function facts(over: Partial<WindowsFacts>): WindowsFacts {
  return {
    os: 'windows', systemRoot: '/Windows', arch: 'x86_64', majorVersion: 10, minorVersion: 0, build: 17763, controlSet: 'ControlSet001',
    realTimeIsUniversal: false, services: [], classFilters: [], driverBindings: [], devices: [], applications: [], tools: [], groupPolicies: [], network: [],
    activation: { evaluation: false, oemCertificates: [], oemProductId: false, licensingStores: [] },
    unsafe: { bitlocker: false, pendingFileRenameOperations: [], hiveLogs: { SYSTEM: 'clean' } },
    driveLetters: [],
    ...over,
  } as WindowsFacts;
}

const svc = (name: string, start: number, extra: Record<string, unknown> = {}) => ({ name, start, type: 1, errorControl: 1, fileExists: true, ...extra });

const VIOSTOR: WindowsDriverCandidate = {
  driverSource: '/src/virtio-win.iso',
  inf: '/viostor/2k19/amd64/viostor.inf',
  service: 'viostor',
  hardwareIds: ['PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00', 'PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01'],
  classGuid: '{4D36E97B-E325-11CE-BFC1-08002BE10318}',
  serviceParams: { type: 1, start: 0, errorControl: 1, group: 'SCSI miniport', imagePath: '\\SystemRoot\\System32\\drivers\\viostor.sys' },
  serviceValues: [{ key: 'Parameters\\PnpInterface', values: [{ name: '5', type: 'REG_DWORD', data: 1 }] }],
  files: [{ source: '/viostor/2k19/amd64/viostor.sys', dest: '/Windows/System32/drivers/viostor.sys', sha256: 'a'.repeat(64), size: 4096 }],
  missingFiles: [],
};

async function planOf(args: { f: WindowsFacts; target: string; drivers?: WindowsDriverCandidate[]; controllers?: string[] }) {
  const { catalog, packs } = await rulesAndCatalog();
  const target = catalog.platforms.find((p) => p.id === args.target)!;
  const context = windowsContext({
    os: { type: 'windows', root: 'p2', facts: args.f },
    target,
    platforms: catalog.platforms,
    ...(args.controllers ? { controllers: args.controllers } : {}),
    ...(args.drivers ? { windows: { driverSource: '/src/virtio-win.iso', drivers: args.drivers } } : {}),
  });
  return assemblePlan({ os: 'p2', target: target.id, results: evaluate({ packs, context }) });
}

describe('planning (pure)', () => {
  test('Windows 8+ and pre-8 to KVM: the same install, DriverDatabase vs CriticalDeviceDatabase', async () => {
    const modern = await planOf({ f: facts({}), target: 'kvm', drivers: [VIOSTOR], controllers: ['virtio-blk'] });
    const legacy = await planOf({ f: facts({ majorVersion: 6, minorVersion: 1, build: 7601 }), target: 'kvm', drivers: [VIOSTOR], controllers: ['virtio-blk'] });
    const strip = (p: PlannedPatch) => ({ ...p, binding: undefined, precondition: undefined });
    expect(modern.patches).toHaveLength(1);
    expect(legacy.patches).toHaveLength(1);
    expect(modern.patches[0]).toMatchObject({ kind: 'windows-install-driver', binding: 'driver-database', service: 'viostor', volume: 'p2', controlSet: 'ControlSet001', arch: 'amd64' });
    expect(legacy.patches[0]).toMatchObject({ kind: 'windows-install-driver', binding: 'cdd' });
    expect(strip(modern.patches[0]!)).toEqual(strip(legacy.patches[0]!));
    expect(modern.patches[0]).toMatchObject({ serviceParams: { start: 0, type: 1, group: 'SCSI miniport' }, hardwareIds: VIOSTOR.hardwareIds });
    expect(modern.blocked).toEqual([]);
  });

  test('no driver source: virtio-blk is blocked with the reason; a source without files is not used', async () => {
    const plan = await planOf({ f: facts({}), target: 'kvm', controllers: ['virtio-blk'] });
    expect(plan.blocked.map((b) => b.rule)).toEqual(['windows.boot-storage.none']);
    expect(plan.blocked[0]!.evidence).toEqual(['virtio-blk: cannot: viostor is not installed and bound; it needs a driver source (--drivers virtio-win.iso)']);
    const broken = await planOf({ f: facts({}), target: 'kvm', controllers: ['virtio-blk'], drivers: [{ ...VIOSTOR, missingFiles: ['viostor.sys'] }] });
    expect(broken.blocked).toHaveLength(1);
  });

  test('an installed, bound, boot-start viostor is ready: nothing to do', async () => {
    const bindings = ['1001', '1042'].map((device) => ({ id: `PCI\\VEN_1AF4&DEV_${device}`, bus: 'PCI', vendor: '1AF4', device, source: 'DriverDatabase' as const, infs: ['oem3.inf'], packages: [], services: ['viostor'] }));
    const plan = await planOf({ f: facts({ services: [svc('viostor', 0)], driverBindings: bindings }), target: 'kvm', controllers: ['virtio-blk'] });
    expect(plan.patches).toEqual([]);
    expect(plan.blocked).toEqual([]);
    // Bound only in the CDD, on Windows 10: not bound as Windows 10 looks (install again).
    const cdd = bindings.map((b) => ({ ...b, source: 'CriticalDeviceDatabase' as const }));
    const again = await planOf({ f: facts({ services: [svc('viostor', 0)], driverBindings: cdd }), target: 'kvm', controllers: ['virtio-blk'], drivers: [VIOSTOR] });
    expect(again.patches.map((p) => p.kind)).toEqual(['windows-install-driver']);
  });

  test('Azure NVMe: StartOverride on stornvme is cleared; a stub key without Type is not a driver', async () => {
    const plan = await planOf({ f: facts({ services: [svc('stornvme', 0, { startOverride: { '0': 3 } }), svc('storvsc', 0), svc('vmbus', 0), svc('storflt', 0), svc('vpci', 0), svc('pci', 0)] }), target: 'azure', controllers: ['azure-nvme'] });
    expect(plan.patches).toEqual([
      expect.objectContaining({ kind: 'windows-service-start', service: 'stornvme', start: 0, clearStartOverride: true }),
      expect.objectContaining({ kind: 'registry-values', hive: 'SYSTEM', key: 'ControlSet001\\Control\\TimeZoneInformation', values: [{ name: 'RealTimeIsUniversal', type: 'REG_DWORD', data: 1 }] }),
    ]);
    const stub = await planOf({ f: facts({ services: [{ name: 'pvscsi', fileExists: true }] as WindowsFacts['services'] }), target: 'vmware-esxi', controllers: ['pvscsi'] });
    expect(stub.blocked.map((b) => b.rule)).toEqual(['windows.boot-storage.none']);
  });

  test('Azure NVMe through virtual PCI: StartOverride cleared on stornvme, vpci and pci (removing it from stornvme and pci only is not enough)', async () => {
    const over = { startOverride: { '0': 3 } };
    const f = facts({ services: [svc('stornvme', 3, over), svc('vmbus', 0), svc('vpci', 0, over), svc('pci', 0, over), svc('storvsc', 0), svc('storflt', 0)] });
    const plan = await planOf({ f, target: 'azure', controllers: ['azure-nvme'] });
    expect(plan.patches.filter((p) => p.kind === 'windows-service-start').map((p) => `${'service' in p ? p.service : ''}`)).toEqual(['stornvme', 'vpci', 'pci']);
    // Without vpci (before Windows Server 2016) the device cannot be driven.
    const old = await planOf({ f: facts({ services: [svc('stornvme', 0), svc('vmbus', 0), svc('pci', 0)] }), target: 'azure', controllers: ['azure-nvme'] });
    expect(old.blocked[0]?.evidence).toEqual(['azure-nvme: cannot: the guest lacks vpci (needed by pci devices); this Windows release predates Azure NVMe (v6+ sizes, via virtual PCI)']);
  });

  test('VMware pvscsi from a vendor driver folder: the same install, driven by that INF; Xen PV block without a source is refused', async () => {
    const pvscsi: WindowsDriverCandidate = { ...VIOSTOR, driverSource: '/vmware-tools', inf: '/Drivers/pvscsi/Win8/amd64/pvscsi.inf', service: 'pvscsi', hardwareIds: ['PCI\\VEN_15AD&DEV_07C0'], files: [{ ...VIOSTOR.files[0]!, source: '/Drivers/pvscsi/Win8/amd64/pvscsi.sys', dest: '/Windows/System32/drivers/pvscsi.sys' }] };
    const plan = await planOf({ f: facts({}), target: 'vmware-esxi', controllers: ['pvscsi'], drivers: [VIOSTOR, pvscsi] });
    expect(plan.patches).toEqual([expect.objectContaining({ kind: 'windows-install-driver', service: 'pvscsi', hardwareIds: ['PCI\\VEN_15AD&DEV_07C0'], binding: 'driver-database' })]);
    const xen = await planOf({ f: facts({}), target: 'xcp-ng', controllers: ['xen-vbd'], drivers: [VIOSTOR] });
    expect(xen.blocked[0]?.evidence).toEqual([`xen-vbd: cannot: xenvbd is not installed and bound, and /src/virtio-win.iso has no driver for this Windows release and architecture`]);
  });

  test('source drivers: Parallels prl_fs disabled (Start=4), prl_strg taken out of the disk LowerFilters and disabled; VMware drivers kept on VMware', async () => {
    const f = facts({
      services: [svc('intelide', 0), svc('atapi', 0), svc('prl_fs', 1), svc('prl_strg', 0), svc('vmhgfs', 1)],
      classFilters: [{ classGuid: '{4d36e967-e325-11ce-bfc1-08002be10318}', upperFilters: [], lowerFilters: ['prl_strg'] }],
    });
    const plan = await planOf({ f, target: 'kvm', controllers: ['ide-piix3'] });
    expect(plan.patches.map((p) => `${p.kind}:${'service' in p ? p.service : ''}:${'start' in p ? p.start : ''}`)).toEqual([
      'windows-service-start:prl_fs:4',
      'windows-service-start:prl_strg:4',
      'windows-service-start:vmhgfs:4',
      'windows-class-filter-remove::',
    ]);
    expect(plan.patches[3]).toMatchObject({ classGuid: '{4d36e967-e325-11ce-bfc1-08002be10318}', list: 'LowerFilters', filter: 'prl_strg' });
    expect(plan.results.find((r) => r.rule === 'windows.source-drivers.filters')?.evidence).toEqual(['prl_strg in {4d36e967-e325-11ce-bfc1-08002be10318} LowerFilters']);
    const onVmware = await planOf({ f: facts({ services: [svc('LSI_SAS', 0), svc('vmhgfs', 1)] }), target: 'vmware-esxi', controllers: ['lsilogic-sas'] });
    expect(onVmware.patches).toEqual([]);
  });

  test('refusals: hibernated / Fast Startup, dirty volume, BitLocker', async () => {
    const unsafe = (over: Partial<WindowsFacts['unsafe']>) => facts({ services: [svc('intelide', 0), svc('atapi', 0)], unsafe: { bitlocker: false, pendingFileRenameOperations: [], hiveLogs: {}, ...over } });
    expect((await planOf({ f: unsafe({ volumeState: 'hibernated' }), target: 'kvm', controllers: ['ide-piix3'] })).blocked.map((b) => b.rule)).toEqual(['windows.unsafe.hibernated']);
    expect((await planOf({ f: unsafe({ volumeState: 'dirty-hibernated' }), target: 'kvm', controllers: ['ide-piix3'] })).blocked.map((b) => b.rule)).toEqual(['windows.unsafe.hibernated']);
    expect((await planOf({ f: unsafe({ volumeState: 'dirty' }), target: 'kvm', controllers: ['ide-piix3'] })).blocked.map((b) => b.rule)).toEqual(['windows.unsafe.dirty-volume']);
    expect((await planOf({ f: unsafe({ bitlocker: true }), target: 'kvm', controllers: ['ide-piix3'] })).blocked.map((b) => b.rule)).toEqual(['windows.unsafe.bitlocker']);
    expect((await planOf({ f: unsafe({ volumeState: 'clean' }), target: 'kvm', controllers: ['ide-piix3'] })).blocked).toEqual([]);
  });

  test('a dirty SYSTEM hive without logs blocks any plan that writes it, and only then', async () => {
    const dirty = { bitlocker: false, pendingFileRenameOperations: [], hiveLogs: { SYSTEM: 'unreplayed' } };
    const writes = await planOf({ f: facts({ unsafe: dirty, services: [svc('storvsc', 3), svc('vmbus', 0)] }), target: 'hyperv-gen2' });
    expect(writes.blocked.map((b) => b.rule)).toEqual(['windows.hive.dirty']);
    const none = await planOf({ f: facts({ unsafe: dirty, services: [svc('storvsc', 0), svc('vmbus', 0)] }), target: 'hyperv-gen2' });
    expect(none.blocked).toEqual([]);
    expect(none.patches).toEqual([]);
  });
});

describe('realizer validators', () => {
  test('registry value specs: data that does not fit its type is refused', () => {
    expect(() => encodeValueSpec({ name: 'x', type: 'REG_DWORD', data: 'one' })).toThrow(PreconditionError);
    expect(() => encodeValueSpec({ name: 'x', type: 'REG_DWORD', data: 2 ** 32 })).toThrow(PreconditionError);
    expect(() => encodeValueSpec({ name: 'x', type: 'REG_BINARY', data: 'abc' })).toThrow(PreconditionError);
    expect(() => encodeValueSpec({ name: 'x', type: 'REG_MULTI_SZ', data: 'a' })).toThrow(PreconditionError);
    expect(() => encodeValueSpec({ name: 'x', type: 'REG_QWORD', data: 1 })).toThrow(PreconditionError);
    expect([...encodeValueSpec({ name: 'x', type: 'REG_QWORD', data: '4294967296' }).data]).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
    expect([...encodeValueSpec({ name: 'x', type: 'REG_BINARY', data: '01ff0000' }).data]).toEqual([1, 255, 0, 0]);
  });

  test('class GUIDs: the mixed-endian form virt-v2v writes; a malformed GUID is refused', () => {
    expect(Buffer.from(driverPackageVersion('{4D36E97B-E325-11CE-BFC1-08002BE10318}')).toString('hex')).toBe(`00ff090000000000${'7be9364d25e3ce11bfc108002be10318'}${'00'.repeat(24)}`);
    expect(() => guidBytes('{4D36E97B-E325-11CE-BFC1}')).toThrow(PreconditionError);
  });

  function guestDir(): string {
    const dir = tempDir('rehost-inject-guest-');
    dirs.push(dir);
    mkdirSync(join(dir, 'guest/Windows/System32/config'), { recursive: true });
    mkdirSync(join(dir, 'guest/Windows/System32/drivers'), { recursive: true });
    mkdirSync(join(dir, 'src/viostor'), { recursive: true });
    writeFileSync(join(dir, 'src/viostor/viostor.sys'), 'driver bytes');
    return dir;
  }

  const view = (dir: string) => guestView({ root: 'p1', mounts: {}, open: async () => new HostDirectoryFileSystem(join(dir, 'guest')) });
  const install = (dir: string, over: Partial<Extract<PlannedPatch, { kind: 'windows-install-driver' }>> = {}): Extract<PlannedPatch, { kind: 'windows-install-driver' }> => ({
    kind: 'windows-install-driver', volume: 'p1', precondition: '', rule: 'test', systemRoot: '/Windows', controlSet: 'ControlSet001', service: 'viostor',
    driverSource: join(dir, 'src'), inf: '/viostor/viostor.inf', hardwareIds: ['PCI\\VEN_1AF4&DEV_1001'], classGuid: '{4D36E97B-E325-11CE-BFC1-08002BE10318}',
    serviceParams: { type: 1, start: 0, errorControl: 1, imagePath: '\\SystemRoot\\System32\\drivers\\viostor.sys' }, serviceValues: [], binding: 'cdd', arch: 'x86',
    files: [{ source: '/viostor/viostor.sys', dest: '/Windows/System32/drivers/viostor.sys', sha256: '4a3f2be0b7a9cfd5bd0b1b0bb9b6af3eb4a0ad2f0c53bb3bf4cf3d05cb1c8e5c', size: 12 }],
    ...over,
  });

  test('driver files: a source file that changed since the plan, or a different driver already in the guest, is refused', async () => {
    const dir = guestDir();
    const sources = new DriverSourceCache();
    try {
      await expect(realizeDriverFiles({ planned: install(dir), guest: view(dir), sources })).rejects.toThrow(/changed since the plan/);
      const good = install(dir, { files: [{ source: '/viostor/viostor.sys', dest: '/Windows/System32/drivers/viostor.sys', sha256: 'b3c3e6d9a6cfd9e5b4d37df72cd5d6c1f3a4a93d6a1a6f0c1b2b8c1a0e0b1c3d', size: 12 }] });
      const { createHash } = await import('node:crypto');
      good.files[0]!.sha256 = createHash('sha256').update('driver bytes').digest('hex');
      expect((await realizeDriverFiles({ planned: good, guest: view(dir), sources })).map((p) => p.kind)).toEqual(['write-file']);
      writeFileSync(join(dir, 'guest/Windows/System32/drivers/viostor.sys'), 'an older viostor');
      await expect(realizeDriverFiles({ planned: good, guest: view(dir), sources })).rejects.toThrow(/does not replace a driver file/);
      writeFileSync(join(dir, 'guest/Windows/System32/drivers/viostor.sys'), 'driver bytes');
      expect(await realizeDriverFiles({ planned: good, guest: view(dir), sources })).toEqual([]);
    } finally {
      await sources.close();
    }
  });

  test('UEFI: copy-file refuses a changed source or an unexpected destination; bcd-delete-element on a store without the element is a no-op', async () => {
    const dir = guestDir();
    const boot = join(dir, 'guest/EFI/Microsoft/Boot');
    mkdirSync(boot, { recursive: true });
    writeFileSync(join(boot, 'bootmgfw.efi'), 'boot manager');
    const sha = createHash('sha256').update('boot manager').digest('hex');
    const copy: PlannedPatch = { kind: 'copy-file', volume: 'p1', precondition: '', rule: 'test', from: '/EFI/Microsoft/Boot/bootmgfw.efi', to: '/EFI/Boot/BOOTX64.EFI', sha256: sha, replace: 'absent' };
    await expect(realize({ planned: { ...copy, sha256: '0'.repeat(64) }, guest: view(dir) })).rejects.toThrow(/changed since the plan/);
    const patches = await realize({ planned: copy, guest: view(dir) });
    expect(patches.map((p) => `${p.kind} ${'path' in p ? p.path : ''}`)).toEqual(['make-directory /EFI/Boot', 'write-file /EFI/Boot/BOOTX64.EFI']);
    mkdirSync(join(dir, 'guest/EFI/Boot'));
    writeFileSync(join(dir, 'guest/EFI/Boot/BOOTX64.EFI'), 'shim');
    await expect(realize({ planned: copy, guest: view(dir) })).rejects.toThrow(/BOOTX64.EFI is [0-9a-f]{64}, the plan saw absent/);
    writeFileSync(join(dir, 'guest/EFI/Boot/BOOTX64.EFI'), 'boot manager');
    expect(await realize({ planned: copy, guest: view(dir) })).toEqual([]);
    extractCorpus('registry/bcd/windeploy-BCD-efi-locate', boot, 'BCD');
    const bcd: PlannedPatch = { kind: 'bcd-delete-element', volume: 'p1', precondition: '', rule: 'test', path: '/EFI/Microsoft/Boot/BCD', object: '{9dea862c-5cdd-4e70-acc1-f32b344d4795}', element: '16000046' };
    expect(await realize({ planned: bcd, guest: view(dir) })).toEqual([]);
    await expect(realize({ planned: { ...bcd, path: '/EFI/Microsoft/Boot/missing' }, guest: view(dir) })).rejects.toThrow(/missing, not the regular file/);
  });

  test('hives: a binding the hive disagrees with, a missing service, a dirty hive without logs are refused', async () => {
    const dir = guestDir();
    const config = join(dir, 'guest/Windows/System32/config');
    extractCorpus('registry/system/win7-sp1-x86-vmware/SYSTEM.xz', config, 'SYSTEM');
    const hiveOnly = (over: Partial<Extract<PlannedPatch, { kind: 'windows-install-driver' }>>) => ({ ...install(dir, over), files: [] });
    await expect(realizeWindowsPlan({ planned: [hiveOnly({ binding: 'driver-database' })], guest: view(dir) })).rejects.toThrow(/has no DriverDatabase key/);
    const start: PlannedPatch = { kind: 'windows-service-start', volume: 'p1', precondition: '', rule: 'test', systemRoot: '/Windows', controlSet: 'ControlSet001', service: 'nosuchdriver', start: 0, clearStartOverride: true };
    await expect(realizeWindowsPlan({ planned: [start], guest: view(dir) })).rejects.toThrow(/nosuchdriver.*missing/);
    const values: PlannedPatch = { kind: 'registry-values', volume: 'p1', precondition: '', rule: 'test', systemRoot: '/Windows', hive: 'SYSTEM', key: 'ControlSet001\\Control\\NoSuchKey', values: [{ name: 'x', type: 'REG_DWORD', data: 1 }] };
    await expect(realizeWindowsPlan({ planned: [values], guest: view(dir) })).rejects.toThrow(/NoSuchKey is missing/);
    // A filter removal needs the list to be a MULTI_SZ that still holds the filter.
    const filter: PlannedPatch = { kind: 'windows-class-filter-remove', volume: 'p1', precondition: '', rule: 'test', systemRoot: '/Windows', controlSet: 'ControlSet001', classGuid: '{4D36E967-E325-11CE-BFC1-08002BE10318}', list: 'LowerFilters', filter: 'prl_strg' };
    await expect(realizeWindowsPlan({ planned: [filter], guest: view(dir) })).rejects.toThrow(/LowerFilters is missing; the plan expected prl_strg/);
    await expect(realizeWindowsPlan({ planned: [{ ...filter, list: 'UpperFilters' }], guest: view(dir) })).rejects.toThrow(/UpperFilters no longer holds prl_strg/);
    // One write for the whole hive, expecting the hash of what was read; a second identical batch on it is a no-op.
    const patches = await realizeWindowsPlan({ planned: [hiveOnly({}), { ...start, service: 'msahci', clearStartOverride: false }], guest: view(dir) });
    expect(patches.map((p) => `${p.kind} ${'path' in p ? p.path : ''}`)).toEqual(['write-file /Windows/System32/config/SYSTEM']);
    writeFileSync(join(config, 'SYSTEM'), (patches[0] as { content: Uint8Array }).content);
    expect(await realizeWindowsPlan({ planned: [hiveOnly({}), { ...start, service: 'msahci', clearStartOverride: false }], guest: view(dir) })).toEqual([]);
    extractCorpus('registry/system/win10-1709-x64-vmware/SYSTEM.xz', config, 'SYSTEM');
    await expect(realizeWindowsPlan({ planned: [{ ...start, service: 'stornvme' }], guest: view(dir) })).rejects.toThrow(/dirty and its transaction logs do not replay/);
  });
});
