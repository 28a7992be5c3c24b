// The first-boot part of the Windows evaluation context: `derived.firstboot`, which
// packs/windows-platform.json tests and fills its patches from.
// Pure: the driver source's files (stagedDriverFiles / findGuestAgent) and what the guest
// already has (readFirstbootState) are read by the caller and come in as data, so a re-plan
// after apply sees the runner in place and proposes nothing.
//  - firstboot.patch: the windows-firstboot body (runner, Setup hook, CrashControl, DevicePath,
//    staged drivers); `needed` when there is something to run and no runner yet;
//  - firstboot.scripts: the optional scripts that apply (each its own patch): uninstall the
//    source hypervisor's MSI tools (VMware Tools: the product code from its Uninstall entry,
//    /I rewritten to /X as virt-v2v does), online disks (Windows Server 2019 / build 17763+),
//    static IPs per adapter with EnableDHCP=0 (PowerShell's NetTCPIP: Windows 8 / 2012+), the
//    guest agent when the driver source has one, the target's guest tools are QEMU-GA and
//    Windows is 7+;
//  - firstboot.blocked: why the hook cannot be armed (Windows is itself mid-Setup, …).

import type { WindowsFacts } from '../windows/types.js';
import type { FirstbootState } from '../windows/firstboot/state.js';
import type { FirstbootAction, PnputilMode, StaticAddress } from '../windows/firstboot/types.js';
import { appendDevicePath, devicePathHas } from '../windows/firstboot/registry.js';
import { DEVICE_PATH_ENTRY, FIRSTBOOT_DIR, FIRSTBOOT_MAX_RETRIES, runnerCommandLine, windowsPath } from '../windows/firstboot/paths.js';
import type { RegistryValueSpec, WindowsDriverFile, WindowsFirstboot, WindowsFirstbootScript } from './types.js';
import { cmdLineType } from '../windows/firstboot/runner.js';
import { ntVersion } from './windows-context.js';

export interface FirstbootPlanInput {
  /** What the guest has now (readFirstbootState on the system volume). Without it nothing is armed. */
  state?: FirstbootState;
  /** The driver source (--drivers) and its staged set (stagedDriverFiles). */
  driverSource?: string;
  drivers?: WindowsDriverFile[];
  /** The target devices the staged set has a driver for (device id, service, INF). */
  stagedDevices?: Array<{ device: string; service: string; inf: string }>;
  /** The source's guest-agent MSI (findGuestAgent). */
  guestAgent?: WindowsDriverFile;
  /** The old adapters' MAC addresses by NetCfgInstanceId (from the source VM's configuration). */
  macs?: Record<string, string>;
}

type ScriptBody = Omit<WindowsFirstbootScript, 'kind'> & { why: string };

export interface DerivedFirstboot {
  needed: boolean;
  blocked?: string;
  patch: Omit<WindowsFirstboot, 'kind'>;
  scripts: ScriptBody[];
  /** Static-IP adapters the first boot cannot re-apply (why, per adapter). */
  staticIpAdvice: string[];
  stagedCount: number;
  runnerPath: string;
  devicePathEntry: string;
  devicePathPresent: boolean;
  autoRebootText: string;
  /** registry-values bodies: SYSTEM Setup (the hook), CrashControl, SOFTWARE DevicePath. */
  setupValues: RegistryValueSpec[];
  crashControlKey: string;
  crashValues: RegistryValueSpec[];
  /** DevicePath with the drivers folder appended, when the value exists and lacks it. */
  devicePath?: { values: RegistryValueSpec[] };
}

/** Source-hypervisor tools removed by MSI at first boot: display-name pattern → platform ids where they belong. */
const MSI_TOOLS: Array<{ pattern: RegExp; platforms: string[]; slug: string }> = [
  { pattern: /VMware Tools/i, platforms: ['vmware-esxi'], slug: 'vmware-tools' },
  { pattern: /(Parallels|Virtuozzo) Tools/i, platforms: [], slug: 'parallels-tools' },
];

const GUID = /\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}/;

/** The MSI product code of an Uninstall entry: msiexec /I{…} or /X{…}, or a key named {…}. */
export function productCode(app: { key: string; uninstallString?: string }): string | undefined {
  const fromCommand = app.uninstallString !== undefined && /msiexec/i.test(app.uninstallString) ? GUID.exec(app.uninstallString)?.[0] : undefined;
  const fromKey = GUID.exec(app.key.split('\\').pop() ?? '')?.[0];
  return (fromCommand ?? fromKey)?.toUpperCase();
}

/** 255.255.255.0 → 24; undefined when not a contiguous IPv4 mask. */
export function maskPrefix(mask: string): number | undefined {
  const parts = mask.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  const n = parts.reduce((acc, p) => acc * 256 + Number(p), 0);
  const bits = n.toString(2).padStart(32, '0');
  if (!/^1*0*$/.test(bits)) return undefined;
  return bits.indexOf('0') === -1 ? 32 : bits.indexOf('0');
}

/** Aa:bb:… or AABBCC… → AA-BB-CC-DD-EE-FF (Get-NetAdapter's MacAddress form). */
export function normalizeMac(mac: string): string | undefined {
  const hex = mac.replace(/[^0-9A-Fa-f]/g, '');
  if (hex.length !== 12 || mac.replace(/[0-9A-Fa-f:.-]/g, '') !== '') return undefined;
  return hex.toUpperCase().match(/../g)!.join('-');
}

export function pnputilMode(facts: WindowsFacts): PnputilMode {
  const version = ntVersion(facts) ?? 0;
  if (version >= 1000) return 'add-driver';
  if (version >= 600) return 'legacy';
  return 'none';
}

function systemDrive(facts: WindowsFacts, root: string): string {
  return facts.driveLetters.find((d) => d.volume === root)?.letter ?? 'C:';
}

function staticIpScripts(facts: WindowsFacts, input: FirstbootPlanInput): { scripts: ScriptBody[]; advice: string[] } {
  const scripts: ScriptBody[] = [];
  const advice: string[] = [];
  const statics = facts.network.filter((a) => a.tcpip !== undefined && a.tcpip.dhcp === false && a.tcpip.ipAddresses.some((ip) => ip !== '0.0.0.0' && ip !== ''));
  const powershell = (ntVersion(facts) ?? 0) >= 602;
  statics.forEach((adapter, i) => {
    const tcpip = adapter.tcpip!;
    const label = adapter.connectionName ?? adapter.driverDesc ?? adapter.netCfgInstanceId ?? adapter.classKey;
    const given = (adapter.netCfgInstanceId !== undefined ? input.macs?.[adapter.netCfgInstanceId] : undefined) ?? adapter.networkAddress;
    const mac = given !== undefined ? normalizeMac(given) : statics.length === 1 ? '' : undefined;
    const addresses: StaticAddress[] = [];
    tcpip.ipAddresses.forEach((ip, j) => {
      const prefix = maskPrefix(tcpip.subnetMasks[j] ?? '');
      if (ip !== '0.0.0.0' && ip !== '' && prefix !== undefined) addresses.push({ ip, prefixLength: prefix });
    });
    if (!powershell) advice.push(`${label} (${tcpip.ipAddresses.join(', ')}): Windows before 8/2012 has no NetTCPIP PowerShell module; set the addresses again on the new adapter by hand`);
    else if (mac === undefined) advice.push(`${label} (${tcpip.ipAddresses.join(', ')}): its old MAC address is unknown and it is not the only static adapter; give the MAC (source VM configuration) to re-apply it`);
    else if (addresses.length === 0) advice.push(`${label}: no address with a usable subnet mask`);
    else {
      const action: FirstbootAction = { type: 'static-ip', mac, connection: label, addresses, gateways: tcpip.gateways.filter((g) => g !== '' && g !== '0.0.0.0'), dns: tcpip.nameServers.filter((d) => d !== '') };
      scripts.push({
        systemRoot: facts.systemRoot,
        name: `2500-static-ip-${i + 1}`,
        action,
        driverSource: '',
        files: [],
        why: `${label} had static ${addresses.map((a) => `${a.ip}/${a.prefixLength}`).join(', ')}; Windows keeps them on the old adapter instance, so they are set again on the adapter ${mac === '' ? 'that is the only physical one' : `with MAC ${mac}`}`,
      });
    }
  });
  return { scripts, advice };
}

function scriptsFor(args: { facts: WindowsFacts; lineage: string[]; targetAgents: string[]; input: FirstbootPlanInput }): { scripts: ScriptBody[]; advice: string[] } {
  const { facts, lineage, input } = args;
  const scripts: ScriptBody[] = [];
  for (const tool of MSI_TOOLS) {
    if (tool.platforms.some((p) => lineage.includes(p))) continue;
    const app = facts.applications.find((a) => tool.pattern.test(a.displayName) && productCode(a) !== undefined);
    if (app === undefined) continue;
    const code = productCode(app)!;
    scripts.push({
      systemRoot: facts.systemRoot,
      name: `5000-uninstall-${tool.slug}`,
      action: { type: 'uninstall-msi', productCode: code, displayName: app.displayName },
      driverSource: '',
      files: [],
      why: `${app.displayName} (${code}) is removed at first boot (msiexec /x, silent, no restart); its drivers are also disabled offline`,
    });
  }
  const server = (facts.installationType ?? '').toLowerCase().includes('server');
  if (server && (facts.build ?? 0) >= 17763) {
    scripts.push({ systemRoot: facts.systemRoot, name: '5100-online-disks', action: { type: 'online-disks' }, driverSource: '', files: [], why: 'Windows Server 2019 and later take non-boot disks offline when their bus changes' });
  }
  const ip = staticIpScripts(facts, input);
  scripts.push(...ip.scripts);
  const hasAgent = facts.services.some((s) => /^qemu-ga$/i.test(s.name) || /^QEMU Guest Agent$/i.test(s.name));
  // qemu-ga's MSI needs Windows 7 / 2008 R2 (NT 6.1) or later.
  // Only where the target's own guest tools are the QEMU agent (KVM, Proxmox), not on clouds
  // built on KVM whose agents are their own (GCE's guest environment, AWS's SSM agent).
  const wantsQemuGa = args.targetAgents.some((s) => /^qemu-ga$/i.test(s));
  if (input.guestAgent !== undefined && wantsQemuGa && !hasAgent && (ntVersion(facts) ?? 0) >= 601) {
    const msi = input.guestAgent.dest.split('/').pop()!;
    scripts.push({
      systemRoot: facts.systemRoot,
      name: '5200-guest-agent',
      action: { type: 'guest-agent', msi },
      driverSource: input.driverSource ?? '',
      files: [input.guestAgent],
      why: `the driver source has the QEMU guest agent (${msi}); it is installed at first boot`,
    });
  }
  return { scripts: scripts.sort((a, b) => (a.name < b.name ? -1 : 1)), advice: ip.advice };
}

function blockedWhy(state: FirstbootState | undefined): string | undefined {
  if (state === undefined) return 'the system volume was not read for the first-boot state';
  const r = state.registry;
  if (!state.systemWritable) return 'the SYSTEM hive is dirty and its logs could not be replayed';
  if (!r.setupKey) return 'SYSTEM\\Setup is missing';
  if (!r.crashControlKey) return 'Control\\CrashControl is missing';
  if ((r.systemSetupInProgress ?? 0) !== 0) return `Windows is itself in Setup (SystemSetupInProgress=${r.systemSetupInProgress}); its Setup hook is in use`;
  if ((r.setupType ?? 0) !== 0) return `SYSTEM\\Setup SetupType is ${r.setupType}: Windows (sysprep/OOBE) already uses the Setup hook`;
  if (r.cmdLine === undefined) return 'SYSTEM\\Setup CmdLine has a type rehost cannot put back';
  if (/[^\x20-\x7e\n]/.test(r.cmdLine.data)) return 'SYSTEM\\Setup CmdLine holds characters the runner (an ASCII batch file) cannot put back';
  if (r.autoReboot === undefined || (r.autoReboot.type !== 'absent' && r.autoReboot.type !== 'REG_DWORD')) return 'CrashControl AutoReboot has a type rehost cannot put back';
  return undefined;
}

export function windowsFirstbootDerived(args: {
  facts: WindowsFacts;
  root: string;
  lineage: string[];
  /** The target catalog's Windows guest-tool services (guestTools.windowsServices). */
  targetAgents: string[];
  input?: FirstbootPlanInput;
}): { firstboot: DerivedFirstboot } {
  const { facts, root, lineage } = args;
  const input = args.input ?? {};
  const state = input.state;
  const drive = systemDrive(facts, root);
  const drivers = input.drivers ?? [];
  const { scripts, advice } = scriptsFor({ facts, lineage, targetAgents: args.targetAgents, input });
  const blocked = blockedWhy(state);
  const registry = state?.registry;
  const originalAutoReboot = registry?.autoReboot ?? { type: 'absent' as const, data: '' };
  const patch: Omit<WindowsFirstboot, 'kind'> = {
    systemRoot: facts.systemRoot,
    controlSet: facts.controlSet ?? 'ControlSet001',
    systemDrive: drive,
    pnputil: pnputilMode(facts),
    maxRetries: FIRSTBOOT_MAX_RETRIES,
    driverSource: drivers.length > 0 ? (input.driverSource ?? '') : '',
    drivers,
    originalCmdLine: registry?.cmdLine ?? { type: 'absent', data: '' },
    originalAutoReboot,
  };
  const work = drivers.length > 0 || scripts.length > 0;
  const commandLine = runnerCommandLine(drive);
  const armType = cmdLineType(patch.originalCmdLine);
  const dp = registry?.devicePath;
  const firstboot: DerivedFirstboot = {
    needed: work && state !== undefined && !state.runner && blocked === undefined,
    ...(work && state !== undefined && !state.runner && blocked !== undefined ? { blocked } : {}),
    patch,
    // Scripts only with the runner that runs them (a runner already in place has run or will run its own set).
    scripts: state !== undefined && !state.runner && blocked === undefined ? scripts : [],
    staticIpAdvice: state?.runner === true ? [] : advice,
    stagedCount: drivers.length,
    runnerPath: windowsPath(drive, `${FIRSTBOOT_DIR}/firstboot.cmd`),
    devicePathEntry: DEVICE_PATH_ENTRY,
    devicePathPresent: registry?.devicePath !== undefined && devicePathHas(registry.devicePath.value),
    autoRebootText: originalAutoReboot.type === 'absent' ? 'absent' : originalAutoReboot.data,
    setupValues: [
      { name: 'CmdLine', type: armType, data: armType === 'REG_MULTI_SZ' ? [commandLine] : commandLine },
      { name: 'SetupType', type: 'REG_DWORD', data: 1 },
    ],
    crashControlKey: `${patch.controlSet}\\Control\\CrashControl`,
    crashValues: [{ name: 'AutoReboot', type: 'REG_DWORD', data: 0 }],
    ...(dp !== undefined && drivers.length > 0 && !devicePathHas(dp.value) ? { devicePath: { values: [{ name: 'DevicePath', type: dp.type, data: appendDevicePath(dp.value) }] } } : {}),
  };
  return { firstboot };
}
