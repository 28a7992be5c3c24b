// applyPlan end to end on the synthetic device-name guest, with a small planner written here
// from the facts (so the orchestration is tested apart from the rule packs): every planned
// patch is realized and applied, verification re-plans to nothing, the backed qcow2 commit
// leaves the source byte-identical, debugfs reads back every change, e2fsck -fn finds both
// filesystems clean, and applying to the output says "nothing to do". Refusals come before
// any write: a blocked plan, a planner that still proposes patches after applying, and a
// volume rehost cannot write.

import { closeSync, copyFileSync, existsSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { applyPlan, type OsPlanner } from '../../src/patch/plan-apply.js';
import type { Plan, PlannedPatch } from '../../src/rules/types.js';
import type { LinuxFacts } from '../../src/linux/facts/index.js';
import { run, sha256File } from '../helpers/tools.js';
import { BOOT, BOOT_UUID, NIC, ROOT, ROOT_FILES, ROOT_UUID, debugfsCat, debugfsStat, e2fsckClean, extractPartitionOf, setUpDeviceNameGuest } from './apply-fixtures.js';

const UUIDS: Record<string, string> = { sda1: BOOT_UUID, sda2: ROOT_UUID };
const LINK = `/etc/systemd/network/10-rehost-${NIC.name}.link`;

/** A planner from the facts: kernel device names → UUID, the LVM devices file, the static NIC, vboxadd. */
const factsPlanner: OsPlanner = ({ os, target }) => {
  const facts = os.facts as LinuxFacts;
  const rule = 'test';
  const patches: PlannedPatch[] = [];
  const uuid = (name: string | undefined): string => `UUID=${UUIDS[name ?? ''] ?? 'unknown'}`;
  for (const e of facts.fstab) {
    if (e.device.naming === 'device-path') patches.push({ kind: 'table-device', volume: 'p2', path: '/etc/fstab', format: 'fstab', line: e.line, from: e.device.raw, to: uuid(e.device.value), precondition: '', rule });
  }
  for (const cfg of facts.boot.grub2) {
    const root = cfg.entries.find((x) => x.cmdline?.root?.naming === 'device-path')?.cmdline?.root;
    if (root) patches.push({ kind: 'kernel-arg-device', volume: 'p1', path: '/grub/grub.cfg', format: 'grub-cfg', arg: 'root', from: root.raw, to: uuid(root.value), precondition: '', rule });
  }
  const dg = facts.boot.defaultGrub?.cmdlineLinux?.root;
  if (dg?.naming === 'device-path') patches.push({ kind: 'kernel-arg-device', volume: 'p2', path: '/etc/default/grub', format: 'default-grub', arg: 'root', from: dg.raw, to: uuid(dg.value), precondition: '', rule });
  if (facts.lvm.devicesFile) patches.push({ kind: 'remove-file', volume: 'p2', path: '/etc/lvm/devices/system.devices', precondition: '', rule });
  for (const c of facts.network.configs) {
    if (c.method === 'static' && c.name && c.mac && !facts.network.macBindings.some((b) => b.name === c.name)) {
      patches.push({ kind: 'pin-nic-name', volume: 'p2', name: c.name, mac: c.mac, via: 'systemd-link', path: LINK, precondition: '', rule });
    }
  }
  return { os: os.root, target, results: [], patches, blocked: [] } satisfies Plan;
};

let dir: string;
let source: string;
let sourceHash: string;

beforeAll(async () => {
  ({ dir, source, sourceHash } = await setUpDeviceNameGuest({ tempPrefix: 'rehost-apply-plan-', readBackTools: ['debugfs', 'e2fsck'] }));
});

describe('applyPlan on a guest configured by device names', () => {
  test('backed qcow2: every change applied and read back, source unchanged, fsck clean, re-apply is a no-op', async () => {
    const output = join(dir, 'out.qcow2');
    const stages: string[] = [];
    const result = await applyPlan({ imagePath: source, target: 'kvm', planner: factsPlanner, commit: { mode: 'backed', output }, onProgress: (p) => void (stages.at(-1) !== p.stage && stages.push(p.stage)) });
    expect(result.outcome).toBe('applied');
    if (result.outcome !== 'applied') return;
    expect(stages).toEqual(['opened', 'inspected', 'planned', 'realized', 'applied', 'verified', 'committing', 'committed']);
    expect(result.journal.patches.map((p) => p.outcome)).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    expect(await sha256File(source)).toBe(sourceHash);
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', output])) as { 'backing-filename': string; 'backing-filename-format': string };
    expect(info['backing-filename']).toBe('guest.raw');
    expect(info['backing-filename-format']).toBe('raw');
    run('qemu-img', ['check', output]);

    const root = extractPartitionOf({ image: output, start: ROOT.start, size: ROOT.size, out: join(dir, 'root.part') });
    const boot = extractPartitionOf({ image: output, start: BOOT.start, size: BOOT.size, out: join(dir, 'boot.part') });
    expect(debugfsCat(root, '/etc/fstab')).toBe((ROOT_FILES['etc/fstab'] as string).replace('/dev/sda2', `UUID=${ROOT_UUID}`).replace('/dev/sda1', `UUID=${BOOT_UUID}`));
    expect(debugfsCat(root, '/etc/default/grub')).toContain(`GRUB_CMDLINE_LINUX="root=UUID=${ROOT_UUID}"\n`);
    expect(debugfsCat(boot, '/grub/grub.cfg')).toContain(`\tlinux\t/vmlinuz-6.1.0-18-amd64 root=UUID=${ROOT_UUID} ro  quiet\n`);
    expect(debugfsStat(root, '/etc/lvm/devices/system.devices')).toMatch(/File not found/);
    expect(debugfsCat(root, LINK)).toContain(`[Match]\nMACAddress=${NIC.mac}\n\n[Link]\nName=${NIC.name}\n`);
    for (const part of [root, boot]) {
      const fsck = e2fsckClean(part);
      expect(fsck.status, fsck.output).toBe(0);
    }

    const again = await applyPlan({ imagePath: output, target: 'kvm', planner: factsPlanner, commit: { mode: 'backed', output: join(dir, 'again.qcow2') } });
    expect(again.outcome).toBe('nothing-to-do');
    expect(existsSync(join(dir, 'again.qcow2'))).toBe(false);
  });

  test('planners read the volumes: one read-only filesystem per volume, unknown ids refused; the re-plan reads what apply wrote', async () => {
    const seen: Array<{ fstab: string; same: boolean; missing: string }> = [];
    const reading: OsPlanner = async (args) => {
      const fs = await args.readVolume('p2');
      const missing = await args.readVolume('p9').then(
        () => 'opened',
        (error: Error) => error.message,
      );
      seen.push({ fstab: new TextDecoder().decode(await fs.readFile('/etc/fstab')), same: fs === (await args.readVolume('p2')), missing });
      return factsPlanner(args);
    };
    const result = await applyPlan({
      imagePath: source,
      target: 'kvm',
      planner: reading,
      commit: { mode: 'backed', output: join(dir, 'reading.qcow2') },
    });
    expect(result.outcome).toBe('applied');
    expect(seen).toHaveLength(2);
    expect(seen.map((s) => [s.same, s.missing])).toEqual([
      [true, `no volume p9 on ${source} [in p9]`],
      [true, `no volume p9 on ${source} [in p9]`],
    ]);
    expect(seen[0]!.fstab).toBe(ROOT_FILES['etc/fstab']);
    // The re-plan in verify reads the flushed overlay: the fstab as apply rewrote it.
    expect(seen[1]!.fstab).toBe((ROOT_FILES['etc/fstab'] as string).replace('/dev/sda2', `UUID=${ROOT_UUID}`).replace('/dev/sda1', `UUID=${BOOT_UUID}`));
    expect(await sha256File(source)).toBe(sourceHash);
  });

  test('a blocked plan is refused before any write, with its reasons', async () => {
    const blocked: OsPlanner = async (args) => {
      const plan = await factsPlanner(args);
      const reason = { rule: 'no-driver', title: 'no virtio_blk', severity: 'critical' as const, outcome: 'cannot' as const, explanation: 'the module tree lacks virtio_blk', evidence: ['6.1.0'], patches: [] };
      return { ...plan, results: [reason], blocked: [reason] };
    };
    const output = join(dir, 'blocked.qcow2');
    await expect(applyPlan({ imagePath: source, target: 'kvm', planner: blocked, commit: { mode: 'backed', output } })).rejects.toThrow(/cannot move .* to kvm:\n {2}p2: no virtio_blk: the module tree lacks virtio_blk \(6\.1\.0\)/);
    expect(readdirSync(dir).filter((n) => n.startsWith('blocked'))).toEqual([]);
  });

  test('a plan that still proposes patches after applying aborts the commit', async () => {
    const stubborn: OsPlanner = async (args) => {
      const plan = await factsPlanner(args);
      return { ...plan, patches: [...plan.patches, { kind: 'remove-file', volume: 'p2', path: '/etc/never-there', precondition: '', rule: 'stubborn' }] };
    };
    const output = join(dir, 'stubborn.qcow2');
    await expect(applyPlan({ imagePath: source, target: 'kvm', planner: stubborn, commit: { mode: 'backed', output } })).rejects.toThrow(/still proposes 1 change\(s\): remove-file p2:\/etc\/never-there \(stubborn\); nothing was committed/);
    expect(readdirSync(dir).filter((n) => n.startsWith('stubborn'))).toEqual([]);
    expect(await sha256File(source)).toBe(sourceHash);
  });

  test('a precondition that no longer holds is refused before any write', async () => {
    const stale: OsPlanner = async (args) => {
      const plan = await factsPlanner(args);
      return { ...plan, patches: [{ kind: 'table-device', volume: 'p2', path: '/etc/fstab', format: 'fstab', line: 2, from: '/dev/sdz9', to: 'UUID=x', precondition: '', rule: 'stale' }] };
    };
    await expect(applyPlan({ imagePath: source, target: 'kvm', planner: stale, commit: { mode: 'backed', output: join(dir, 'stale.qcow2') } })).rejects.toThrow(/the spec field is "\/dev\/sda2", the plan expected "\/dev\/sdz9"/);
    expect(existsSync(join(dir, 'stale.qcow2'))).toBe(false);
  });
});

describe('refusals before any write', () => {
  /** A copy of the source with `bytes` written at `offset`. */
  function variant(name: string, edit: { offset: number; bytes: Uint8Array }): string {
    const path = join(dir, `${name}.raw`);
    copyFileSync(source, path);
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, edit.bytes, 0, edit.bytes.length, edit.offset);
    } finally {
      closeSync(fd);
    }
    return path;
  }
  /** The facts planner plus the grub.cfg patch on /boot, which it cannot see when /boot is unreadable. */
  const bootPlanner: OsPlanner = async (args) => {
    const plan = await factsPlanner(args);
    const grub: PlannedPatch = { kind: 'kernel-arg-device', volume: 'p1', path: '/grub/grub.cfg', format: 'grub-cfg', arg: 'root', from: '/dev/sda2', to: `UUID=${ROOT_UUID}`, precondition: '', rule: 'test' };
    return { ...plan, patches: [...plan.patches, grub] };
  };
  const magic = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

  test('an XFS /boot that a patch must write: "cannot write xfs"', async () => {
    const image = variant('xfs-boot', { offset: BOOT.start, bytes: magic('XFSB') });
    const before = await sha256File(image);
    await expect(applyPlan({ imagePath: image, target: 'kvm', planner: bootPlanner, commit: { mode: 'backed', output: join(dir, 'xfs-boot.qcow2') } })).rejects.toThrow(
      /refusing to apply before any write: cannot write xfs: rehost cannot write xfs filesystems \(volume p1\).*; needed by kernel-arg-device p1:\/grub\/grub.cfg/,
    );
    expect(existsSync(join(dir, 'xfs-boot.qcow2'))).toBe(false);
    expect(await sha256File(image)).toBe(before);
  });

  test('an XFS root: no OS rehost can read, and it says why', async () => {
    const image = variant('xfs-root', { offset: ROOT.start, bytes: magic('XFSB') });
    await expect(applyPlan({ imagePath: image, target: 'kvm', planner: factsPlanner, commit: { mode: 'backed', output: join(dir, 'xfs-root.qcow2') } })).rejects.toThrow(/cannot write xfs: volume p2 is xfs/);
  });

  test('a LUKS volume is never written', async () => {
    const image = variant('luks-boot', { offset: BOOT.start, bytes: magic('LUKS\xba\xbe') });
    await expect(applyPlan({ imagePath: image, target: 'kvm', planner: bootPlanner, commit: { mode: 'backed', output: join(dir, 'luks.qcow2') } })).rejects.toThrow(/cannot write encrypted volumes: volume p1 is encrypted \(luks\)/);
    expect(existsSync(join(dir, 'luks.qcow2'))).toBe(false);
    // Nor read: a planner asking for it is refused, and the refusal reaches the caller.
    const reader: OsPlanner = async (args) => {
      await args.readVolume('p1');
      return factsPlanner(args);
    };
    await expect(applyPlan({ imagePath: image, target: 'kvm', planner: reader, commit: { mode: 'backed', output: join(dir, 'luks-read.qcow2') } })).rejects.toThrow(/volume p1 is encrypted \(luks\); rehost does not read encrypted volumes/);
    expect(existsSync(join(dir, 'luks-read.qcow2'))).toBe(false);
  });

  test('an ext4 root needing journal recovery is refused', async () => {
    const part = join(dir, 'recovery.part');
    copyFileSync(join(dir, 'root.img'), part);
    run('debugfs', ['-w', '-R', 'feature needs_recovery', part]);
    const image = join(dir, 'recovery.raw');
    copyFileSync(source, image);
    run('dd', [`if=${part}`, `of=${image}`, 'bs=1M', `seek=${ROOT.start / (1024 * 1024)}`, 'conv=notrunc', 'status=none']);
    await expect(applyPlan({ imagePath: image, target: 'kvm', planner: factsPlanner, commit: { mode: 'backed', output: join(dir, 'recovery.qcow2') } })).rejects.toThrow(
      /refusing to apply before any write: cannot write ext4: .*needs recovery/,
    );
    expect(existsSync(join(dir, 'recovery.qcow2'))).toBe(false);
  });
});
