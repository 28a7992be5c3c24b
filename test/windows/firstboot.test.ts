// The first boot's pure parts: the runner and script texts against golden files reviewed by
// hand (test/windows/firstboot-golden: disarm first, bounded retries, everything logged,
// CRLF ASCII), the validators that must refuse bad input, and the rules context
// (windows-firstboot-context.ts) on crafted facts: which scripts apply, pnputil syntax by
// release, static IPs only with a MAC (or a single static adapter) on Windows 8+, nothing
// proposed when the runner is already there, and refusal while Windows is itself in Setup.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate, parseRulePack, rulePackSchema } from '../../src/rules/index.js';
import { maskPrefix, normalizeMac, pnputilMode, productCode, windowsFirstbootDerived, type FirstbootPlanInput } from '../../src/rules/windows-firstboot-context.js';
import { appendDevicePath, crlfText, devicePathHas, regData, renderAction, renderRunner, runnerCommandLine, type FirstbootState } from '../../src/windows/firstboot/index.js';
import type { NetworkAdapter, WindowsFacts } from '../../src/windows/types.js';

const golden = (name: string): Buffer => readFileSync(new URL(`./firstboot-golden/${name}`, import.meta.url));
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

const WIN7_RUNNER = { pnputil: 'legacy', maxRetries: 3, commandLine: runnerCommandLine('C:'), originalCmdLine: { type: 'REG_SZ', data: '' }, originalAutoReboot: { type: 'REG_DWORD', data: '1' } } as const;

describe('first-boot runner text', () => {
  it('matches the reviewed goldens (Windows 7: pnputil -i -a; XP: no pnputil, MULTI_SZ CmdLine, AutoReboot absent)', () => {
    expect(text(renderRunner(WIN7_RUNNER))).toBe(golden('runner-win7.cmd').toString('latin1'));
    const xp = renderRunner({ pnputil: 'none', maxRetries: 3, commandLine: runnerCommandLine('C:'), originalCmdLine: { type: 'REG_MULTI_SZ', data: 'C:\\WINDOWS\\system32\\oobe\\msoobe.exe /update' }, originalAutoReboot: { type: 'absent', data: '' } });
    expect(text(xp)).toBe(golden('runner-xp.cmd').toString('latin1'));
    const win10 = text(renderRunner({ ...WIN7_RUNNER, pnputil: 'add-driver' }));
    expect(win10).toContain('"%SystemRoot%\\System32\\pnputil.exe" /add-driver "%RH%\\drivers\\*.inf" /subdirs /install >>"%LOG%" 2>&1\r\n');
    expect(win10).not.toContain(' -i -a ');
  });

  it('disarms itself before doing anything, retries a bounded number of times, logs every step', () => {
    const lines = text(renderRunner(WIN7_RUNNER)).split('\r\n');
    const firstCommand = lines.findIndex((l) => l !== '' && !/^(@echo off|rem |setlocal |set ")/.test(l));
    expect(lines[firstCommand]).toBe('reg add "HKLM\\SYSTEM\\Setup" /v SetupType /t REG_DWORD /d 0 /f >nul 2>&1');
    expect(lines[firstCommand + 1]).toBe('reg add "HKLM\\SYSTEM\\Setup" /v CmdLine /t REG_SZ /d "" /f >nul 2>&1');
    // Re-arming happens only on the pending-reboot path, after the counter check.
    const rearm = lines.findIndex((l) => l.includes('/v SetupType /t REG_DWORD /d 1'));
    expect(rearm).toBeGreaterThan(lines.indexOf('if %TRIES% GEQ 3 goto giveup'));
    expect(lines.indexOf('if not defined PENDING goto install')).toBeLessThan(rearm);
    expect(lines[rearm + 2]).toBe('exit /b 0');
    expect(lines.filter((l) => l.includes('pnputil.exe')).every((l) => l.endsWith('>>"%LOG%" 2>&1'))).toBe(true);
    expect(lines.some((l) => l.startsWith('call "%~1" >>"%LOG%" 2>&1'))).toBe(true);
    expect(lines.filter((l) => /shutdown/i.test(l))).toEqual([]);
    expect(() => renderRunner({ ...WIN7_RUNNER, maxRetries: 11 })).toThrow(/retries/);
    expect(() => renderRunner({ ...WIN7_RUNNER, maxRetries: -1 })).toThrow(/retries/);
  });

  it('optional scripts match the reviewed goldens', () => {
    const files = [
      ...renderAction({ name: '2500-static-ip-1', action: { type: 'static-ip', mac: '00-50-56-AA-BB-CC', connection: 'Local Area Connection', addresses: [{ ip: '192.168.1.123', prefixLength: 24 }], gateways: ['192.168.1.1'], dns: ['192.168.1.112'] } }),
      ...renderAction({ name: '5000-uninstall-vmware-tools', action: { type: 'uninstall-msi', productCode: '{4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}', displayName: 'VMware Tools' } }),
      ...renderAction({ name: '5100-online-disks', action: { type: 'online-disks' } }),
      ...renderAction({ name: '5200-guest-agent', action: { type: 'guest-agent', msi: 'qemu-ga-x86_64.msi' } }),
    ];
    expect(files.map((f) => f.name)).toEqual(['2500-static-ip-1.cmd', '2500-static-ip-1.ps1', '5000-uninstall-vmware-tools.cmd', '5100-online-disks.cmd', '5200-guest-agent.cmd']);
    for (const f of files) {
      expect(text(f.content), f.name).toBe(golden(f.name).toString('latin1'));
      expect(text(f.content).replace(/\r\n/g, ''), `${f.name} has only CRLF line ends`).not.toMatch(/[\r\n]/);
    }
  });

  it('refuses what it cannot write safely', () => {
    expect(() => crlfText(['caf\u00e9'])).toThrow(/non-ASCII/);
    expect(() => crlfText(['\u2013'])).toThrow(/non-ASCII/);
    expect(() => regData('a\u0000b')).toThrow(/control/);
    expect(regData('50% "x"\\')).toBe('"50%% \\"x\\"\\\\"');
    expect(() => renderAction({ name: 'bad name', action: { type: 'online-disks' } })).toThrow(/NNNN/);
    expect(() => renderAction({ name: '5000-x', action: { type: 'uninstall-msi', productCode: '{not-a-guid} & del', displayName: 'x' } })).toThrow(/product code/);
    expect(() => renderAction({ name: '5000-x', action: { type: 'static-ip', mac: '00:50:56:aa:bb:cc', connection: 'x', addresses: [{ ip: '10.0.0.1', prefixLength: 8 }], gateways: [], dns: [] } })).toThrow(/MAC/);
    expect(() => renderAction({ name: '5000-x', action: { type: 'static-ip', mac: '', connection: 'x', addresses: [{ ip: "10.0.0.1'; rm", prefixLength: 8 }], gateways: [], dns: [] } })).toThrow(/IP address/);
    expect(() => renderAction({ name: '5000-x', action: { type: 'static-ip', mac: '', connection: 'x', addresses: [{ ip: '300.0.0.1', prefixLength: 8 }], gateways: [], dns: [] } })).toThrow(/IP address/);
    expect(() => renderAction({ name: '5000-x', action: { type: 'static-ip', mac: '', connection: 'x', addresses: [], gateways: [], dns: [] } })).toThrow(/at least one/);
    expect(() => renderAction({ name: '5000-x', action: { type: 'guest-agent', msi: '..\\evil.msi' } })).toThrow(/MSI/);
  });
});

describe('first-boot helpers', () => {
  it('DevicePath append keeps the original and is idempotent', () => {
    expect(appendDevicePath('%SystemRoot%\\inf')).toBe('%SystemRoot%\\inf;%SystemDrive%\\Program Files\\rehost\\drivers');
    expect(appendDevicePath('%SystemRoot%\\inf;')).toBe('%SystemRoot%\\inf;%SystemDrive%\\Program Files\\rehost\\drivers');
    const once = appendDevicePath('%SystemRoot%\\inf');
    expect(appendDevicePath(once)).toBe(once);
    expect(devicePathHas('%SYSTEMDRIVE%\\program files\\REHOST\\drivers')).toBe(true);
    expect(appendDevicePath('')).toBe('%SystemDrive%\\Program Files\\rehost\\drivers');
  });

  it('product codes, masks and MACs', () => {
    expect(productCode({ key: 'x', uninstallString: 'MsiExec.exe /I{4f2c6c7e-6a2b-4e7c-9f5b-0000000000a7}' })).toBe('{4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}');
    expect(productCode({ key: 'Microsoft\\Windows\\CurrentVersion\\Uninstall\\{4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}' })).toBe('{4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}');
    expect(productCode({ key: 'VMware Tools', uninstallString: 'C:\\uninst.exe' })).toBeUndefined();
    expect(maskPrefix('255.255.255.0')).toBe(24);
    expect(maskPrefix('255.255.255.255')).toBe(32);
    expect(maskPrefix('0.0.0.0')).toBe(0);
    expect(maskPrefix('255.0.255.0')).toBeUndefined();
    expect(maskPrefix('255.255.256.0')).toBeUndefined();
    expect(normalizeMac('00:50:56:aa:bb:cc')).toBe('00-50-56-AA-BB-CC');
    expect(normalizeMac('005056AABBCC')).toBe('00-50-56-AA-BB-CC');
    expect(normalizeMac('00:50:56:aa:bb')).toBeUndefined();
    expect(normalizeMac('00:50:56:aa:bb:zz')).toBeUndefined();
  });
});

function facts(over: Partial<WindowsFacts> = {}): WindowsFacts {
  return {
    os: 'windows', systemRoot: '/Windows', arch: 'x86_64', majorVersion: 10, minorVersion: 0, build: 17763, installationType: 'Server', controlSet: 'ControlSet001',
    realTimeIsUniversal: false, services: [], classFilters: [], driverBindings: [], devices: [], applications: [], tools: [], groupPolicies: [], network: [],
    activation: { evaluation: false, oemCertificates: [], oemProductId: false, licensingStores: [] },
    unsafe: { bitlocker: false, pendingFileRenameOperations: [], hiveLogs: {} }, driveLetters: [{ letter: 'D:', kind: 'mbr', volume: 'p2' }],
    ...over,
  } as WindowsFacts;
}

const STATE: FirstbootState = {
  registry: { setupKey: true, setupType: 0, systemSetupInProgress: 0, cmdLine: { type: 'REG_SZ', data: '' }, crashControlKey: true, autoReboot: { type: 'REG_DWORD', data: '1' }, devicePath: { type: 'REG_EXPAND_SZ', value: '%SystemRoot%\\inf' } },
  systemWritable: true,
  runner: false,
  scripts: [],
};
const DRIVER = { source: '/viostor/2k19/amd64/viostor.sys', dest: '/Program Files/rehost/drivers/viostor.sys', sha256: 'a'.repeat(64), size: 4096 };
const INPUT: FirstbootPlanInput = { state: STATE, driverSource: '/iso', drivers: [DRIVER] };
const adapter = (id: string, ips: string[], dhcp = false): NetworkAdapter => ({
  classKey: id, netCfgInstanceId: `{${id}}`, connectionName: `Ethernet ${id}`, tcpip: { interfaceId: `{${id}}`, dhcp, ipAddresses: ips, subnetMasks: ips.map(() => '255.255.255.0'), gateways: ['10.0.0.1'], nameServers: ['10.0.0.2'] },
});

describe('first-boot rules context', () => {
  // The target's guest tools as the catalog lists them (kvm: QEMU-GA; GCE, built on KVM: its own agents).
  const derive = (f: WindowsFacts, input: FirstbootPlanInput = INPUT, lineage = ['kvm'], targetAgents = lineage[0] === 'kvm' ? ['QEMU-GA', 'BalloonService'] : []) =>
    windowsFirstbootDerived({ facts: f, root: 'p2', lineage, targetAgents, input }).firstboot;

  it('arms for staged drivers: pnputil by release, drive letter from MountedDevices, registry values', () => {
    const d = derive(facts());
    expect(d.needed).toBe(true);
    expect(d.blocked).toBeUndefined();
    expect(d.patch).toMatchObject({ systemDrive: 'D:', pnputil: 'add-driver', maxRetries: 3, driverSource: '/iso', originalAutoReboot: { type: 'REG_DWORD', data: '1' } });
    expect(d.setupValues).toEqual([{ name: 'CmdLine', type: 'REG_SZ', data: 'cmd.exe /c "D:\\Program Files\\rehost\\firstboot.cmd"' }, { name: 'SetupType', type: 'REG_DWORD', data: 1 }]);
    expect(d.crashValues).toEqual([{ name: 'AutoReboot', type: 'REG_DWORD', data: 0 }]);
    expect(d.devicePath).toEqual({ values: [{ name: 'DevicePath', type: 'REG_EXPAND_SZ', data: '%SystemRoot%\\inf;%SystemDrive%\\Program Files\\rehost\\drivers' }] });
    expect(pnputilMode(facts({ majorVersion: 6, minorVersion: 1 }))).toBe('legacy');
    expect(pnputilMode(facts({ majorVersion: 6, minorVersion: 0 }))).toBe('legacy');
    expect(pnputilMode(facts({ majorVersion: 5, minorVersion: 1 }))).toBe('none');
    expect(pnputilMode(facts({ majorVersion: undefined, minorVersion: undefined, currentVersion: '6.3' }))).toBe('legacy');
  });

  it('online disks only on Windows Server 2019+; a guest without static IPs gets no IP script', () => {
    expect(derive(facts()).scripts.map((s) => s.name)).toEqual(['5100-online-disks']);
    expect(derive(facts({ build: 14393 })).scripts).toEqual([]);
    expect(derive(facts({ installationType: 'Client', build: 22621 })).scripts).toEqual([]);
    expect(derive(facts({ network: [adapter('A', [], true)] })).scripts.map((s) => s.name)).toEqual(['5100-online-disks']);
  });

  it('static IPs: by the MAC given, or the only static adapter; advice otherwise and before Windows 8', () => {
    const one = derive(facts({ network: [adapter('A', ['10.0.0.5'])] })).scripts.find((s) => s.name === '2500-static-ip-1');
    expect(one?.action).toEqual({ type: 'static-ip', mac: '', connection: 'Ethernet A', addresses: [{ ip: '10.0.0.5', prefixLength: 24 }], gateways: ['10.0.0.1'], dns: ['10.0.0.2'] });
    const two = derive(facts({ network: [adapter('A', ['10.0.0.5']), adapter('B', ['10.0.1.5'])] }), { ...INPUT, macs: { '{B}': '00:50:56:aa:bb:cc' } });
    expect(two.scripts.filter((s) => s.action.type === 'static-ip').map((s) => [s.name, (s.action as { mac: string }).mac])).toEqual([['2500-static-ip-2', '00-50-56-AA-BB-CC']]);
    expect(two.staticIpAdvice).toHaveLength(1);
    expect(two.staticIpAdvice[0]).toMatch(/Ethernet A .*MAC address is unknown/);
    const win7 = derive(facts({ majorVersion: 6, minorVersion: 1, network: [adapter('A', ['10.0.0.5'])] }));
    expect(win7.scripts.filter((s) => s.action.type === 'static-ip')).toEqual([]);
    expect(win7.staticIpAdvice[0]).toMatch(/NetTCPIP/);
  });

  it('source tools by MSI product code (not when the target is their own platform); the QEMU agent where the target uses it, for Windows 7+', () => {
    const apps = [{ key: 'Microsoft\\Windows\\CurrentVersion\\Uninstall\\{4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}', view: 'native', displayName: 'VMware Tools', uninstallString: 'MsiExec.exe /I{4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}', antivirus: false }] as WindowsFacts['applications'];
    const agent = { source: '/guest-agent/qemu-ga-x86_64.msi', dest: '/Program Files/rehost/agent/qemu-ga-x86_64.msi', sha256: 'b'.repeat(64), size: 10 };
    const d = derive(facts({ applications: apps, build: 14393 }), { ...INPUT, guestAgent: agent });
    expect(d.scripts.map((s) => [s.name, s.action])).toEqual([
      ['5000-uninstall-vmware-tools', { type: 'uninstall-msi', productCode: '{4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}', displayName: 'VMware Tools' }],
      ['5200-guest-agent', { type: 'guest-agent', msi: 'qemu-ga-x86_64.msi' }],
    ]);
    expect(derive(facts({ applications: apps, build: 14393 }), { ...INPUT, guestAgent: agent }, ['vmware-esxi']).scripts).toEqual([]);
    // GCE runs on KVM but its agent is Google's guest environment: no qemu-ga there.
    expect(derive(facts({ applications: apps, build: 14393 }), { ...INPUT, guestAgent: agent }, ['gce', 'kvm'], ['GCEAgent', 'google_osconfig_agent']).scripts.map((s) => s.name)).toEqual(['5000-uninstall-vmware-tools']);
    expect(derive(facts({ build: 14393, services: [{ name: 'QEMU-GA' }] }), { ...INPUT, guestAgent: agent }).scripts).toEqual([]);
    expect(derive(facts({ majorVersion: 5, minorVersion: 1, build: 2600 }), { ...INPUT, guestAgent: agent }).scripts).toEqual([]);
  });

  it('nothing when the runner is in place, nothing to run, or the state was not read', () => {
    expect(derive(facts(), { ...INPUT, state: { ...STATE, runner: true } })).toMatchObject({ needed: false, scripts: [], staticIpAdvice: [] });
    expect(derive(facts({ build: 14393 }), { state: STATE })).toMatchObject({ needed: false, scripts: [] });
    expect(derive(facts(), { ...INPUT, state: undefined })).toMatchObject({ needed: false, scripts: [] });
  });

  it('refuses to arm while Windows uses the Setup hook itself, or the hive cannot be written', () => {
    const cases: Array<[Partial<FirstbootState['registry']> | { systemWritable: false }, RegExp]> = [
      [{ setupType: 2 }, /SetupType is 2/],
      [{ systemSetupInProgress: 1 }, /in Setup/],
      [{ cmdLine: undefined }, /CmdLine has a type/],
      [{ cmdLine: { type: 'REG_SZ', data: 'C:\\caf\u00e9.exe' } }, /ASCII/],
      [{ setupKey: false }, /Setup is missing/],
      [{ systemWritable: false }, /dirty/],
    ];
    for (const [over, why] of cases) {
      const state = 'systemWritable' in over ? { ...STATE, systemWritable: false } : { ...STATE, registry: { ...STATE.registry, ...over } };
      const d = derive(facts(), { ...INPUT, state });
      expect(d.needed).toBe(false);
      expect(d.blocked).toMatch(why);
      expect(d.scripts).toEqual([]);
    }
  });
});

describe('windows-platform pack', () => {
  it('clock and UEFI advice per target, RealTimeIsUniversal on AWS, first-boot patches filled from the context', async () => {
    const path = new URL('../../src/rules/packs/windows-platform.json', import.meta.url).pathname;
    const pack = parseRulePack({ bytes: readFileSync(path), path, schema: await rulePackSchema() });
    const run = (f: WindowsFacts, target: string, lineage: string[]) =>
      evaluate({
        packs: [pack],
        context: {
          os: 'windows', facts: f, target: { id: target }, targetLineage: lineage,
          derived: {
            target: { id: target, name: target }, rootVolume: 'p2', systemRoot: '/Windows', controlSet: 'ControlSet001',
            // An ESP rehost could not read (windows-context.ts uefiDerived).
            uefi: f.boot?.firmware === 'uefi' ? { unreadable: true, loaderPath: '/EFI/Boot/BOOTX64.EFI', noBootManager: false } : undefined,
            ...windowsFirstbootDerived({ facts: f, root: 'p2', lineage, targetAgents: [], input: INPUT }),
          },
        },
      });
    const uefi = facts({ boot: { firmware: 'uefi' } });
    expect(run(uefi, 'kvm', ['kvm']).map((r) => [r.rule, r.outcome])).toEqual([
      ['windows.firstboot.arm', 'patch'], ['windows.firstboot.device-path', 'patch'], ['windows.firstboot.script', 'patch'], ['windows.clock.localtime', 'advice'], ['windows.uefi.unchecked', 'advice'],
    ]);
    const aws = run(facts({ boot: { firmware: 'bios' } }), 'aws-nitro', ['aws-nitro']);
    expect(aws.map((r) => r.rule)).toEqual(['windows.firstboot.arm', 'windows.firstboot.device-path', 'windows.firstboot.script', 'windows.clock.utc-aws']);
    expect(aws.at(-1)!.patches).toEqual([{ kind: 'registry-values', volume: 'p2', precondition: 'ControlSet001\\Control\\TimeZoneInformation exists', systemRoot: '/Windows', hive: 'SYSTEM', key: 'ControlSet001\\Control\\TimeZoneInformation', values: [{ name: 'RealTimeIsUniversal', type: 'REG_DWORD', data: 1 }], rule: 'windows.clock.utc-aws' }]);
    expect(run(facts({ realTimeIsUniversal: true }), 'kvm', ['kvm']).map((r) => r.rule)).not.toContain('windows.clock.localtime');
    const arm = run(facts(), 'gce', ['gce', 'kvm'])[0]!;
    expect(arm.patches[0]).toMatchObject({ kind: 'windows-firstboot', volume: 'p2', systemDrive: 'D:', pnputil: 'add-driver', maxRetries: 3, drivers: [DRIVER], rule: 'windows.firstboot.arm' });
    expect(arm.patches.slice(1).map((p) => [(p as { hive: string }).hive, (p as { key: string }).key])).toEqual([['SYSTEM', 'Setup'], ['SYSTEM', 'ControlSet001\\Control\\CrashControl']]);
  });
});
