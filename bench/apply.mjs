// Conversion benchmark for a VMware-built Linux guest moving to KVM: `rehost apply --to kvm
// -o out.qcow2` (plan, patch the initramfs/configs through the overlay, verify by re-planning,
// commit a qcow2 backed by the untouched source) against `virt-v2v -i disk … -o local` (which
// boots a libguestfs helper appliance, under TCG here since nested KVM does not start it) on
// the same lab guests (fixtures/scripts/linux-lab-guests.sh). Both outputs are then booted on
// virtio-blk (scripts/boot-check-bus.sh over ../shared/guests/boot-check.sh): speed without a
// booting result is worth nothing.
// Set REHOST_BENCH_BOOT=0 to skip the boots. Run after `npm run build`.

import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REHOST, benchDir, haveTool, printComparison, sh, timeCommand } from './lib.mjs';

const ROOT = new URL('../', import.meta.url).pathname;
// Retries a boot that dies in the emulated IO-APIC timer check (host load, not the guest).
const BOOT_CHECK = join(ROOT, 'scripts/boot-check-bus.sh');
const boots = process.env.REHOST_BENCH_BOOT !== '0';
const guests = String(sh('bash', [join(ROOT, 'fixtures/scripts/linux-lab-guests.sh')])).trim().split('\n');
const work = benchDir();

function bootCheck(disk) {
  if (!boots) return 'not booted';
  const r = spawnSync('bash', [BOOT_CHECK, disk, '--bus', 'virtio-blk', '--timeout', '400'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return String(r.stdout).split('\n').find((line) => /^(BOOTED|FAILED)/.test(line)) ?? `exit ${r.status}`;
}

const rows = [];
const outcomes = [];
for (const dir of guests) {
  const disk = join(dir, 'disk.raw');
  const flavour = dir.includes('dracut') ? 'dracut' : 'initramfs-tools';
  const out = join(work, `${flavour}.qcow2`);
  const rehost = timeCommand('node', [REHOST, 'apply', disk, '--to', 'kvm', '-o', out], { runs: 3, before: () => rmSync(out, { force: true }) });
  const rehostBoot = bootCheck(out);
  if (!haveTool('virt-v2v')) {
    process.stdout.write(`virt-v2v is not installed (Debian: virt-v2v nbdkit libnbd-bin); rehost alone on ${flavour}: ${rehost.toFixed(3)} s, ${rehostBoot}\n`);
    continue;
  }
  const v2vDir = join(work, `v2v-${flavour}`);
  sh('mkdir', ['-p', v2vDir]);
  const env = { ...process.env, LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };
  const started = process.hrtime.bigint();
  const peer = spawnSync('virt-v2v', ['-i', 'disk', disk, '-o', 'local', '-os', v2vDir, '-of', 'qcow2'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (peer.status !== 0) {
    process.stdout.write(`virt-v2v failed on ${flavour}: ${String(peer.stderr).slice(-600)}\n`);
    continue;
  }
  const v2vDisk = readdirSync(v2vDir).find((f) => f.endsWith('-sda'));
  const peerBoot = v2vDisk === undefined ? 'no output disk' : bootCheck(join(v2vDir, v2vDisk));
  rows.push({ task: `VMware guest (${flavour}) → KVM`, rehost, peerName: 'virt-v2v -o local (one run)', peer: seconds });
  outcomes.push(`${flavour}: rehost output on virtio-blk: ${rehostBoot}; virt-v2v output: ${peerBoot}`);
}
printComparison('Convert a VMware-built Linux guest for KVM (whole process)', rows);
for (const r of rows) process.stdout.write(`${r.task}: rehost is ${(r.peer / r.rehost).toFixed(1)}× faster (goal ≥ 20×)\n`);
for (const line of outcomes) process.stdout.write(`${line}\n`);
rmSync(work, { recursive: true, force: true });
