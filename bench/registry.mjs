// Full .reg export of the largest corpus hive (the 15 MB Windows 10 1709 SYSTEM hive) by
// rehost, `hivexregedit --export` and `reglookup`, side by side, whole processes, median of 3.
// rehost runs as `rehost reg export` once the CLI has the command, else as a one-line Node
// program over dist/registry (the same library call). The in-process time (decode + export,
// no process start) is printed too. Usage: npm run build && node bench/registry.mjs [hive]

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { REHOST, benchDir, printComparison, timeCommand } from './lib.mjs';

const registryIndex = new URL('../dist/registry/index.js', import.meta.url).pathname;
const { Hive, exportReg } = await import(registryIndex);

const dir = benchDir();
let hivePath = process.argv[2];
if (hivePath === undefined) {
  const corpusHive = new URL('../../shared/corpus/registry/system/win10-1709-x64-vmware/SYSTEM.xz', import.meta.url).pathname;
  hivePath = join(dir, 'SYSTEM');
  writeFileSync(hivePath, execFileSync('xz', ['-dc', corpusHive], { maxBuffer: 1 << 30 }));
}
const size = readFileSync(hivePath).length;

const cliHasReg = spawnSync('node', [REHOST, 'reg', 'export', '--help'], { stdio: 'ignore' }).status === 0;
const rehostCommand = cliHasReg
  ? ['node', [REHOST, 'reg', 'export', '--no-logs', hivePath]]
  : ['node', ['--input-type=module', '-e', `import { readFileSync, writeSync } from 'node:fs'; const { Hive, exportReg } = await import(${JSON.stringify(registryIndex)}); writeSync(1, exportReg(new Hive(new Uint8Array(readFileSync(${JSON.stringify(hivePath)})))));`]];

const rehost = timeCommand(rehostCommand[0], rehostCommand[1]);
const hivex = timeCommand('hivexregedit', ['--export', hivePath, '\\']);
const reglookup = timeCommand('reglookup', [hivePath]);

const samples = [];
let textBytes = 0;
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  textBytes = exportReg(new Hive(new Uint8Array(readFileSync(hivePath)))).length;
  samples.push((performance.now() - start) / 1000);
}
samples.sort((a, b) => a - b);

const task = `full export, ${(size / 1048576).toFixed(1)} MiB SYSTEM hive`;
printComparison(`Registry export (${cliHasReg ? 'rehost reg export' : 'node + dist/registry'}; whole process, median of 3)`, [
  { task, rehost, peerName: 'hivexregedit --export', peer: hivex },
  { task, rehost, peerName: 'reglookup', peer: reglookup },
]);
process.stdout.write(`\nrehost in-process (read + decode + export ${(textBytes / 1048576).toFixed(1)} MiB of .reg text), median of 5: ${samples[2].toFixed(3)} s\n`);
process.stdout.write(`speed-up: ${(hivex / rehost).toFixed(1)}× vs hivexregedit (target ≥ 3×), ${(reglookup / rehost).toFixed(1)}× vs reglookup (target > 1×)\n`);
rmSync(dir, { recursive: true, force: true });
