// Windows boot-storage readiness through plan/apply (issue 12 core), on the real SYSTEM hives
// of the corpus placed in a test NTFS disk, with a virtio-win-shaped driver source written by
// the test (drivers-fixtures.ts). Every result is read back with independent tools: ntfscat
// (ntfs-3g) for the copied .sys bytes, hivexget (hivex) for every key and value written, and
// the golden expectations below were reviewed by hand against conversion-facts.md §a.3
// (virt-v2v's Services / CriticalDeviceDatabase / DriverDatabase recipe). Apply's own verify
// step re-plans on the result and must find nothing; applying the output again is
// "nothing-to-do"; `rehost check` finds the NTFS volume clean; --in-place + undo gives the
// original bytes back.
// Cases: Windows 7 SP1 x86 (pre-8: CDD) and the Dell Windows 10/11 x64 hive (8+: DriverDatabase,
// dirty with logs that replay) to kvm; the Dell and Windows 7 hives to azure (inbox storvsc/vmbus,
// StartOverride cleared, RealTimeIsUniversal); the Dell hive to aws-nitro (inbox stornvme). The
// Windows 10 1709 hive is dirty WITHOUT logs, so rehost refuses to write it (tested as such),
// and Windows XP (no virtio-win folder in the source) is left alone for kvm (IDE boots).

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerApplyCommands } from '../../src/cli/commands/apply.js';
import { registerCheckCommands } from '../../src/cli/commands/check.js';
import { registerPlanCommands } from '../../src/cli/commands/plan.js';
import { applyPlan, type PlanApplyResult } from '../../src/patch/plan-apply.js';
import type { PlannedPatch } from '../../src/rules/index.js';
import { packPlanner } from '../../src/patch/plan-apply-planner.js';
import { makeIso } from '../fs/iso9660-fixtures.js';
import { runCommandInProcess } from '../helpers/cli.js';
import { extractCorpus, requireTool, runBytes, sha256File, tempDir } from '../helpers/tools.js';
import { CASES } from './cases.js';
import { buildWindowsDisk } from './volume.js';
import { baseBlockChecksum } from '../../src/registry/index.js';
import { exportKeys, hiveOut, inboxFiles, readCorpusXz, hivexget, keyDiff, ntfscat, partitionOf, rulesAndCatalog, virtioSource, windowsDisk, uefiWindowsDisk, UEFI_BCD_ENTRY, UEFI_ESP_SIZE, UEFI_ESP_START, UEFI_OS_START } from './inject-helpers.js';
import type { RegKey } from './reg-text.js';
import { VENDOR_NICS, writeVendorNics } from './drivers-fixtures.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

let source: string;
beforeAll(() => {
  const dir = tempDir('rehost-inject-src-');
  dirs.push(dir);
  source = virtioSource(dir);
});

/** MULTI_SZ as hivexget prints it (hex(7): UTF-16LE strings, each NUL-terminated, then a NUL). */
function multi(strings: string[]): string {
  const bytes = Buffer.concat([...strings.map((s) => Buffer.from(`${s}\0`, 'utf16le')), Buffer.from('\0', 'utf16le')]);
  return `hex(7):${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(',')}`;
}

interface Applied {
  result: PlanApplyResult;
  disk: string;
  output: string;
  part: string;
  hive: string;
  dir: string;
}

async function applyTo(args: {
  caseId: string;
  target: string;
  drivers?: string;
  controllers?: string[];
  systemKeys?: RegKey[];
  /** A disk built already (uefiWindowsDisk), whose Windows volume starts at `osStart`. */
  built?: { disk: string; dir: string; osStart: number };
}): Promise<Applied> {
  const { catalog, packs } = await rulesAndCatalog();
  const { disk, dir } = args.built ?? windowsDisk(args.caseId, args.systemKeys);
  dirs.push(dir);
  const output = join(dir, `${args.target}.raw`);
  const planner = packPlanner({ catalog, packs, ...(args.drivers !== undefined ? { drivers: args.drivers } : {}), ...(args.controllers ? { options: { controllers: args.controllers } } : {}) });
  const result = await applyPlan({ imagePath: disk, target: args.target, planner, commit: { mode: 'standalone', output, format: 'raw' } });
  const part = partitionOf(result.outcome === 'applied' ? output : disk, join(dir, 'p1.ntfs'), args.built?.osStart);
  return { result, disk, output, part, hive: hiveOut(part, 'SYSTEM', join(dir, 'SYSTEM.out')), dir };
}

/** Applying to the output again must find nothing to do (the plan converged). */
async function expectConverged(a: Applied, target: string, drivers?: string): Promise<void> {
  const { catalog, packs } = await rulesAndCatalog();
  const again = await applyPlan({ imagePath: a.output, target, planner: packPlanner({ catalog, packs, ...(drivers !== undefined ? { drivers } : {}) }), commit: { mode: 'standalone', output: join(a.dir, 'again.raw'), format: 'raw' } });
  expect(again.outcome).toBe('nothing-to-do');
}

async function expectCheckClean(image: string): Promise<void> {
  const { stdout, exitCode } = await runCommandInProcess(registerCheckCommands, ['check', image, '--json']);
  expect(exitCode ?? 0, stdout).toBe(0);
  expect((JSON.parse(stdout) as { problems: unknown[] }).problems).toEqual([]);
}

const SERVICE = (svc: string, desc: string): string =>
  [
    '"Type"=dword:00000001',
    '"Start"=dword:00000000',
    '"ErrorControl"=dword:00000001',
    '"Group"="SCSI miniport"',
    `"ImagePath"=str(2):"\\\\SystemRoot\\\\System32\\\\drivers\\\\${svc}.sys"`,
    `"DisplayName"="${desc}"`,
  ].join('\n');

const VIRTIO = {
  viostor: { desc: 'Red Hat VirtIO SCSI controller', ids: ['VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00', 'VEN_1AF4&DEV_1001', 'VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01', 'VEN_1AF4&DEV_1042'] },
  vioscsi: { desc: 'Red Hat VirtIO SCSI pass-through controller', ids: ['VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00', 'VEN_1AF4&DEV_1004', 'VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01', 'VEN_1AF4&DEV_1048'] },
} as const;

function expectVirtioService(hive: string, svc: keyof typeof VIRTIO): void {
  const key = `\\ControlSet001\\Services\\${svc}`;
  expect(hivexget(hive, key)).toBe(SERVICE(svc, VIRTIO[svc].desc));
  // The INF's service AddReg (HKR = the service key): viostor/vioscsi's PnpInterface 5 = PCIBus.
  expect(hivexget(hive, `${key}\\Parameters`)).toBe('"BusType"=dword:00000001');
  expect(hivexget(hive, `${key}\\Parameters\\PnpInterface`)).toBe('"5"=dword:00000001');
  expect(hivexget(hive, `${key}\\StartOverride`)).toBeUndefined();
}

function expectFilesCopied(part: string, osDir: string, arch: string): void {
  for (const svc of ['viostor', 'vioscsi'] as const) {
    const copied = ntfscat(part, `/Windows/System32/drivers/${svc}.sys`);
    const original = readFileSync(join(source, svc, osDir, arch, `${svc}.sys`));
    expect(copied.equals(original), `${svc}.sys byte-exact`).toBe(true);
  }
}

/** A planned patch as `kind:what` (service, hive\\key or script name). */
function plannedLabel(p: PlannedPatch): string {
  const what = 'service' in p ? p.service : p.kind === 'registry-values' ? `${p.hive}\\${p.key}` : p.kind === 'windows-firstboot-script' ? p.name : '';
  return `${p.kind}:${what}`;
}

/** The windows-firstboot patch realized: the runner and the staged virtio set (viostor, vioscsi, netkvm), sorted. */
const FIRSTBOOT_TREE = [
  'make-directory /Program Files',
  'make-directory /Program Files/rehost',
  'make-directory /Program Files/rehost/drivers',
  'write-file /Program Files/rehost/firstboot.cmd',
  ...['netkvm', 'vioscsi', 'viostor'].flatMap((d) => ['cat', 'inf', 'sys'].map((ext) => `write-file /Program Files/rehost/drivers/${d}.${ext}`)),
];

/** The first-boot hook in the written hive (hivexget) and the staged drivers byte-exact (ntfscat). */
function expectFirstboot(a: Applied, osDir: string, arch: string): void {
  expect(hivexget(a.hive, '\\Setup', 'SetupType')).toBe('1');
  expect(hivexget(a.hive, '\\Setup', 'CmdLine')).toBe('cmd.exe /c "C:\\Program Files\\rehost\\firstboot.cmd"');
  expect(hivexget(a.hive, '\\ControlSet001\\Control\\CrashControl', 'AutoReboot')).toBe('0');
  for (const svc of ['viostor', 'vioscsi', 'netkvm']) {
    for (const ext of ['inf', 'sys', 'cat']) {
      const staged = ntfscat(a.part, `/Program Files/rehost/drivers/${svc}.${ext}`);
      const folder = svc === 'netkvm' ? 'NetKVM' : svc;
      expect(staged.equals(readFileSync(join(source, folder, osDir, arch, `${svc}.${ext}`))), `${svc}.${ext} staged byte-exact`).toBe(true);
    }
  }
}

describe('KVM with a virtio-win driver source', () => {
  test('Windows 7 SP1 x86 (before Windows 8): viostor+vioscsi copied, Services created, CriticalDeviceDatabase bound', async () => {
    const a = await applyTo({ caseId: 'win7-sp1-x86-vmware', target: 'kvm', drivers: source });
    expect(a.result.outcome).toBe('applied');
    if (a.result.outcome !== 'applied') return;
    const plan = a.result.plans[0]!.plan;
    // First boot joins the plan (the planner reads the guest's state from its system volume):
    // the runner with the staged driver set, the Setup hook, CrashControl, VMware Tools' removal.
    expect(plan.patches.map(plannedLabel)).toEqual([
      'windows-firstboot:',
      'registry-values:SYSTEM\\Setup',
      'registry-values:SYSTEM\\ControlSet001\\Control\\CrashControl',
      'windows-firstboot-script:5000-uninstall-vmware-tools',
      'windows-install-driver:viostor',
      'windows-install-driver:vioscsi',
      'windows-service-start:msahci',
      'windows-service-start:VMMEMCTL',
      'windows-service-start:vm3dmp',
    ]);
    // virt-v2v's warnings: this domain-joined Windows 7 restricts device installation; SHA-2 signing.
    expect(plan.results.filter((r) => r.outcome === 'advice').map((r) => r.rule)).toEqual(expect.arrayContaining(['windows.warn.device-install-restrictions', 'windows.warn.sha2-signing']));
    // The first-boot tree (runner, staged w7/x86 set, the tools-removal script), two .sys files
    // and ONE write of the SYSTEM hive (boot storage and first boot together), expecting the hash of the hive read.
    expect(a.result.patches.map((p) => `${p.kind} ${'path' in p ? p.path : ''}`)).toEqual([
      ...FIRSTBOOT_TREE,
      'make-directory /Program Files',
      'make-directory /Program Files/rehost',
      'make-directory /Program Files/rehost/scripts',
      'write-file /Program Files/rehost/scripts/5000-uninstall-vmware-tools.cmd',
      'write-file /Windows/System32/drivers/viostor.sys',
      'write-file /Windows/System32/drivers/vioscsi.sys',
      'write-file /Windows/System32/config/SYSTEM',
    ]);
    expectFilesCopied(a.part, 'w7', 'x86');
    expectFirstboot(a, 'w7', 'x86');
    for (const svc of ['viostor', 'vioscsi'] as const) {
      expectVirtioService(a.hive, svc);
      for (const id of VIRTIO[svc].ids) {
        expect(hivexget(a.hive, `\\ControlSet001\\Control\\CriticalDeviceDatabase\\PCI#${id}`)).toBe(`"Service"="${svc}"\n"ClassGUID"="{4D36E97B-E325-11CE-BFC1-08002BE10318}"`);
      }
    }
    expect(hivexget(a.hive, '\\DriverDatabase')).toBeUndefined();
    // Nothing else in the hive changed: every key of both hives compared through hivex.
    const diff = keyDiff(exportKeys(extractCorpus('registry/system/win7-sp1-x86-vmware/SYSTEM.xz', a.dir, 'SYSTEM.orig')), exportKeys(a.hive));
    const ccs = '\\controlset001';
    expect(diff).toEqual({
      added: [
        ...['vioscsi', 'viostor'].flatMap((svc) => VIRTIO[svc as keyof typeof VIRTIO].ids.map((id) => `${ccs}\\control\\criticaldevicedatabase\\pci#${id.toLowerCase()}`)),
        ...['vioscsi', 'viostor'].flatMap((svc) => [`${ccs}\\services\\${svc}`, `${ccs}\\services\\${svc}\\parameters`, `${ccs}\\services\\${svc}\\parameters\\pnpinterface`]),
      ].sort(),
      removed: [],
      changed: [`${ccs}\\control\\crashcontrol`, ...['msahci', 'vm3dmp', 'vmmemctl'].map((svc) => `${ccs}\\services\\${svc}`), '\\setup'],
    });
    // Safety net and the source's VMware drivers (disabled, never deleted).
    expect(hivexget(a.hive, '\\ControlSet001\\Services\\msahci', 'Start')).toBe('0');
    for (const svc of ['VMMEMCTL', 'vm3dmp']) expect(hivexget(a.hive, `\\ControlSet001\\Services\\${svc}`, 'Start')).toBe('4');
    for (const svc of ['vmci', 'vmmouse']) expect(hivexget(a.hive, `\\ControlSet001\\Services\\${svc}`, 'Start')).toBe('3');
    await expectCheckClean(a.output);
    await expectConverged(a, 'kvm', source);
  }, 90_000);

  test('Windows 10/11 x64 (8 and later, dirty hive whose logs replay): DriverDatabase package per driver, StartOverride cleared', async () => {
    const a = await applyTo({ caseId: 'win10-x64-dell-dirty', target: 'kvm', drivers: source });
    expect(a.result.outcome).toBe('applied');
    if (a.result.outcome !== 'applied') return;
    // The first-boot tree (runner, staged w11/amd64 set, the guest agent: KVM target, 64-bit MSI in the source), then boot storage.
    expect(a.result.patches.map((p) => `${p.kind} ${'path' in p ? p.path : ''}`)).toEqual([
      ...FIRSTBOOT_TREE,
      'make-directory /Program Files',
      'make-directory /Program Files/rehost',
      'make-directory /Program Files/rehost/scripts',
      'make-directory /Program Files/rehost/agent',
      'write-file /Program Files/rehost/scripts/5200-guest-agent.cmd',
      'write-file /Program Files/rehost/agent/qemu-ga-x86_64.msi',
      'write-file /Windows/System32/drivers/viostor.sys',
      'write-file /Windows/System32/drivers/vioscsi.sys',
      'write-file /Windows/System32/config/SYSTEM',
    ]);
    // The guest is Windows 11 (build 22621): the w11 folder's INF, whose DIRID 13 (driver store) is placed in System32\drivers.
    expectFilesCopied(a.part, 'w11', 'amd64');
    expectFirstboot(a, 'w11', 'amd64');
    for (const svc of ['viostor', 'vioscsi'] as const) {
      expectVirtioService(a.hive, svc);
      const inf = `rehost-${svc}.inf`;
      const label = `${inf}_amd64_0000000000000000`;
      const conf = `rehost-${svc}_conf`;
      expect(hivexget(a.hive, `\\DriverDatabase\\DriverInfFiles\\${inf}`)).toBe(`"@"=${multi([label])}\n"Active"="${label}"\n"Configurations"=${multi([conf])}`);
      expect(hivexget(a.hive, `\\DriverDatabase\\DriverPackages\\${label}`)).toBe(
        '"Version"=hex(3):00,ff,09,00,00,00,00,00,7b,e9,36,4d,25,e3,ce,11,bf,c1,08,00,2b,e1,03,18,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00',
      );
      expect(hivexget(a.hive, `\\DriverDatabase\\DriverPackages\\${label}\\Configurations\\${conf}`)).toBe(`"ConfigFlags"=dword:00000000\n"Service"="${svc}"`);
      for (const id of VIRTIO[svc].ids) {
        expect(hivexget(a.hive, `\\DriverDatabase\\DeviceIds\\PCI\\${id}`)).toBe(`"${inf}"=hex(3):01,ff,00,00`);
        expect(hivexget(a.hive, `\\DriverDatabase\\DriverPackages\\${label}\\Descriptors\\PCI\\${id}`)).toBe(`"Configuration"="${conf}"`);
        expect(hivexget(a.hive, `\\ControlSet001\\Control\\CriticalDeviceDatabase\\PCI#${id}`)).toBeUndefined();
      }
    }
    // The Dell guest had StartOverride on the AHCI/IDE drivers (KVM's other controllers).
    for (const svc of ['storahci', 'intelide', 'atapi']) {
      expect(hivexget(a.hive, `\\ControlSet001\\Services\\${svc}\\StartOverride`)).toBeUndefined();
      expect(hivexget(a.hive, `\\ControlSet001\\Services\\${svc}`, 'Start')).toBe('0');
    }
    await expectCheckClean(a.output);
    await expectConverged(a, 'kvm', source);
  }, 90_000);

  test('Windows 10 1709 x64 with its sequence numbers reconciled (as after a clean shutdown): the 8+ recipe on a second real hive', async () => {
    const { catalog, packs } = await rulesAndCatalog();
    const testCase = CASES.find((c) => c.id === 'win10-1709-x64-vmware')!;
    // Test-only: the corpus hive is dirty without logs (refused below); making its secondary
    // sequence equal to the primary and fixing the checksum is what a clean flush leaves.
    const hive = new Uint8Array(readCorpusXz('registry/system/win10-1709-x64-vmware/SYSTEM.xz'));
    const view = new DataView(hive.buffer);
    view.setUint32(8, view.getUint32(4, true), true);
    view.setUint32(0x1fc, baseBlockChecksum(hive), true);
    const { disk, dir } = buildWindowsDisk({ testCase, diskSignature: '0x5eed1234', extra: [...inboxFiles(), { path: 'Windows/System32/config/SYSTEM', bytes: hive }] });
    dirs.push(dir);
    const output = join(dir, 'kvm.raw');
    const result = await applyPlan({ imagePath: disk, target: 'kvm', planner: packPlanner({ catalog, packs, drivers: source }), commit: { mode: 'standalone', output, format: 'raw' } });
    expect(result.outcome).toBe('applied');
    const part = partitionOf(output, join(dir, 'p1.ntfs'));
    const out = hiveOut(part, 'SYSTEM', join(dir, 'SYSTEM.out'));
    expectVirtioService(out, 'viostor');
    // Build 16299 (1709): the w10 folder's INF (the fixture's w10 INF targets 10.0...14393).
    expect(ntfscat(part, '/Windows/System32/drivers/viostor.sys').equals(readFileSync(join(source, 'viostor/w10/amd64/viostor.sys')))).toBe(true);
    for (const id of VIRTIO.viostor.ids) expect(hivexget(out, `\\DriverDatabase\\DeviceIds\\PCI\\${id}`)).toBe('"rehost-viostor.inf"=hex(3):01,ff,00,00');
    expect(hivexget(out, '\\DriverDatabase\\DriverInfFiles\\rehost-viostor.inf', 'Active')).toBe('rehost-viostor.inf_amd64_0000000000000000');
  }, 90_000);

  test('without a driver source, virtio-blk alone is blocked with the reason', async () => {
    const { catalog, packs } = await rulesAndCatalog();
    const { disk, dir } = windowsDisk('win10-x64-dell-dirty');
    dirs.push(dir);
    const planner = packPlanner({ catalog, packs, options: { controllers: ['virtio-blk'] } });
    await expect(applyPlan({ imagePath: disk, target: 'kvm', planner, commit: { mode: 'standalone', output: join(dir, 'x.raw'), format: 'raw' } })).rejects.toThrow(
      /virtio-blk: cannot: viostor is not installed and bound; it needs a driver source \(--drivers virtio-win\.iso\)/,
    );
  }, 60_000);

  test('a dirty SYSTEM hive without logs (Windows 10 1709) is refused before any write', async () => {
    const { catalog, packs } = await rulesAndCatalog();
    const { disk, dir } = windowsDisk('win10-1709-x64-vmware');
    dirs.push(dir);
    const before = await sha256File(disk);
    await expect(
      applyPlan({ imagePath: disk, target: 'kvm', planner: packPlanner({ catalog, packs, drivers: source }), commit: { mode: 'in-place' } }),
    ).rejects.toThrow(/SYSTEM hive is dirty and has no usable transaction logs/);
    expect(await sha256File(disk)).toBe(before);
  }, 60_000);

  test('a hibernated system volume is refused before any write', async () => {
    const { catalog, packs } = await rulesAndCatalog();
    const testCase = CASES.find((c) => c.id === 'win7-sp1-x86-vmware')!;
    const { disk, dir } = buildWindowsDisk({ testCase, diskSignature: '0x5eed1234', extra: [{ path: 'hiberfil.sys', bytes: Uint8Array.from([...Buffer.from('HIBR'), ...new Uint8Array(8188)]) }] });
    dirs.push(dir);
    const before = await sha256File(disk);
    await expect(applyPlan({ imagePath: disk, target: 'kvm', planner: packPlanner({ catalog, packs, drivers: source }), commit: { mode: 'in-place' } })).rejects.toThrow(/Windows is hibernated or was shut down with Fast Startup/);
    expect(await sha256File(disk)).toBe(before);
  }, 60_000);

  test('Windows XP: no virtio-win folder for it, but its inbox IDE boots on KVM, so nothing is written', async () => {
    const { catalog, packs } = await rulesAndCatalog();
    const { disk, dir } = windowsDisk('winxp-sp3-x86-iecompatvhd');
    dirs.push(dir);
    const result = await applyPlan({ imagePath: disk, target: 'kvm', planner: packPlanner({ catalog, packs, drivers: source }), commit: { mode: 'in-place' } });
    expect(result.outcome).toBe('nothing-to-do');
    const advice = result.plans[0]!.plan.results.filter((r) => r.rule === 'windows.boot-storage.device-unavailable').map((r) => r.evidence[0]);
    expect(advice).toContain(`virtio-blk: viostor is not installed and bound, and ${source} has no driver for this Windows release and architecture`);
  }, 60_000);
});

describe('inbox drivers: Hyper-V/Azure and AWS Nitro', () => {
  test('Azure from the Dell hive: storvsc and vmbus lose their StartOverride, RealTimeIsUniversal=1', async () => {
    const a = await applyTo({ caseId: 'win10-x64-dell-dirty', target: 'azure' });
    expect(a.result.outcome).toBe('applied');
    if (a.result.outcome !== 'applied') return;
    expect(a.result.patches.map((p) => `${p.kind} ${'path' in p ? p.path : ''}`)).toEqual(['write-file /Windows/System32/config/SYSTEM']);
    for (const svc of ['storvsc', 'vmbus', 'storahci', 'intelide', 'atapi']) {
      expect(hivexget(a.hive, `\\ControlSet001\\Services\\${svc}\\StartOverride`), svc).toBeUndefined();
      expect(hivexget(a.hive, `\\ControlSet001\\Services\\${svc}`, 'Start'), svc).toBe('0');
    }
    expect(hivexget(a.hive, '\\ControlSet001\\Control\\TimeZoneInformation', 'RealTimeIsUniversal')).toBe('1');
    await expectCheckClean(a.output);
    await expectConverged(a, 'azure');
  }, 90_000);

  test('Hyper-V Gen2 refuses a 32-bit Windows 7 on BIOS/MBR (Gen2 is UEFI-only)', async () => {
    await expect(applyTo({ caseId: 'win7-sp1-x86-vmware', target: 'hyperv-gen2' })).rejects.toThrow(/firmware cannot start this Windows: .*guest boots BIOS\/MBR, platform offers UEFI/);
  }, 90_000);

  test('Hyper-V Gen1 from Windows 7: storvsc made boot-start (it was demand-start)', async () => {
    const a = await applyTo({ caseId: 'win7-sp1-x86-vmware', target: 'hyperv-gen1' });
    expect(a.result.outcome).toBe('applied');
    expect(hivexget(a.hive, '\\ControlSet001\\Services\\storvsc', 'Start')).toBe('0');
    expect(hivexget(a.hive, '\\ControlSet001\\Services\\vmbus', 'Start')).toBe('0');
    // Not a UTC-RTC target: the value stays absent.
    expect(hivexget(a.hive, '\\ControlSet001\\Control\\TimeZoneInformation', 'RealTimeIsUniversal')).toBeUndefined();
  }, 90_000);

  test('AWS Nitro from the Dell hive: stornvme loses its StartOverride', async () => {
    const a = await applyTo({ caseId: 'win10-x64-dell-dirty', target: 'aws-nitro' });
    expect(a.result.outcome).toBe('applied');
    expect(hivexget(a.hive, '\\ControlSet001\\Services\\stornvme\\StartOverride')).toBeUndefined();
    expect(hivexget(a.hive, '\\ControlSet001\\Services\\stornvme', 'Start')).toBe('0');
  }, 90_000);
});

test('Parallels tools on Windows 7 → Hyper-V Gen1: prl_strg leaves the disk class LowerFilters (the other filter stays), prl_* are disabled, not deleted', async () => {
  const DISK_CLASS = 'ControlSet001\\Control\\Class\\{4D36E967-E325-11CE-BFC1-08002BE10318}';
  const prl = (name: string, start: number): RegKey => ({
    path: `ControlSet001\\Services\\${name}`,
    values: { Type: { dword: 1 }, Start: { dword: start }, ErrorControl: { dword: 1 }, ImagePath: { expand: `system32\\DRIVERS\\${name}.sys` } },
  });
  const a = await applyTo({
    caseId: 'win7-sp1-x86-vmware',
    target: 'hyperv-gen1',
    systemKeys: [prl('prl_strg', 0), prl('prl_fs', 1), { path: DISK_CLASS, values: { LowerFilters: { multi: ['prl_strg', 'EhStorClass'] } } }],
  });
  expect(a.result.outcome).toBe('applied');
  // hivexget prints each string of a MULTI_SZ on its own line, then an empty line.
  expect(hivexget(a.hive, `\\${DISK_CLASS}`, 'LowerFilters')).toBe('EhStorClass\n');
  expect(hivexget(a.hive, '\\ControlSet001\\Services\\prl_strg', 'Start')).toBe('4');
  expect(hivexget(a.hive, '\\ControlSet001\\Services\\prl_fs', 'Start')).toBe('4');
  expect(hivexget(a.hive, '\\ControlSet001\\Services\\prl_strg', 'ImagePath')).toBe('system32\\DRIVERS\\prl_strg.sys');
  await expectCheckClean(a.output);
  await expectConverged(a, 'hyperv-gen1');
}, 120_000);

test('UEFI Windows 10 → KVM: Windows Boot Manager becomes the fallback loader, graphicsmodedisabled leaves the BCD (read back by mtools and hivex; fsck.fat clean)', async () => {
  for (const tool of ['mtype', 'fsck.fat']) requireTool(tool);
  const built = uefiWindowsDisk('win10-x64-dell-dirty');
  const drivers = virtioSource(built.dir);
  const a = await applyTo({ caseId: 'win10-x64-dell-dirty', target: 'kvm', drivers, built: { ...built, osStart: UEFI_OS_START } });
  expect(a.result.outcome).toBe('applied');
  const rules = (a.result.plans[0]?.plan.results ?? []).map((r) => `${r.rule}: ${r.evidence.join('; ')}`);
  expect(rules).toContain('windows.uefi.fallback-loader: /EFI/Boot/BOOTX64.EFI: not Windows Boot Manager');
  expect(rules).toContain(`windows.uefi.bcd-graphics: ${UEFI_BCD_ENTRY} has element 16000046 (graphicsmodedisabled)`);
  const esp = `${a.output}@@${UEFI_ESP_START}`;
  expect(runBytes('mtype', ['-i', esp, '::/EFI/Boot/BOOTX64.EFI']).equals(built.bootmgfw)).toBe(true);
  const bcd = join(a.dir, 'BCD.out');
  writeFileSync(bcd, runBytes('mtype', ['-i', esp, '::/EFI/Microsoft/Boot/BCD']));
  expect(hivexget(bcd, `\\Objects\\${UEFI_BCD_ENTRY}\\Elements\\16000046`)).toBeUndefined();
  // The rest of the entry is untouched: its description element is still there.
  expect(hivexget(bcd, `\\Objects\\${UEFI_BCD_ENTRY}\\Elements\\12000004`, 'Element')).toBe('Windows 10');
  const espCopy = join(a.dir, 'esp.out');
  execFileSync('dd', [`if=${a.output}`, `of=${espCopy}`, 'bs=1M', `skip=${UEFI_ESP_START / 1048576}`, `count=${UEFI_ESP_SIZE / 1048576}`, 'status=none']);
  execFileSync('fsck.fat', ['-n', espCopy], { stdio: ['ignore', 'pipe', 'pipe'] });
  // The source disk still has the old loader.
  expect(runBytes('mtype', ['-i', `${built.disk}@@${UEFI_ESP_START}`, '::/EFI/Boot/BOOTX64.EFI']).equals(built.bootmgfw)).toBe(false);
  await expectCheckClean(a.output);
  await expectConverged(a, 'kvm', drivers);
}, 120_000);

describe('network drivers from a vendor driver folder', () => {
  const vendorSource = (): { root: string; folders: Record<keyof typeof VENDOR_NICS, string> } => {
    const root = join(tempDir('rehost-vendor-nics-'), 'drivers');
    return { root, folders: writeVendorNics(root) };
  };
  const results = (a: Applied) => (a.result.plans[0]?.plan.results ?? []).map((r) => `${r.rule}: ${r.evidence.join('; ')}`);

  test('AWS Nitro from Windows 10: the ENA package (its whole folder) is staged for first boot, the network is no longer reported missing', async () => {
    const { root, folders } = vendorSource();
    const a = await applyTo({ caseId: 'win10-x64-dell-dirty', target: 'aws-nitro', drivers: root });
    expect(a.result.outcome).toBe('applied');
    expect(results(a)).toContain(`windows.network.staged: Elastic Network Adapter: ena from /${folders.ena}/ena.inf`);
    expect(results(a).some((r) => r.startsWith('windows.network.missing'))).toBe(false);
    for (const file of ['ena.inf', 'ena.sys', 'ena.cat', VENDOR_NICS.ena.extra]) {
      expect(ntfscat(a.part, `/Program Files/rehost/drivers/ena/${file}`).equals(readFileSync(join(root, folders.ena, file))), file).toBe(true);
    }
    // Nothing of the gVNIC package: it drives no Nitro device.
    expect(() => ntfscat(a.part, '/Program Files/rehost/drivers/gvnic/gvnic.inf')).toThrow();
    const runner = ntfscat(a.part, '/Program Files/rehost/firstboot.cmd').toString('latin1');
    expect(runner).toContain('pnputil.exe" /add-driver "%RH%\\drivers\\*.inf" /subdirs /install');
    await expectCheckClean(a.output);
    await expectConverged(a, 'aws-nitro', root);
  }, 120_000);

  test('GCE from Windows 10 with only gVNIC in the source: gVNIC staged, virtio-net (the default NIC) reported missing with gVNIC named as usable', async () => {
    const { root, folders } = vendorSource();
    const a = await applyTo({ caseId: 'win10-x64-dell-dirty', target: 'gce', drivers: root, controllers: ['gce-nvme'] });
    expect(a.result.outcome).toBe('applied');
    expect(results(a)).toContain(`windows.network.staged: Google Virtual NIC (gVNIC): gvnic from /${folders.gvnic}/gvnic.inf`);
    const missing = a.result.plans[0]?.plan.results.find((r) => r.rule === 'windows.network.missing');
    expect(missing?.evidence).toEqual(['virtio network (netkvm)']);
    expect(missing?.explanation).toMatch(/will drive: Google Virtual NIC \(gVNIC\)\.$/);
    expect(ntfscat(a.part, '/Program Files/rehost/drivers/gvnic/gvnic.sys').equals(readFileSync(join(root, folders.gvnic, 'gvnic.sys')))).toBe(true);
  }, 120_000);
});

test('--in-place through the CLI from a virtio-win ISO, then undo restores the original bytes', async () => {
  const { disk, dir } = windowsDisk('win7-sp1-x86-vmware');
  dirs.push(dir);
  const iso = makeIso({ source, output: join(dir, 'virtio-win.iso'), flavour: 'xorriso-rr-joliet', volid: 'virtio-win-0.1.262' });
  const before = await sha256File(disk);
  const journal = join(dir, 'undo.journal');
  const applied = await runCommandInProcess(registerApplyCommands, ['apply', disk, '--to', 'kvm', '--drivers', iso, '--in-place', '--undo-journal', journal, '--json']);
  expect(applied.exitCode ?? 0, applied.stderr + applied.stdout).toBe(0);
  expect(await sha256File(disk)).not.toBe(before);
  const part = partitionOf(disk, join(dir, 'inplace.ntfs'));
  expect(ntfscat(part, '/Windows/System32/drivers/viostor.sys').equals(readFileSync(join(source, 'viostor/w7/x86/viostor.sys')))).toBe(true);
  const undone = await runCommandInProcess(registerApplyCommands, ['undo', journal, '--json']);
  expect(undone.exitCode ?? 0, undone.stderr + undone.stdout).toBe(0);
  expect(await sha256File(disk)).toBe(before);
}, 90_000);

test('rehost plan --drivers shows the Windows plan and leaves the image untouched', async () => {
  const { disk, dir } = windowsDisk('win7-sp1-x86-vmware');
  dirs.push(dir);
  const before = await sha256File(disk);
  const { stdout, exitCode } = await runCommandInProcess(registerPlanCommands, ['plan', disk, '--to', 'kvm', '--drivers', source, '--controller', 'virtio-blk']);
  expect(exitCode ?? 0, stdout).toBe(0);
  expect(stdout).toContain(`patch: p1: install viostor from ${source}/viostor/w7/x86/viostor.inf (/Windows/System32/drivers/viostor.sys; Services\\viostor Start 0; bind PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00, PCI\\VEN_1AF4&DEV_1001, PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01, PCI\\VEN_1AF4&DEV_1042 via cdd)`);
  expect(stdout).toContain('patch: p1: Services\\VMMEMCTL: Start=4');
  const blocked = await runCommandInProcess(registerPlanCommands, ['plan', disk, '--to', 'kvm', '--controller', 'virtio-blk']);
  expect(blocked.exitCode).toBe(3);
  expect(blocked.stdout).toContain('it needs a driver source (--drivers virtio-win.iso)');
  expect(await sha256File(disk)).toBe(before);
}, 60_000);

test('rehost plan --drivers shows the first-boot patch; rehost apply -o OUT; rehost plan OUT proposes nothing', async () => {
  const { disk, dir } = windowsDisk('win7-sp1-x86-vmware');
  dirs.push(dir);
  const before = await sha256File(disk);
  // The human form: the runner with the nine staged files of the w7/x86 set (viostor, vioscsi, netkvm × inf/sys/cat).
  const shown = await runCommandInProcess(registerPlanCommands, ['plan', disk, '--to', 'kvm', '--drivers', source]);
  expect(shown.exitCode ?? 0, shown.stderr + shown.stdout).toBe(0);
  expect(shown.stdout).toMatch(/\[patch\] windows\.firstboot\.arm .*\n(?:.*\n)*? {6}patch: p1: first-boot runner in Program Files\\rehost \(pnputil \S+, ≤\d+ retries\), 9 staged driver file\(s\)\n/);
  expect(shown.stdout).toContain('patch: p1: SYSTEM\\Setup: CmdLine="cmd.exe /c \\"C:\\\\Program Files\\\\rehost\\\\firstboot.cmd\\"" (REG_SZ), SetupType=1 (REG_DWORD)');
  expect(shown.stdout).toContain('patch: p1: first-boot script 5000-uninstall-vmware-tools');
  // The JSON form: the same plan apply makes (same planner), first boot first.
  const json = await runCommandInProcess(registerPlanCommands, ['plan', disk, '--to', 'kvm', '--drivers', source, '--json']);
  expect(json.exitCode ?? 0, json.stderr).toBe(0);
  const plans = (JSON.parse(json.stdout) as { plans: Array<{ patches: PlannedPatch[] }> }).plans;
  expect(plans).toHaveLength(1);
  const firstboot = plans[0]!.patches.find((p) => p.kind === 'windows-firstboot');
  expect(firstboot?.kind === 'windows-firstboot' ? firstboot.drivers.map((d) => d.dest).sort() : undefined).toEqual(
    ['netkvm', 'vioscsi', 'viostor'].flatMap((d) => ['cat', 'inf', 'sys'].map((ext) => `/Program Files/rehost/drivers/${d}.${ext}`)),
  );

  const out = join(dir, 'out.qcow2');
  const applied = await runCommandInProcess(registerApplyCommands, ['apply', disk, '--to', 'kvm', '--drivers', source, '-o', out, '--json']);
  expect(applied.exitCode ?? 0, applied.stderr + applied.stdout).toBe(0);
  const journal = JSON.parse(applied.stdout) as { outcome: string; plans: Array<{ plan: { patches: PlannedPatch[] } }> };
  expect(journal.outcome).toBe('applied');
  expect(journal.plans[0]!.plan.patches).toEqual(plans[0]!.patches);

  const again = await runCommandInProcess(registerPlanCommands, ['plan', out, '--to', 'kvm', '--drivers', source, '--json']);
  expect(again.exitCode ?? 0, again.stderr).toBe(0);
  const replans = (JSON.parse(again.stdout) as { plans: Array<{ patches: unknown[]; blocked: unknown[] }> }).plans;
  expect(replans.map((p) => ({ patches: p.patches, blocked: p.blocked }))).toEqual([{ patches: [], blocked: [] }]);
  const human = await runCommandInProcess(registerPlanCommands, ['plan', out, '--to', 'kvm', '--drivers', source]);
  expect(human.stdout).toContain('p1 → kvm: 0 patch(es), not blocked');
  expect(await sha256File(disk)).toBe(before);
}, 90_000);
