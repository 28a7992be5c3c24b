// Windows verdicts: can this guest drive a target platform's device for one function? The
// reasoning follows how Windows finds its boot disk (conversion-facts.md §a.7, §g.3): the
// storage miniport's service must be boot-start (Start=0) and not demoted by a StartOverride
// (Windows 8+ demotes unused storage drivers to 3 under StartOverride\0), its .sys must be on
// the volume, and the controller's hardware id must map to the service (CriticalDeviceDatabase
// before Windows 8, DriverDatabase\DeviceIds after; an Enum instance of that id bound to the
// service proves the same). Network and display drivers are PnP-started after boot, so for
// them an installed service that is not disabled is enough.

import type { Platform, PlatformDevice } from '../catalog/index.js';
import type { DeviceId, ServiceFacts, WindowsFacts } from '../windows/types.js';
import { WINDOWS_DRIVER_SOURCES, WINDOWS_SERVICE_ALIASES } from './data/windows-driver-sources.js';
import type { DeviceVerdict, VerdictFunction } from './types.js';

/** Build assumed for an inbox driver whose first release the catalog does not record. */
export const ASSUMED_INBOX_SINCE = 6000;

const START_NAMES = ['boot', 'system', 'automatic', 'demand', 'disabled'];

function startName(start: number | undefined): string {
  return start === undefined ? 'missing' : `${start} (${START_NAMES[start] ?? 'unknown'})`;
}

function findService(facts: WindowsFacts, name: string): ServiceFacts | undefined {
  const want = name.toLowerCase();
  // A key without Start is a leftover stub (VMware Tools leaves Services\pvscsi holding only
  // installer bookkeeping): it is not an installed driver.
  return facts.services.find((s) => s.name.toLowerCase() === want && s.start !== undefined);
}

const normGuid = (s: string): string => s.toLowerCase().replace(/[{}]/g, '');

/** Whether a hardware id as Windows stores it names one of this catalog device's ids. */
export function deviceIdMatches(id: DeviceId, device: PlatformDevice): boolean {
  if (id.bus === 'PCI' && id.vendor !== undefined && id.device !== undefined) {
    return (device.pci ?? []).some((p) => p.vendor === id.vendor && p.device === id.device);
  }
  if (id.bus === 'VMBUS' && id.other !== undefined) {
    const guid = normGuid(id.other);
    if (device.vmbusClass !== undefined && guid === normGuid(device.vmbusClass)) return true;
    if (device.vmbusClassPrefix !== undefined && guid.startsWith(device.vmbusClassPrefix.toLowerCase())) return true;
  }
  return false;
}

function sourceFor(service: string): (typeof WINDOWS_DRIVER_SOURCES)[number] | undefined {
  const want = service.toLowerCase();
  return WINDOWS_DRIVER_SOURCES.find((s) => s.services.some((n) => n.toLowerCase() === want));
}

function overrideDisables(service: ServiceFacts): string | undefined {
  const entries = Object.entries(service.startOverride ?? {}).filter(([, v]) => v !== 0);
  return entries.length === 0 ? undefined : entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

/** One device's verdict for a Windows guest. */
export function windowsDeviceVerdict(args: { facts: WindowsFacts; platform: Platform; device: PlatformDevice; fn: VerdictFunction }): DeviceVerdict {
  const verdict = vendorDriverVerdict(args);
  // Every PCI display adapter a hypervisor emulates is VGA-compatible; without its own driver
  // Windows still shows a desktop through the inbox VGA/basic display driver.
  if (args.fn === 'display' && args.device.bus === 'pci' && verdict.verdict === 'cannot-boot') {
    return { ...verdict, verdict: 'boots', evidence: [...verdict.evidence, 'falls back to Windows\' inbox VGA/basic display driver (no acceleration)'] };
  }
  return verdict;
}

function vendorDriverVerdict(args: { facts: WindowsFacts; platform: Platform; device: PlatformDevice; fn: VerdictFunction }): DeviceVerdict {
  const { facts, device, fn } = args;
  const base = { device: device.id, name: device.name, default: device.default === true };
  const evidence: string[] = [];
  const patches: string[] = [];
  const names = device.windows?.services ?? [];
  if (names.length === 0) {
    if (fn === 'display' && device.bus === 'pci') {
      return { ...base, verdict: 'boots', evidence: ['no vendor display driver is listed; a VGA-compatible adapter is driven by Windows\' inbox basic display (vga/BasicDisplay) driver'], patches };
    }
    return { ...base, verdict: 'cannot-boot', evidence: ['the catalog lists no Windows driver for this device'], patches };
  }
  const candidates = names.flatMap((n) => [n, ...(WINDOWS_SERVICE_ALIASES[n.toLowerCase()] ?? [])]);
  const found = candidates.map((n) => findService(facts, n)).find((s) => s !== undefined);
  const build = facts.build ?? 0;

  if (found === undefined) {
    evidence.push(`service ${names.join(' / ')} not installed`);
    const inbox = device.windows?.inbox;
    // The catalog does not always record since when a driver is inbox; Vista/2008 (6000) is
    // then assumed, the oldest release that reorganised the inbox storage and NIC drivers.
    const since = inbox?.sinceBuild ?? ASSUMED_INBOX_SINCE;
    if (inbox?.status === 'inbox' && build >= since) {
      evidence.push(inbox.sinceBuild !== undefined ? `inbox since ${inbox.since ?? `build ${inbox.sinceBuild}`}; guest build ${build}` : `inbox (release not recorded in the catalog; assumed from build ${ASSUMED_INBOX_SINCE}); guest build ${build}`);
      if (fn !== 'boot-storage') return { ...base, verdict: 'boots', evidence: [...evidence, 'Plug and Play installs the inbox driver at first boot'], patches };
      patches.push(`install ${names[0]} from the driver store as a boot-start service and bind the controller id`);
      return { ...base, verdict: 'boots-after-patch', evidence, patches };
    }
    const source = names.map(sourceFor).find((s) => s !== undefined);
    if (source !== undefined && build >= source.minBuild) {
      evidence.push(`driver available from ${source.package} (build ${source.minBuild} and later${source.note ? `; ${source.note}` : ''})`);
      patches.push(`inject ${names[0]} from ${source.package}${fn === 'boot-storage' ? ' as a boot-start service bound to the controller id' : ''}`);
      return { ...base, verdict: 'boots-after-patch', evidence, patches };
    }
    evidence.push(source === undefined ? 'no known driver source' : `${source.package} needs build ${source.minBuild} or later; guest build ${build}`);
    return { ...base, verdict: 'cannot-boot', evidence, patches };
  }

  evidence.push(`service ${found.name}: Start=${startName(found.start)}`);
  const override = overrideDisables(found);
  if (override !== undefined) evidence.push(`StartOverride ${override}`);
  if (found.fileExists === true) evidence.push(`driver file ${found.file ?? found.imagePath ?? ''} present`);
  else if (found.fileExists === false) evidence.push(`driver file ${found.file ?? found.imagePath ?? ''} missing`);
  else evidence.push('driver file presence not known');

  const bindings = facts.driverBindings.filter((b) => deviceIdMatches(b, device));
  const bound = bindings.filter((b) => b.services.some((s) => s.toLowerCase() === found.name.toLowerCase()));
  const seen = facts.devices.filter((d) => deviceIdMatches(d, device) && d.service?.toLowerCase() === found.name.toLowerCase());
  for (const b of bound) evidence.push(`${b.source} binds ${b.id} → ${b.services.join(', ')}`);
  for (const d of seen) evidence.push(`Enum device ${d.id} ran with ${d.service ?? ''}`);
  const ids = (device.pci?.length ?? 0) > 0 || device.vmbusClass !== undefined || device.vmbusClassPrefix !== undefined;
  const inbox = device.windows?.inbox;
  // An inbox INF's hardware ids are in the driver database of every install of that build.
  const inboxHere = inbox?.status === 'inbox' && build >= (inbox.sinceBuild ?? 0);
  if (inboxHere && bound.length === 0 && seen.length === 0) evidence.push(`inbox driver: its INF maps the controller id (since ${inbox.since ?? 'all supported releases'})`);

  if (found.start === 4) patches.push(`enable ${found.name} (Start=4 disabled)`);
  if (found.fileExists === false) patches.push(`restore ${found.file ?? found.name} from the driver store or ${sourceFor(found.name)?.package ?? 'the vendor package'}`);
  if (fn === 'boot-storage') {
    if (found.start !== 0) patches.push(`set ${found.name} Start=0 (boot)`);
    if (override !== undefined) patches.push(`remove ${found.name}\\StartOverride`);
    if (ids && !inboxHere && bound.length === 0 && seen.length === 0) {
      patches.push(`bind ${device.pci?.[0] ? `PCI\\VEN_${device.pci[0].vendor}&DEV_${device.pci[0].device}` : `VMBUS\\{${device.vmbusClass ?? device.vmbusClassPrefix ?? ''}}`} to ${found.name} (${build >= 9200 ? 'DriverDatabase' : 'CriticalDeviceDatabase'})`);
    }
  }
  return { ...base, verdict: patches.length === 0 ? 'boots' : 'boots-after-patch', evidence, patches };
}
