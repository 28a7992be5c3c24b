// Facts from the SOFTWARE hive: version and edition (Microsoft\Windows NT\CurrentVersion),
// installed applications from both Uninstall views, Defender, Group Policy history, device
// installation restrictions, activation values (ProductId, DigitalProductId,
// DigitalProductId4, SoftwareProtectionPlatform KMS settings, OEMInformation), and the
// SOFTWARE keys that tool detection looks for. Sources: conversion-facts §c.2 (libguestfs
// inspect_fs_windows.ml: CurrentMajor/MinorVersionNumber first, else CurrentVersion "6.3";
// CurrentBuildNumber, not CurrentBuild), §f.2 (activation). Decoding failures of the product
// id blobs are warnings.

import type { Diagnostics } from '../diagnostics.js';
import { isRehostError } from '../errors.js';
import type { Hive, Key } from '../registry/index.js';
import { ANTIVIRUS_PATTERNS, HYPERVISOR_TOOLS } from './data/hypervisor-tools.js';
import { decodeDigitalProductId, decodeDigitalProductId4, type DigitalProductId, type DigitalProductId4 } from './product-key.js';
import type { InstalledApplication } from './types.js';
import { findKey, keyName, readBinary, readNumber, readString, subkeys, values, type ValueReader } from './values.js';

export interface SoftwareHiveFacts {
  productName?: string;
  editionId?: string;
  compositionEditionId?: string;
  installationType?: string;
  currentVersion?: string;
  majorVersion?: number;
  minorVersion?: number;
  build?: number;
  ubr?: number;
  displayVersion?: string;
  productId?: string;
  digitalProductId?: DigitalProductId;
  digitalProductId4?: DigitalProductId4;
  kmsHost?: string;
  kmsPort?: string;
  oemInformation?: Record<string, string>;
  applications: InstalledApplication[];
  defenderEnabled?: boolean;
  groupPolicies: string[];
  deviceInstallRestrictions?: Record<string, number | string>;
  /** SOFTWARE key paths from the tool patterns that exist. */
  presentToolKeys: string[];
}

export function readSoftwareHive(input: { hive: Hive; diagnostics: Diagnostics }): SoftwareHiveFacts {
  const r: ValueReader = { diagnostics: input.diagnostics };
  const root = input.hive.root();
  const cv = findKey(r, root, 'Microsoft\\Windows NT\\CurrentVersion');
  const major = readNumber(r, cv, 'CurrentMajorVersionNumber');
  const minor = readNumber(r, cv, 'CurrentMinorVersionNumber');
  const currentVersion = readString(r, cv, 'CurrentVersion');
  const versionParts = /^(\d+)\.(\d+)/.exec(currentVersion ?? '');
  const buildText = readString(r, cv, 'CurrentBuildNumber');
  const build = buildText !== undefined && /^\d+$/.test(buildText) ? Number(buildText) : undefined;

  const spp = findKey(r, cv, 'SoftwareProtectionPlatform');
  const oem = findKey(r, root, 'Microsoft\\Windows\\CurrentVersion\\OEMInformation');
  let oemInformation: Record<string, string> | undefined;
  if (oem !== undefined) {
    oemInformation = {};
    for (const value of values(r, oem)) {
      const text = readString(r, oem, value.name);
      if (text !== undefined) oemInformation[value.name] = text;
    }
  }
  const defender = findKey(r, root, 'Microsoft\\Windows Defender');
  const restrictionsKey = findKey(r, root, 'Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions');
  let deviceInstallRestrictions: Record<string, number | string> | undefined;
  if (restrictionsKey !== undefined) {
    deviceInstallRestrictions = {};
    for (const value of values(r, restrictionsKey)) {
      const n = value.type === 4 ? readNumber(r, restrictionsKey, value.name) : readString(r, restrictionsKey, value.name);
      if (n !== undefined) deviceInstallRestrictions[value.name] = n;
    }
  }
  const kmsPort = readString(r, spp, 'KeyManagementServicePort');

  return {
    productName: readString(r, cv, 'ProductName'),
    editionId: readString(r, cv, 'EditionID'),
    compositionEditionId: readString(r, cv, 'CompositionEditionID'),
    installationType: readString(r, cv, 'InstallationType'),
    currentVersion,
    majorVersion: major ?? (versionParts ? Number(versionParts[1]) : undefined),
    minorVersion: minor ?? (versionParts ? Number(versionParts[2]) : undefined),
    build,
    ubr: readNumber(r, cv, 'UBR'),
    displayVersion: readString(r, cv, 'DisplayVersion') ?? readString(r, cv, 'ReleaseId'),
    productId: readString(r, cv, 'ProductId'),
    digitalProductId: decodeBlob(r, cv, 'DigitalProductId', decodeDigitalProductId),
    digitalProductId4: decodeBlob(r, cv, 'DigitalProductId4', decodeDigitalProductId4),
    kmsHost: readString(r, spp, 'KeyManagementServiceName'),
    kmsPort: kmsPort ?? readNumber(r, spp, 'KeyManagementServicePort')?.toString(),
    oemInformation,
    applications: [
      ...applications(r, findKey(r, root, 'Microsoft\\Windows\\CurrentVersion\\Uninstall'), 'native'),
      ...applications(r, findKey(r, root, 'WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall'), 'wow6432'),
    ],
    defenderEnabled: defender === undefined ? undefined : readNumber(r, defender, 'DisableAntiVirus') !== 1,
    groupPolicies: subkeys(r, findKey(r, root, 'Microsoft\\Windows\\CurrentVersion\\Group Policy\\History'))
      .map((k) => keyName(r, k))
      .filter((n) => /^\{[0-9A-Fa-f-]+\}$/.test(n)),
    deviceInstallRestrictions,
    presentToolKeys: HYPERVISOR_TOOLS.flatMap((t) => t.softwareKeys).filter((path) => findKey(r, root, path) !== undefined),
  };
}

function decodeBlob<T>(r: ValueReader, key: Key | undefined, name: string, decode: (bytes: Uint8Array) => T): T | undefined {
  const bytes = readBinary(r, key, name);
  if (bytes === undefined) return undefined;
  try {
    return decode(bytes);
  } catch (error) {
    if (!isRehostError(error)) throw error;
    r.diagnostics.report({ severity: 'warning', code: 'WINDOWS_PRODUCT_ID', message: `${name}: ${error.message}`, path: `${key?.path ?? ''}\\${name}` });
    return undefined;
  }
}

function isAntivirus(...texts: (string | undefined)[]): boolean {
  return texts.some((text) => text !== undefined && ANTIVIRUS_PATTERNS.some((p) => text.toLowerCase().includes(p.toLowerCase())));
}

/** Only keys with a DisplayName count (libguestfs's rule); the key name is the package name. */
function applications(r: ValueReader, uninstall: Key | undefined, view: 'native' | 'wow6432'): InstalledApplication[] {
  const out: InstalledApplication[] = [];
  for (const key of subkeys(r, uninstall)) {
    const displayName = readString(r, key, 'DisplayName');
    if (!displayName) continue;
    const name = keyName(r, key);
    const publisher = readString(r, key, 'Publisher');
    out.push({
      key: name,
      view,
      displayName,
      displayVersion: readString(r, key, 'DisplayVersion'),
      publisher,
      installLocation: readString(r, key, 'InstallLocation'),
      uninstallString: readString(r, key, 'UninstallString'),
      antivirus: isAntivirus(name, displayName, publisher),
    });
  }
  return out;
}
