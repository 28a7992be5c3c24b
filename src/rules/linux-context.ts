// The evaluation context for one Linux OS and one target platform: the OS's facts, the
// target's catalog entry, and `derived` — values computed from both that the rules of
// packs/linux.json test and fill their patch templates from. Pure: no I/O, the same input
// gives the same output. What each derived list means:
// - bootStorage: the target's selectable boot-storage devices (catalog function
//   'boot-storage' with `default` defined; `controllers` narrows them to chosen ids).
// - kernels: per installed kernel, newest first, which of those devices it can drive, using
//   fingerprint/linux-verdict.ts (module + bus/transport dependencies), the modules it has
//   only in /lib/modules (to append to its initramfs), its initramfs as a volume path.
// - initramfsConfig: generator configuration so that a future rebuild keeps those modules
//   (/etc/initramfs-tools/modules; /etc/dracut.conf.d/90-rehost-<target>.conf), less what
//   the configuration already names — after apply, re-inspection sees them and this is empty.
// - fstabDevices / kernelArgs: controller-bound names (device-map.ts) → UUID=.
// - removeFiles: the LVM devices file and blkid/LVM caches (virt-v2v deletes them, §b.5).
// - nicPins / nicUnknownMac: interfaces configured by a hardware-derived name, to pin by MAC.
// - tools: the source hypervisor's tools; whether they matter is decided by the pack's rules.
// - unwritable: volumes the patches would write that rehost cannot write (XFS, btrfs…).

import type { Platform, PlatformDevice } from '../catalog/index.js';
import { NotFoundError } from '../errors.js';
import { kernelDeviceVerdict, kernelsNewestFirst } from '../fingerprint/linux-verdict.js';
import { firmwareGate } from '../fingerprint/verdicts.js';
import type { OperatingSystem, VolumeSummary } from '../inspect/inspect.js';
import type { LinuxFacts } from '../linux/facts/inspect.js';
import type { KernelFacts } from '../linux/facts/kernels.js';
import { namingScheme } from '../linux/facts/network-parsers.js';
import { mapDevice, resolveGuestPath, type VolumeInfo } from './device-map.js';
import type { EvaluationContext } from './evaluate.js';
import type { WindowsPlanOptions } from './windows-context.js';

export type LinuxOs = Extract<OperatingSystem, { type: 'linux' }>;

export interface PlanOptions {
  /** Boot-storage device ids of the target to plan for (default: every selectable one). */
  controllers?: string[];
  /** Interface name → MAC, for interfaces whose MAC the guest's configuration does not say. */
  macs?: Record<string, string>;
  /** MACs of the VM's NICs from its descriptor (--vm), used when exactly one interface needs one. */
  vmMacs?: string[];
  /** Windows guests: the --drivers source and the drivers it offers (windows-context.ts). */
  windows?: WindowsPlanOptions;
}

export interface DerivedDevice {
  id: string;
  name: string;
  default: boolean;
  modules: string[];
}

export interface DerivedKernelDevice {
  device: string;
  verdict: string;
  missing: string[];
  evidence: string;
}

export interface DerivedKernel {
  version: string;
  default: boolean;
  /** The guest path of its initramfs, its volume and the path inside that volume. */
  initramfsGuestPath?: string;
  volume?: string;
  initramfs?: string;
  generator: string;
  size?: number;
  /** The initramfs can take appended modules: present, readable, by a known generator. */
  patchable: boolean;
  whyNotPatchable?: string;
  devices: DerivedKernelDevice[];
  /** One line per device: "virtio-blk: 6.1.0-18-amd64: virtio_blk module-tree, virtio_pci module-tree → boots-after-patch". */
  deviceSummary: string[];
  /** Modules in /lib/modules but neither built in nor in the initramfs, over all devices, deduplicated. */
  missing: string[];
  /** Selected devices this kernel can drive now, and after adding `missing`. */
  bootsNow: string[];
  bootsAfterPatch: string[];
  /** Selected devices it cannot drive at all, with the reason. */
  cannot: string[];
  canBoot: boolean;
}

const WRITABLE_KINDS = new Set(['ext2', 'ext3', 'ext4']);
const INITRAMFS_GENERATORS = new Set(['initramfs-tools', 'dracut']);
const HARDWARE_NAMED = new Set(['predictable-slot', 'predictable-path', 'predictable-onboard', 'biosdevname']);
const norm = (m: string): string => m.replace(/-/g, '_');
const unique = <T>(list: T[]): T[] => [...new Set(list)];

/** Target ids from the most specific up its basedOn chain (bounded, cycle-checked). */
export function targetLineage(target: Platform, platforms: Platform[]): string[] {
  const out = [target.id];
  let current: Platform | undefined = target;
  while (current?.basedOn !== undefined && !out.includes(current.basedOn) && out.length < 16) {
    out.push(current.basedOn);
    current = platforms.find((p) => p.id === current?.basedOn);
  }
  return out;
}

/** The target's selectable boot-storage devices, narrowed to `controllers` when given. */
export function selectableBootStorage(target: Platform, controllers?: string[]): PlatformDevice[] {
  const all = target.devices.filter((d) => d.function === 'boot-storage');
  if (controllers !== undefined && controllers.length > 0) {
    return controllers.map((id) => {
      const device = all.find((d) => d.id === id);
      if (device === undefined) throw new NotFoundError(`target ${target.id} has no boot-storage device "${id}" (it has ${all.map((d) => d.id).join(', ')})`, { kind: 'device' });
      return device;
    });
  }
  return all.filter((d) => d.default !== undefined);
}

function deriveKernel(args: { kernel: KernelFacts; isDefault: boolean; devices: PlatformDevice[]; os: LinuxOs }): DerivedKernel {
  const { kernel, isDefault, devices, os } = args;
  const verdicts = devices.map((device) => ({ device, ...kernelDeviceVerdict({ kernel, device, fn: 'boot-storage' }) }));
  const initramfs = kernel.initramfs;
  const generator = initramfs?.generator ?? 'unknown';
  let whyNot: string | undefined;
  if (initramfs === undefined) whyNot = 'it has no initramfs';
  else if (initramfs.error !== undefined) whyNot = `its initramfs cannot be read (${initramfs.error})`;
  else if (!INITRAMFS_GENERATORS.has(generator)) whyNot = `its initramfs was made by ${generator === 'unknown' ? 'an unrecognised generator' : generator}`;
  const out: DerivedKernel = {
    version: kernel.version,
    default: isDefault,
    generator,
    patchable: whyNot === undefined,
    devices: verdicts.map((v) => ({ device: v.device.id, verdict: v.verdict, missing: v.missing, evidence: v.evidence })),
    deviceSummary: verdicts.map((v) => `${v.device.id}: ${v.evidence} → ${v.verdict}`),
    missing: unique(verdicts.flatMap((v) => (v.verdict === 'boots-after-patch' ? v.missing : []))),
    bootsNow: verdicts.filter((v) => v.verdict === 'boots').map((v) => v.device.id),
    bootsAfterPatch: verdicts.filter((v) => v.verdict === 'boots-after-patch').map((v) => v.device.id),
    cannot: verdicts.filter((v) => v.verdict === 'cannot-boot' || v.verdict === 'unknown').map((v) => `${v.device.id} (${v.evidence})`),
    canBoot: false,
  };
  out.canBoot = out.bootsNow.length > 0 || (out.patchable && out.bootsAfterPatch.length > 0);
  if (whyNot !== undefined) out.whyNotPatchable = whyNot;
  if (initramfs !== undefined) {
    const at = resolveGuestPath({ path: initramfs.path, root: os.root, mounts: os.mounts });
    out.initramfsGuestPath = initramfs.path;
    out.volume = at.volume;
    out.initramfs = at.path;
    out.size = initramfs.size;
  }
  return out;
}

function configuredModules(facts: LinuxFacts, generator: string): Set<string> {
  if (generator === 'initramfs-tools') return new Set((facts.initramfsConfig.initramfsTools?.extraModules ?? []).map((l) => norm(l.split(/\s+/)[0] ?? '')));
  const dracut = facts.initramfsConfig.dracut;
  return new Set([...(dracut?.addDrivers ?? []), ...(dracut?.forceDrivers ?? [])].map(norm));
}

function packageInstalled(facts: LinuxFacts, names: string[]): boolean {
  return facts.packages.installed.some((p) => names.includes(p.name));
}

/** Builds the context for one Linux OS of an inspection and one target. */
export function linuxContext(args: { os: LinuxOs; volumes: VolumeSummary[]; partitioned: boolean; target: Platform; platforms: Platform[]; options?: PlanOptions }): EvaluationContext {
  const { os, target, options = {} } = args;
  const facts = os.facts;
  const at = (path: string): { volume: string; path: string } => resolveGuestPath({ path, root: os.root, mounts: os.mounts });
  const volumes: VolumeInfo[] = args.volumes.map((v) => {
    const fs = v.filesystem as { kind: string; uuid?: string };
    return { id: v.id, kind: fs.kind, ...(fs.uuid !== undefined ? { uuid: fs.uuid } : {}) };
  });

  // Boot storage and kernels.
  const devices = selectableBootStorage(target, options.controllers);
  const bootStorage: DerivedDevice[] = devices.map((d) => ({ id: d.id, name: d.name, default: d.default === true, modules: (d.linux?.modules ?? []).map(norm) }));
  const ordered = kernelsNewestFirst(facts);
  const wanted = facts.boot.defaultEntry?.kernelVersion;
  const defaultVersion = ordered.find((k) => k.version === wanted)?.version ?? ordered[0]?.version;
  const kernels = ordered.map((kernel) => deriveKernel({ kernel, isDefault: kernel.version === defaultVersion, devices, os }));
  const defaultKernel = kernels.find((k) => k.default);

  // Generator configuration for future rebuilds.
  const initramfsConfig: Array<{ generator: string; path: string; guestPath: string; volume: string; modules: string[]; exists: boolean }> = [];
  for (const generator of unique(kernels.filter((k) => k.patchable && k.missing.length > 0).map((k) => k.generator))) {
    const have = configuredModules(facts, generator);
    const modules = unique(kernels.filter((k) => k.patchable && k.generator === generator).flatMap((k) => k.missing)).filter((m) => !have.has(m));
    if (modules.length === 0) continue;
    const guestPath = generator === 'initramfs-tools' ? '/etc/initramfs-tools/modules' : `/etc/dracut.conf.d/90-rehost-${target.id}.conf`;
    const exists = generator === 'initramfs-tools' ? (facts.initramfsConfig.initramfsTools?.files ?? []).includes(guestPath) : (facts.initramfsConfig.dracut?.files ?? []).includes(guestPath);
    initramfsConfig.push({ generator, guestPath, ...at(guestPath), modules, exists });
  }

  // Device names in fstab, crypttab and kernel command lines.
  const fstabDevices: Array<Record<string, unknown>> = [];
  const unmappedDevices: Array<Record<string, unknown>> = [];
  const tables = [
    ...facts.fstab.map((e) => ({ format: 'fstab', guestPath: '/etc/fstab', line: e.line, ref: e.device, what: e.fstype === 'swap' ? 'swap' : e.mountpoint })),
    ...facts.crypttab.map((e) => ({ format: 'crypttab', guestPath: '/etc/crypttab', line: e.line, ref: e.device, what: e.name })),
  ];
  for (const t of tables) {
    if (!['device-path', 'by-path', 'by-id'].includes(t.ref.naming)) continue;
    const mapped = mapDevice({ ref: t.ref, volumes, partitioned: args.partitioned });
    const base = { format: t.format, guestPath: t.guestPath, ...at(t.guestPath), line: t.line, from: t.ref.raw, what: t.what };
    if ('reason' in mapped) unmappedDevices.push({ ...base, reason: mapped.reason });
    else fstabDevices.push({ ...base, to: mapped.to, target: mapped.volume });
  }
  const kernelArgs: Array<Record<string, unknown>> = [];
  const unmappedKernelArgs: Array<Record<string, unknown>> = [];
  const seenArgs = new Set<string>();
  const cmdlines: Array<{ format: string; guestPath: string; cmdline: NonNullable<LinuxFacts['boot']['blsEntries'][number]['cmdline']>; kernelopts?: boolean }> = [];
  const dg = facts.boot.defaultGrub;
  if (dg?.cmdlineLinux !== undefined) cmdlines.push({ format: 'default-grub', guestPath: dg.path, cmdline: dg.cmdlineLinux });
  if (dg?.cmdlineLinuxDefault !== undefined) cmdlines.push({ format: 'default-grub', guestPath: dg.path, cmdline: dg.cmdlineLinuxDefault });
  for (const cfg of facts.boot.grub2) for (const e of cfg.entries) if (e.cmdline !== undefined) cmdlines.push({ format: 'grub-cfg', guestPath: cfg.path, cmdline: e.cmdline });
  for (const e of facts.boot.blsEntries) if (e.cmdline !== undefined && e.file !== undefined) cmdlines.push({ format: 'bls', guestPath: e.file, cmdline: e.cmdline, ...(e.usesKernelopts === true ? { kernelopts: true } : {}) });
  for (const c of cmdlines) {
    for (const arg of ['root', 'resume'] as const) {
      const ref = c.cmdline[arg];
      if (ref === undefined || !['device-path', 'by-path', 'by-id'].includes(ref.naming)) continue;
      const key = `${c.guestPath}\0${arg}\0${ref.raw}`;
      if (seenArgs.has(key)) continue;
      seenArgs.add(key);
      const mapped = mapDevice({ ref, volumes, partitioned: args.partitioned });
      const base = { format: c.format, guestPath: c.guestPath, ...at(c.guestPath), arg, from: ref.raw };
      // A BLS entry whose options say $kernelopts may get root= from grubenv, which no patch kind edits.
      if (c.kernelopts === true) unmappedKernelArgs.push({ ...base, reason: `${c.guestPath} takes its options from grubenv's kernelopts (edit it with grub2-editenv - set kernelopts=…)` });
      else if ('reason' in mapped) unmappedKernelArgs.push({ ...base, reason: mapped.reason });
      else kernelArgs.push({ ...base, to: mapped.to, target: mapped.volume });
    }
  }

  // Files that tie the guest to the old disks.
  const removeFiles: Array<Record<string, unknown>> = [];
  if (facts.lvm.devicesFile) {
    const guestPath = '/etc/lvm/devices/system.devices';
    removeFiles.push({ guestPath, ...at(guestPath), why: `the LVM devices file lists ${facts.lvm.devicesFileEntries ?? 'the'} source disk ID(s); LVM would ignore the volume group on the new disk (RHBZ#2112801)` });
  }
  for (const guestPath of facts.deviceCaches ?? []) {
    removeFiles.push({ guestPath, ...at(guestPath), why: 'a cache of device names and signatures from the source disks; stale on new hardware' });
  }

  // Network interfaces named after the source hardware.
  const udev = packageInstalled(facts, ['udev', 'systemd-udev', 'systemd']) ? 'systemd-udevd' : 'other';
  const pinnedNames = new Set(facts.network.macBindings.map((b) => b.name));
  const nicCandidates = new Map<string, { name: string; scheme: string; method: string; file: string; source: string; mac?: string }>();
  for (const c of facts.network.configs) {
    if (c.name === undefined || /[*?[]/.test(c.name) || !['static', 'dhcp'].includes(c.method)) continue;
    if (c.source === 'netplan' && (c.setName !== undefined || c.mac !== undefined)) continue;
    const scheme = namingScheme(c.name);
    if (!HARDWARE_NAMED.has(scheme) || pinnedNames.has(c.name) || nicCandidates.has(c.name)) continue;
    nicCandidates.set(c.name, { name: c.name, scheme, method: c.method, file: c.file, source: c.source, ...(c.mac !== undefined ? { mac: c.mac } : {}) });
  }
  const nicPins: Array<Record<string, unknown>> = [];
  const nicUnknownMac: Array<Record<string, unknown>> = [];
  const vmMacs = options.vmMacs ?? [];
  for (const nic of [...nicCandidates.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const given = options.macs?.[nic.name];
    const mac = (nic.mac ?? given ?? (nicCandidates.size === 1 && vmMacs.length === 1 ? vmMacs[0] : undefined))?.toLowerCase();
    const macSource = nic.mac !== undefined ? nic.file : given !== undefined ? '--mac' : '--vm descriptor';
    if (mac === undefined) {
      nicUnknownMac.push(nic);
      continue;
    }
    // One file per interface, so that each pin is one whole-file write with its own precondition.
    const guestPath = udev === 'systemd-udevd' ? `/etc/systemd/network/10-rehost-${nic.name}.link` : `/etc/udev/rules.d/70-rehost-net-${nic.name}.rules`;
    nicPins.push({ ...nic, mac, macSource, via: udev === 'systemd-udevd' ? 'systemd-link' : 'udev-rule', guestPath, ...at(guestPath) });
  }

  // Hypervisor tools (whether they matter is the pack's decision, per tool id and target).
  const tools = facts.guestTools.map((t) => ({ id: t.id, name: t.name, hypervisor: t.hypervisor, evidence: t.evidence, packaged: t.evidence.some((e) => e.startsWith('package:')) }));
  // Debian-family systems may carry the systemd package without booting it; systemd-sysv makes it init.
  const init = packageInstalled(facts, facts.packages.format === 'deb' ? ['systemd-sysv'] : ['systemd']) ? 'systemd' : 'sysv';

  // Volumes the patches would write that rehost cannot write.
  const touched = new Map<string, string>();
  const note = (volume: unknown, what: string): void => {
    if (typeof volume === 'string' && !touched.has(volume)) touched.set(volume, what);
  };
  for (const k of kernels) if (k.patchable && k.missing.length > 0) note(k.volume, k.initramfsGuestPath ?? '');
  for (const list of [initramfsConfig, fstabDevices, kernelArgs, removeFiles, nicPins]) for (const x of list as Array<Record<string, unknown>>) note(x.volume, String(x.guestPath));
  const unwritable = [...touched.entries()]
    .map(([id, what]) => ({ volume: id, kind: volumes.find((v) => v.id === id)?.kind ?? 'unknown', what }))
    .filter((v) => !WRITABLE_KINDS.has(v.kind));

  // A platform with no firmware (paravirtual boot only) cannot start this guest's boot loader.
  const gate = firmwareGate({ os, platform: target });
  const derived = {
    target: { id: target.id, name: target.name },
    rootVolume: os.root,
    firmwareBlocked: gate?.cap === 'cannot-boot' ? gate.note : undefined,
    bootStorage,
    bootStorageIds: bootStorage.map((d) => d.id),
    kernels,
    ...(defaultKernel !== undefined ? { defaultKernel } : {}),
    initramfsConfig,
    fstabDevices,
    unmappedDevices,
    kernelArgs,
    unmappedKernelArgs,
    removeFiles,
    nicPins,
    nicUnknownMac,
    tools,
    init,
    udev,
    unwritable,
  };
  return { os: 'linux', facts, target: target as unknown as { id: string }, targetLineage: targetLineage(target, args.platforms), derived: JSON.parse(JSON.stringify(derived)) as Record<string, unknown> };
}
