// The semantic layer of a device INF: [Version] (Signature, Class, ClassGuid, Provider,
// CatalogFile with its platform-decorated forms, DriverVer), the [Manufacturer] entries with
// their TargetOSVersion decorations, and each Models section's lines
//   device-description = install-section-name, hw-id [, compatible-id ...]
// SetupAPI refuses an INF without [Version] or with an unknown Signature ($Windows NT$,
// $Chicago$, $Windows 95$), so those throw CorruptError; everything else it tolerates is
// reported to the diagnostics sink.

import { CorruptError } from '../../errors.js';
import type { InfDocument } from './document.js';
import { isWellFormed, parseTargetOsVersion } from './target-os.js';
import type { DriverVer, InfManufacturer, InfModel, InfVersion } from './types.js';

const SIGNATURES = new Set(['$windows nt$', '$chicago$', '$windows 95$']);

export interface DriverInf {
  doc: InfDocument;
  version: InfVersion;
  manufacturers: InfManufacturer[];
}

export function readDriverInf(doc: InfDocument): DriverInf {
  const versionSection = doc.section('Version');
  if (!versionSection) throw new CorruptError('INF has no [Version] section', { structure: 'INF [Version]', offset: 0, ...(doc.path ? { path: doc.path } : {}) });
  const signature = doc.entry('Version', 'Signature');
  if (!signature || !SIGNATURES.has(doc.expand(signature.text).trim().toLowerCase())) {
    throw new CorruptError(`INF [Version] Signature is ${signature ? `"${signature.text}"` : 'missing'} (expected "$Windows NT$")`, {
      structure: 'INF [Version]',
      offset: signature?.offset ?? versionSection.offset,
      ...(doc.path ? { path: doc.path } : {}),
    });
  }
  const version: InfVersion = { signature: signature.text, catalogFiles: {} };
  for (const line of versionSection.lines) {
    if (line.key === undefined) continue;
    const key = line.key.toLowerCase();
    const first = doc.expand(line.values[0] ?? '', {}, line);
    if (key === 'class') version.class ??= first;
    else if (key === 'classguid') version.classGuid ??= first;
    else if (key === 'provider') version.provider ??= doc.expand(line.text, {}, line);
    else if (key === 'catalogfile') version.catalogFile ??= first;
    else if (key.startsWith('catalogfile.')) version.catalogFiles[key.slice('catalogfile.'.length)] ??= first;
    else if (key === 'driverver') version.driverVer ??= parseDriverVer(doc.expand(line.values[0] ?? '', {}, line), doc.expand(line.values[1] ?? '', {}, line));
    else if (key === 'pnplockdown') {
      const n = Number(first);
      if (Number.isFinite(n)) version.pnpLockdown = n;
    }
  }
  if (version.classGuid !== undefined && !/^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i.test(version.classGuid)) {
    doc.warn('inf-bad-classguid', `ClassGuid ${version.classGuid} is not a GUID`);
  }
  return { doc, version, manufacturers: readManufacturers(doc) };
}

export function parseDriverVer(date: string, version: string): DriverVer {
  const out: DriverVer = { date };
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(date.trim());
  if (m) out.isoDate = `${m[3]}-${(m[1] as string).padStart(2, '0')}-${(m[2] as string).padStart(2, '0')}`;
  if (version.trim() !== '') out.version = version.trim();
  return out;
}

function readManufacturers(doc: InfDocument): InfManufacturer[] {
  const out: InfManufacturer[] = [];
  for (const line of doc.section('Manufacturer')?.lines ?? []) {
    // `manufacturer-name` alone names its Models section too.
    const name = doc.expand(line.key ?? line.values[0] ?? '', {}, line);
    const modelsSection = line.key !== undefined ? line.values[0] ?? '' : line.values[0] ?? '';
    if (modelsSection === '') {
      doc.warn('inf-empty-manufacturer', `[Manufacturer] line ${line.line} names no Models section`, line);
      continue;
    }
    const decorations = [];
    for (const text of line.key !== undefined ? line.values.slice(1) : []) {
      if (text === '') continue;
      const parsed = parseTargetOsVersion(text);
      if (!parsed || !isWellFormed(parsed)) {
        doc.warn('inf-bad-decoration', `TargetOSVersion "${text}" on line ${line.line} is not NT[arch][.major[.minor[.type[.suite[.build]]]]]`, line);
        continue;
      }
      if (parsed.unknownArch !== undefined) doc.warn('inf-unknown-arch', `TargetOSVersion "${text}" names an unknown architecture`, line);
      decorations.push(parsed);
    }
    out.push({ name, modelsSection, decorations, line: line.line });
  }
  return out;
}

/** The lines of one Models section. */
export function readModels(doc: InfDocument, sectionName: string): InfModel[] {
  const out: InfModel[] = [];
  for (const line of doc.section(sectionName)?.lines ?? []) {
    if (line.key === undefined) {
      doc.warn('inf-bad-model', `Models line ${line.line} has no "description =" part`, line);
      continue;
    }
    const [installSection = '', hardwareId = '', ...compatible] = line.values;
    if (installSection === '') {
      doc.warn('inf-bad-model', `Models line ${line.line} names no install section`, line);
      continue;
    }
    if (hardwareId === '') {
      doc.warn('inf-model-without-id', `Models line ${line.line} has no hardware ID (manual install only)`, line);
      continue;
    }
    out.push({
      description: doc.expand(line.key, {}, line),
      installSection,
      hardwareId: doc.expand(hardwareId, {}, line),
      compatibleIds: compatible.filter((c) => c !== '').map((c) => doc.expand(c, {}, line)),
      line: line.line,
    });
  }
  return out;
}
