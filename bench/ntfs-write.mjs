// NTFS write benchmark (issue 11): create 5,000 files and write 100 MB into a fresh mkntfs
// volume. rehost three ways — the library's writer straight onto the image file, and the CLI
// `rehost copy-in` (overlay, verify, then --in-place with its undo journal, or -o a backed
// qcow2) — against ntfs-3g two ways: `ntfscp` once per file (5,003 processes, as a script
// would do it) and, where FUSE works, an ntfs-3g mount + `cp -r` + unmount. Every run starts
// from a fresh copy of the same volume (made untimed), and every result is checked with
// ntfs-3g's own tools: `ntfsls` must list all 5,003 files, `ntfscat` must return the big files'
// bytes, and `ntfsfix -n` must find nothing to fix on rehost's results.
// Run after `npm run build`: node bench/ntfs-write.mjs

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { benchDir, haveTool, printComparison, sh, timeCommand, REHOST } from './lib.mjs';

// REHOST_BENCH_SCALE (e.g. 0.05) shrinks the run for a quick smoke test.
const SCALE = Number(process.env.REHOST_BENCH_SCALE ?? 1);
const SMALL_FILES = Math.round(5000 * SCALE);
const TOTAL_BYTES = Math.round(100 * 1000 * 1000 * SCALE);
const BIG_FILES = 3;
const VOLUME_MIB = 512;
const NTFS = new URL('../dist/fs/ntfs/index.js', import.meta.url).href;
const IO = new URL('../dist/io/file-device.js', import.meta.url).href;

for (const tool of ['mkntfs', 'ntfscp', 'ntfsls', 'ntfscat', 'ntfsfix']) if (!haveTool(tool)) throw new Error(`${tool} is missing`);
if (!existsSync(REHOST)) throw new Error('run `npm run build` first');

const dir = benchDir();
const sha = (data) => createHash('sha256').update(data).digest('hex');

// Deterministic content (xorshift32), so no filesystem can store it sparse or compressed.
function bytesOf(length, seed) {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// The local tree: src/bench/ with 5,000 small files (0.5–4 KiB) and 3 big ones, 100 MB in all.
const local = join(dir, 'src', 'bench');
mkdirSync(local, { recursive: true });
const names = [];
let smallBytes = 0;
for (let i = 0; i < SMALL_FILES; i++) {
  const name = `file-${String(i).padStart(5, '0')}.txt`;
  const size = 512 + ((i * 2654435761) >>> 0) % 3584;
  writeFileSync(join(local, name), bytesOf(size, i + 1));
  names.push(name);
  smallBytes += size;
}
const bigSize = Math.floor((TOTAL_BYTES - smallBytes) / BIG_FILES);
const bigHashes = new Map();
for (let i = 0; i < BIG_FILES; i++) {
  const name = `big-${i}.bin`;
  const data = bytesOf(bigSize, 1000 + i);
  writeFileSync(join(local, name), data);
  bigHashes.set(name, sha(data));
  names.push(name);
}
const totalBytes = smallBytes + bigSize * BIG_FILES;
process.stdout.write(`local tree: ${names.length} files, ${(totalBytes / 1e6).toFixed(1)} MB (${SMALL_FILES} of 0.5–4 KiB, ${BIG_FILES} of ${(bigSize / 1e6).toFixed(1)} MB)\n`);

// The fresh volume: mkntfs, plus an empty /bench made by rehost (ntfscp cannot make directories).
const base = join(dir, 'base.img');
sh('truncate', ['-s', `${VOLUME_MIB}M`, base]);
sh('mkntfs', ['-F', '-Q', '-q', base]);
sh('node', [REHOST, 'mkdir', base, '/bench', '--in-place']);
rmSync(`${base}.rehost-undo`);
const work = join(dir, 'work.img');
const fresh = () => {
  rmSync(work, { force: true });
  rmSync(`${work}.rehost-undo`, { force: true });
  rmSync(join(dir, 'out.qcow2'), { force: true });
  sh('cp', ['--sparse=always', base, work]);
};

/** ntfs-3g's view of a result: every file of /bench there, big files byte-exact, (optionally) ntfsfix clean. */
function check(image, label, { ntfsfix }) {
  const listed = sh('ntfsls', ['-p', '/bench', image]).toString().split('\n').filter((l) => l.length > 0 && l !== '.' && l !== '..');
  const missing = names.filter((n) => !listed.includes(n));
  if (listed.length !== names.length || missing.length > 0) throw new Error(`${label}: ntfsls lists ${listed.length} files in /bench, expected ${names.length} (missing e.g. ${missing.slice(0, 3).join(', ')})`);
  for (const [name, hash] of bigHashes) {
    if (sha(sh('ntfscat', [image, `/bench/${name}`])) !== hash) throw new Error(`${label}: ntfscat /bench/${name} differs`);
  }
  const sample = names[Math.min(1234, names.length - 1)];
  if (Buffer.compare(sh('ntfscat', [image, `/bench/${sample}`]), readFileSync(join(local, sample))) !== 0) throw new Error(`${label}: ntfscat /bench/${sample} differs`);
  if (ntfsfix) {
    const r = spawnSync('ntfsfix', ['-n', image], { encoding: 'utf8' });
    if (r.status !== 0 || /(mismatch|corrupt|dirty|FAILED|error)/i.test(r.stdout + r.stderr)) throw new Error(`${label}: ntfsfix -n: ${r.stdout}${r.stderr}`);
  }
  return `${label}: ntfsls ${listed.length} files in /bench, ${bigHashes.size} big files byte-exact${ntfsfix ? ', ntfsfix -n clean' : ''}`;
}

// The library: NtfsWritableFileSystem straight onto the image file (no overlay, no verify).
const LIBRARY = `
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WritableFileDevice } from ${JSON.stringify(IO)};
import { openNtfsWritable } from ${JSON.stringify(NTFS)};
const [image, source] = process.argv.slice(1);
const device = await WritableFileDevice.openExisting(image);
const fs = await openNtfsWritable(device);
for (const name of readdirSync(source).sort()) {
  const data = readFileSync(join(source, name));
  await fs.writeFile('/bench/' + name, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}
await fs.flush();
await device.close();
`;

const notes = [];
const timed = (label, command, args, runs, after) => {
  let seconds;
  try {
    seconds = timeCommand(command, args, { runs, before: fresh });
  } catch (error) {
    notes.push(`${label} failed: ${String(error.message).slice(0, 300)}`);
    return undefined;
  }
  notes.push(after());
  return seconds;
};

const rehost = [];
const lib = timed('library', 'node', ['--input-type=module', '-e', LIBRARY, work, local], 3, () => check(work, 'library', { ntfsfix: true }));
if (lib !== undefined) rehost.push({ task: 'rehost library: NTFS writer onto the image file', seconds: lib });
const inPlace = timed('copy-in --in-place', 'node', [REHOST, 'copy-in', work, local, '/', '--in-place'], 3, () => check(work, 'copy-in --in-place', { ntfsfix: true }));
if (inPlace !== undefined) rehost.push({ task: 'rehost copy-in --in-place (overlay, verify, undo journal)', seconds: inPlace });
const backed = timed('copy-in -o qcow2', 'node', [REHOST, 'copy-in', work, local, '/', '-o', join(dir, 'out.qcow2')], 3, () => {
  const raw = join(dir, 'out.raw');
  sh('qemu-img', ['convert', '-O', 'raw', join(dir, 'out.qcow2'), raw]);
  const line = check(raw, 'copy-in -o out.qcow2', { ntfsfix: true });
  rmSync(raw);
  return line;
});
if (backed !== undefined) rehost.push({ task: 'rehost copy-in -o out.qcow2 (backed by the source)', seconds: backed });

// ntfs-3g, one ntfscp process per file.
const script = join(dir, 'ntfscp.sh');
writeFileSync(script, `set -e\ncd '${local}'\nfor f in *; do ntfscp "$1" "$f" "/bench/$f"; done\n`);
const ntfscp = timed('ntfscp', 'bash', [script, work], 1, () => check(work, 'ntfscp per file', { ntfsfix: false }));

// ntfs-3g through FUSE, where this machine allows it.
let fuse;
const mnt = join(dir, 'mnt');
mkdirSync(mnt);
const canFuse = existsSync('/dev/fuse') && haveTool('ntfs-3g') && spawnSync('sh', ['-c', `cp --sparse=always '${base}' '${work}' && ntfs-3g '${work}' '${mnt}' && fusermount -u '${mnt}'`]).status === 0;
if (canFuse) {
  const fuseScript = join(dir, 'fuse.sh');
  // no_detach keeps ntfs-3g in the foreground, so waiting for it covers its final sync and close.
  writeFileSync(
    fuseScript,
    `set -e\nntfs-3g -o no_detach "$1" '${mnt}' 2>/dev/null &\npid=$!\nfor i in $(seq 1 500); do mountpoint -q '${mnt}' && break; sleep 0.01; done\ncp -r '${local}'/. '${mnt}/bench/'\nfusermount -u '${mnt}'\nwait $pid\n`,
  );
  fuse = timed('ntfs-3g FUSE', 'bash', [fuseScript, work], 3, () => check(work, 'ntfs-3g mount + cp -r', { ntfsfix: false }));
} else notes.push('FUSE: ntfs-3g cannot mount here; the FUSE comparison is left out');

const title = `${names.length} files, ${(totalBytes / 1e6).toFixed(0)} MB into a fresh ${VOLUME_MIB} MiB mkntfs volume (whole process)`;
if (ntfscp !== undefined) printComparison(`${title}: vs ntfscp per file (1 run)`, rehost.map((r) => ({ task: r.task, rehost: r.seconds, peer: ntfscp, peerName: `ntfscp × ${names.length}` })));
if (fuse !== undefined) printComparison(`${title}: vs ntfs-3g FUSE mount + cp -r + unmount (median of 3)`, rehost.map((r) => ({ task: r.task, rehost: r.seconds, peer: fuse, peerName: 'ntfs-3g mount, cp -r' })));
process.stdout.write(`\nrehost runs: median of 3. Checked with ntfs-3g tools:\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
process.stdout.write(`volume image: ${(statSync(base).size / 2 ** 20).toFixed(0)} MiB\n`);
rmSync(dir, { recursive: true, force: true });
if (notes.some((n) => / failed: /.test(n))) process.exitCode = 1;
