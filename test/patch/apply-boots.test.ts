// The decisive proof of the write path (issue "Done means"), by real boots under QEMU: for the
// VMware-built Debian lab guests in both initramfs flavours (test/linux/facts/lab-guest.ts):
// - before: boot-check FAILS on virtio-blk and virtio-scsi (the host-only initramfs has no virtio);
// - after `rehost apply IMAGE --to kvm -o kvm.qcow2`: BOOTS on virtio-blk and virtio-scsi, and
//   still on pvscsi and ahci;
// - after `rehost apply IMAGE --to aws-nitro -o nitro.qcow2`: BOOTS on nvme
//   (scripts/boot-check-bus.sh; boot-check.sh has no nvme bus);
// - the source image's sha256 is unchanged, and `e2fsck -fn` is clean on every written
//   ext filesystem of both outputs (qemu-img convert to raw, dd of the partition).
// Gated by REHOST_BOOT_CHECK=1 (scripts/test-apply-boots.sh runs it, bounded by timeout): 14
// boots under TCG. REHOST_APPLY_VIA=library drives the initramfs realizer through the library
// instead of the CLI (the path used before `rehost apply` existed). Each boot's verdict and
// seconds are appended to REHOST_BOOT_LOG.

import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openImage } from '../../src/image/open.js';
import { discoverVolumes } from '../../src/fs/discover.js';
import { openFileSystem } from '../../src/fs/open.js';
import { openInitramfs } from '../../src/linux/initramfs/index.js';
import { REHOST_BIN } from '../helpers/cli.js';
import { requireTool, sha256File, tempDir } from '../helpers/tools.js';
import { labGuest, type GuestFlavour } from '../linux/facts/lab-guest.js';
import { applyModules } from './realize-initramfs-lab.js';

const ENABLED = process.env.REHOST_BOOT_CHECK === '1';
const BOOT = new URL('../../scripts/boot-check-bus.sh', import.meta.url).pathname;
const BOOT_TIMEOUT = Number(process.env.REHOST_BOOT_TIMEOUT ?? 300);
const VIA = process.env.REHOST_APPLY_VIA === 'library' ? 'library' : 'cli';
/** The modules each target's rules add (catalog boot-storage devices), for the library path. */
const TARGET_MODULES: Record<string, string[]> = { kvm: ['virtio_blk', 'virtio_scsi', 'virtio_pci'], 'aws-nitro': ['nvme', 'nvme_core'] };
/** Which driver must be in the output's initramfs for the target. */
const TARGET_CHECK: Record<string, string[]> = { kvm: ['virtio_blk', 'virtio_scsi', 'virtio_pci'], 'aws-nitro': ['nvme', 'nvme_core'] };

function log(line: string): void {
  if (process.env.REHOST_BOOT_LOG) appendFileSync(process.env.REHOST_BOOT_LOG, `${line}\n`);
}

/** Boots `disk` on `bus`; the verdict line (BOOTED/FAILED …) is logged and returned. */
function boot(args: { disk: string; bus: string; label: string; dracut: boolean }): { booted: boolean; line: string; output: string } {
  // dracut waits minutes for a missing root unless told otherwise (../shared/guests/README.md).
  const append = args.dracut ? ['--append', 'rd.retry=20 rd.timeout=40'] : [];
  const result = spawnSync(BOOT, [args.disk, '--bus', args.bus, '--timeout', String(BOOT_TIMEOUT), ...append], {
    encoding: 'utf8',
    timeout: (BOOT_TIMEOUT + 120) * 1000,
    killSignal: 'SIGTERM',
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const line = (result.stdout ?? '').split('\n').find((l) => /^(BOOTED|FAILED)/.test(l)) ?? `FAILED no verdict (exit ${result.status}, ${result.error?.message ?? ''})`;
  log(`${args.label.padEnd(32)} ${args.bus.padEnd(12)} ${line}`);
  return { booted: result.status === 0 && line.startsWith('BOOTED'), line, output };
}

/**
 * Applies for `target`; returns the image to boot: the output, or the source itself when
 * rehost found nothing to do (the guest already suits the target: no output is written).
 */
async function applyTo(args: { disk: string; target: string; output: string }): Promise<string> {
  const started = Date.now();
  let nothing = false;
  if (VIA === 'cli') {
    const result = spawnSync('node', [REHOST_BIN, 'apply', args.disk, '--to', args.target, '-o', args.output], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (result.status !== 0) throw new Error(`rehost apply --to ${args.target} exited ${result.status}:\n${result.stderr}${result.stdout}`);
    nothing = !existsSync(args.output);
    if (nothing) expect(`${result.stdout}${result.stderr}`).toMatch(/nothing to do/);
  } else {
    const { patches } = await applyModules({ disk: args.disk, output: args.output, modules: TARGET_MODULES[args.target] as string[] });
    nothing = patches.length === 0;
  }
  const image = nothing ? args.disk : args.output;
  log(`apply --to ${args.target} (${VIA}) ${((Date.now() - started) / 1000).toFixed(1)}s -> ${nothing ? 'nothing to do (booting the source)' : args.output}`);
  return image;
}

/** Module names in the newest initramfs of the image's root filesystem. */
async function initramfsModules(image: string): Promise<Set<string>> {
  const disk = await openImage(image);
  try {
    const { volumes } = await discoverVolumes(disk.device);
    for (const volume of volumes) {
      if (!volume.filesystem.kind.startsWith('ext')) continue;
      const fs = await openFileSystem(volume.device, { kind: volume.filesystem.kind });
      const names = (await fs.readdir('/boot').catch(() => [])).map((e) => e.name).filter((n) => n.startsWith('initrd.img-'));
      const name = names.sort().pop();
      if (name === undefined) continue;
      return new Set(openInitramfs(await fs.readFile(`/boot/${name}`)).modules().map((m) => m.name));
    }
    throw new Error(`no initramfs in ${image}`);
  } finally {
    await disk.close();
  }
}

/** e2fsck -fn on every ext filesystem of a (qcow2) image; returns one summary line per partition. */
function fsckImage(args: { image: string; dir: string }): string[] {
  const raw = join(args.dir, 'fsck.raw');
  execFileSync('qemu-img', ['convert', '-O', 'raw', args.image, raw]);
  const table = JSON.parse(execFileSync('sfdisk', ['-J', raw], { encoding: 'utf8' })) as { partitiontable: { sectorsize?: number; partitions: Array<{ start: number; size: number }> } };
  const sector = table.partitiontable.sectorsize ?? 512;
  const out: string[] = [];
  for (const [i, part] of table.partitiontable.partitions.entries()) {
    const magic = Buffer.alloc(2);
    const fd = openSync(raw, 'r');
    readSync(fd, magic, 0, 2, part.start * sector + 1080);
    closeSync(fd);
    if (magic.readUInt16LE(0) !== 0xef53) continue;
    const partFile = join(args.dir, `p${i + 1}.img`);
    execFileSync('dd', [`if=${raw}`, `of=${partFile}`, 'bs=1M', 'iflag=skip_bytes,count_bytes', `skip=${part.start * sector}`, `count=${part.size * sector}`, 'conv=sparse', 'status=none']);
    const fsck = spawnSync('e2fsck', ['-fn', partFile], { encoding: 'utf8' });
    expect(fsck.status, `e2fsck -fn p${i + 1} of ${args.image}:\n${fsck.stdout}${fsck.stderr}`).toBe(0);
    out.push(`p${i + 1}: ${(fsck.stdout.trim().split('\n').pop() ?? '').trim()}`);
    rmSync(partFile);
  }
  rmSync(raw);
  expect(out.length).toBeGreaterThan(0);
  return out;
}

const FLAVOURS: GuestFlavour[] = ['initramfs-tools', 'dracut'];

describe.skipIf(!ENABLED)('rehost apply on the VMware lab guests, proven by real boots', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const flavour of FLAVOURS) {
    it(
      `${flavour}: fails on virtio before; boots on virtio-blk, virtio-scsi, pvscsi, ahci after --to kvm and on nvme after --to aws-nitro`,
      async () => {
        for (const tool of ['qemu-system-x86_64', 'qemu-img', 'e2fsck', 'sfdisk', 'debugfs', 'jq']) requireTool(tool);
        const lab = labGuest(flavour, { source: 'vmware' });
        const dir = tempDir('rehost-apply-boots-');
        dirs.push(dir);
        const dracut = flavour === 'dracut';
        const sourceSha = await sha256File(lab.disk);
        const failures: string[] = [];
        const want = (label: string, bus: string, disk: string, booted: boolean): void => {
          const r = boot({ disk, bus, label, dracut });
          if (r.booted !== booted) failures.push(`${label} ${bus}: expected ${booted ? 'BOOTED' : 'FAILED'}, got ${r.line}\n${r.output.split('\n').slice(-25).join('\n')}`);
        };

        want(`${flavour} before`, 'virtio-blk', lab.disk, false);
        want(`${flavour} before`, 'virtio-scsi', lab.disk, false);

        const kvm = join(dir, 'kvm.qcow2');
        expect(await applyTo({ disk: lab.disk, target: 'kvm', output: kvm })).toBe(kvm);
        const kvmModules = await initramfsModules(kvm);
        for (const m of TARGET_CHECK.kvm as string[]) expect(kvmModules.has(m), `${m} in the kvm output's initramfs`).toBe(true);
        for (const bus of ['virtio-blk', 'virtio-scsi', 'pvscsi', 'ahci']) want(`${flavour} after --to kvm`, bus, kvm, true);

        const nitro = await applyTo({ disk: lab.disk, target: 'aws-nitro', output: join(dir, 'nitro.qcow2') });
        const nitroModules = await initramfsModules(nitro);
        for (const m of TARGET_CHECK['aws-nitro'] as string[]) expect(nitroModules.has(m), `${m} in the aws-nitro output's initramfs`).toBe(true);
        want(`${flavour} after --to aws-nitro`, 'nvme', nitro, true);

        expect(await sha256File(lab.disk), 'the source image changed').toBe(sourceSha);
        log(`${flavour} source sha256 unchanged (${sourceSha.slice(0, 16)}…)`);
        for (const image of nitro === lab.disk ? [kvm] : [kvm, nitro]) for (const line of fsckImage({ image, dir })) log(`${flavour} e2fsck -fn ${image.split('/').pop()} ${line}`);
        expect(failures, failures.join('\n\n')).toEqual([]);
      },
      40 * 60_000,
    );
  }
});
