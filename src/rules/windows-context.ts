// The evaluation context for one Windows OS and one target platform: the OS's facts, the
// target's catalog entry, and `derived` — what packs/windows.json tests and fills its patch
// templates from. Pure: no I/O; the drivers of a driver source are found by the caller
// (src/patch/realize/windows-driver-source.ts, over src/windows/drivers findDrivers) and come
// in as data (PlanOptions.drivers). What each derived list means:
// - bootStorage: per selectable boot-storage device of the target (catalog `windows`:
//   services, inbox status), its state: 'ready' (a service present with Start 0, no
//   StartOverride, its file on disk, and — for a driver that is not inbox — the device's IDs
//   bound through CriticalDeviceDatabase before Windows 8 or DriverDatabase from 8 on),
//   'fixable' (inbox/installed driver needing only Start=0 / StartOverride cleared),
//   'install' (a driver source has it), or 'cannot' (with why).
// - serviceFixes: Start=0 and StartOverride removal for the drivers those devices need and
//   the buses under them (stornvme/storvsc/vmbus/vpci/pci/pvscsi…: the Azure NVMe
//   StartOverride failure, §e #4).
// - installs: the windows-install-driver patch bodies (virt-v2v's recipe, §a.3, from the INF).
// - safetyNet: storahci/msahci, intelide, atapi made boot-start so the emulated AHCI/IDE of
//   any target boots (Azure's preparation checklist).
// - disableServices: the source hypervisor's kernel drivers that would fail on the target
//   (virt-v2v disables rhelscsi and the Parallels prl_* set, §a.3 steps 1–2); never deleted;
//   one that is a class upper/lower filter is first taken out of the filter list
//   (filterRemovals), as virt-v2v does for prl_strg — disabled but listed, it stops its class.
// Quirk relied on: Windows 8 (NT 6.2) moved boot-critical binding from the CDD to the
// DriverDatabase (virt-v2v tests for the DriverDatabase key; we use the version and the
// realizer re-checks the key in the hive).

import type { Platform, PlatformDevice } from '../catalog/index.js';
import type { OperatingSystem } from '../inspect/inspect.js';
import { firmwareGate } from '../fingerprint/verdicts.js';
import { BCD_GRAPHICS_MODE_DISABLED } from '../windows/bcd.js';
import { deviceMatchesId } from '../windows/drivers/device-packages.js';
import { findService, hasDriverService } from '../windows/service-facts.js';
import type { ServiceFacts, WindowsFacts } from '../windows/types.js';
import type { EvaluationContext } from './evaluate.js';
import { selectableBootStorage, targetLineage } from './linux-context.js';
import type { RegistryKeyValues, WindowsDriverFile, WindowsInstallDriver } from './types.js';

export type WindowsOs = Extract<OperatingSystem, { type: 'windows' }>;

/** A driver a driver source offers for this guest (found by the caller, passed in as data). */
export interface WindowsDriverCandidate {
  driverSource: string;
  /** The INF's path inside the source. */
  inf: string;
  /** The function driver's service (AddService with SPSVCINST_ASSOCSERVICE). */
  service: string;
  /** Every ID of the Models lines chosen for this guest (hardware and compatible IDs). */
  hardwareIds: string[];
  classGuid?: string;
  serviceParams: WindowsInstallDriver['serviceParams'];
  serviceValues: RegistryKeyValues[];
  files: WindowsDriverFile[];
  /** Files the INF copies that the source lacks (the candidate is then unusable). */
  missingFiles: string[];
}

export interface WindowsPlanOptions {
  /** The --drivers source given (even when it offered nothing). */
  driverSource?: string;
  drivers?: WindowsDriverCandidate[];
}

export interface DerivedWindowsDevice {
  id: string;
  name: string;
  default: boolean;
  services: string[];
  state: 'ready' | 'fixable' | 'install' | 'cannot';
  why: string;
}

export interface DerivedServiceFix {
  service: string;
  start: number;
  clearStartOverride: boolean;
  /** "Start 3 → 0; StartOverride {0: 3} removed". */
  change: string;
  device: string;
}

export interface DerivedDisable {
  service: string;
  start: number;
  platform: string;
  tool: string;
}

/** SCSI adapters (virt-v2v's CDD ClassGUID, §g.3). */
export const SCSI_ADAPTER_CLASS = '{4D36E97B-E325-11CE-BFC1-08002BE10318}';

/** Services a bus needs besides the device's own driver (boot-start too). */
const BUS_SERVICES: Record<string, string[]> = { vmbus: ['vmbus'] };

/**
 * Services a device needs besides its own driver: its bus's (vmbus for storvsc); on Hyper-V
 * and Azure a Microsoft-vendor PCI device (Azure NVMe, 1414:B111) reaches the guest through
 * virtual PCI on VMBus, so vmbus, vpci and pci must load at boot too — the StartOverride left
 * on vpci is what breaks the SCSI→NVMe switch (conversion-facts §e #4).
 */
function companionServices(device: PlatformDevice, lineage: string[]): string[] {
  const out = [...(BUS_SERVICES[device.bus] ?? [])];
  const onHyperV = lineage.includes('hyperv-gen1') || lineage.includes('hyperv-gen2');
  if (onHyperV && device.bus === 'pci' && (device.pci ?? []).some((p) => p.vendor.toUpperCase() === '1414')) out.push('vmbus', 'vpci', 'pci');
  return unique(out);
}

/** Inbox drivers that let the emulated controllers of any target boot. */
const SAFETY_NET = ['storahci', 'msahci', 'intelide', 'atapi'];

/**
 * Source hypervisors' kernel drivers that fail (or wedge the boot) elsewhere, by the platform
 * ids they belong to: virt-v2v's lists (§a.3: rhelscsi; prl_*) and §g.2's tool drivers. The
 * storage drivers a source may still boot from (pvscsi, LSI_*, xenvbd) are not here.
 */
const SOURCE_DRIVERS: Array<{ tool: string; platforms: string[]; services: string[] }> = [
  { tool: 'Red Hat Xen PV storage', platforms: ['xen-hvm', 'xen-pv', 'xcp-ng', 'aws-xen'], services: ['rhelscsi'] },
  {
    tool: 'Parallels Tools',
    platforms: [],
    services: ['prl_boot', 'prl_dd', 'prl_eth5', 'prl_fs', 'prl_memdev', 'prl_mouf', 'prl_pv32', 'prl_pv64', 'prl_scsi', 'prl_sound', 'prl_strg', 'prl_tg', 'prl_time', 'prl_uprof', 'prl_va'],
  },
  // VMware Tools' own kernel drivers; vmci/vmmouse/vsock are left alone (some Windows releases ship them inbox).
  { tool: 'VMware Tools', platforms: ['vmware-esxi'], services: ['vmhgfs', 'vmmemctl', 'vmrawdsk', 'vm3dmp', 'vmusbmouse'] },
  { tool: 'VirtualBox Guest Additions', platforms: ['virtualbox'], services: ['VBoxGuest', 'VBoxSF', 'VBoxMouse', 'VBoxWddm', 'VBoxVideo'] },
];

const unique = <T>(list: T[]): T[] => [...new Set(list)];

/** NT version as major*100+minor, from the SOFTWARE facts (undefined when unknown). */
export function ntVersion(facts: WindowsFacts): number | undefined {
  let major = facts.majorVersion;
  let minor = facts.minorVersion;
  if (major === undefined && facts.currentVersion !== undefined) {
    const m = /^(\d+)\.(\d+)/.exec(facts.currentVersion);
    if (m) {
      major = Number(m[1]);
      minor = Number(m[2]);
    }
  }
  if (major === undefined) return undefined;
  return major * 100 + (minor ?? 0);
}

/** Whether the guest binds boot devices through DriverDatabase (Windows 8 / NT 6.2 and later). */
export function usesDriverDatabase(facts: WindowsFacts): boolean {
  const version = ntVersion(facts);
  if (version !== undefined) return version >= 602;
  return facts.driverBindings.some((b) => b.source === 'DriverDatabase');
}

export function infArch(arch: string | undefined): string | undefined {
  return ({ x86_64: 'amd64', i386: 'x86', aarch64: 'arm64' } as Record<string, string>)[arch ?? ''];
}


/** What must change for a service to start at boot: Start 0 and no StartOverride that says otherwise. */
function startFix(service: ServiceFacts, device: string): DerivedServiceFix | undefined {
  const override = service.startOverride ?? {};
  const overrideBad = Object.values(override).some((v) => v !== 0);
  const startBad = service.start !== 0;
  if (!overrideBad && !startBad) return undefined;
  const parts: string[] = [];
  if (startBad) parts.push(`Start ${service.start ?? 'absent'} → 0`);
  if (overrideBad) parts.push(`StartOverride ${JSON.stringify(override)} removed`);
  return { service: service.name, start: 0, clearStartOverride: overrideBad, change: parts.join('; '), device };
}

const idMatchesDevice = (id: string, device: PlatformDevice): boolean => deviceMatchesId({ id: device.id, pci: device.pci ?? [] }, id);

/** Whether every PCI ID pair of the device is bound to `service` in the CDD or DriverDatabase. */
function bound(args: { facts: WindowsFacts; device: PlatformDevice; service: string; driverDatabase: boolean }): boolean {
  const { facts, device, service, driverDatabase } = args;
  const source = driverDatabase ? 'DriverDatabase' : 'CriticalDeviceDatabase';
  const pairs = (device.pci ?? []).map((p) => ({ vendor: p.vendor.toUpperCase(), device: p.device.toUpperCase() }));
  if (pairs.length === 0) return false;
  return pairs.every((pair) =>
    facts.driverBindings.some((b) => b.source === source && b.vendor === pair.vendor && b.device === pair.device && b.services.some((s) => s.toLowerCase() === service.toLowerCase())),
  );
}

function candidateFor(device: PlatformDevice, drivers: readonly WindowsDriverCandidate[]): WindowsDriverCandidate | undefined {
  if ((device.pci ?? []).length === 0) return undefined;
  const wanted = (device.windows?.services ?? []).map((s) => s.toLowerCase());
  const fits = drivers.filter((d) => d.missingFiles.length === 0 && d.hardwareIds.some((id) => idMatchesDevice(id, device)));
  // The catalog's own service first (viostor for virtio-blk), then any other that fits.
  return fits.find((d) => wanted.includes(d.service.toLowerCase())) ?? fits[0];
}

interface DeviceOutcome {
  derived: DerivedWindowsDevice;
  fixes: DerivedServiceFix[];
  install?: WindowsInstallDriver;
}

function evaluateDevice(args: { device: PlatformDevice; facts: WindowsFacts; driverDatabase: boolean; options: WindowsPlanOptions; arch: string; controlSet: string; lineage: string[] }): DeviceOutcome {
  const { device, facts, driverDatabase, options } = args;
  const info = device.windows;
  const base = { id: device.id, name: device.name, default: device.default === true, services: info?.services ?? [] };
  if (info === undefined || info.services.length === 0) {
    return { derived: { ...base, state: 'cannot', why: `the catalog names no Windows driver for ${device.name}` }, fixes: [] };
  }
  const present = info.services
    .filter((name) => hasDriverService(facts, name))
    .map((name) => findService(facts, name) as ServiceFacts);
  const companions = companionServices(device, args.lineage).map((name) => ({ name, facts: findService(facts, name) }));
  const missingCompanion = companions.filter((c) => c.facts === undefined).map((c) => c.name);
  const inbox = info.inbox.status === 'inbox';
  // An inbox driver binds through its own INF (class-code IDs such as PCI\CC_010802); only a
  // driver that is not inbox needs the device's own IDs bound before Windows can boot from it.
  const needsBinding = info.inbox.status === 'not-inbox' && device.bus === 'pci';
  const usable = present.filter((s) => !needsBinding || bound({ facts, device, service: s.name, driverDatabase }));

  if (usable.length > 0 && missingCompanion.length === 0) {
    const fixes = [...usable, ...companions.map((c) => c.facts as ServiceFacts)]
      .map((s) => startFix(s, device.id))
      .filter((f): f is DerivedServiceFix => f !== undefined);
    if (fixes.length === 0) return { derived: { ...base, state: 'ready', why: `${usable.map((s) => s.name).join(', ')} start at boot` }, fixes };
    return { derived: { ...base, state: 'fixable', why: fixes.map((f) => `${f.service}: ${f.change}`).join('; ') }, fixes };
  }

  const candidate = options.drivers === undefined ? undefined : candidateFor(device, options.drivers);
  if (candidate !== undefined && missingCompanion.length === 0) {
    const install: WindowsInstallDriver = {
      kind: 'windows-install-driver',
      systemRoot: facts.systemRoot,
      controlSet: args.controlSet,
      service: candidate.service,
      driverSource: candidate.driverSource,
      inf: candidate.inf,
      files: candidate.files,
      hardwareIds: unique(candidate.hardwareIds.filter((id) => idMatchesDevice(id, device))),
      classGuid: candidate.classGuid ?? SCSI_ADAPTER_CLASS,
      // A boot-storage driver must load before the disk does, whatever its INF says.
      serviceParams: { ...candidate.serviceParams, start: 0 },
      serviceValues: candidate.serviceValues,
      binding: driverDatabase ? 'driver-database' : 'cdd',
      arch: args.arch,
    };
    return { derived: { ...base, state: 'install', why: `${candidate.service} from ${candidate.driverSource}${candidate.inf}` }, fixes: [], install };
  }

  let why: string;
  if (missingCompanion.length > 0) why = `the guest lacks ${missingCompanion.join(', ')} (needed by ${device.bus} devices); this Windows release predates ${device.name}`;
  else if (inbox) why = `${info.services.join('/')} is not in this guest (inbox since ${info.inbox.since ?? 'a later release'}) and no driver source offers it`;
  else if (options.driverSource === undefined) why = `${info.services.join('/')} is not installed and bound; it needs a driver source (--drivers virtio-win.iso)`;
  else why = `${info.services.join('/')} is not installed and bound, and ${options.driverSource} has no driver for this Windows release and architecture`;
  return { derived: { ...base, state: 'cannot', why }, fixes: [] };
}

export interface DerivedFilterRemoval {
  service: string;
  classGuid: string;
  className?: string;
  list: 'UpperFilters' | 'LowerFilters';
}

/**
 * The source hypervisor's drivers to disable, and the class filter lists to take them out of
 * first: a filter disabled while still listed stops its whole class (the disks, for
 * Parallels' prl_strg), so each listed one is removed from the list as its INF's DelReg
 * would (virt-v2v does this for prl_strg, §a.3 step 2) and then disabled.
 */
function sourceDrivers(facts: WindowsFacts, lineage: string[]): { disable: DerivedDisable[]; filters: DerivedFilterRemoval[] } {
  const disable: DerivedDisable[] = [];
  const filters: DerivedFilterRemoval[] = [];
  for (const group of SOURCE_DRIVERS) {
    if (group.platforms.some((p) => lineage.includes(p))) continue;
    for (const name of group.services) {
      const service = findService(facts, name);
      if (service === undefined) continue;
      for (const c of facts.classFilters) {
        for (const list of ['UpperFilters', 'LowerFilters'] as const) {
          const entries = list === 'UpperFilters' ? c.upperFilters : c.lowerFilters;
          if (entries.some((f) => f.toLowerCase() === name.toLowerCase())) {
            filters.push({ service: service.name, classGuid: c.classGuid, ...(c.className !== undefined ? { className: c.className } : {}), list });
          }
        }
      }
      if (service.start !== 4) disable.push({ service: service.name, start: service.start ?? -1, platform: group.platforms[0] ?? 'parallels', tool: group.tool });
    }
  }
  return { disable, filters };
}

/** The removable-media fallback loader UEFI firmware starts for each architecture (UEFI spec 3.5.1.1). */
const FALLBACK_LOADER: Record<string, string> = { amd64: 'BOOTX64.EFI', x86: 'BOOTIA32.EFI', arm64: 'BOOTAA64.EFI' };
const BOOTMGFW = '/EFI/Microsoft/Boot/bootmgfw.efi';

export interface DerivedUefi {
  /** The ESP could not be read (no FAT reader for it, damaged): nothing can be checked. */
  unreadable: boolean;
  espVolume?: string;
  loaderPath: string;
  /** Windows Boot Manager is missing from the ESP. */
  noBootManager: boolean;
  /** copy-file body: bootmgfw.efi to the fallback loader, when that is missing or differs. */
  copy?: { from: string; to: string; sha256: string; replace: string; state: 'missing' | 'not Windows Boot Manager' };
  /** bcd-delete-element body for graphicsmodedisabled on the default entry. */
  bcd?: { path: string; object: string; element: string };
}

/**
 * A UEFI guest's boot on a new VM: its NVRAM boot entries stay behind, so the firmware starts
 * \EFI\Boot\BOOT<arch>.EFI, which must be Windows Boot Manager (virt-v2v copies bootmgfw.efi
 * there when it is missing or differs); virt-v2v also deletes graphicsmodedisabled from the
 * default BCD entry.
 */
function uefiDerived(facts: WindowsFacts, arch: string): DerivedUefi | undefined {
  const boot = facts.boot;
  if (boot === undefined || boot.firmware !== 'uefi') return undefined;
  const name = FALLBACK_LOADER[arch] ?? 'BOOTX64.EFI';
  const loaderPath = `/EFI/Boot/${name}`;
  const esp = boot.esp;
  if (esp === undefined) return { unreadable: true, loaderPath, noBootManager: false };
  const out: DerivedUefi = { unreadable: false, espVolume: esp.volume, loaderPath, noBootManager: esp.bootmgfw === undefined };
  const existing = esp.fallback[name];
  if (esp.bootmgfw !== undefined && existing?.sha256 !== esp.bootmgfw.sha256) {
    out.copy = { from: BOOTMGFW, to: loaderPath, sha256: esp.bootmgfw.sha256, replace: existing?.sha256 ?? 'absent', state: existing === undefined ? 'missing' : 'not Windows Boot Manager' };
  }
  if (boot.defaultEntry?.graphicsModeDisabled === true) out.bcd = { path: '/EFI/Microsoft/Boot/BCD', object: boot.defaultEntry.id, element: BCD_GRAPHICS_MODE_DISABLED };
  return out;
}

export function windowsContext(args: { os: WindowsOs; target: Platform; platforms: Platform[]; controllers?: string[]; windows?: WindowsPlanOptions }): EvaluationContext {
  const { os, target } = args;
  const facts = os.facts;
  const lineage = targetLineage(target, args.platforms);
  const driverDatabase = usesDriverDatabase(facts);
  const controlSet = facts.controlSet ?? 'ControlSet001';
  const arch = infArch(facts.arch) ?? 'unknown';
  const options = args.windows ?? {};
  const outcomes = selectableBootStorage(target, args.controllers).map((device) => evaluateDevice({ device, facts, driverDatabase, options, arch, controlSet, lineage }));
  const anyReady = outcomes.some((o) => o.derived.state !== 'cannot');

  // Patches only for the devices that can be made ready; one fix per service.
  const fixes = new Map<string, DerivedServiceFix>();
  for (const o of outcomes) for (const f of o.fixes) if (!fixes.has(f.service.toLowerCase())) fixes.set(f.service.toLowerCase(), f);
  const installs = new Map<string, WindowsInstallDriver>();
  for (const o of outcomes) if (o.install && !installs.has(o.install.service.toLowerCase())) installs.set(o.install.service.toLowerCase(), o.install);

  const safetyNet = SAFETY_NET.map((name) => findService(facts, name))
    .filter((s): s is ServiceFacts => s !== undefined && s.fileExists !== false && !fixes.has(s.name.toLowerCase()))
    .map((s) => startFix(s, 'safety-net'))
    .filter((f): f is DerivedServiceFix => f !== undefined);

  const source = sourceDrivers(facts, lineage);
  const disableServices = source.disable;
  // A dirty hive whose logs do not replay cannot be written safely (virt-v2v/hivex would).
  const dirtyHives = Object.entries(facts.unsafe?.hiveLogs ?? {})
    .filter(([, state]) => state.startsWith('unreplayed'))
    .map(([name]) => name);
  // The target's firmware must start this Windows' boot loader (Gen2 is UEFI-only; 32-bit or
  // pre-1703 Windows cannot be moved from BIOS/MBR), whatever its drivers.
  const gate = firmwareGate({ os, platform: target });
  const writesSystem = fixes.size + installs.size + safetyNet.length + disableServices.length + source.filters.length > 0;

  const derived: Record<string, unknown> = {
    target: { id: target.id, name: target.name },
    rootVolume: os.root,
    systemRoot: facts.systemRoot,
    controlSet,
    arch,
    ntVersion: ntVersion(facts),
    binding: driverDatabase ? 'driver-database' : 'cdd',
    driverSource: options.driverSource,
    bootStorage: outcomes.map((o) => o.derived),
    bootStorageIds: outcomes.map((o) => o.derived.id),
    bootStorageSummary: outcomes.map((o) => `${o.derived.id}: ${o.derived.state}: ${o.derived.why}`),
    bootStorageReady: anyReady,
    cannotDevices: outcomes.filter((o) => o.derived.state === 'cannot').map((o) => o.derived),
    // Named in the advice on the others: the controllers the VM must be given.
    usableDevices: outcomes.filter((o) => o.derived.state !== 'cannot').map((o) => o.derived.id),
    serviceFixes: [...fixes.values()],
    installs: [...installs.values()],
    safetyNet,
    disableServices,
    dirtyHives,
    systemHiveUnwritable: writesSystem && dirtyHives.some((h) => h.toUpperCase() === 'SYSTEM'),
    filterRemovals: source.filters,
    uefi: uefiDerived(facts, arch),
    firmwareBlocked: gate?.cap === 'cannot-boot' ? gate.note : undefined,
    firmwareAdvice: gate !== undefined && gate.cap !== 'cannot-boot' ? gate.note : undefined,
  };
  return { os: 'windows', facts, target, targetLineage: lineage, derived };
}
