// The published JSON Schema of the JSON report (schema/report.schema.json), loaded from next
// to this module (or from src/ when running from dist/, as the catalog does).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export function reportSchemaPath(): string {
  const here = fileURLToPath(new URL('./schema/report.schema.json', import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL('../../src/report/schema/report.schema.json', import.meta.url));
}

let cache: Record<string, unknown> | undefined;

export async function reportSchema(): Promise<Record<string, unknown>> {
  cache ??= JSON.parse(await readFile(reportSchemaPath(), 'utf8')) as Record<string, unknown>;
  return cache;
}
