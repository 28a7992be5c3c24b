// `rehost copy-in / mkdir / rm` on an NTFS partition of a GPT disk made by mkntfs + sgdisk,
// checked by ntfs-3g (ntfsls -R, ntfscat, ntfsfix -n) and `rehost check`; the source image
// stays byte-identical with -o, --in-place + `rehost undo` restores it, a repeated copy-in
// changes nothing, and no output choice is refused.

import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerCheckCommands } from '../../src/cli/commands/check.js';
import { registerApplyCommands } from '../../src/cli/commands/apply.js';
import { runCommandInProcess } from '../helpers/cli.js';
import { requireTool, scratchDirs, sha256File } from '../helpers/tools.js';
import { ntfsCat, ntfsfixClean, ntfsTree } from '../fs/ntfs/write/helpers.js';
import { guestWrite as write, guestWriteJson as writeJson, makeDisk, makeLocalTree, partitionOf, type LocalTree } from './guest-write-disks.js';

const PART_MIB = 48;

/** Checks an image's NTFS partition with ntfs-3g and rehost check against the expected paths and bytes. */
async function oracle(args: { image: string; dir: string; paths: string[]; files: Map<string, Uint8Array> }): Promise<void> {
  const part = partitionOf({ image: args.image, out: join(args.dir, `check-${Math.random().toString(36).slice(2)}.ntfs`), partMiB: PART_MIB });
  const fix = ntfsfixClean(part);
  expect(fix.ok, fix.output).toBe(true);
  expect(ntfsTree(part)).toEqual([...args.paths].sort());
  for (const [path, data] of args.files) expect(Buffer.compare(Buffer.from(ntfsCat(part, path)), Buffer.from(data)), path).toBe(0);
  const check = await runCommandInProcess(registerCheckCommands, ['check', args.image]);
  expect(check.exitCode ?? 0, check.stdout).toBe(0);
  expect(check.stdout).toMatch(/p1: clean/);
}

function expectedAfterCopy(tree: LocalTree, under: string): { paths: string[]; files: Map<string, Uint8Array> } {
  const files = new Map([...tree.files].map(([p, d]) => [`${under}${p}`, d] as const));
  return { paths: [...files.keys(), ...tree.dirs.map((d) => `${under}${d}/`)], files };
}

describe('rehost copy-in / mkdir / rm on NTFS', () => {
  for (const tool of ['mkntfs', 'ntfsls', 'ntfscat', 'ntfsfix', 'sgdisk', 'qemu-img']) requireTool(tool);
  const scratch = scratchDirs();

  it('copies a tree in (-o backed qcow2), re-runs as already, then mkdir -p, rm, rm -r', async () => {
    const dir = scratch();
    const disk = makeDisk({ dir, kind: 'ntfs', partMiB: PART_MIB });
    const tree = makeLocalTree({ dir, withSymlink: false });
    const original = await sha256File(disk);

    const out1 = join(dir, 'out1.qcow2');
    const first = await writeJson(['copy-in', disk, tree.root, 'p1:/', '-o', out1]);
    expect(first.summary).toEqual({ applied: tree.files.size + tree.dirs.length, already: 0 });
    expect(await sha256File(disk)).toBe(original);
    const copied = expectedAfterCopy(tree, '/');
    await oracle({ image: out1, dir, ...copied });

    // The same copy again, onto the result: every patch finds its result there.
    const again = await writeJson(['copy-in', out1, tree.root, '/', '--volume', 'p1', '-o', join(dir, 'again.qcow2')]);
    expect(again.summary).toEqual({ applied: 0, already: tree.files.size + tree.dirs.length });
    expect(again.patches.every((p) => p.outcome === 'already')).toBe(true);

    const out2 = join(dir, 'out2.qcow2');
    const mk = await writeJson(['mkdir', out1, 'p1:/Program Files/Vendor/Driver', '-p', '-o', out2]);
    expect(mk.summary).toEqual({ applied: 3, already: 0 });
    const out3 = join(dir, 'out3.qcow2');
    await writeJson(['rm', out2, 'p1:/tree/a/empty', '-o', out3]);
    const out4 = join(dir, 'out4.qcow2');
    const rmr = await write(['rm', out3, 'p1:/tree/a', '-o', out4]);
    expect(rmr.exitCode).toBe(2);
    expect(rmr.stderr).toMatch(/use -r/);
    const removed = await writeJson(['rm', out3, 'p1:/tree/a', '-r', '-o', out4]);
    expect(removed.patches.map((p) => p.kind)).toEqual(['remove-path']);

    const files = new Map([...copied.files].filter(([p]) => !p.startsWith('/tree/a/')));
    const paths = [...files.keys(), '/tree/', '/tree/日本語/', '/Program Files/', '/Program Files/Vendor/', '/Program Files/Vendor/Driver/'];
    await oracle({ image: out4, dir, paths, files });
  });

  it('writes in place only when asked, and rehost undo restores the original bytes', async () => {
    const dir = scratch();
    const disk = makeDisk({ dir, kind: 'ntfs', partMiB: PART_MIB });
    const tree = makeLocalTree({ dir, withSymlink: false });
    const original = await sha256File(disk);

    const refused = await write(['copy-in', disk, tree.root, 'p1:/']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/-o OUT\.qcow2.*--in-place/);
    expect(await sha256File(disk)).toBe(original);

    const backup = join(dir, 'before.raw');
    copyFileSync(disk, backup);
    const done = await write(['copy-in', disk, tree.root, 'p1:/', '--in-place']);
    expect(done.exitCode ?? 0, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/rehost undo /);
    expect(await sha256File(disk)).not.toBe(original);
    await oracle({ image: disk, dir, ...expectedAfterCopy(tree, '/') });

    const undone = await runCommandInProcess(registerApplyCommands, ['undo', `${disk}.rehost-undo`]);
    expect(undone.exitCode ?? 0, undone.stderr).toBe(0);
    expect(await sha256File(disk)).toBe(original);
  });

  it('refuses symlinks on NTFS and a missing guest directory before writing anything', async () => {
    const dir = scratch();
    const disk = makeDisk({ dir, kind: 'ntfs', partMiB: PART_MIB });
    const tree = makeLocalTree({ dir, withSymlink: true });
    const original = await sha256File(disk);
    const link = await write(['copy-in', disk, tree.root, 'p1:/', '--in-place']);
    expect(link.exitCode).toBe(2);
    expect(link.stderr).toMatch(/symlink/);
    const missing = await write(['copy-in', disk, join(tree.root, 'readme.txt'), 'p1:/nowhere', '--in-place']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/mkdir -p/);
    expect(await sha256File(disk)).toBe(original);
  });
});
