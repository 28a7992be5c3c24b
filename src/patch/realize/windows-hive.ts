// Realizer for the Windows registry patches (windows-install-driver's hive part,
// windows-service-start, registry-values): every planned change to one hive is applied in
// memory with HiveEditor on the hive as read through the GuestView (its transaction logs
// replayed first), and the result is ONE write-file patch per hive whose `expect` is the
// sha256 of the file read — so apply is atomic per hive and the undo journal restores it.
// Registry layout written (conversion-facts.md §a.3, virt-v2v inject_virtio_win):
//  - <CCS>\Services\<svc>: Type, Start, ErrorControl, Group, ImagePath (EXPAND_SZ),
//    DisplayName, plus the INF's service AddReg below it (HKR = the service key);
//  - before Windows 8: <CCS>\Control\CriticalDeviceDatabase\<BUS#ID> {Service, ClassGUID};
//  - Windows 8 and later: a minimal driver package in the hive root's DriverDatabase:
//    DriverInfFiles\<inf> {(default) MULTI_SZ [label], Active, Configurations MULTI_SZ [conf]},
//    DeviceIds\<BUS>\<ID> {<inf>: REG_BINARY 01 ff 00 00},
//    DriverPackages\<label> {Version: 8-byte header, the class GUID, 24 zero bytes},
//    …\<label>\Configurations\<conf> {ConfigFlags 0, Service}, …\Descriptors\<BUS>\<ID> {Configuration}.
//    virt-v2v names its package guestor.inf for every driver; we name it per service
//    (rehost-<svc>.inf, label rehost-<svc>.inf_<arch>_0000000000000000 in Windows' own label form)
//    so two injected drivers never share one package.
// Preconditions re-checked here: the hive is clean or its logs replay; every key a patch
// changes (other than those it creates) exists; DriverDatabase exists exactly when the plan
// chose it (the Windows version the plan used and the hive agree).

import { PreconditionError } from '../../errors.js';
import { HiveEditor, loadHive, type Hive, type LoadedHive } from '../../registry/index.js';
import { REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_QWORD, REG_SZ, encodeMultiString, encodeRegString } from '../../registry/value-types.js';
import type { PlannedPatch, RegistryValueSpec, WindowsInstallDriver } from '../../rules/types.js';
import type { Patch } from '../types.js';
import { locate, readRegular, stateOf, type Located } from './locate.js';
import type { GuestView } from './types.js';

const HIVE_KINDS = ['windows-install-driver', 'windows-service-start', 'registry-values', 'windows-class-filter-remove'] as const;

export type WindowsHivePlanned = Extract<PlannedPatch, { kind: (typeof HIVE_KINDS)[number] }>;

export function isWindowsHivePlanned(planned: PlannedPatch): planned is WindowsHivePlanned {
  return (HIVE_KINDS as readonly string[]).includes(planned.kind);
}

type FilterRemoval = Extract<WindowsHivePlanned, { kind: 'windows-class-filter-remove' }>;

/**
 * The filter lists after every planned removal, computed from the hive as read (several
 * removals from one list must see each other): key → new MULTI_SZ. A filter that is no
 * longer in its list, or a list that is not a MULTI_SZ, fails the precondition.
 */
function filterLists(args: { hive: Hive; removals: readonly FilterRemoval[] }): Array<{ key: string; list: string; values: string[] }> {
  const lists = new Map<string, { key: string; list: string; values: string[] }>();
  for (const p of args.removals) {
    const key = `${p.controlSet}\\Control\\Class\\${p.classGuid}`;
    const id = `${key.toLowerCase()}\n${p.list}`;
    let entry = lists.get(id);
    if (entry === undefined) {
      const value = args.hive.find(key)?.findValue(p.list);
      if (value === undefined || value.type !== REG_MULTI_SZ) {
        throw new PreconditionError(`${key}\\${p.list} is ${value === undefined ? 'missing' : `a ${value.typeName}, not a REG_MULTI_SZ`}; the plan expected ${p.filter} in it`, { path: key });
      }
      entry = { key, list: p.list, values: value.asStrings() };
      lists.set(id, entry);
    }
    const kept = entry.values.filter((v) => v.toLowerCase() !== p.filter.toLowerCase());
    if (kept.length === entry.values.length) throw new PreconditionError(`${key}\\${p.list} no longer holds ${p.filter}`, { path: key });
    entry.values = kept;
  }
  return [...lists.values()];
}

const TYPE_NUMBERS: Record<RegistryValueSpec['type'], number> = {
  REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD, REG_BINARY,
};

/** A value spec's bytes; PreconditionError when data and type disagree (a bad plan). */
export function encodeValueSpec(spec: RegistryValueSpec): { type: number; data: Uint8Array } {
  const type = TYPE_NUMBERS[spec.type];
  const bad = (): never => {
    throw new PreconditionError(`registry value ${spec.name}: ${JSON.stringify(spec.data)} is not ${spec.type} data`, { kind: 'registry value' });
  };
  if (type === undefined) bad();
  const d = spec.data;
  switch (spec.type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return { type, data: typeof d === 'string' ? encodeRegString(d) : bad() };
    case 'REG_MULTI_SZ':
      return { type, data: Array.isArray(d) ? encodeMultiString(d) : bad() };
    case 'REG_DWORD': {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 0xffffffff) bad();
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, d as number, true);
      return { type, data: out };
    }
    case 'REG_QWORD': {
      if (typeof d !== 'string' || !/^\d+$/.test(d)) bad();
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(d as string)), true);
      return { type, data: out };
    }
    case 'REG_BINARY': {
      if (typeof d !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(d)) bad();
      return { type, data: Uint8Array.from(Buffer.from(d as string, 'hex')) };
    }
  }
  return bad();
}

/** A class GUID "{4D36E97B-E325-11CE-BFC1-08002BE10318}" in its binary (mixed-endian) form. */
export function guidBytes(guid: string): Uint8Array {
  const m = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i.exec(guid);
  if (!m) throw new PreconditionError(`not a GUID: ${guid}`, { kind: 'guid' });
  const le = (hex: string): number[] => [...Buffer.from(hex, 'hex')].reverse();
  return Uint8Array.from([...le(m[1] as string), ...le(m[2] as string), ...le(m[3] as string), ...Buffer.from((m[4] as string) + (m[5] as string), 'hex')]);
}

/** DriverPackages\<label>\Version: 8-byte header, the class GUID, 24 zero bytes (virt-v2v's 48-byte blob). */
export function driverPackageVersion(classGuid: string): Uint8Array {
  const out = new Uint8Array(48);
  out.set([0x00, 0xff, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00], 0);
  out.set(guidBytes(classGuid), 8);
  return out;
}

/** The per-driver package names written into DriverDatabase. */
export function packageNames(args: { service: string; arch: string }): { inf: string; label: string; configuration: string } {
  const inf = `rehost-${args.service.toLowerCase()}.inf`;
  return { inf, label: `${inf}_${args.arch}_0000000000000000`, configuration: `rehost-${args.service.toLowerCase()}_conf` };
}

/** 'PCI\VEN_1AF4&DEV_1001&…' → bus 'PCI' and the rest. */
function splitDeviceId(id: string): { bus: string; rest: string } {
  const at = id.indexOf('\\');
  if (at <= 0 || at === id.length - 1) throw new PreconditionError(`not a device ID: ${id}`, { kind: 'hardware id' });
  return { bus: id.slice(0, at).toUpperCase(), rest: id.slice(at + 1) };
}

function requireKey(args: { editor: HiveEditor; path: string; what: string }): void {
  const { editor, path, what } = args;
  if (editor.hive.find(path) === undefined) throw new PreconditionError(`${what}: registry key ${path} is missing`, { kind: 'registry key', path });
}

function setSpecs(args: { editor: HiveEditor; key: string; values: readonly RegistryValueSpec[] }): void {
  const { editor, key, values } = args;
  for (const spec of values) {
    const { type, data } = encodeValueSpec(spec);
    editor.setValue({ key, name: spec.name, type, data });
  }
}

function applyInstall(editor: HiveEditor, p: WindowsInstallDriver): void {
  const cs = p.controlSet;
  requireKey({ editor, path: `${cs}\\Services`, what: `install ${p.service}` });
  const hasDatabase = editor.hive.find('DriverDatabase') !== undefined;
  if ((p.binding === 'driver-database') !== hasDatabase) {
    throw new PreconditionError(`install ${p.service}: the plan binds through ${p.binding} but the SYSTEM hive ${hasDatabase ? 'has' : 'has no'} DriverDatabase key`, { kind: 'registry key', path: 'DriverDatabase' });
  }
  const service = `${cs}\\Services\\${p.service}`;
  editor.createKey(service);
  const sp = p.serviceParams;
  editor.setDword(service, 'Type', sp.type);
  editor.setDword(service, 'Start', sp.start);
  editor.setDword(service, 'ErrorControl', sp.errorControl);
  if (sp.group !== undefined) editor.setString(service, 'Group', sp.group);
  editor.setExpandString(service, 'ImagePath', sp.imagePath);
  if (sp.displayName !== undefined) editor.setString(service, 'DisplayName', sp.displayName);
  // A StartOverride left from an earlier install would keep the driver from loading at boot.
  editor.deleteKey(`${service}\\StartOverride`);
  for (const sub of p.serviceValues) {
    const key = sub.key === '' ? service : `${service}\\${sub.key}`;
    editor.createKey(key);
    setSpecs({ editor, key, values: sub.values });
  }
  if (p.binding === 'cdd') {
    for (const id of p.hardwareIds) {
      const { bus, rest } = splitDeviceId(id);
      const key = `${cs}\\Control\\CriticalDeviceDatabase\\${bus}#${rest}`;
      editor.createKey(key);
      editor.setString(key, 'Service', p.service);
      editor.setString(key, 'ClassGUID', p.classGuid.toUpperCase());
    }
    return;
  }
  const names = packageNames({ service: p.service, arch: p.arch });
  const infKey = `DriverDatabase\\DriverInfFiles\\${names.inf}`;
  editor.createKey(infKey);
  editor.setMultiString(infKey, '', [names.label]);
  editor.setString(infKey, 'Active', names.label);
  editor.setMultiString(infKey, 'Configurations', [names.configuration]);
  const pkg = `DriverDatabase\\DriverPackages\\${names.label}`;
  editor.createKey(pkg);
  editor.setBinary(pkg, 'Version', driverPackageVersion(p.classGuid));
  const conf = `${pkg}\\Configurations\\${names.configuration}`;
  editor.createKey(conf);
  editor.setDword(conf, 'ConfigFlags', 0);
  editor.setString(conf, 'Service', p.service);
  for (const id of p.hardwareIds) {
    const { bus, rest } = splitDeviceId(id);
    const deviceKey = `DriverDatabase\\DeviceIds\\${bus}\\${rest}`;
    editor.createKey(deviceKey);
    editor.setBinary(deviceKey, names.inf, Uint8Array.from([0x01, 0xff, 0x00, 0x00]));
    const descriptor = `${pkg}\\Descriptors\\${bus}\\${rest}`;
    editor.createKey(descriptor);
    editor.setString(descriptor, 'Configuration', names.configuration);
  }
}

function applyOne(editor: HiveEditor, p: WindowsHivePlanned): void {
  switch (p.kind) {
    case 'windows-install-driver':
      applyInstall(editor, p);
      return;
    case 'windows-service-start': {
      const key = `${p.controlSet}\\Services\\${p.service}`;
      requireKey({ editor, path: key, what: `service ${p.service}` });
      editor.setDword(key, 'Start', p.start);
      if (p.clearStartOverride) editor.deleteKey(`${key}\\StartOverride`);
      return;
    }
    case 'registry-values':
      requireKey({ editor, path: p.key, what: p.rule });
      setSpecs({ editor, key: p.key, values: p.values });
      return;
    case 'windows-class-filter-remove':
      return; // applied together per list (filterLists)
  }
}

function hiveOf(p: WindowsHivePlanned): 'SYSTEM' | 'SOFTWARE' {
  return p.kind === 'registry-values' ? p.hive : 'SYSTEM';
}

const HIVE_LOGS = ['.LOG', '.LOG1', '.LOG2'];

/** A hive of the guest with its transaction logs replayed; refused when they do not replay. */
export async function loadGuestHive(args: { at: Located; label: string }): Promise<{ loaded: LoadedHive; sha256: string }> {
  const { at, label } = args;
  const { content, sha256 } = await readRegular({ at, what: `the ${label} hive` });
  const logs: { label: string; bytes: Uint8Array }[] = [];
  for (const suffix of HIVE_LOGS) {
    const log = { ...at, path: at.path + suffix };
    const state = await stateOf(log);
    if (state === 'absent' || !/^[0-9a-f]{64}$/.test(state)) continue;
    const bytes = await at.fs.readFile(log.path);
    if (bytes.length > 0) logs.push({ label: label + suffix, bytes });
  }
  const loaded = loadHive({ primary: content, logs, label });
  if (loaded.hive.logState === 'unreplayed') {
    throw new PreconditionError(`the ${label} hive is dirty and its transaction logs do not replay; refusing to edit it (boot Windows once and shut it down cleanly)`, { path: at.path });
  }
  return { loaded, sha256 };
}

/** All registry patches of one OS → one write-file per hive that changes. */
export async function realizeWindowsHives(args: { planned: readonly WindowsHivePlanned[]; guest: GuestView }): Promise<Patch[]> {
  const groups = new Map<string, WindowsHivePlanned[]>();
  for (const p of args.planned) {
    const key = JSON.stringify([p.volume, p.systemRoot, hiveOf(p)]);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const out: Patch[] = [];
  for (const [key, planned] of groups) {
    const [volume, systemRoot, hive] = JSON.parse(key) as [string, string, string];
    const path = `${systemRoot}/System32/config/${hive}`;
    const at = await locate({ guest: args.guest, volume, path });
    const { loaded, sha256 } = await loadGuestHive({ at, label: hive });
    const lists = filterLists({ hive: loaded.hive, removals: planned.filter((p): p is FilterRemoval => p.kind === 'windows-class-filter-remove') });
    const editor = new HiveEditor(loaded.hive);
    for (const p of planned) applyOne(editor, p);
    for (const l of lists) editor.setMultiString(l.key, l.list, l.values);
    const s = editor.stats;
    if (s.keysCreated + s.keysDeleted + s.valuesSet + s.valuesDeleted === 0) continue;
    const bytes = editor.commit();
    out.push({
      kind: 'write-file',
      volume: at.volume,
      path: at.path,
      expect: { sha256 },
      content: bytes,
      reason: `${hive} hive: ${unique(planned.map(describe)).join('; ')} (${unique(planned.map((p) => p.rule)).join(', ')})`,
    });
  }
  return out;
}

const unique = <T>(list: T[]): T[] => [...new Set(list)];

function describe(p: WindowsHivePlanned): string {
  switch (p.kind) {
    case 'windows-install-driver':
      return `install ${p.service} (${p.binding})`;
    case 'windows-service-start':
      return `${p.service} Start=${p.start}${p.clearStartOverride ? ' without StartOverride' : ''}`;
    case 'registry-values':
      return `${p.key}: ${p.values.map((v) => v.name).join(', ')}`;
    case 'windows-class-filter-remove':
      return `${p.filter} out of ${p.classGuid} ${p.list}`;
  }
}
