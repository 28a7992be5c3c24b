// Linux inspection benchmark: rehost inspecting the lab guests (../shared/guests, VMware
// flavour, initramfs-tools and dracut) as `rehost inspect` does — open the disk, find the
// volumes, every fact including each initramfs opened and audited — against `virt-inspector`
// on the same disk (TCG: nested KVM does not start the libguestfs appliance here). The guests
// are built (or reused) by fixtures/scripts/linux-lab-guests.sh. Run after `npm run build`.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { haveTool, printComparison, sh, timeCommand } from './lib.mjs';

const ROOT = new URL('../', import.meta.url).pathname;
const guests = String(sh('bash', [join(ROOT, 'fixtures/scripts/linux-lab-guests.sh')])).trim().split('\n');
const inspect = (disk) => [
  '-e',
  `import(${JSON.stringify(new URL('../dist/inspect/index.js', import.meta.url).href)}).then(async (m) => {
     const r = await m.inspectImage({ path: ${JSON.stringify(disk)} });
     if (r.operatingSystems.length !== 1) throw new Error('expected one OS');
   })`,
];

const rows = [];
for (const dir of guests) {
  const disk = join(dir, 'disk.raw');
  const flavour = dir.includes('dracut') ? 'dracut' : 'initramfs-tools';
  const rehost = timeCommand('node', inspect(disk), { runs: 3 });
  if (!haveTool('virt-inspector')) {
    process.stdout.write(`virt-inspector is not installed (Debian: libguestfs-tools); rehost alone on ${flavour}: ${rehost.toFixed(3)} s\n`);
    continue;
  }
  const env = { ...process.env, LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };
  const started = process.hrtime.bigint();
  const peer = spawnSync('virt-inspector', ['--format=raw', '-a', disk], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (peer.status !== 0) {
    process.stdout.write(`virt-inspector failed on ${flavour}: ${String(peer.stderr).slice(0, 400)}\n`);
    continue;
  }
  rows.push({ task: `inspect lab guest (${flavour}), all facts`, rehost, peerName: 'virt-inspector (one run)', peer: seconds });
}
printComparison('Linux inspection (whole process)', rows);
for (const r of rows) process.stdout.write(`${r.task}: rehost is ${(r.peer / r.rehost).toFixed(1)}× faster (target ≥ 25×)\n`);
