// TargetOSVersion decorations of [Manufacturer] entries and how Windows picks among them
// ("Combining Platform Extensions with Operating System Versions"):
//   NT[Architecture][.[OSMajorVersion][.[OSMinorVersion][.[ProductType][.[SuiteMask][.[BuildNumber]]]]]]
// A decoration applies when its architecture is the guest's, its version (with the build,
// Windows 10 1607 and later) is not above the guest's, its product type (VER_NT_*) equals the
// guest's and the guest has every suite bit it names. Windows takes the closest (highest)
// applicable version. Since Windows Server 2003 SP1 a non-x86 guest needs an architecture in
// the decoration; only x86 may use `NT`, `NTx86` or an undecorated Models section.

import type { InfArch, InfOs, TargetOsVersion } from './types.js';

const ARCHES: Record<string, InfArch> = { x86: 'x86', amd64: 'amd64', arm64: 'arm64', arm: 'arm', ia64: 'ia64' };

export function productTypeNumber(type: InfOs['productType']): number {
  return type === 'workstation' ? 1 : type === 'domainController' ? 2 : 3;
}

function number(field: string | undefined): number | undefined {
  if (field === undefined || field.trim() === '') return undefined;
  const t = field.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  if (/^\d+$/.test(t)) return parseInt(t, 10);
  return Number.NaN;
}

/** Parses one decoration; undefined when it does not start with `NT`. */
export function parseTargetOsVersion(text: string): TargetOsVersion | undefined {
  const t = text.trim();
  if (!/^nt/i.test(t)) return undefined;
  const parts = t.split('.');
  const archText = (parts[0] as string).slice(2).toLowerCase();
  const out: TargetOsVersion = { text: t };
  if (archText !== '') {
    const arch = ARCHES[archText];
    if (arch) out.arch = arch;
    else out.unknownArch = archText;
  }
  const fields: Array<keyof Pick<TargetOsVersion, 'major' | 'minor' | 'productType' | 'suiteMask' | 'build'>> = ['major', 'minor', 'productType', 'suiteMask', 'build'];
  fields.forEach((name, i) => {
    const v = number(parts[i + 1]);
    if (v !== undefined) out[name] = v;
  });
  return out;
}

export function isWellFormed(target: TargetOsVersion): boolean {
  return [target.major, target.minor, target.productType, target.suiteMask, target.build].every((v) => v === undefined || Number.isFinite(v));
}

/** Whether Windows `os` may use a Models section with this decoration. */
export function targetApplies(target: TargetOsVersion, os: InfOs): boolean {
  if (!isWellFormed(target) || target.unknownArch !== undefined) return false;
  if (target.arch !== undefined ? target.arch !== os.arch : os.arch !== 'x86') return false;
  if (compareVersion(versionOf(target), [os.major, os.minor, os.build ?? 0]) > 0) return false;
  if (target.productType !== undefined && target.productType !== 0 && target.productType !== productTypeNumber(os.productType)) return false;
  if (target.suiteMask !== undefined && target.suiteMask !== 0 && ((os.suiteMask ?? 0) & target.suiteMask) !== target.suiteMask) return false;
  return true;
}

function versionOf(t: TargetOsVersion): [number, number, number] {
  return [t.major ?? 0, t.minor ?? 0, t.build ?? 0];
}

function compareVersion(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Orders applicable decorations best first: higher version, then more specific. */
export function compareTargets(a: TargetOsVersion, b: TargetOsVersion): number {
  const v = compareVersion(versionOf(b), versionOf(a));
  if (v !== 0) return v;
  const specificity = (t: TargetOsVersion) => (t.arch !== undefined ? 4 : 0) + (t.productType ? 2 : 0) + (t.suiteMask ? 1 : 0);
  return specificity(b) - specificity(a);
}

/** Platform extensions Windows tries for DDInstall and related sections, in order. */
export function platformExtensions(arch: InfArch): string[] {
  return [`.NT${arch}`, '.NT', ''];
}
