// The HTML report in a real browser: Debian's chromium, headless, renders each golden report
// to a screenshot (kept under test-artifacts/report/) and to its DOM, with console logging on.
// The page must load without console messages (a CSP violation or a blocked resource would
// log one), hold the whole matrix, and reference nothing on the network. A control page that
// logs an error proves the console check can fail. playwright-core is not a dependency, so
// chromium's own --screenshot/--dump-dom/--enable-logging flags do the driving.

import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadCatalog, type Catalog } from '../../src/catalog/index.js';
import { buildReport, escapeHtml, renderHtml } from '../../src/report/index.js';
import { requireTool, tempDir } from '../helpers/tools.js';
import { goldenInspection, GOLDEN_WINDOWS } from './golden-inspection.js';

const ARTIFACTS = new URL('../../test-artifacts/report/', import.meta.url).pathname;
let dir: string;
let catalog: Catalog;

beforeAll(async () => {
  requireTool('chromium');
  dir = tempDir('rehost-html-');
  mkdirSync(ARTIFACTS, { recursive: true });
  catalog = await loadCatalog();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chromium(args: string[], page: string): { stdout: string; console: string[] } {
  const profile = join(dir, `profile-${Math.random().toString(36).slice(2)}`);
  const result = spawnSync('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', ...args, `file://${page}`], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0) throw new Error(`chromium exited ${result.status}: ${result.stderr}`);
  return { stdout: result.stdout, console: result.stderr.split('\n').filter((l) => /CONSOLE/.test(l)) };
}

describe('console check control', () => {
  test('a page that logs an error is caught', () => {
    const page = join(dir, 'control.html');
    writeFileSync(page, '<!DOCTYPE html><html><body><script>console.error("control error")</script></body></html>');
    expect(chromium(['--dump-dom'], page).console.join('\n')).toMatch(/control error/);
  });
});

describe.each(GOLDEN_WINDOWS)('%s', (id) => {
  test('renders in headless chromium without console messages; screenshot kept', () => {
    const report = buildReport({ inspection: goldenInspection(id), catalog });
    const html = renderHtml(report);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    const page = join(dir, `${id}.html`);
    writeFileSync(page, html);
    const shot = join(ARTIFACTS, `${id}.png`);
    const a = chromium(['--window-size=1280,1800', `--screenshot=${shot}`], page);
    expect(a.console).toEqual([]);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    const dom = chromium(['--dump-dom'], page);
    expect(dom.console).toEqual([]);
    const rows = dom.stdout.match(/<table class="matrix">[\s\S]*?<\/table>/)?.[0].match(/<tr>/g) ?? [];
    expect(rows.length).toBe(report.targets.length + 1);
    for (const t of report.targets) expect(dom.stdout).toContain(escapeHtml(t.name));
    expect(dom.stdout).toContain('Activation');
  });
});

test('guest strings are escaped', () => {
  const inspection = goldenInspection('win7-sp1-x86-vmware');
  const os = inspection.operatingSystems[0]!;
  if (os.type === 'windows') os.facts.hostname = '<img src=x onerror=alert(1)>';
  const html = renderHtml(buildReport({ inspection, catalog }));
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(html).not.toContain('<img');
});
