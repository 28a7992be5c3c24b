// A real Debian 12 guest (../shared/guests/build-debian-guest.sh: GPT, p2 ext4 root): its
// /boot, /etc and the storage drivers and depmod indexes of /lib/modules, read through rehost
// (GPT partition slice → ext4), agree with debugfs on names, types, modes, owners, sizes,
// symlink targets and sha256. The guest is the cached initramfs-tools lab guest the Linux
// inspection tests use (test/linux/facts/lab-guest.ts), built once per script version.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExt } from '../../../src/fs/ext/index.js';
import type { FileSystem } from '../../../src/fs/types.js';
import { FileDevice, SliceDevice } from '../../../src/io/index.js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { run, runBytes, tempDir } from '../../helpers/tools.js';
import { labGuest } from '../../linux/facts/lab-guest.js';
import { debugfsView } from './images.js';
import { compareWalks, walk, type WalkEntry } from './walk.js';

let disk: string;
let dir: string;
let partition: { start: number; size: number };
let fs: FileSystem;

describe('Debian guest built by build-debian-guest.sh', () => {
  beforeAll(async () => {
    disk = labGuest('initramfs-tools').disk;
    dir = tempDir('rehost-debian-guest-');
    const info = run('sgdisk', ['-i', '2', disk]);
    const first = Number(/First sector: (\d+)/.exec(info)?.[1]);
    const last = Number(/Last sector: (\d+)/.exec(info)?.[1]);
    partition = { start: first * 512, size: (last - first + 1) * 512 };
    fs = await openExt(new SliceDevice({ base: await FileDevice.open(disk), ...partition, name: 'p2' }));
  }, 600_000);
  afterAll(async () => {
    await fs?.close?.();
    // The copied root is as large as the guest's: do not leave it in /tmp.
    rmSync(dir, { recursive: true, force: true });
  });

  it('/boot, /etc and /lib/modules agree with debugfs', async () => {
    const root = join(dir, 'root.ext4');
    // debugfs needs the filesystem itself: copy partition 2 out (sparse).
    run('dd', [`if=${disk}`, `of=${root}`, 'bs=512', `skip=${partition.start / 512}`, `count=${partition.size / 512}`, 'conv=sparse', 'iflag=fullblock', 'status=none']);
    const versions = await fs.readdir('/usr/lib/modules');
    expect(versions.length).toBe(1);
    const modules = `/usr/lib/modules/${versions[0]?.name}`;
    // /boot and /etc whole; of the module tree, the storage drivers (what a move between
    // hypervisors is about) and the depmod indexes.
    const trees = ['/boot', '/etc', `${modules}/kernel/drivers/scsi`, `${modules}/kernel/drivers/ata`];
    const oracle = debugfsView(root, join(dir, 'rdump'), trees);
    const inTrees = (p: string) => trees.some((t) => p === t || p.startsWith(`${t}/`));
    const onTheWay = (p: string) => trees.some((t) => t.startsWith(`${p}/`));
    const ours = await walk(fs, { skip: (p) => !inTrees(p) && !onTheWay(p) });
    const wanted = (m: Map<string, WalkEntry>) => new Map([...m].filter(([p]) => inTrees(p)));
    const problems = compareWalks(wanted(ours), wanted(oracle));
    expect(problems.slice(0, 20), problems.join('\n')).toEqual([]);
    expect([...ours.keys()].some((p) => /^\/boot\/vmlinuz-/.test(p))).toBe(true);
    expect((await fs.stat('/lib')).target).toBe('usr/lib');
    for (const index of ['modules.dep', 'modules.alias', 'modules.builtin']) {
      const ourBytes = await fs.readFile(`/lib/modules/${versions[0]?.name}/${index}`);
      expect(Buffer.from(ourBytes).equals(runBytes('debugfs', ['-R', `cat ${modules}/${index}`, root])), index).toBe(true);
    }
    expect(new TextDecoder().decode(await fs.readFile('/etc/os-release'))).toMatch(/bookworm/);
    console.log(`Debian guest: ${wanted(ours).size} entries under ${trees.join(', ')} agree with debugfs`);
  });
});
