// Child process of the kill test: opens a transaction on IMAGE, applies the guest plan, and
// commits as MODE (backed | standalone | in-place) to OUTPUT. It prints `applied`, then
// `progress N` at every progress report and holds still there for a moment, so the parent can
// SIGKILL it at a known point in the middle of writing; `done` when finished.

import { openTransaction } from '../../src/patch/index.js';
import { guestPatches } from './guest-patches.js';

const [imagePath, mode, output] = process.argv.slice(2) as [string, string, string];
const pause = new Int32Array(new SharedArrayBuffer(4));
let reports = 0;
const onProgress = (): void => {
  reports++;
  process.stdout.write(`progress ${reports}\n`);
  if (reports <= 4) Atomics.wait(pause, 0, 0, 100);
};

const tx = await openTransaction({ imagePath });
await tx.apply(guestPatches());
process.stdout.write('applied\n');
Atomics.wait(pause, 0, 0, 100);
if (mode === 'backed') await tx.commit({ mode: 'backed', output }, { onProgress });
else if (mode === 'standalone') await tx.commit({ mode: 'standalone', output, format: 'qcow2' }, { onProgress });
else await tx.commit({ mode: 'in-place', journalPath: output }, { onProgress });
await tx.close();
process.stdout.write('done\n');
