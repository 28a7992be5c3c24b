// The JSON data shipped beside the modules that read it (src/catalog/{platforms,schema},
// src/rules/{packs,schema}). tsc does not copy JSON into dist/, so from dist/<area>/ the lookup
// falls back to ../../src/<area>/ (present in a checkout); a published package must ship those
// directories.

import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CorruptError, NotFoundError } from './errors.js';

/** The directory `sub` of `area` next to the module at `moduleUrl` (its import.meta.url), else in the checkout's src/. */
export function dataDir(args: { moduleUrl: string; area: string; sub: string }): string {
  const { moduleUrl, area, sub } = args;
  const here = fileURLToPath(new URL(`./${sub}/`, moduleUrl));
  if (existsSync(here)) return here;
  const checkout = fileURLToPath(new URL(`../../src/${area}/${sub}/`, moduleUrl));
  if (existsSync(checkout)) return checkout;
  throw new NotFoundError(`${area} ${sub} directory not found next to ${fileURLToPath(moduleUrl)}`, { kind: 'directory', path: here });
}

/** A loader of the JSON object in the file at `path()`, read and parsed on first use, then kept. */
export function cachedJsonFile(path: () => string): () => Promise<Record<string, unknown>> {
  let cache: Record<string, unknown> | undefined;
  return async () => {
    if (!cache) cache = JSON.parse(await readFile(path(), 'utf8')) as Record<string, unknown>;
    return cache;
  };
}

/** The *.json files in `dir` (sorted, as paths); NotFoundError when it cannot be read, CorruptError past `limit` files. */
export async function jsonFilesIn(args: { dir: string; label: string; limit: number }): Promise<string[]> {
  const { dir, label, limit } = args;
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (error) {
    throw new NotFoundError(`${label} directory ${dir} cannot be read: ${(error as Error).message}`, { kind: 'directory', path: dir });
  }
  if (names.length > limit) throw new CorruptError(`${label} directory holds ${names.length} files (limit ${limit})`, { path: dir });
  return names.map((n) => join(dir, n));
}
