// NTFS benchmark: whole-process recursive listing (rehost's MFT walk through `node -e`, and
// `rehost ls -R` when the CLI is built) against `ntfsls -R -l` on ntfs-3g-made volumes of
// ~20,000 and ~100,000 files, then reading every non-empty file (one rehost process) against
// ntfscat (one process per file, as a script would). Volumes come from
// fixtures/scripts/ntfs-make.sh, cached under .cache/ntfs/ like the tests' fixtures.
// Run after `npm run build`: node bench/ntfs.mjs

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir, haveTool, printComparison, sh, timeCommand, REHOST } from './lib.mjs';

const ROOT = new URL('../', import.meta.url).pathname;
const NTFS = new URL('../dist/fs/ntfs/index.js', import.meta.url).href;
const IO = new URL('../dist/io/file-device.js', import.meta.url).href;

function fixture(script, args) {
  const path = join(ROOT, 'fixtures/scripts', script);
  const hash = createHash('sha256').update(readFileSync(path)).update(JSON.stringify(args)).digest('hex').slice(0, 16);
  const dir = join(ROOT, '.cache/ntfs');
  mkdirSync(dir, { recursive: true });
  const image = join(dir, `${script.replace(/\.sh$/, '')}-${hash}.img`);
  if (existsSync(image)) return { image, seconds: 0 };
  const start = process.hrtime.bigint();
  const partial = `${image}.${process.pid}.tmp`;
  sh('bash', [path, partial, ...args]);
  renameSync(partial, image);
  return { image, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

// The rehost side: open the volume, walk it, print `inode size name` per entry grouped by
// directory (what ntfsls -R -l -i prints), in one process.
const LIST = `
import { FileDevice } from ${JSON.stringify(IO)};
import { openNtfs } from ${JSON.stringify(NTFS)};
const device = await FileDevice.open(process.argv[1]);
const fs = await openNtfs(device);
let out = '';
await fs.walkEach('/', {
  directory(path) { out += path + ':\\n'; },
  entry(name, type, size, inode) { out += inode + ' ' + size + ' ' + name + '\\n'; },
});
process.stdout.write(out);
await device.close();
`;

const CAT = `
import { createHash } from 'node:crypto';
import { FileDevice } from ${JSON.stringify(IO)};
import { openNtfs } from ${JSON.stringify(NTFS)};
const device = await FileDevice.open(process.argv[1]);
const fs = await openNtfs(device);
const paths = JSON.parse(process.argv[2]);
for (const p of paths) process.stdout.write(createHash('sha256').update(await fs.readFile(p)).digest('hex') + '  ' + p + '\\n');
await device.close();
`;

for (const tool of ['ntfsls', 'ntfscat', 'mkntfs', 'ntfs-3g']) if (!haveTool(tool)) throw new Error(`${tool} is missing`);
const dir = benchDir();
const rows = [];
const readRows = [];
for (const files of [20000, 100000]) {
  const args = files === 20000 ? ['20000'] : ['100000', '768'];
  const { image, seconds } = fixture('ntfs-make.sh', args);
  if (seconds > 0) process.stdout.write(`generated the ${files}-file volume in ${seconds.toFixed(1)} s\n`);
  const listed = sh('node', ['--input-type=module', '-e', LIST, image]).toString().split('\n').filter((l) => /^\d+ /.test(l)).length;
  const rehost = timeCommand('node', ['--input-type=module', '-e', LIST, image], { runs: 5 });
  const peer = timeCommand('ntfsls', ['-R', '-l', '-a', '-s', '-i', image], { runs: 5 });
  rows.push({ task: `ls -R, ${listed} entries (node -e, library)`, rehost, peer, peerName: 'ntfsls -R -l -a -s -i' });
  if (existsSync(REHOST)) {
    try {
      const cli = timeCommand('node', [REHOST, 'ls', '-R', image, '/'], { runs: 3 });
      rows.push({ task: `rehost ls -R, ${listed} entries (CLI)`, rehost: cli, peer, peerName: 'ntfsls -R -l -a -s -i' });
    } catch (error) {
      process.stdout.write(`(rehost ls -R failed: ${String(error.message).slice(0, 200)})\n`);
    }
  }
  // Every non-empty file outside the system files.
  const paths = [];
  let base = '/';
  {
    for (const line of sh('node', ['--input-type=module', '-e', LIST, image]).toString().split('\n')) {
      if (line.endsWith(':') && !/^\d+ \d+ /.test(line)) {
        base = line.slice(0, -1);
        continue;
      }
      const m = /^(\d+) (\d+) (.*)$/.exec(line);
      if (m && Number(m[2]) > 0 && !m[3].startsWith('$')) paths.push((base === '/' ? '' : base) + '/' + m[3]);
    }
  }
  const list = join(dir, `paths-${files}.json`);
  writeFileSync(list, JSON.stringify(paths));
  const script = join(dir, `cat-${files}.sh`);
  writeFileSync(script, paths.map((p) => `ntfscat '${image}' '${p.replace(/'/g, "'\\''")}' | sha256sum`).join('\n') + '\n');
  const rehostRead = timeCommand('node', ['--input-type=module', '-e', CAT, image, JSON.stringify(paths)], { runs: 3 });
  const peerRead = timeCommand('bash', [script], { runs: 1 });
  readRows.push({ task: `read + sha256 ${paths.length} files (${files}-file volume)`, rehost: rehostRead, peer: peerRead, peerName: 'ntfscat per file' });
}
printComparison('NTFS recursive listing (whole process, median of 5)', rows);
printComparison('NTFS reading every non-empty file', readRows);
process.stdout.write('\ntargets (issue 4): whole rehost process ≤ 0.15 s at 20,000 files, ≤ 0.5 s at 100,000\n');
