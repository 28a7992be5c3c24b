// `rehost copy-in / mkdir / rm` on an ext4 partition of a GPT disk made by mkfs.ext4 + sgdisk,
// checked by e2fsprogs: `debugfs rdump` brings the guest tree back out (contents, modes,
// symlinks compared with what was copied in), `debugfs cat` reads single files, and
// `e2fsck -fn` finds nothing to fix after every step.

import { lstatSync, readdirSync, readFileSync, readlinkSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { registerApplyCommands } from '../../src/cli/commands/apply.js';
import { runCommandInProcess } from '../helpers/cli.js';
import { requireTool, run, runBytes, scratchDirs, sha256File } from '../helpers/tools.js';
import { guestWrite as write, guestWriteJson as writeJson, makeDisk, makeLocalTree, partitionOf, type LocalTree } from './guest-write-disks.js';

const PART_MIB = 32;

function e2fsckClean(part: string): void {
  const r = spawnSync('e2fsck', ['-fn', part], { encoding: 'utf8' });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
}

/** Every path below `root` as `relative type [mode] [content sha | link target]`. */
function describeTree(root: string, base: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const st = lstatSync(full);
      const rel = relative(base, full);
      if (st.isSymbolicLink()) out.set(rel, `symlink ${readlinkSync(full)}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir ${(st.mode & 0o777).toString(8)}`);
        walk(full);
      } else out.set(rel, `file ${(st.mode & 0o777).toString(8)} ${readFileSync(full).toString('base64').length} ${Buffer.from(readFileSync(full)).toString('hex').slice(0, 64)}`);
    }
  };
  walk(root);
  return out;
}

/** The guest's /tree pulled out with debugfs rdump, compared with the local tree; e2fsck clean. */
function oracle(args: { image: string; dir: string; tree: LocalTree; absent?: string[]; extraDirs?: string[] }): void {
  const tag = Math.random().toString(36).slice(2);
  const part = partitionOf({ image: args.image, out: join(args.dir, `check-${tag}.ext4`), partMiB: PART_MIB });
  e2fsckClean(part);
  const dump = join(args.dir, `dump-${tag}`);
  mkdirSync(dump);
  run('debugfs', ['-R', `rdump /tree ${dump}`, part]);
  const expected = describeTree(args.tree.root, join(args.tree.root, '..'));
  for (const gone of args.absent ?? []) for (const key of [...expected.keys()]) if (key === gone || key.startsWith(`${gone}/`)) expected.delete(key);
  expect(describeTree(join(dump, 'tree'), dump)).toEqual(expected);
  for (const [path, data] of args.tree.files) {
    if ((args.absent ?? []).some((g) => path === g || path.startsWith(`${g}/`))) continue;
    expect(Buffer.compare(runBytes('debugfs', ['-R', `cat "/${path}"`, part]), Buffer.from(data)), path).toBe(0);
  }
  for (const d of args.extraDirs ?? []) expect(run('debugfs', ['-R', `stat "${d}"`, part])).toMatch(/Type: directory/);
}

describe('rehost copy-in / mkdir / rm on ext4', () => {
  for (const tool of ['mkfs.ext4', 'debugfs', 'e2fsck', 'sgdisk', 'qemu-img']) requireTool(tool);
  const scratch = scratchDirs();

  it('copies a tree with modes and a symlink, re-runs as already, then mkdir -p, rm, rm -r', async () => {
    const dir = scratch();
    const disk = makeDisk({ dir, kind: 'ext4', partMiB: PART_MIB });
    const tree = makeLocalTree({ dir, withSymlink: true });
    const original = await sha256File(disk);
    const entries = tree.files.size + tree.dirs.length + tree.symlinks.size;

    const out1 = join(dir, 'out1.qcow2');
    const first = await writeJson(['copy-in', disk, tree.root, '/', '-o', out1]);
    expect(first.summary).toEqual({ applied: entries, already: 0 });
    expect(await sha256File(disk)).toBe(original);
    oracle({ image: out1, dir, tree });

    const again = await writeJson(['copy-in', out1, tree.root, 'p1:/', '-o', join(dir, 'again.qcow2')]);
    expect(again.summary).toEqual({ applied: 0, already: entries });

    const out2 = join(dir, 'out2.qcow2');
    expect((await writeJson(['mkdir', out1, '/opt/vendor/bin', '-p', '-o', out2])).summary).toEqual({ applied: 3, already: 0 });
    const out3 = join(dir, 'out3.qcow2');
    await writeJson(['rm', out2, '/tree/a/link', '-o', out3]);
    const out4 = join(dir, 'out4.qcow2');
    await writeJson(['rm', out3, '/tree/a/b', '-r', '-o', out4]);
    oracle({ image: out4, dir, tree, absent: ['tree/a/link', 'tree/a/b'], extraDirs: ['/opt/vendor/bin'] });
  });

  it('writes in place only when asked; a standalone raw output; undo restores the original', async () => {
    const dir = scratch();
    const disk = makeDisk({ dir, kind: 'ext4', partMiB: PART_MIB });
    const tree = makeLocalTree({ dir, withSymlink: true });
    const original = await sha256File(disk);

    const refused = await write(['mkdir', disk, '/x']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/--in-place/);

    const standalone = join(dir, 'full.img');
    await writeJson(['copy-in', disk, tree.root, '/', '-o', standalone, '--standalone']);
    oracle({ image: standalone, dir, tree });

    const done = await write(['copy-in', disk, tree.root, '/', '--in-place']);
    expect(done.exitCode ?? 0, done.stderr).toBe(0);
    oracle({ image: disk, dir, tree });
    const undone = await runCommandInProcess(registerApplyCommands, ['undo', `${disk}.rehost-undo`]);
    expect(undone.exitCode ?? 0, undone.stderr).toBe(0);
    expect(await sha256File(disk)).toBe(original);
  });
});
