// What Windows would install from a device INF on one guest OS, per hardware ID: the Models
// section it picks (best applicable TargetOSVersion decoration of each [Manufacturer] entry),
// the DDInstall section with its platform extension (.NT<arch>, then .NT, then none), the
// files its CopyFiles directives copy (file-list sections and @file, destinations from
// [DestinationDirs], sources from [SourceDisksFiles]/[SourceDisksNames], arch-decorated first),
// the services its .Services section adds (AddService with the service-install section's
// ServiceType/StartType/ErrorControl/ServiceBinary/LoadOrderGroup/Dependencies/AddReg), and
// the AddReg of the install and .HW sections. Include=/Needs= (sections of other INFs, such
// as the inbox machine.inf) are listed, not followed.

import type { DriverInf } from './driver-inf.js';
import { readModels } from './driver-inf.js';
import type { InfDocument } from './document.js';
import { readAddReg } from './addreg.js';
import { diridGuestPath, diridImagePath, type DiridContext } from './dirids.js';
import { parseInfNumber } from './numbers.js';
import { compareTargets, platformExtensions, targetApplies } from './target-os.js';
import type { DriverVer, InfArch, InfLine, InfOs, InfRegEntry, TargetOsVersion } from './types.js';

export interface InfFileCopy {
  /** File name as installed. */
  name: string;
  /** File name on the source media. */
  sourceName: string;
  /** Path of the source file relative to the INF's folder, '/'-separated. */
  sourcePath: string;
  /** The dirid and subdirectory from [DestinationDirs]. */
  dirid: number;
  subdir?: string;
  /** Destination path on the system volume ('/Windows/System32/drivers/viostor.sys'). */
  guestPath?: string;
  /** The CopyFiles flags field (COPYFLG_*). */
  flags: number;
  /** The file-list section, or '@' for the direct form. */
  section: string;
}

export interface InfServiceBinary {
  /** As written, strings substituted, dirid kept (`%12%\viostor.sys`). */
  written: string;
  dirid?: number;
  /** What Windows writes to ImagePath (`\SystemRoot\System32\drivers\viostor.sys`). */
  imagePath?: string;
  guestPath?: string;
}

export interface InfService {
  name: string;
  /** AddService flags (0x2 = SPSVCINST_ASSOCSERVICE: the device's function driver). */
  flags: number;
  functionDriver: boolean;
  installSection: string;
  eventLogSection?: string;
  displayName?: string;
  description?: string;
  serviceType?: number;
  startType?: number;
  errorControl?: number;
  loadOrderGroup?: string;
  dependencies?: string[];
  startName?: string;
  binary?: InfServiceBinary;
  /** HKR here is the service key (Services\<name>). */
  addReg: InfRegEntry[];
}

export interface InfInstall {
  hardwareId: string;
  compatibleIds: string[];
  description: string;
  /** The install section as written in the Models line. */
  installSection: string;
  /** The section Windows uses (with its platform extension), e.g. `scsi_inst.NTamd64`. */
  resolvedSection: string;
  /** Whether the install section exists at all. */
  found: boolean;
  files: InfFileCopy[];
  services: InfService[];
  addReg: InfRegEntry[];
  hwAddReg: InfRegEntry[];
  include: string[];
  needs: string[];
  /** KMDF bindings from the `.Wdf` section: the framework version each service needs
   *  (Windows records it as Services\<service>\Parameters\Wdf\KmdfLibraryVersion). */
  wdf: Array<{ service: string; section: string; kmdfLibraryVersion?: string }>;
  driverVer?: DriverVer;
}

export interface InstallSelection {
  manufacturer: string;
  /** The Models section Windows reads, with its decoration. */
  modelsSection: string;
  decoration?: TargetOsVersion;
  catalogFile?: string;
  installs: InfInstall[];
}

export interface SelectInstallArgs {
  inf: DriverInf;
  os: InfOs;
  /** %SystemRoot% on the system volume (default '/Windows'). */
  systemRoot?: string;
  /** Driver store folder name for dirid 13 (default `<inf>_<arch>_0000000000000000`). */
  driverStoreName?: string;
}

export function archDecoration(arch: InfArch): string {
  return `nt${arch}`;
}

/** The Models sections Windows reads for `os`, one per [Manufacturer] entry that applies. */
export function selectInstall(args: SelectInstallArgs): InstallSelection[] {
  const { inf, os } = args;
  const doc = inf.doc;
  const infBase = (doc.path?.split(/[\\/]/).pop() ?? 'driver.inf').toLowerCase();
  const context: DiridContext = { systemRoot: args.systemRoot ?? '/Windows', driverStoreName: args.driverStoreName ?? `${infBase}_${os.arch}_0000000000000000` };
  const out: InstallSelection[] = [];
  const installCache = new Map<string, Omit<InfInstall, 'hardwareId' | 'compatibleIds' | 'description'>>();
  for (const m of inf.manufacturers) {
    const applicable = m.decorations.filter((d) => targetApplies(d, os)).sort(compareTargets);
    let section: string | undefined;
    let decoration: TargetOsVersion | undefined;
    if (applicable.length > 0) {
      decoration = applicable[0];
      section = `${m.modelsSection}.${decoration?.text}`;
    } else if (os.arch === 'x86') {
      // x86 may use the undecorated Models section.
      section = m.modelsSection;
    }
    if (section === undefined) continue;
    if (!doc.hasSection(section)) {
      doc.warn('inf-missing-models', `Models section [${section}] named by [Manufacturer] does not exist`);
      continue;
    }
    const installs: InfInstall[] = [];
    for (const model of readModels(doc, section)) {
      const key = model.installSection.toLowerCase();
      let body = installCache.get(key);
      if (!body) {
        body = readInstall({ doc, name: model.installSection, os, context });
        installCache.set(key, body);
      }
      installs.push({ hardwareId: model.hardwareId, compatibleIds: model.compatibleIds, description: model.description, ...body });
    }
    const catalogFile = inf.version.catalogFiles[archDecoration(os.arch)] ?? inf.version.catalogFiles.nt ?? inf.version.catalogFile;
    out.push({ manufacturer: m.name, modelsSection: section, ...(decoration ? { decoration } : {}), ...(catalogFile !== undefined ? { catalogFile } : {}), installs });
  }
  return out;
}

function resolveSection(doc: InfDocument, name: string, arch: InfArch): { resolved: string; found: boolean } {
  for (const ext of platformExtensions(arch)) {
    if (doc.hasSection(name + ext)) return { resolved: doc.section(name + ext)?.name ?? name + ext, found: true };
  }
  return { resolved: name, found: false };
}

function listValues(doc: InfDocument, section: string, key: string): Array<{ value: string; line: InfLine }> {
  return doc.entries(section, key).flatMap((line) => line.values.filter((v) => v !== '').map((value) => ({ value, line })));
}

function readInstall(args: { doc: InfDocument; name: string; os: InfOs; context: DiridContext }): Omit<InfInstall, 'hardwareId' | 'compatibleIds' | 'description'> {
  const { doc, name, os, context } = args;
  const { resolved, found } = resolveSection(doc, name, os.arch);
  if (!found) doc.warn('inf-missing-install', `install section [${name}] does not exist (tried ${platformExtensions(os.arch).map((e) => name + e).join(', ')})`);
  const files: InfFileCopy[] = [];
  for (const { value, line } of listValues(doc, resolved, 'CopyFiles')) files.push(...copyFiles({ doc, value, line, os, context }));
  const services = found ? readServices({ doc, section: `${resolved}.Services`, context }) : [];
  const addReg = readAddReg(doc, listValues(doc, resolved, 'AddReg').map((v) => v.value));
  const hwAddReg = doc.hasSection(`${resolved}.HW`) ? readAddReg(doc, listValues(doc, `${resolved}.HW`, 'AddReg').map((v) => v.value)) : [];
  const driverVerLine = doc.entry(resolved, 'DriverVer');
  const out: Omit<InfInstall, 'hardwareId' | 'compatibleIds' | 'description'> = {
    installSection: name,
    resolvedSection: resolved,
    found,
    files,
    services,
    addReg,
    hwAddReg,
    include: listValues(doc, resolved, 'Include').map((v) => v.value),
    needs: listValues(doc, resolved, 'Needs').map((v) => v.value),
    wdf: doc.entries(`${resolved}.Wdf`, 'KmdfService').map((line) => {
      const service = doc.expand(line.values[0] ?? '', {}, line);
      const section = line.values[1] ?? '';
      const version = section !== '' ? doc.entry(section, 'KmdfLibraryVersion') : undefined;
      return { service, section, ...(version ? { kmdfLibraryVersion: doc.expand(version.values[0] ?? '', {}, version) } : {}) };
    }),
  };
  if (driverVerLine) out.driverVer = { date: driverVerLine.values[0] ?? '', ...(driverVerLine.values[1] ? { version: driverVerLine.values[1] } : {}) };
  return out;
}

function destinationFor(doc: InfDocument, section: string): { dirid: number; subdir?: string } {
  const line = doc.entry('DestinationDirs', section) ?? doc.entry('DestinationDirs', 'DefaultDestDir');
  if (!line) {
    // SetupAPI's default destination is the system directory.
    doc.warn('inf-no-destination', `no [DestinationDirs] entry for ${section} and no DefaultDestDir; using dirid 11`);
    return { dirid: 11 };
  }
  const dirid = parseInfNumber(doc.expand(line.values[0] ?? '', {}, line));
  if (dirid === undefined) {
    doc.warn('inf-bad-dirid', `[DestinationDirs] ${line.key} = ${line.values[0]} is not a dirid number`, line);
    return { dirid: 11 };
  }
  const subdir = line.values[1] !== undefined && line.values[1] !== '' ? doc.expand(line.values[1], {}, line) : undefined;
  return { dirid, ...(subdir !== undefined ? { subdir } : {}) };
}

function sourcePathOf(doc: InfDocument, fileName: string, arch: InfArch): string {
  const arches = arch === 'x86' ? ['x86'] : [arch];
  const lookup = (base: string, key: string) => {
    for (const a of arches) {
      const hit = doc.entry(`${base}.${a}`, key);
      if (hit) return hit;
    }
    return doc.entry(base, key);
  };
  const file = lookup('SourceDisksFiles', fileName);
  if (!file) {
    doc.warn('inf-file-not-in-sourcedisksfiles', `${fileName} is not listed in [SourceDisksFiles]; assuming it is next to the INF`);
    return fileName;
  }
  const diskId = file.values[0] ?? '';
  const subdir = doc.expand(file.values[1] ?? '', {}, file);
  const disk = diskId !== '' ? lookup('SourceDisksNames', diskId) : undefined;
  if (diskId !== '' && !disk) doc.warn('inf-unknown-disk', `[SourceDisksFiles] ${fileName} names disk ${diskId}, which [SourceDisksNames] lacks`, file);
  const diskPath = disk ? doc.expand(disk.values[3] ?? '', {}, disk) : '';
  return [diskPath, subdir, fileName]
    .join('\\')
    .split(/[\\/]+/)
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

function copyFiles(args: { doc: InfDocument; value: string; line: InfLine; os: InfOs; context: DiridContext }): InfFileCopy[] {
  const { doc, value, line, os, context } = args;
  const entries: Array<{ name: string; sourceName: string; flags: number; section: string }> = [];
  let destinationSection: string;
  if (value.startsWith('@')) {
    const name = doc.expand(value.slice(1), {}, line);
    entries.push({ name, sourceName: name, flags: 0, section: '@' });
    destinationSection = 'DefaultDestDir';
  } else {
    const section = doc.section(value);
    if (!section) {
      doc.warn('inf-missing-section', `CopyFiles section [${value}] does not exist`, line);
      return [];
    }
    destinationSection = section.name;
    for (const l of section.lines) {
      const fields = l.key !== undefined ? [l.key, ...l.values] : l.values;
      const name = doc.expand(fields[0] ?? '', {}, l);
      if (name === '') continue;
      const source = fields[1] !== undefined && fields[1] !== '' ? doc.expand(fields[1], {}, l) : name;
      entries.push({ name, sourceName: source, flags: parseInfNumber(fields[3]) ?? 0, section: section.name });
    }
  }
  const { dirid, subdir } = destinationFor(doc, destinationSection);
  return entries.map((e) => {
    const guestPath = diridGuestPath({ dirid, ...(subdir !== undefined ? { subdir } : {}), context });
    return {
      name: e.name,
      sourceName: e.sourceName,
      sourcePath: sourcePathOf(doc, e.sourceName, os.arch),
      dirid,
      ...(subdir !== undefined ? { subdir } : {}),
      ...(guestPath !== undefined ? { guestPath: `${guestPath === '/' ? '' : guestPath}/${e.name}` } : {}),
      flags: e.flags,
      section: e.section,
    };
  });
}

function readServices(args: { doc: InfDocument; section: string; context: DiridContext }): InfService[] {
  const { doc, section, context } = args;
  const out: InfService[] = [];
  for (const line of doc.entries(section, 'AddService')) {
    const [name = '', rawFlags = '', installSection = '', eventLog = ''] = line.values;
    const flagText = doc.expand(rawFlags, {}, line).trim();
    if (name === '' || installSection === '') {
      doc.warn('inf-bad-addservice', `AddService on line ${line.line} lacks a service name or install section`, line);
      continue;
    }
    const flags = flagText === '' ? 0 : parseInfNumber(flagText);
    if (flags === undefined) doc.warn('inf-bad-flags', `AddService flags "${flagText}" are not a number`, line);
    const service: InfService = {
      name: doc.expand(name, {}, line),
      flags: flags ?? 0,
      functionDriver: ((flags ?? 0) & 0x2) !== 0,
      installSection,
      ...(eventLog !== '' ? { eventLogSection: eventLog } : {}),
      addReg: [],
    };
    if (!doc.hasSection(installSection)) {
      doc.warn('inf-missing-section', `service install section [${installSection}] does not exist`, line);
      out.push(service);
      continue;
    }
    const text = (key: string) => {
      const l = doc.entry(installSection, key);
      return l ? doc.expand(l.text, {}, l) : undefined;
    };
    const num = (key: string) => {
      const l = doc.entry(installSection, key);
      if (!l) return undefined;
      const v = parseInfNumber(doc.expand(l.values[0] ?? '', {}, l));
      if (v === undefined) doc.warn('inf-bad-number', `${key} = ${l.values[0]} is not a number`, l);
      return v;
    };
    const displayName = text('DisplayName');
    const description = text('Description');
    const serviceType = num('ServiceType');
    const startType = num('StartType');
    const errorControl = num('ErrorControl');
    const loadOrderGroup = text('LoadOrderGroup');
    const startName = text('StartName');
    const depLine = doc.entry(installSection, 'Dependencies');
    const binLine = doc.entry(installSection, 'ServiceBinary');
    if (displayName !== undefined) service.displayName = displayName;
    if (description !== undefined) service.description = description;
    if (serviceType !== undefined) service.serviceType = serviceType;
    if (startType !== undefined) service.startType = startType;
    if (errorControl !== undefined) service.errorControl = errorControl;
    if (loadOrderGroup !== undefined) service.loadOrderGroup = loadOrderGroup;
    if (startName !== undefined) service.startName = startName;
    if (depLine) service.dependencies = depLine.values.filter((v) => v !== '').map((v) => doc.expand(v, {}, depLine));
    if (binLine) service.binary = serviceBinary(doc.expand(binLine.values[0] ?? '', {}, binLine), context);
    for (const key of ['ServiceType', 'StartType', 'ErrorControl', 'ServiceBinary']) {
      if (!doc.entry(installSection, key)) doc.warn('inf-service-missing-field', `service install section [${installSection}] has no ${key} (required)`);
    }
    service.addReg = readAddReg(doc, listValues(doc, installSection, 'AddReg').map((v) => v.value));
    out.push(service);
  }
  return out;
}

function serviceBinary(written: string, context: DiridContext): InfServiceBinary {
  const m = /^%(-?\d+)%(.*)$/.exec(written);
  if (!m) return { written };
  const dirid = Number(m[1]);
  const rest = (m[2] as string).replace(/^\\+/, '');
  const imagePath = diridImagePath({ dirid, rest, context });
  const dir = diridGuestPath({ dirid, context });
  return {
    written,
    dirid,
    ...(imagePath !== undefined ? { imagePath } : {}),
    ...(dir !== undefined ? { guestPath: `${dir === '/' ? '' : dir}/${rest.replace(/\\/g, '/')}` } : {}),
  };
}
