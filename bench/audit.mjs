// Fleet audit throughput: a fleet of ≥ 200 qcow2 overlays (backed by the example image and,
// when it has been built, by a lab guest in .cache/linux-guest/*/disk.raw) audited in one
// run with the default worker pool, fingerprinted against every catalog platform as the CLI
// does. Prints images per hour and guest bytes read as a share of the virtual size, per
// backing image and for the whole fleet, and the output sizes (lean per-VM records, the
// compressed full inspections beside them, fleet.html). AUDIT_BENCH_IMAGES sets the fleet
// size (default 240), AUDIT_BENCH_INITRAMFS=read reads initramfs images (default skip, as the
// CLI). Needs `npm run build` first.

import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { benchDir, sh } from './lib.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const { runAudit } = await import(join(ROOT, 'dist/audit/index.js'));
const { loadCatalog } = await import(join(ROOT, 'dist/catalog/index.js'));
const INITRAMFS = process.env.AUDIT_BENCH_INITRAMFS === 'read' ? 'read' : 'skip';

const TOTAL = Number(process.env.AUDIT_BENCH_IMAGES ?? 240);
const example = join(ROOT, 'fixtures/example/debian-mini.qcow2');
const guestsDir = join(ROOT, '.cache/linux-guest');
const guests = existsSync(guestsDir)
  ? readdirSync(guestsDir).sort().map((d) => join(guestsDir, d, 'disk.raw')).filter((p) => existsSync(p))
  : [];
const bases = [{ name: 'example (qcow2, 64 MiB)', path: example, format: 'qcow2' }, ...guests.map((p) => ({ name: `lab guest ${p.split('/').at(-2)} (raw)`, path: p, format: 'raw' }))];

const dir = benchDir();
const fleet = join(dir, 'fleet');
mkdirSync(fleet);
const groupOf = new Map();
for (let i = 0; i < TOTAL; i++) {
  const base = bases[i % bases.length];
  const name = `vm-${String(i).padStart(4, '0')}.qcow2`;
  sh('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base.path, '-F', base.format, join(fleet, name)]);
  groupOf.set(name, base.name);
}

const jobs = availableParallelism();
const catalog = await loadCatalog();
const out = join(dir, 'out');
const started = performance.now();
const result = await runAudit({ sources: [fleet], outDir: out, jobs, initramfs: INITRAMFS, fingerprint: { catalog, targets: catalog.platforms.map((p) => p.id) } });
const seconds = (performance.now() - started) / 1000;

const groups = new Map();
for (const record of result.records) {
  const g = groupOf.get(record.key) ?? 'other';
  const acc = groups.get(g) ?? { images: 0, failed: 0, bytesRead: 0, virtualSize: 0, ms: 0 };
  acc.images++;
  if (record.error) acc.failed++;
  acc.bytesRead += record.bytesRead;
  acc.virtualSize += record.virtualSize;
  acc.ms += record.timing.durationMs;
  groups.set(g, acc);
}

const mib = (b) => (b / 1048576).toFixed(1);
process.stdout.write(`\n## Fleet audit: ${result.records.length} images, ${jobs} workers, initramfs ${INITRAMFS === 'read' ? 'read' : 'skipped'}, ${catalog.platforms.length} targets\n\n`);
process.stdout.write('| images | failed | worker ms / image (mean) | bytes read (MiB) | virtual size (MiB) | read / virtual |\n');
process.stdout.write('|---|---:|---:|---:|---:|---:|\n');
for (const [name, g] of [...groups].sort()) {
  process.stdout.write(`| ${g.images} × ${name} | ${g.failed} | ${(g.ms / g.images).toFixed(0)} | ${mib(g.bytesRead)} | ${mib(g.virtualSize)} | ${((100 * g.bytesRead) / g.virtualSize).toFixed(3)}% |\n`);
}
const s = result.summary;
process.stdout.write(`| **all ${s.vms}** | ${s.failed} | | ${mib(s.bytesRead)} | ${mib(s.virtualSize)} | ${((100 * s.bytesRead) / s.virtualSize).toFixed(3)}% |\n`);
process.stdout.write(`\nwall clock ${seconds.toFixed(1)} s (discovery included) → **${Math.round((result.records.length / seconds) * 3600)} images/hour** (target ≥ 1,000; bytes read target < 2%)\n`);
const vmsDir = join(out, 'vms');
const sizes = (suffix) => readdirSync(vmsDir).filter((n) => n.endsWith(suffix)).map((n) => statSync(join(vmsDir, n)).size);
const stats = (list) => `mean ${(list.reduce((a, b) => a + b, 0) / Math.max(list.length, 1) / 1024).toFixed(1)} KiB, max ${(Math.max(0, ...list) / 1024).toFixed(1)} KiB`;
process.stdout.write(`output: vms/<id>.json ${stats(sizes('.json'))}; vms/<id>.inspection.json.gz ${stats(sizes('.inspection.json.gz'))}; fleet.html ${(statSync(join(out, 'fleet.html')).size / 1024).toFixed(0)} KiB\n`);
if (s.failed > 0) {
  process.stdout.write(`failures: ${JSON.stringify(s.failures.slice(0, 3))}\n`);
  process.exitCode = 1;
}
