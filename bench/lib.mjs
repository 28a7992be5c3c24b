// Shared helpers for the benchmarks: time whole commands (process start included, as a user
// sees them), take the median of several runs, and print side-by-side tables with ratios.

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REHOST = new URL('../dist/cli/main.js', import.meta.url).pathname;

export function benchDir() {
  return mkdtempSync(join(tmpdir(), 'rehost-bench-'));
}

export function sh(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${String(result.stderr).slice(0, 2000)}`);
  }
  return result.stdout;
}

/** Median wall-clock seconds of `runs` executions; `before` runs untimed before each. */
export function timeCommand(command, args, { runs = 3, before } = {}) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    before?.();
    const start = process.hrtime.bigint();
    sh(command, args);
    samples.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

export function haveTool(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** rows: [{ task, rehost, peer, peerName }] → table with rehost/peer ratio. */
export function printComparison(title, rows) {
  process.stdout.write(`\n## ${title}\n\n`);
  process.stdout.write('| task | rehost (s) | peer | peer (s) | rehost / peer |\n|---|---:|---|---:|---:|\n');
  for (const r of rows) {
    const ratio = r.peer > 0 ? r.rehost / r.peer : NaN;
    process.stdout.write(`| ${r.task} | ${r.rehost.toFixed(3)} | ${r.peerName} | ${r.peer.toFixed(3)} | ${ratio.toFixed(2)}× |\n`);
  }
}
