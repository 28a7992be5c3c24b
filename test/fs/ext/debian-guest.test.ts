// A real Debian 12 guest (../shared/guests/build-debian-guest.sh: GPT, p2 ext4 root): its
// /boot, /etc and the storage drivers and depmod indexes of /lib/modules, read through rehost
// (GPT partition slice → ext4), agree with debugfs on names, types, modes, owners, sizes,
// symlink targets and sha256. The build reuses the shared rootfs cache (about
// 10 s when warm); set REHOST_DEBIAN_GUEST=/path/to/disk.raw to reuse an existing build.

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExt } from '../../../src/fs/ext/index.js';
import type { FileSystem } from '../../../src/fs/types.js';
import { FileDevice, SliceDevice } from '../../../src/io/index.js';
import { run, runBytes, tempDir } from '../../helpers/tools.js';
import { debugfsView } from './images.js';
import { compareWalks, walk, type WalkEntry } from './walk.js';

const GUESTS = new URL('../../../../shared/guests/', import.meta.url).pathname;

let disk: string;
let dir: string;
let partition: { start: number; size: number };
let fs: FileSystem;

describe('Debian guest built by build-debian-guest.sh', () => {
  beforeAll(async () => {
    dir = tempDir('rehost-debian-guest-');
    disk = process.env.REHOST_DEBIAN_GUEST ?? join(dir, 'guest', 'disk.raw');
    if (!existsSync(disk)) run(join(GUESTS, 'build-debian-guest.sh'), [join(dir, 'guest')]);
    const info = run('sgdisk', ['-i', '2', disk]);
    const first = Number(/First sector: (\d+)/.exec(info)?.[1]);
    const last = Number(/Last sector: (\d+)/.exec(info)?.[1]);
    partition = { start: first * 512, size: (last - first + 1) * 512 };
    fs = await openExt(new SliceDevice({ base: await FileDevice.open(disk), ...partition, name: 'p2' }));
  }, 600_000);
  afterAll(async () => {
    await fs?.close?.();
    // The guest disk is 2 GiB (sparse) plus a copy of its root: do not leave them in /tmp.
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
