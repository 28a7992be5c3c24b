// Golden reports (JSON + Markdown) for the four corpus Windows hives, built from the reviewed
// golden facts (golden-inspection.ts). The goldens were read by hand before being kept; set
// REHOST_UPDATE_GOLDEN=1 to rewrite them after a reviewed change. Every JSON report is also
// validated against the published schema.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadCatalog, validateJsonSchema } from '../../src/catalog/index.js';
import { buildReport, renderJson, renderMarkdown, reportSchema } from '../../src/report/index.js';
import { goldenInspection, GOLDEN_WINDOWS } from './golden-inspection.js';

const DIR = new URL('../../fixtures/golden/reports/', import.meta.url).pathname;
const UPDATE = process.env.REHOST_UPDATE_GOLDEN === '1';

function compare(file: string, text: string): void {
  const path = `${DIR}${file}`;
  if (UPDATE || !existsSync(path)) {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(path, text);
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}

describe.each(GOLDEN_WINDOWS)('%s', (id) => {
  test('JSON and Markdown reports equal the reviewed goldens; JSON validates', async () => {
    const catalog = await loadCatalog();
    const report = buildReport({ inspection: goldenInspection(id), catalog });
    const json = renderJson(report);
    expect(validateJsonSchema(await reportSchema(), JSON.parse(json))).toEqual([]);
    compare(`${id}.json`, json);
    compare(`${id}.md`, renderMarkdown(report));
    // Deterministic: a second build is byte-identical.
    expect(renderJson(buildReport({ inspection: goldenInspection(id), catalog }))).toBe(json);
  });
});
