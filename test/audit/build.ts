// The audit's worker threads run the compiled dist/ code. The test command builds before
// vitest starts; when the audit sources are newer than dist (a developer running vitest
// alone), build here so the workers run the code under test.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;

function newest(paths: string[]): number {
  return Math.max(...paths.map((p) => (existsSync(p) ? statSync(p).mtimeMs : Infinity)));
}

export function ensureBuilt(): void {
  const sources = [
    ...readdirSync(join(ROOT, 'src/audit')).map((n) => join(ROOT, 'src/audit', n)),
    join(ROOT, 'src/cli/commands/audit.ts'),
    join(ROOT, 'src/inspect/inspect.ts'),
    // The CLI child processes fingerprint the records with the compiled fingerprint code.
    ...readdirSync(join(ROOT, 'src/fingerprint')).filter((n) => n.endsWith('.ts')).map((n) => join(ROOT, 'src/fingerprint', n)),
  ];
  const outputs = [join(ROOT, 'dist/audit/worker.js'), join(ROOT, 'dist/audit/pool.js'), join(ROOT, 'dist/cli/commands/audit.js')];
  const oldestOutput = Math.min(...outputs.map((p) => (existsSync(p) ? statSync(p).mtimeMs : 0)));
  if (newest(sources) <= oldestOutput) return;
  // Other areas' in-progress type errors must not stop the emit; tsc still writes dist/.
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch {
    // Checked below: what matters is that the audit's files were emitted.
  }
  for (const output of outputs) if (!existsSync(output)) throw new Error(`build did not emit ${output}`);
}
