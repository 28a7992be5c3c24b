import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

// Committed fixtures are regenerated only on purpose: their bytes must match the manifest.
describe('fixtures manifest', () => {
  const manifest = JSON.parse(readFileSync(new URL('../fixtures/MANIFEST.json', import.meta.url), 'utf8')) as { fixtures: Array<{ path: string; sha256: string }> };
  for (const f of manifest.fixtures) {
    it(`${f.path} matches its recorded sha256`, () => {
      const bytes = readFileSync(new URL(`../fixtures/${f.path}`, import.meta.url));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
    });
  }
});
