// checkInspection: the edge where an Inspection arrives as JSON from outside the process (a
// saved `rehost inspect --json`, a fleet audit's files). It checks the fields the fingerprint
// and the renderers read against schema/inspection.schema.json — the envelope, then each OS's
// facts by its type — and throws CorruptError naming the first problems, so a hand-edited or
// truncated file cannot crash the fingerprint.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { validateJsonSchema } from '../catalog/json-schema.js';
import { CorruptError } from '../errors.js';
import type { Inspection } from '../inspect/inspect.js';

let cache: Record<string, unknown> | undefined;

function schema(): Record<string, unknown> {
  if (cache === undefined) {
    const here = fileURLToPath(new URL('./schema/inspection.schema.json', import.meta.url));
    const path = existsSync(here) ? here : fileURLToPath(new URL('../../src/fingerprint/schema/inspection.schema.json', import.meta.url));
    cache = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  }
  return cache;
}

export function checkInspection(value: unknown): Inspection {
  const root = schema();
  const issues = validateJsonSchema(root, value).map((i) => `${i.pointer || '/'}: ${i.message}`);
  if (issues.length === 0) {
    const oses = (value as Inspection).operatingSystems;
    oses.forEach((os, i) => {
      const def = os.type === 'windows' ? 'windowsFacts' : 'linuxFacts';
      for (const issue of validateJsonSchema({ $ref: `#/$defs/${def}`, $defs: root.$defs }, os.facts)) issues.push(`/operatingSystems/${i}/facts${issue.pointer}: ${issue.message}`);
    });
  }
  if (issues.length > 0) throw new CorruptError(`not a rehost Inspection: ${issues.slice(0, 3).join('; ')}${issues.length > 3 ? ` (+${issues.length - 3} more)` : ''}`, { structure: 'Inspection JSON' });
  return value as Inspection;
}
