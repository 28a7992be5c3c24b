// Loading the platform catalog: the built-in platform files plus any user directories
// (`--catalog DIR`). Every file is checked against schema/platform.schema.json and then for
// what a schema cannot say: ids unique, basedOn naming a known platform, `unverified` naming
// fields that exist, device ids unique within a platform. A user file whose id matches a
// built-in platform replaces it (that is how a site corrects or extends the data).
//
// The data files live next to this module in src/catalog/. tsc does not copy JSON into dist/,
// so from dist/catalog/ the loader falls back to ../../src/catalog/ (present in a checkout; see
// src/data-dir.ts); a published package must ship src/catalog/{platforms,schema} or copy them
// into dist/.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedJsonFile, dataDir as areaDataDir, jsonFilesIn } from '../data-dir.js';
import { CorruptError } from '../errors.js';
import { validateJsonSchema } from './json-schema.js';
import type { Catalog, Platform } from './types.js';

/** Bound on one platform file (real ones are a few tens of KiB). */
export const MAX_PLATFORM_FILE_BYTES = 1024 * 1024;
/** Bound on how many files one directory may contribute. */
export const MAX_PLATFORM_FILES = 1000;

function dataDir(sub: 'platforms' | 'schema'): string {
  return areaDataDir({ moduleUrl: import.meta.url, area: 'catalog', sub });
}

/** Directory of the platform files shipped with rehost. */
export function builtinPlatformDir(): string {
  return dataDir('platforms');
}

const schemaFile = cachedJsonFile(() => join(dataDir('schema'), 'platform.schema.json'));

/** The platform JSON Schema (parsed). */
export async function platformSchema(): Promise<Record<string, unknown>> {
  return schemaFile();
}

function getPath(value: unknown, path: string): unknown {
  let node: unknown = value;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Checks one parsed platform document; returns the problems (schema first, then semantics). */
export function checkPlatform(schema: Record<string, unknown>, document: unknown): string[] {
  const issues = validateJsonSchema(schema, document).map((i) => `${i.pointer || '/'}: ${i.message}`);
  if (issues.length > 0) return issues;
  const platform = document as Platform;
  const seen = new Set<string>();
  platform.devices.forEach((device, i) => {
    if (seen.has(device.id)) issues.push(`/devices/${i}: duplicate device id "${device.id}"`);
    seen.add(device.id);
    for (const field of device.unverified ?? []) {
      if (getPath(device, field) === undefined) issues.push(`/devices/${i}: unverified names "${field}", which the device does not have`);
    }
    if (device.bus === 'pci' && !device.pci) issues.push(`/devices/${i}: PCI device without PCI IDs`);
    if (device.bus === 'vmbus' && device.vmbusClass === undefined && device.vmbusClassPrefix === undefined && device.function !== 'input' && device.function !== 'balloon') {
      issues.push(`/devices/${i}: VMBus device without a class GUID`);
    }
  });
  for (const name of platform.guestTools.unverified ?? []) {
    const all = [...platform.guestTools.windowsServices, ...platform.guestTools.linuxPackages, ...(platform.guestTools.registryKeys ?? [])];
    if (!all.includes(name)) issues.push(`/guestTools: unverified names "${name}", which is not listed`);
  }
  platform.smbios.forEach((s, i) => {
    if (s.productPattern !== undefined) {
      try {
        new RegExp(s.productPattern, 'u');
      } catch {
        issues.push(`/smbios/${i}: productPattern is not a valid regular expression`);
      }
    }
  });
  return issues;
}

async function loadDir(dir: string, schema: Record<string, unknown>): Promise<{ platform: Platform; path: string }[]> {
  const paths = await jsonFilesIn({ dir, label: 'catalog', limit: MAX_PLATFORM_FILES });
  const out: { platform: Platform; path: string }[] = [];
  const ids = new Set<string>();
  for (const path of paths) {
    const bytes = await readFile(path);
    if (bytes.length > MAX_PLATFORM_FILE_BYTES) throw new CorruptError(`platform file of ${bytes.length} bytes is too large`, { structure: 'platform file', path });
    let document: unknown;
    try {
      document = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw new CorruptError(`platform file is not valid JSON: ${(error as Error).message}`, { structure: 'platform file', path }, { cause: error });
    }
    const issues = checkPlatform(schema, document);
    if (issues.length > 0) throw new CorruptError(`platform file fails the schema: ${issues.slice(0, 5).join('; ')}`, { structure: 'platform file', path, issues });
    const platform = document as Platform;
    if (ids.has(platform.id)) throw new CorruptError(`platform id "${platform.id}" appears twice in ${dir}`, { structure: 'platform file', path });
    ids.add(platform.id);
    out.push({ platform, path });
  }
  return out;
}

export interface LoadCatalogOptions {
  /** User directories of extra platform files; later ones override earlier ones by id. */
  extraDirs?: string[];
}

/** Loads and validates the built-in catalog and any extra directories. */
export async function loadCatalog(options: LoadCatalogOptions = {}): Promise<Catalog> {
  const schema = await platformSchema();
  const byId = new Map<string, Platform>();
  const origins = new Map<string, string>();
  for (const dir of [builtinPlatformDir(), ...(options.extraDirs ?? [])]) {
    for (const { platform, path } of await loadDir(dir, schema)) {
      byId.set(platform.id, platform);
      origins.set(platform.id, path);
    }
  }
  for (const platform of byId.values()) {
    if (platform.basedOn !== undefined && !byId.has(platform.basedOn)) {
      throw new CorruptError(`platform "${platform.id}" is based on unknown platform "${platform.basedOn}"`, { structure: 'platform file', path: origins.get(platform.id) });
    }
  }
  const platforms = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  return { platforms, origins };
}
