// Benchmark: recursive listing + reading every file of a 50,000-file ext4 image, rehost
// (libext2fs in its worker, behind our FileSystem) against `debugfs -R 'rdump / DIR'` on the
// same image, side by side with the ratio. Also reports the WebAssembly start-up cost
// (worker spawn + compile + mount) and what importing the ext module costs without it.
// Run after `npm run build`: node bench/ext.mjs [fileCount]

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const count = Number(process.argv[2] ?? 50_000);
const dir = mkdtempSync(join(tmpdir(), 'rehost-bench-ext-'));
const tree = join(dir, 'tree');
const image = join(dir, 'bench.ext4');

function seconds(ms) {
  return (ms / 1000).toFixed(2);
}

try {
  // A tree shaped like a root filesystem: 500 directories of 100 files, 0–4 KiB each.
  let bytes = 0;
  let state = 12345;
  const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const perDir = 100;
  for (let d = 0; d * perDir < count; d++) {
    const sub = join(tree, `dir${Math.floor(d / 50)}`, `sub${d}`);
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < perDir && d * perDir + f < count; f++) {
      const size = Math.floor(rand() * 4096);
      const data = Buffer.alloc(size, (d + f) & 0xff);
      writeFileSync(join(sub, `file${f}.dat`), data);
      bytes += size;
    }
  }
  let t = performance.now();
  execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-N', String(count + 10_000), '-d', tree, image, `${Math.ceil((bytes * 2) / 1024 / 1024) + 64}M`]);
  const mkfsMs = performance.now() - t;

  t = performance.now();
  const ext = await import('../dist/fs/ext/index.js');
  const io = await import('../dist/io/index.js');
  const importMs = performance.now() - t;

  t = performance.now();
  const device = await io.FileDevice.open(image);
  const fs = await ext.openExt(device);
  const openMs = performance.now() - t;
  const startup = ext.extStartupTimings[0];

  t = performance.now();
  let files = 0;
  let read = 0;
  const queue = ['/'];
  while (queue.length > 0) {
    const current = queue.pop();
    for (const entry of await fs.readdir(current)) {
      const path = current === '/' ? `/${entry.name}` : `${current}/${entry.name}`;
      const stat = await fs.stat(path);
      if (stat.type === 'directory') queue.push(path);
      else if (stat.type === 'file') {
        read += (await fs.readFile(path)).length;
        files++;
      }
    }
  }
  const rehostMs = performance.now() - t;
  await fs.close();

  const out = join(dir, 'rdump');
  mkdirSync(out);
  t = performance.now();
  execFileSync('debugfs', ['-R', `rdump / ${out}`, image], { stdio: 'ignore' });
  const debugfsMs = performance.now() - t;

  if (read !== bytes || files !== count) throw new Error(`rehost read ${files} files / ${read} bytes, expected ${count} / ${bytes}`);
  console.log(`ext4 image: ${count} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB of data (mkfs.ext4 -d took ${seconds(mkfsMs)} s)`);
  console.log(`import of dist/fs/ext (no WebAssembly yet): ${importMs.toFixed(1)} ms`);
  console.log(`WebAssembly start-up (worker spawn + compile + mount): ${startup.toFixed(1)} ms; openExt total ${openMs.toFixed(1)} ms`);
  console.log('');
  console.log('| tool | task | files | seconds | files/s | ratio to debugfs |');
  console.log('|---|---|---|---|---|---|');
  console.log(`| debugfs rdump / | list + extract every file | ${count} | ${seconds(debugfsMs)} | ${Math.round(count / (debugfsMs / 1000))} | 1.00 |`);
  console.log(`| rehost (libext2fs worker) | readdir + stat + readFile every file | ${files} | ${seconds(rehostMs)} | ${Math.round(files / (rehostMs / 1000))} | ${(rehostMs / debugfsMs).toFixed(2)} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
