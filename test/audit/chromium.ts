// Headless Chromium for the fleet.html tests: each call gets its own profile directory and
// its own flags; console messages come back from Chromium's stderr log (--enable-logging),
// so a page that logs an error, or a self-test script that logs its steps, can be checked.
// --virtual-time-budget lets timers and hashchange events run before the DOM is dumped.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { requireTool } from '../helpers/tools.js';

export const ARTIFACTS = new URL('../../test-artifacts/audit/', import.meta.url).pathname;

export function chromium(args: { flags: string[]; url: string; profileRoot: string }): { stdout: string; console: string[] } {
  requireTool('chromium');
  const profile = join(args.profileRoot, `chromium-${Math.random().toString(36).slice(2)}`);
  const result = spawnSync('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--virtual-time-budget=5000', ...args.flags, args.url], { encoding: 'utf8', timeout: 90_000, maxBuffer: 256 << 20 });
  if (result.status !== 0) throw new Error(`chromium exited ${result.status}: ${result.stderr}`);
  return { stdout: result.stdout, console: result.stderr.split('\n').filter((l) => /CONSOLE/.test(l)) };
}

/** The text a self-test logged with console.log('SELFTEST …'), one entry per call. */
export function selfTestLines(console: string[]): string[] {
  return console.filter((l) => l.includes('SELFTEST ')).map((l) => /SELFTEST (.*?)"/.exec(l)?.[1] ?? l);
}
