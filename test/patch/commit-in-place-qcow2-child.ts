// Child process of the qcow2 in-place kill test: opens a transaction on IMAGE (a qcow2), applies
// the example patches (argv: IMAGE JOURNAL KILL_AT [BIG_FILE_BYTES]), verifies, and commits in place with its undo journal at JOURNAL. It
// prints `applied`, `phase NAME` before each write phase and `write N NAME` after each write;
// when it reaches KILL_AT (`applied`, `first-phase` or a write number) it prints `at KILL_AT`
// and blocks there until the parent kills it. `done` when finished.

import { openTransaction } from '../../src/patch/index.js';
import { commitInPlace } from '../../src/patch/commit.js';
import { examplePatches } from './commit-in-place-qcow2-patches.js';

const [imagePath, journalPath, killAt, bigSize] = process.argv.slice(2) as [string, string, string, string | undefined];
const forever = (): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
};
const stop = (at: string): void => {
  if (at !== killAt) return;
  process.stdout.write(`at ${at}\n`);
  forever();
};

const tx = await openTransaction({ imagePath });
await tx.apply(examplePatches(bigSize !== undefined ? Number(bigSize) : undefined));
await tx.verify();
process.stdout.write('applied\n');
stop('applied');
let phase = '';
let writes = 0;
await commitInPlace({
  image: tx.image,
  overlay: tx.overlay,
  journalPath,
  onPhase: (name) => {
    if (phase === '') stop('first-phase');
    phase = name.replace(/ /g, '-');
    process.stdout.write(`phase ${phase}\n`);
  },
  onProgress: () => {
    writes++;
    process.stdout.write(`write ${writes} ${phase}\n`);
    stop(String(writes));
  },
});
await tx.close();
process.stdout.write('done\n');
