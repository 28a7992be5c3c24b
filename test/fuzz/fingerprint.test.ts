// Mutation fuzzing of the fingerprint and every report renderer, seeded with the golden
// Windows inspections serialised as JSON, read through checkInspection (the JSON edge). Mutations
// that break the JSON or its shape become a CorruptError; those that pass change strings and
// numbers inside the facts, which the fingerprint, Markdown, HTML and XML renderers must survive. Only rehost
// errors may escape.

import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.js';
import { CorruptError } from '../../src/errors.js';
import { checkInspection } from '../../src/fingerprint/index.js';
import type { Inspection } from '../../src/inspect/inspect.js';
import { buildReport, renderHtml, renderInspectorXml, renderJson, renderMarkdown } from '../../src/report/index.js';
import { goldenInspection, GOLDEN_WINDOWS } from '../report/golden-inspection.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';

describe('fuzz fingerprint and reports', () => {
  it('only rehost errors escape', async () => {
    const catalog = await loadCatalog();
    const seeds = GOLDEN_WINDOWS.map((id) => new TextEncoder().encode(JSON.stringify(goldenInspection(id))));
    const report = await fuzz(
      {
        name: 'fingerprint',
        seeds,
        run: async (input) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(new TextDecoder().decode(input));
          } catch (error) {
            throw new CorruptError(`not JSON: ${(error as Error).message}`, { structure: 'inspection JSON' });
          }
          const inspection: Inspection = checkInspection(parsed);
          const r = buildReport({ inspection, catalog });
          return [renderJson(r), renderMarkdown(r), renderHtml(r), renderInspectorXml(inspection)].join('').length;
        },
      },
      { iterations: defaultIterations(150) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
    expect(report.succeeded).toBeGreaterThan(0);
  });
});
