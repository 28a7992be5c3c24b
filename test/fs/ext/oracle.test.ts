// rehost's ext reader against debugfs on images made by mkfs.ext2/3/4 -d from a tree with the
// hard shapes (see images.ts): every name, type, mode, owner, size, symlink target and file
// sha256 must agree with `debugfs -R 'rdump / DIR'`. The ext4 image sits inside a GPT
// partition (sgdisk), read through a slice of the whole disk, as a guest disk would be.


import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticLog } from '../../../src/diagnostics.js';
import { openExt, probeExt, readExtSuperblockFrom } from '../../../src/fs/ext/index.js';
import type { FileSystem } from '../../../src/fs/types.js';
import { FileDevice, SliceDevice } from '../../../src/io/index.js';
import type { BlockDevice } from '../../../src/io/block-device.js';
import { requireTool, run, tempDir } from '../../helpers/tools.js';
import { buildTree, debugfsView, makeFs } from './images.js';
import { compareWalks, walk } from './walk.js';

let dir: string;
const opened: FileSystem[] = [];

async function check(image: string, device: BlockDevice, label: string): Promise<number> {
  const log = new DiagnosticLog();
  expect(await probeExt(device)).toBe(true);
  const fs = await openExt(device, { diagnostics: log });
  opened.push(fs);
  const ours = await walk(fs);
  const oracle = debugfsView(image, join(dir, `rdump-${label}`));
  const problems = compareWalks(ours, oracle);
  expect(problems.slice(0, 20), problems.join('\n')).toEqual([]);
  expect(log.warnings()).toEqual([]);
  return ours.size;
}

describe('ext read vs debugfs', () => {
  beforeAll(() => {
    for (const tool of ['mkfs.ext4', 'mkfs.ext3', 'mkfs.ext2', 'debugfs', 'sgdisk']) requireTool(tool);
    dir = tempDir('rehost-ext-oracle-');
    buildTree(join(dir, 'tree'));
  });
  afterAll(async () => {
    for (const fs of opened) await fs.close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ext4 (metadata_csum, inline_data, 64bit) inside a GPT partition', async () => {
    const image = join(dir, 'ext4.img');
    makeFs({ kind: 'ext4', tree: join(dir, 'tree'), image, sizeMb: 24, extra: ['-O', 'inline_data,metadata_csum,64bit', '-I', '256'] });
    const disk = join(dir, 'gpt-disk.img');
    run('truncate', ['-s', `${24 + 2}M`, disk]);
    run('sgdisk', ['-n', '1:2048:+24M', '-t', '1:8300', disk]);
    const first = Number(/First sector: (\d+)/.exec(run('sgdisk', ['-i', '1', disk]))?.[1]);
    expect(first).toBe(2048);
    run('dd', [`if=${image}`, `of=${disk}`, 'bs=512', `seek=${first}`, 'conv=notrunc', 'status=none']);
    const whole = await FileDevice.open(disk);
    const partition = new SliceDevice({ base: whole, start: first * 512, size: 24 * 1024 * 1024, name: 'GPT partition 1' });
    const sb = await readExtSuperblockFrom(partition);
    expect(sb.kind).toBe('ext4');
    expect(sb.features.incompat).toContain('inline_data');
    const count = await check(image, partition, 'ext4');
    expect(count).toBeGreaterThan(40);
    // Symlinks: stat describes the link; readFile follows it inside this filesystem.
    const fs = await openExt(partition);
    opened.push(fs);
    expect(await fs.stat('/fast-link')).toMatchObject({ type: 'symlink', target: 'hello.txt', size: 9 });
    expect(new TextDecoder().decode(await fs.readFile('/fast-link'))).toBe('hello, world\n');
    expect(new TextDecoder().decode(await fs.readFile('/dir-link/level-2/level-3/level-4/level-5/level-6/level-7/level-8/level-9/level-10/level-11/level-12/level-13/level-14/level-15/level-16/level-17/level-18/level-19/level-20/level-21/level-22/level-23/bottom.txt'))).toBe('at the bottom\n');
    await expect(fs.readFile('/slow-link')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(fs.readFile('/small-dir')).rejects.toMatchObject({ errno: 'EISDIR' });
    await expect(fs.readdir('/hello.txt')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await fs.exists('/nope/deeper')).toBe(false);
  });

  it('ext3 (journal, htree)', async () => {
    const image = join(dir, 'ext3.img');
    makeFs({ kind: 'ext3', tree: join(dir, 'tree'), image, sizeMb: 24 });
    const sb = await readExtSuperblockFrom(await FileDevice.open(image));
    expect(sb.kind).toBe('ext3');
    await check(image, await FileDevice.open(image), 'ext3');
  });

  it('ext2 with a 20,000-entry directory', async () => {
    const tree = join(dir, 'tree-many');
    buildTree(tree, { manyEntries: 20_000 });
    const image = join(dir, 'ext2.img');
    makeFs({ kind: 'ext2', tree, image, sizeMb: 40, extra: ['-N', '24000'] });
    const sb = await readExtSuperblockFrom(await FileDevice.open(image));
    expect(sb.kind).toBe('ext2');
    const count = await check(image, await FileDevice.open(image), 'ext2');
    expect(count).toBeGreaterThan(20_000);
  });
});

