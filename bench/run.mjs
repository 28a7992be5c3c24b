// `npm run bench`: every benchmark in this folder, each in its own process so one failing does
// not hide the others. Each prints a markdown table of rehost vs the peer tool with ratios.

import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const only = process.argv.slice(2);
const here = new URL('.', import.meta.url).pathname;
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && !['run.mjs', 'lib.mjs'].includes(f))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
let failed = 0;
for (const file of benches) {
  process.stdout.write(`\n# ${file}\n`);
  const result = spawnSync('node', ['--expose-gc', here + file], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    process.stdout.write(`(${file} failed with status ${result.status})\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
