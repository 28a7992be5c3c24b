// `rehost apply` on the synthetic guest configured by device names, with the built-in rule
// packs: every patch the plan proposes is applied and read back with debugfs (the trusted
// reader), e2fsck -fn finds both filesystems clean, the source is byte-identical, the output
// is a clean qcow2 backed by it, `rehost plan` on the output proposes nothing and a second
// apply says "nothing to do". In place on a raw copy, then `rehost undo`, gives the original
// bytes back; standalone vmdk/vhdx outputs, converted back by qemu-img, hold every change.

import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { registerApplyCommands } from '../../src/cli/commands/apply.js';
import { registerPlanCommands } from '../../src/cli/commands/plan.js';
import { runCommandInProcess } from '../helpers/cli.js';
import { run, sha256File } from '../helpers/tools.js';
import { BOOT, BOOT_UUID, NIC, ROOT, ROOT_FILES, ROOT_UUID, debugfsCat, debugfsStat, e2fsckClean, extractPartitionOf, setUpDeviceNameGuest } from './apply-fixtures.js';

let dir: string;
let source: string;
let sourceHash: string;
const MAC = `${NIC.name}=${NIC.mac}`;

interface AppliedJson {
  outcome: string;
  plans: { plan: { patches: { kind: string }[] } }[];
  journal: { patches: { kind: string; outcome: string; volume: string; targets: { path: string }[] }[]; commit: { mode: string; output: string; journalPath?: string } };
}

async function apply(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  return runCommandInProcess(registerApplyCommands, ['apply', ...args]);
}

/** Reads every change back from an image of the guest with debugfs; asserts fsck is clean. */
function checkChanged(image: string, format: string): void {
  const root = extractPartitionOf({ image, format, start: ROOT.start, size: ROOT.size, out: join(dir, `${format}-root.part`) });
  const boot = extractPartitionOf({ image, format, start: BOOT.start, size: BOOT.size, out: join(dir, `${format}-boot.part`) });
  expect(debugfsCat(root, '/etc/fstab')).toBe((ROOT_FILES['etc/fstab'] as string).replace('/dev/sda2', `UUID=${ROOT_UUID}`).replace('/dev/sda1', `UUID=${BOOT_UUID}`));
  expect(debugfsCat(root, '/etc/default/grub')).toBe((ROOT_FILES['etc/default/grub'] as string).replace('root=/dev/sda2', `root=UUID=${ROOT_UUID}`));
  expect(debugfsCat(boot, '/grub/grub.cfg')).toContain(`\tlinux\t/vmlinuz-6.1.0-18-amd64 root=UUID=${ROOT_UUID} ro  quiet\n`);
  expect(debugfsStat(root, '/etc/lvm/devices/system.devices')).toMatch(/File not found/);
  expect(debugfsStat(root, '/etc/blkid.tab')).toMatch(/File not found/);
  expect(debugfsCat(root, `/etc/systemd/network/10-rehost-${NIC.name}.link`)).toContain(`[Match]\nMACAddress=${NIC.mac}\n\n[Link]\nName=${NIC.name}\n`);
  for (const unit of ['vboxadd.service', 'vboxadd-service.service']) expect(debugfsStat(root, `/etc/systemd/system/${unit}`)).toMatch(/Type: symlink[\s\S]*Fast link dest: "\/dev\/null"/);
  for (const part of [root, boot]) {
    const fsck = e2fsckClean(part);
    expect(fsck.status, fsck.output).toBe(0);
  }
}

beforeAll(async () => {
  ({ dir, source, sourceHash } = await setUpDeviceNameGuest({ tempPrefix: 'rehost-apply-cli-', readBackTools: ['debugfs', 'e2fsck'] }));
});

describe('rehost apply --to kvm on a guest configured by device names', () => {
  test('backed qcow2: every patch applied, read back, fsck clean; re-plan proposes nothing', async () => {
    const output = join(dir, 'out.qcow2');
    const journalFile = join(dir, 'journal.json');
    const result = await apply([source, '--to', 'kvm', '-o', output, '--mac', MAC, '--json', '--journal', journalFile]);
    expect(result.exitCode, result.stderr + result.stdout).toBeUndefined();
    const json = JSON.parse(result.stdout) as AppliedJson;
    expect(JSON.parse(readFileSync(journalFile, 'utf8'))).toEqual(json);
    expect(json.outcome).toBe('applied');
    expect(json.plans[0]?.plan.patches.map((p) => p.kind).sort()).toEqual(['disable-service', 'disable-service', 'kernel-arg-device', 'kernel-arg-device', 'pin-nic-name', 'remove-file', 'remove-file', 'table-device', 'table-device']);
    expect(json.journal.patches.map((p) => `${p.kind}:${p.outcome}`).sort()).toEqual(
      ['delete-file', 'delete-file', 'edit-config', 'edit-config', 'edit-config', 'mask-unit', 'mask-unit', 'write-file'].map((k) => `${k}:applied`),
    );
    expect(json.journal.commit).toMatchObject({ mode: 'backed', output });
    expect(await sha256File(source)).toBe(sourceHash);
    run('qemu-img', ['check', output]);
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', output])) as Record<string, string>;
    expect([info['backing-filename'], info['backing-filename-format']]).toEqual(['guest.raw', 'raw']);
    checkChanged(output, 'qcow2');

    const plan = await runCommandInProcess(registerPlanCommands, ['plan', output, '--to', 'kvm', '--mac', MAC, '--json']);
    expect(plan.exitCode, plan.stderr).toBeUndefined();
    expect((JSON.parse(plan.stdout) as { plans: { patches: unknown[] }[] }).plans.map((p) => p.patches)).toEqual([[]]);
    const again = await apply([output, '--to', 'kvm', '-o', join(dir, 'again.qcow2'), '--mac', MAC]);
    expect(again.stdout).toMatch(/^nothing to do: .* already suits kvm; nothing written$/m);
    expect(existsSync(join(dir, 'again.qcow2'))).toBe(false);
  });

  test('the human summary lists the patches and the commit', async () => {
    const output = join(dir, 'human.qcow2');
    const result = await apply([source, '--to', 'kvm', '-o', output, '--mac', MAC]);
    expect(result.exitCode, result.stderr).toBeUndefined();
    expect(result.stdout).toMatch(/^applied 8 patch\(es\) to .* for kvm:$/m);
    expect(result.stdout).toMatch(/^ {2}mask vboxadd\.service: p2:\/etc\/systemd\/system\/vboxadd\.service -> \/dev\/null/m);
    expect(result.stdout).toMatch(/^verified: 8 file\(s\) read back; re-plan proposes nothing$/m);
    expect(result.stdout).toMatch(/^wrote .*human\.qcow2 \(qcow2, \d+ changed bytes, backing guest\.raw \[raw\] untouched\)$/m);
    expect(result.stderr).toBe('');
  });

  test('--in-place on a raw copy, then rehost undo, gives the original bytes back', async () => {
    const copy = join(dir, 'inplace.raw');
    copyFileSync(source, copy);
    const result = await apply([copy, '--to', 'kvm', '--in-place', '--mac', MAC, '--json']);
    expect(result.exitCode, result.stderr + result.stdout).toBeUndefined();
    const json = JSON.parse(result.stdout) as AppliedJson;
    expect(json.journal.commit.mode).toBe('in-place');
    expect(await sha256File(copy)).not.toBe(sourceHash);
    checkChanged(copy, 'raw');
    const undo = await runCommandInProcess(registerApplyCommands, ['undo', json.journal.commit.journalPath as string]);
    expect(undo.exitCode, undo.stderr).toBeUndefined();
    expect(await sha256File(copy)).toBe(sourceHash);
  });

  test('--in-place on a qcow2 copy: qemu-img check clean, every change there; undo gives the original bytes back', async () => {
    const copy = join(dir, 'inplace.qcow2');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', source, copy]);
    const before = await sha256File(copy);
    const result = await apply([copy, '--to', 'kvm', '--in-place', '--mac', MAC, '--json']);
    expect(result.exitCode, result.stderr + result.stdout).toBeUndefined();
    const json = JSON.parse(result.stdout) as AppliedJson;
    expect(json.journal.commit.mode).toBe('in-place');
    run('qemu-img', ['check', copy]);
    checkChanged(copy, 'qcow2');
    const undo = await runCommandInProcess(registerApplyCommands, ['undo', json.journal.commit.journalPath as string]);
    expect(undo.exitCode, undo.stderr).toBeUndefined();
    expect(await sha256File(copy)).toBe(before);
  });

  for (const format of ['vmdk', 'vhdx'] as const) {
    test(`standalone -O ${format}: qemu-img converts it back to the changed disk`, async () => {
      const output = join(dir, `out.${format}`);
      const result = await apply([source, '--to', 'kvm', '-o', output, '-O', format, '--mac', MAC]);
      expect(result.exitCode, result.stderr).toBeUndefined();
      expect(result.stdout).toMatch(new RegExp(`wrote .*out\\.${format} \\(standalone ${format}\\)`));
      run('qemu-img', ['check', '-f', format, output]);
      // Read back through qemu-img (convert to raw) and debugfs: every change is there, fsck clean.
      checkChanged(output, format);
      expect(await sha256File(source)).toBe(sourceHash);
    });
  }

  test('a rule pack (--rules) that blocks the move: exit 3, the reason, nothing written', async () => {
    const rules = join(dir, 'rules');
    mkdirSync(rules, { recursive: true });
    const pack = { name: 'site', version: 1, rules: [{ id: 'site.no-moves', title: 'Moves are frozen', severity: 'critical', os: 'linux', when: { true: true }, outcome: 'cannot', explain: 'this site freezes moves to {target.id}' }] };
    writeFileSync(join(rules, 'site.json'), JSON.stringify(pack));
    const output = join(dir, 'blocked.qcow2');
    const result = await apply([source, '--to', 'kvm', '-o', output, '--mac', MAC, '--rules', rules]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/cannot move .* to kvm:\n {2}p2: Moves are frozen: this site freezes moves to kvm/);
    expect(existsSync(output)).toBe(false);
    expect(await sha256File(source)).toBe(sourceHash);
  });

  test('bad combinations are refused before anything is opened', async () => {
    const result = await apply([source, '--to', 'kvm', '--in-place', '-o', join(dir, 'x.qcow2')]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/--in-place writes the source itself/);
    const mac = await apply([source, '--to', 'kvm', '-o', join(dir, 'y.qcow2'), '--mac', 'ens160']);
    expect(mac.stderr).toMatch(/--mac wants NAME=MAC/);
    const platform = await apply([source, '--to', 'nowhere', '-o', join(dir, 'z.qcow2')]);
    expect(platform.stderr).toMatch(/no platform "nowhere"/);
    expect(await sha256File(source)).toBe(sourceHash);
  });
});
