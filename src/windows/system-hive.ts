// Facts from the SYSTEM hive: control set in use, hostname, time zone and RTC mode, services
// and drivers, class filters, driver bindings (CriticalDeviceDatabase, DriverDatabase), device
// instances seen (Enum), machine identity (HardwareConfig), network class keys and TCP/IP
// settings, ProductOptions, Fast Startup, pending renames, MountedDevices.
// Paths: shared/reference/conversion-facts.md §a.2, §c.2, §f.2, §g.3, checked against the
// corpus SYSTEM hives (XP, 7, 10 ×2). Offline hives have no CurrentControlSet: it is resolved
// through Select\Current by the registry layer. Every read goes through values.ts, so a value
// of the wrong type is a warning and never a crash.

import type { Diagnostics } from '../diagnostics.js';
import { currentControlSetName, filetimeToDate, type Hive, type Key } from '../registry/index.js';
import { parseDeviceId } from './device-id.js';
import type { ClassFilters, DeviceInstance, DriverBinding, MachineIdentity, NetworkAdapter, ServiceFacts, TcpipInterface } from './types.js';
import { findKey, findValue, keyName, readBinary, readNumber, readString, readStrings, subkeys, values, type ValueReader } from './values.js';
import { REG_DWORD, REG_NONE, REG_QWORD } from '../registry/index.js';

export const CLASS_DISK = '{4D36E967-E325-11CE-BFC1-08002BE10318}';
export const CLASS_SCSI_ADAPTER = '{4D36E97B-E325-11CE-BFC1-08002BE10318}';
export const CLASS_HDC = '{4D36E96A-E325-11CE-BFC1-08002BE10318}';
export const CLASS_NET = '{4D36E972-E325-11CE-BFC1-08002BE10318}';
export const CLASS_KEYBOARD = '{4D36E96B-E325-11CE-BFC1-08002BE10318}';
export const CLASS_MOUSE = '{4D36E96F-E325-11CE-BFC1-08002BE10318}';
/** Classes always reported (storage: a broken filter stops the boot disk; network; the input
 *  classes hypervisor tools filter); any other class is reported when it has filters. */
export const FILTER_CLASSES = [CLASS_DISK, CLASS_SCSI_ADAPTER, CLASS_HDC, CLASS_NET, CLASS_KEYBOARD, CLASS_MOUSE];
export const ENUM_BUSES = ['PCI', 'VMBUS', 'SCSI', 'ACPI'];

// Loop bounds: far above anything Windows writes, low enough that a hostile hive cannot make
// inspection quadratic.
const MAX_DEVICE_IDS = 200_000;
const MAX_DEPTH = 6;
const MAX_CLASSES = 10_000;

export interface SystemHiveFacts {
  controlSet?: string;
  hostname?: string;
  timeZone?: string;
  realTimeIsUniversal: boolean;
  machine?: MachineIdentity;
  services: ServiceFacts[];
  classFilters: ClassFilters[];
  driverBindings: DriverBinding[];
  devices: DeviceInstance[];
  network: NetworkAdapter[];
  productOptions: { productType?: string; productSuite?: string[]; osProductPfn?: string; osProductContentId?: string };
  hiberbootEnabled?: boolean;
  pendingFileRenameOperations: string[];
  /** \DosDevices\X: → raw value bytes (hex), for drive-letter matching. */
  mountedDevices: { letter: string; data: Uint8Array }[];
  processorArchitecture?: string;
}

export function readSystemHive(input: { hive: Hive; diagnostics: Diagnostics }): SystemHiveFacts {
  const r: ValueReader = { diagnostics: input.diagnostics };
  const hive = input.hive;
  const root = hive.root();
  const controlSet = safe(r, () => currentControlSetName(hive));
  const ccs = controlSet === undefined ? undefined : findKey(r, root, controlSet);
  if (ccs === undefined) input.diagnostics.report({ severity: 'warning', code: 'WINDOWS_NO_CONTROL_SET', message: `the control set ${controlSet ?? '(Select\\Current missing)'} is not in the SYSTEM hive` });
  const control = findKey(r, ccs, 'Control');
  const services = findKey(r, ccs, 'Services');

  const tz = findKey(r, control, 'TimeZoneInformation');
  const sessionManager = findKey(r, control, 'Session Manager');
  const productOptionsKey = findKey(r, control, 'ProductOptions');
  const hiberboot = readNumber(r, findKey(r, sessionManager, 'Power'), 'HiberbootEnabled');

  return {
    controlSet,
    hostname: readString(r, findKey(r, services, 'Tcpip\\Parameters'), 'Hostname') ?? readString(r, findKey(r, control, 'ComputerName\\ComputerName'), 'ComputerName'),
    timeZone: readString(r, tz, 'TimeZoneKeyName') ?? readString(r, tz, 'StandardName'),
    realTimeIsUniversal: realTimeIsUniversal(r, tz),
    machine: machineIdentity(r, root),
    services: readServices(r, services),
    classFilters: allClassFilters(r, control),
    driverBindings: [...criticalDevices(r, control), ...driverDatabase(r, root)],
    devices: enumDevices(r, findKey(r, ccs, 'Enum')),
    network: networkAdapters(r, control, services),
    productOptions: {
      productType: readString(r, productOptionsKey, 'ProductType'),
      productSuite: readStrings(r, productOptionsKey, 'ProductSuite'),
      osProductPfn: readString(r, productOptionsKey, 'OSProductPfn'),
      osProductContentId: readString(r, productOptionsKey, 'OSProductContentId'),
    },
    hiberbootEnabled: hiberboot === undefined ? undefined : hiberboot !== 0,
    pendingFileRenameOperations: readStrings(r, sessionManager, 'PendingFileRenameOperations') ?? [],
    mountedDevices: mountedDevices(r, findKey(r, root, 'MountedDevices')),
    processorArchitecture: readString(r, findKey(r, control, 'Session Manager\\Environment'), 'PROCESSOR_ARCHITECTURE'),
  };
}

function safe<T>(r: ValueReader, f: () => T): T | undefined {
  try {
    return f();
  } catch (error) {
    r.diagnostics.report({ severity: 'warning', code: 'WINDOWS_HIVE', message: (error as Error).message });
    return undefined;
  }
}

/** virt-v2v's rule (conversion-facts §a.2): DWORD/QWORD 1 → UTC, REG_NONE → localtime, other types → UTC with a warning, absent → localtime. */
function realTimeIsUniversal(r: ValueReader, tz: Key | undefined): boolean {
  const value = tz === undefined ? undefined : safe(r, () => tz.findValue('RealTimeIsUniversal'));
  if (value === undefined) return false;
  const type = safe(r, () => value.type);
  if (type === REG_NONE) return false;
  if (type === REG_DWORD || type === REG_QWORD) return readNumber(r, tz, 'RealTimeIsUniversal') === 1;
  r.diagnostics.report({ severity: 'warning', code: 'WINDOWS_VALUE', message: `RealTimeIsUniversal has type ${type}; taken as UTC, as virt-v2v does` });
  return true;
}

function machineIdentity(r: ValueReader, root: Key): MachineIdentity | undefined {
  const hardwareConfig = findKey(r, root, 'HardwareConfig');
  const last = readString(r, hardwareConfig, 'LastConfig');
  if (last === undefined) return undefined;
  const config = findKey(r, hardwareConfig, last);
  if (config === undefined) return { configId: last };
  return {
    configId: last,
    systemManufacturer: readString(r, config, 'SystemManufacturer'),
    systemProductName: readString(r, config, 'SystemProductName'),
    systemVersion: readString(r, config, 'SystemVersion'),
    biosVendor: readString(r, config, 'BIOSVendor'),
    biosVersion: readString(r, config, 'BIOSVersion'),
    biosReleaseDate: readString(r, config, 'BIOSReleaseDate'),
  };
}

function readServices(r: ValueReader, services: Key | undefined): ServiceFacts[] {
  const out: ServiceFacts[] = [];
  for (const key of subkeys(r, services)) {
    const name = keyName(r, key);
    if (name === '') continue;
    const service: ServiceFacts = {
      name,
      start: readNumber(r, key, 'Start'),
      type: readNumber(r, key, 'Type'),
      group: readString(r, key, 'Group'),
      imagePath: readString(r, key, 'ImagePath'),
      errorControl: readNumber(r, key, 'ErrorControl'),
    };
    const override = findKey(r, key, 'StartOverride');
    if (override !== undefined) {
      service.startOverride = {};
      for (const value of values(r, override)) {
        const number = readNumber(r, override, value.name);
        if (number !== undefined) service.startOverride[value.name] = number;
      }
    }
    out.push(service);
  }
  return out;
}

/** FILTER_CLASSES always (empty lists when unset), then every other class that has filters. */
function allClassFilters(r: ValueReader, control: Key | undefined): ClassFilters[] {
  const out = FILTER_CLASSES.map((guid) => classFilters(r, control, guid));
  const known = new Set(FILTER_CLASSES.map((g) => g.toUpperCase()));
  for (const key of subkeys(r, findKey(r, control, 'Class')).slice(0, MAX_CLASSES)) {
    const guid = keyName(r, key);
    if (known.has(guid.toUpperCase())) continue;
    const filters = classFilters(r, control, guid);
    if (filters.upperFilters.length + filters.lowerFilters.length > 0) out.push(filters);
  }
  return out;
}

function classFilters(r: ValueReader, control: Key | undefined, guid: string): ClassFilters {
  const key = findKey(r, control, `Class\\${guid}`);
  return {
    classGuid: guid,
    className: readString(r, key, 'Class'),
    upperFilters: readStrings(r, key, 'UpperFilters') ?? [],
    lowerFilters: readStrings(r, key, 'LowerFilters') ?? [],
  };
}

function criticalDevices(r: ValueReader, control: Key | undefined): DriverBinding[] {
  const out: DriverBinding[] = [];
  for (const key of subkeys(r, findKey(r, control, 'CriticalDeviceDatabase'))) {
    const name = keyName(r, key);
    const service = readString(r, key, 'Service');
    out.push({ ...parseDeviceId(name), source: 'CriticalDeviceDatabase', infs: [], packages: [], services: service ? [service] : [], classGuid: readString(r, key, 'ClassGUID') });
  }
  return out;
}

/** DriverDatabase\DeviceIds\<bus>\<id…> holds one value per INF ("viostor.inf"); INF → services through DriverInfFiles\<inf>\Active → DriverPackages\<pkg>\Configurations\* (its Service value and Services\* subkeys). */
function driverDatabase(r: ValueReader, root: Key): DriverBinding[] {
  const database = findKey(r, root, 'DriverDatabase');
  const deviceIds = findKey(r, database, 'DeviceIds');
  if (deviceIds === undefined) return [];
  const servicesOfInf = new Map<string, string[]>();
  const packageOfInf = new Map<string, string>();
  const infServices = (inf: string): string[] => {
    const hit = servicesOfInf.get(inf.toLowerCase());
    if (hit) return hit;
    const active = readString(r, findKey(r, database, `DriverInfFiles\\${inf}`), 'Active');
    if (active) packageOfInf.set(inf.toLowerCase(), active);
    const found = new Set<string>();
    if (active) {
      for (const configuration of subkeys(r, findKey(r, database, `DriverPackages\\${active}\\Configurations`))) {
        // The configuration's own Service value is the function driver it binds; Services\*
        // are the services its INF installs.
        const functionDriver = readString(r, configuration, 'Service');
        if (functionDriver) found.add(functionDriver);
        for (const service of subkeys(r, findKey(r, configuration, 'Services'))) found.add(keyName(r, service));
      }
    }
    const list = [...found].filter((s) => s !== '').sort();
    servicesOfInf.set(inf.toLowerCase(), list);
    return list;
  };
  const out: DriverBinding[] = [];
  const seen = new Set<number>();
  const walk = (key: Key, path: string, depth: number): void => {
    if (depth > MAX_DEPTH || out.length >= MAX_DEVICE_IDS || seen.has(key.offset)) return;
    seen.add(key.offset);
    const infs = values(r, key).map((v) => safe(r, () => v.name) ?? '').filter((n) => /\.inf$/i.test(n));
    if (infs.length > 0 && path !== '') {
      const services = [...new Set(infs.flatMap(infServices))].sort();
      const packages = infs.map((inf) => packageOfInf.get(inf.toLowerCase())).filter((p): p is string => p !== undefined);
      out.push({ ...parseDeviceId(path), source: 'DriverDatabase', infs, packages, services });
    }
    for (const child of subkeys(r, key)) walk(child, path === '' ? keyName(r, child) : `${path}\\${keyName(r, child)}`, depth + 1);
  };
  walk(deviceIds, '', 0);
  if (out.length >= MAX_DEVICE_IDS) r.diagnostics.report({ severity: 'warning', code: 'WINDOWS_LIMIT', message: `DriverDatabase\\DeviceIds: stopped after ${MAX_DEVICE_IDS} ids` });
  return out;
}

function enumDevices(r: ValueReader, enumKey: Key | undefined): DeviceInstance[] {
  const out: DeviceInstance[] = [];
  for (const bus of ENUM_BUSES) {
    for (const device of subkeys(r, findKey(r, enumKey, bus))) {
      const deviceName = keyName(r, device);
      for (const instance of subkeys(r, device)) {
        const hardwareIds = readStrings(r, instance, 'HardwareID') ?? [];
        const id = `${bus}\\${deviceName}`;
        const description = readString(r, instance, 'DeviceDesc');
        const lastWritten = safe(r, () => filetimeToDate(instance.lastWritten).toISOString());
        const dates = findKey(r, instance, `Properties\\${DEVPKEY_DATES}`);
        out.push({
          ...parseDeviceId(id),
          instance: keyName(r, instance),
          hardwareIds,
          service: readString(r, instance, 'Service'),
          classGuid: readString(r, instance, 'ClassGUID'),
          // "@oem3.inf,%desc%;VMware PVSCSI Controller": the text after ';' is the display name.
          description: description?.includes(';') ? description.slice(description.lastIndexOf(';') + 1) : description,
          lastWritten,
          firstInstall: devpropFiletime(r, findKey(r, dates, '0065')),
          lastArrival: devpropFiletime(r, findKey(r, dates, '0066')),
        });
      }
    }
  }
  return out;
}

// Device property set of install/arrival dates (Windows 8+): 0065 FirstInstallDate,
// 0066 LastArrivalDate, each the default value of type DEVPROP_TYPE_FILETIME (0xFFFF0010).
const DEVPKEY_DATES = '{83da6326-97a6-4088-9453-a1923f573b29}';
const DEVPROP_TYPE_FILETIME = 0xffff0010;

function devpropFiletime(r: ValueReader, key: Key | undefined): string | undefined {
  const value = findValue(r, key, '');
  if (value === undefined || key === undefined) return undefined;
  const bytes = readBinary(r, key, '');
  if (bytes === undefined) return undefined;
  if (safe(r, () => value.type) !== DEVPROP_TYPE_FILETIME || bytes.length !== 8) {
    r.diagnostics.report({ severity: 'warning', code: 'WINDOWS_VALUE', message: `${key.path}: expected an 8-byte DEVPROP FILETIME` });
    return undefined;
  }
  const filetime = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  const date = filetimeToDate(filetime);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function networkAdapters(r: ValueReader, control: Key | undefined, services: Key | undefined): NetworkAdapter[] {
  const out: NetworkAdapter[] = [];
  const interfaces = findKey(r, services, 'Tcpip\\Parameters\\Interfaces');
  for (const key of subkeys(r, findKey(r, control, `Class\\${CLASS_NET}`))) {
    const classKey = keyName(r, key);
    if (!/^\d{4}$/.test(classKey)) continue;
    const id = readString(r, key, 'NetCfgInstanceId');
    const adapter: NetworkAdapter = {
      classKey,
      netCfgInstanceId: id,
      driverDesc: readString(r, key, 'DriverDesc'),
      componentId: readString(r, key, 'ComponentId') ?? readString(r, key, 'MatchingDeviceId'),
      service: readString(r, findKey(r, key, 'Ndi'), 'Service'),
      networkAddress: readString(r, key, 'NetworkAddress'),
    };
    if (id !== undefined) {
      adapter.connectionName = readString(r, findKey(r, control, `Network\\${CLASS_NET}\\${id}\\Connection`), 'Name');
      const tcpip = findKey(r, interfaces, id);
      if (tcpip !== undefined) adapter.tcpip = tcpipInterface(r, tcpip, id);
    }
    out.push(adapter);
  }
  return out;
}

function tcpipInterface(r: ValueReader, key: Key, id: string): TcpipInterface {
  const list = (name: string): string[] => (readStrings(r, key, name) ?? []).flatMap((s) => s.split(/[ ,]+/)).filter((s) => s !== '' && s !== '0.0.0.0');
  const dhcp = readNumber(r, key, 'EnableDHCP');
  return {
    interfaceId: id,
    dhcp: dhcp === undefined ? undefined : dhcp !== 0,
    ipAddresses: list('IPAddress'),
    subnetMasks: list('SubnetMask'),
    gateways: list('DefaultGateway'),
    nameServers: list('NameServer'),
    dhcpIpAddress: readString(r, key, 'DhcpIPAddress'),
    domain: readString(r, key, 'Domain') || undefined,
  };
}

function mountedDevices(r: ValueReader, key: Key | undefined): { letter: string; data: Uint8Array }[] {
  const out: { letter: string; data: Uint8Array }[] = [];
  for (const value of values(r, key)) {
    const name = safe(r, () => value.name) ?? '';
    const match = /^\\DosDevices\\([A-Za-z]):$/.exec(name);
    if (!match) continue;
    const data = readBinary(r, key, name);
    if (data !== undefined) out.push({ letter: `${(match[1] as string).toUpperCase()}:`, data: data.slice() });
  }
  return out.sort((a, b) => a.letter.localeCompare(b.letter));
}
