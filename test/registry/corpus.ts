// The registry part of the shared corpus: every hive with its oracle files, read in place.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CORPUS, readCorpus } from '../helpers/tools.js';

export const HIVES = [
  'registry/bcd/regipy-BCD.xz',
  'registry/bcd/windeploy-BCD-bios',
  'registry/bcd/windeploy-BCD-efi-locate',
  'registry/dirty/dfwinreg-ntuser/NTUSER.DAT',
  'registry/dirty/yarp-NewDirtyHive1/NewDirtyHive',
  'registry/dirty/yarp-NewDirtyHive1/RecoveredHive_Windows10',
  'registry/dirty/yarp-OldDirtyHive/OldDirtyHive',
  'registry/dirty/yarp-OldDirtyHive/RecoveredHive_Windows7',
  'registry/special/hivex-minimal',
  'registry/special/hivex-rlenvalue_test_hive',
  'registry/special/hivex-special',
  'registry/special/yarp-BigDataHive',
  'registry/special/yarp-ExtendedASCIIHive',
  'registry/special/yarp-ManySubkeysHive',
  'registry/special/yarp-MultiSzHive',
  'registry/special/yarp-StringValuesHive',
  'registry/special/yarp-System_Delta',
  'registry/special/yarp-UnicodeHive',
  'registry/system/win10-1709-x64-vmware/SYSTEM.xz',
  'registry/system/win10-x64-dell-dirty/SYSTEM.xz',
  'registry/system/win7-sp1-x86-vmware/SYSTEM.xz',
  'registry/system/winxp-sp3-x86-iecompatvhd/SYSTEM.xz',
  // Damaged but readable by hivex: our export must agree with its export.
  'corrupt/regf/yarp-BadListHive',
  'corrupt/regf/yarp-BadSubkeyHive',
  'corrupt/regf/yarp-InvalidParentHive',
];

export const SYSTEM_HIVES = HIVES.filter((h) => h.startsWith('registry/system/'));

const cache = new Map<string, Uint8Array>();

/** The bytes of a corpus hive (decompressed, cached: the tests only read them). */
export function hiveBytes(relative: string): Uint8Array {
  let bytes = cache.get(relative);
  if (bytes === undefined) {
    bytes = readCorpus(relative);
    cache.set(relative, bytes);
  }
  return bytes;
}

function oracleBase(relative: string): string {
  return join(CORPUS, 'oracle', relative.replace(/\.xz$/, ''));
}

/** The hivexregedit --export oracle of a hive, as bytes, or undefined. */
export function oracleExport(relative: string): Uint8Array | undefined {
  const base = oracleBase(relative);
  if (existsSync(`${base}.hivexregedit.reg`)) return new Uint8Array(readFileSync(`${base}.hivexregedit.reg`));
  if (existsSync(`${base}.hivexregedit.reg.gz`)) return new Uint8Array(gunzipSync(readFileSync(`${base}.hivexregedit.reg.gz`)));
  return undefined;
}

/** hivexregedit failed part way (its .err oracle exists): the .reg oracle is a prefix. */
export function oracleExportFailed(relative: string): boolean {
  const base = oracleBase(relative);
  return existsSync(`${base}.hivexregedit.err`) && !readFileSync(`${base}.hivexregedit.err`, 'utf8').split('\n').every((line) => line === '' || line.startsWith('Wide character'));
}

export function oracleSummary(relative: string): Record<string, any> | undefined {
  const path = `${oracleBase(relative)}.summary.json`;
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}
