// `rehost apply --to kvm -o out.qcow2` on the VMware-built Debian lab guests (both initramfs
// flavours): the output is a clean qcow2 backed by the untouched source (sha256 unchanged),
// the ext4 root it wrote passes `e2fsck -fn`, and `rehost plan` on the output proposes
// nothing. (That the output boots is the boot suite's business: apply-boots.test.ts.)

import { statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { registerApplyCommands } from '../../src/cli/commands/apply.js';
import { registerPlanCommands } from '../../src/cli/commands/plan.js';
import { labGuest, type GuestFlavour } from '../linux/facts/lab-guest.js';
import { runCommandInProcess } from '../helpers/cli.js';
import { requireTool, run, scratchDirs, sha256File } from '../helpers/tools.js';
import { e2fsckClean } from './apply-fixtures.js';

const scratch = scratchDirs('rehost-apply-lab-');

/** The root partition (p2) of the lab guests' GPT starts at sector 4096. */
const ROOT_OFFSET = 4096 * 512;

beforeAll(() => {
  for (const tool of ['qemu-img', 'e2fsck']) requireTool(tool);
});

describe.each<GuestFlavour>(['initramfs-tools', 'dracut'])('lab guest (%s, built on VMware)', (flavour) => {
  test('apply --to kvm: clean backed qcow2, source unchanged, fsck clean, re-plan proposes nothing', async () => {
    const guest = labGuest(flavour, { source: 'vmware' });
    const dir = scratch();
    // The full-disk hash costs ~5-15 s per read on a loaded machine: one flavour proves the
    // bytes, the other that the file was never written (its ctime moves on any write).
    const hash = flavour === 'initramfs-tools';
    const before = hash ? await sha256File(guest.disk) : '';
    const statBefore = statSync(guest.disk);
    const output = join(dir, 'out.qcow2');
    const result = await runCommandInProcess(registerApplyCommands, ['apply', guest.disk, '--to', 'kvm', '-o', output, '--json']);
    expect(result.exitCode, result.stderr + result.stdout).toBeUndefined();
    const json = JSON.parse(result.stdout) as { outcome: string; journal: { patches: { kind: string; outcome: string }[]; verified: { files: number } } };
    expect(json.outcome).toBe('applied');
    const kinds = json.journal.patches.map((p) => p.kind);
    expect(kinds).toContain('append-initramfs');
    expect(kinds).toContain('edit-config');
    expect(json.journal.patches.every((p) => p.outcome === 'applied')).toBe(true);

    if (hash) expect(await sha256File(guest.disk)).toBe(before);
    const statAfter = statSync(guest.disk);
    expect([statAfter.size, statAfter.mtimeMs, statAfter.ctimeMs]).toEqual([statBefore.size, statBefore.mtimeMs, statBefore.ctimeMs]);
    run('qemu-img', ['check', output]);
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', output])) as Record<string, string>;
    expect(info['backing-filename-format']).toBe('raw');
    expect(join(dir, info['backing-filename'] as string)).toBe(guest.disk);

    // Through qemu-img (sparse raw), then e2fsck on the partition (libext2fs's ?offset= option).
    const raw = join(dir, 'out.raw');
    run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', output, raw]);
    const fsck = e2fsckClean(`${raw}?offset=${ROOT_OFFSET}`);
    expect(fsck.status, fsck.output).toBe(0);

    const plan = await runCommandInProcess(registerPlanCommands, ['plan', output, '--to', 'kvm', '--json']);
    expect(plan.exitCode, plan.stderr).toBeUndefined();
    expect((JSON.parse(plan.stdout) as { plans: { patches: unknown[]; blocked: unknown[] }[] }).plans.map((p) => [p.patches, p.blocked])).toEqual([[[], []]]);
  }, 120_000);
});
