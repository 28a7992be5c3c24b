// Windows first boot through plan → realize → apply → commit in place, on real corpus SYSTEM
// hives in an mkntfs volume (volume.ts) with a virtio-win-shaped driver source: every file
// rehost wrote reads back byte-exact with ntfscat (ntfs-3g), the registry values read with
// hivexget are exactly the hook's, a re-plan on the result proposes nothing, and undo brings
// back the original image bytes.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRulePack, rulePackSchema, type RulePack } from '../../src/rules/index.js';
import { undo } from '../../src/patch/index.js';
import { renderAction, renderRunner, runnerCommandLine } from '../../src/windows/firstboot/index.js';
import { requireTool, run, runBytes, scratchDirs, sha256File } from '../helpers/tools.js';
import { CASES, type WindowsCase } from './cases.js';
import { driverSourceDir, msiBytes, planApplyCommit } from './firstboot-flow.js';
import { buildWindowsDisk } from './volume.js';

const ROOT = new URL('../../', import.meta.url).pathname;

const scratch = scratchDirs('rehost-fb-');
const disks: string[] = [];
afterAll(() => disks.forEach((d) => rmSync(d, { recursive: true, force: true })));

function disk(testCase: WindowsCase, diskSignature: string): string {
  const built = buildWindowsDisk({ testCase, diskSignature });
  disks.push(built.dir);
  return built.disk;
}

async function pack(name: string): Promise<RulePack> {
  const path = join(ROOT, 'src/rules/packs', name);
  return parseRulePack({ bytes: readFileSync(path), path, schema: await rulePackSchema() });
}

const CV = 'Microsoft\\Windows\\CurrentVersion';
const CVNT = 'Microsoft\\Windows NT\\CurrentVersion';

/** The case with a DevicePath (Windows always has one) and CurrentVersion values replaced. */
function variant(c: WindowsCase, nt: Record<string, { sz: string }> = {}): WindowsCase {
  const software = c.software.map((k) => (k.path === CVNT ? { ...k, values: { ...k.values, ...nt } } : k));
  return { ...c, software: [...software, { path: CV, values: { DevicePath: { expand: '%SystemRoot%\\inf' } } }] };
}

/** A file of partition 1 (at 1 MiB) read by ntfs-3g's ntfscat. */
const partitions = new Map<string, string>();
function ntfsCat(disk: string, path: string): Buffer {
  let part = partitions.get(disk);
  if (part === undefined) {
    part = join(scratch(), 'p1.img');
    run('dd', [`if=${disk}`, `of=${part}`, 'bs=1M', 'skip=1', 'conv=sparse', 'status=none']);
    partitions.set(disk, part);
  }
  return runBytes('ntfscat', ['-f', part, path]);
}

function hivexgetKey(hive: Uint8Array, key: string): string {
  const dir = scratch();
  writeFileSync(join(dir, 'hive'), hive);
  return run('hivexget', [join(dir, 'hive'), key]);
}

function hivexget(hive: Uint8Array, key: string, value: string): string {
  const dir = scratch();
  writeFileSync(join(dir, 'hive'), hive);
  return run('hivexget', [join(dir, 'hive'), key, value]).replace(/\n$/, '');
}

describe('Windows first boot applied', () => {
  for (const tool of ['hivexget', 'ntfscat', 'mkntfs', 'sfdisk']) requireTool(tool);

  it('Windows 7 x86 from VMware to KVM: legacy pnputil, VMware Tools removal, guest agent, DevicePath; undo', async () => {
    const c = variant(CASES.find((x) => x.id === 'win7-sp1-x86-vmware')!);
    const image = disk(c, '0x5cbea03e');
    const original = await sha256File(image);
    const source = driverSourceDir(scratch());
    const r = await planApplyCommit({ image, target: 'kvm', packs: [await pack('windows-platform.json')], driverSource: source });

    expect(r.plan.blocked).toEqual([]);
    expect(r.plan.results.map((x) => x.rule)).toEqual([
      'windows.firstboot.arm', 'windows.firstboot.device-path', 'windows.firstboot.script', 'windows.firstboot.script',
      'windows.firstboot.static-ip-manual', 'windows.firstboot.static-ip-manual', 'windows.network.staged', 'windows.clock.localtime',
    ]);
    // netkvm (virtio network) is in the staged set: installed at first boot.
    expect(r.plan.results.find((x) => x.rule === 'windows.network.staged')?.evidence).toEqual(['virtio network: netkvm from /NetKVM/w7/x86/netkvm.inf']);
    // Two static adapters (192.168.1.123, 10.3.58.5) on Windows 7: no NetTCPIP module, so advice.
    expect(r.plan.results.filter((x) => x.rule === 'windows.firstboot.static-ip-manual').map((x) => x.evidence[0])).toEqual([
      expect.stringMatching(/^Local Area Connection \(192\.168\.1\.123\)/), expect.stringMatching(/^Local Area Connection 2 \(10\.3\.58\.5\)/),
    ]);
    expect(r.plan.patches.map((p) => p.kind)).toEqual(['windows-firstboot', 'registry-values', 'registry-values', 'registry-values', 'windows-firstboot-script', 'windows-firstboot-script']);
    // One write per hive, after the files.
    const writes = r.patches.filter((p) => p.kind === 'write-file').map((p) => (p as { path: string }).path);
    expect(writes.filter((p) => p.endsWith('/config/SYSTEM'))).toHaveLength(1);
    expect(writes.filter((p) => p.endsWith('/config/SOFTWARE'))).toHaveLength(1);
    expect(r.replan.patches).toEqual([]);
    // Advice only: netkvm is still waiting for the (armed) first boot.
    expect(r.replan.results.map((x) => x.rule)).toEqual(['windows.network.staged', 'windows.clock.localtime']);

    // Files, byte-exact through ntfs-3g.
    const runner = renderRunner({ pnputil: 'legacy', maxRetries: 3, commandLine: runnerCommandLine('C:'), originalCmdLine: { type: 'REG_SZ', data: '' }, originalAutoReboot: { type: 'REG_DWORD', data: '1' } });
    expect(Buffer.compare(ntfsCat(image, '/Program Files/rehost/firstboot.cmd'), Buffer.from(runner))).toBe(0);
    expect(ntfsCat(image, '/Program Files/rehost/firstboot.cmd').toString('latin1')).toContain('for /r "%RH%\\drivers" %%I in (*.inf) do "%SystemRoot%\\System32\\pnputil.exe" -i -a "%%I"');
    const staged = ['netkvm.cat', 'netkvm.inf', 'netkvm.sys', 'vioscsi.cat', 'vioscsi.inf', 'vioscsi.sys', 'viostor.cat', 'viostor.inf', 'viostor.sys'];
    ntfsCat(image, '/Windows/System32/config/SYSTEM');
    expect(run('ntfsls', ['-f', partitions.get(image)!, '-p', '/Program Files/rehost/drivers']).split('\n').filter((n) => n !== '' && n !== '.' && n !== '..').sort()).toEqual(staged);
    for (const name of staged) {
      const folder = name.startsWith('netkvm') ? 'NetKVM' : name.split('.')[0];
      expect(Buffer.compare(ntfsCat(image, `/Program Files/rehost/drivers/${name}`), readFileSync(join(source, folder!, 'w7', 'x86', name))), name).toBe(0);
    }
    const uninstall = renderAction({ name: '5000-uninstall-vmware-tools', action: { type: 'uninstall-msi', productCode: '{4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}', displayName: 'VMware Tools' } })[0]!;
    expect(Buffer.compare(ntfsCat(image, '/Program Files/rehost/scripts/5000-uninstall-vmware-tools.cmd'), Buffer.from(uninstall.content))).toBe(0);
    expect(ntfsCat(image, '/Program Files/rehost/scripts/5200-guest-agent.cmd').toString('latin1')).toContain('/i "%~dp0..\\agent\\qemu-ga-i386.msi" /qn /norestart');
    expect(Buffer.compare(ntfsCat(image, '/Program Files/rehost/agent/qemu-ga-i386.msi'), Buffer.from(msiBytes('qemu-ga-i386.msi')))).toBe(0);

    // Registry, read by hivex.
    const system = ntfsCat(image, '/Windows/System32/config/SYSTEM');
    expect(hivexget(system, 'Setup', 'SetupType')).toBe('1');
    expect(hivexget(system, 'Setup', 'CmdLine')).toBe('cmd.exe /c "C:\\Program Files\\rehost\\firstboot.cmd"');
    expect(hivexget(system, 'ControlSet001\\Control\\CrashControl', 'AutoReboot')).toBe('0');
    expect(hivexget(system, 'Setup', 'SystemSetupInProgress')).toBe('0');
    const software = ntfsCat(image, '/Windows/System32/config/SOFTWARE');
    expect(hivexget(software, CV, 'DevicePath')).toBe('%SystemRoot%\\inf;%SystemDrive%\\Program Files\\rehost\\drivers');
    // The value keeps its type (REG_EXPAND_SZ: hivexget's str(2)).
    expect(hivexgetKey(software, CV)).toContain('"DevicePath"=str(2):"%SystemRoot%\\\\inf;%SystemDrive%\\\\Program Files\\\\rehost\\\\drivers"');

    // Undo: the original bytes.
    expect(await sha256File(image)).not.toBe(original);
    await undo(r.journal.commit!.journalPath!);
    expect(await sha256File(image)).toBe(original);
  }, 120_000);

  it('Windows Server 2019 (the dirty Dell SYSTEM hive, logs replayed) to GCE: pnputil /add-driver, disks online, no IP script, no QEMU agent', async () => {
    const c = variant(CASES.find((x) => x.id === 'win10-x64-dell-dirty')!, { InstallationType: { sz: 'Server' }, ProductName: { sz: 'Windows Server 2019 Standard' }, CurrentBuildNumber: { sz: '17763' }, EditionID: { sz: 'ServerStandard' } });
    const image = disk(c, '0x11223344');
    const source = driverSourceDir(scratch());
    const r = await planApplyCommit({ image, target: 'gce', packs: [await pack('windows-platform.json')], driverSource: source });
    expect(r.facts.network.filter((n) => n.tcpip?.dhcp === false)).toEqual([]);
    const scripts = r.plan.patches.filter((p) => p.kind === 'windows-firstboot-script').map((p) => (p as { name: string }).name);
    // The source has qemu-ga's MSI, but GCE's agent is Google's guest environment.
    expect(scripts).toEqual(['5100-online-disks']);
    expect(r.replan.patches).toEqual([]);
    const runner = ntfsCat(image, '/Program Files/rehost/firstboot.cmd').toString('latin1');
    expect(runner).toContain('"%SystemRoot%\\System32\\pnputil.exe" /add-driver "%RH%\\drivers\\*.inf" /subdirs /install');
    expect(ntfsCat(image, '/Program Files/rehost/scripts/5100-online-disks.cmd').toString('latin1')).toContain('san policy=OnlineAll');
    // The 2k19 amd64 folders were staged (the guest's own release).
    expect(Buffer.compare(ntfsCat(image, '/Program Files/rehost/drivers/vioscsi.sys'), readFileSync(join(source, 'vioscsi/2k19/amd64/vioscsi.sys')))).toBe(0);
    const system = ntfsCat(image, '/Windows/System32/config/SYSTEM');
    expect(hivexget(system, 'Setup', 'SetupType')).toBe('1');
    expect(hivexget(system, 'Setup', 'CmdLine')).toBe('cmd.exe /c "C:\\Program Files\\rehost\\firstboot.cmd"');
    expect(hivexget(system, 'ControlSet001\\Control\\CrashControl', 'AutoReboot')).toBe('0');
  }, 120_000);

  it('with the boot-storage pack too: still one write per hive, and a re-plan proposes nothing', async () => {
    const c = variant(CASES.find((x) => x.id === 'win7-sp1-x86-vmware')!);
    const image = disk(c, '0x5cbea03e');
    const r = await planApplyCommit({ image, target: 'kvm', packs: [await pack('windows.json'), await pack('windows-platform.json')], driverSource: driverSourceDir(scratch()) });
    const writes = r.patches.filter((p) => p.kind === 'write-file').map((p) => (p as { path: string }).path);
    expect(writes.filter((p) => p.endsWith('/config/SYSTEM'))).toHaveLength(1);
    expect(r.plan.patches.some((p) => p.kind === 'windows-install-driver')).toBe(true);
    expect(r.replan.patches).toEqual([]);
    const system = ntfsCat(image, '/Windows/System32/config/SYSTEM');
    expect(hivexget(system, 'Setup', 'SetupType')).toBe('1');
  }, 120_000);
});
