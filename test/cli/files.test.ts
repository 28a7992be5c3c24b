import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { rehost, rehostJson } from '../helpers/cli.js';
import { CORPUS, run, runBytes, tempDir } from '../helpers/tools.js';

// `rehost ls` / `rehost cat` wiring: image → partition table or LVM → filesystem, compared with
// debugfs reading the same partition.

const EXAMPLE = new URL('../../fixtures/example/debian-mini.qcow2', import.meta.url).pathname;
let partition: string;

beforeAll(() => {
  const dir = tempDir();
  const raw = join(dir, 'example.raw');
  run('qemu-img', ['convert', '-O', 'raw', EXAMPLE, raw]);
  partition = join(dir, 'p2.ext4');
  run('dd', [`if=${raw}`, `of=${partition}`, 'bs=1M', 'skip=2', 'count=60', 'status=none']);
});

describe('rehost ls and cat on ext4 inside GPT inside qcow2', () => {
  it('lists /etc recursively with the names and sizes debugfs sees', () => {
    const ours = rehostJson<Array<{ path: string; type: string; size: number }>>(['ls', '-R', EXAMPLE, '/etc']);
    expect(ours.map((e) => e.path).sort()).toEqual([
      '/etc/debian_version',
      '/etc/default',
      '/etc/default/grub',
      '/etc/fstab',
      '/etc/hostname',
      '/etc/initramfs-tools',
      '/etc/initramfs-tools/conf.d',
      '/etc/initramfs-tools/initramfs.conf',
      '/etc/initramfs-tools/modules',
      '/etc/initramfs-tools/scripts',
      '/etc/os-release',
      '/etc/systemd',
      '/etc/systemd/system',
      '/etc/systemd/system/multi-user.target.wants',
      '/etc/systemd/system/multi-user.target.wants/open-vm-tools.service',
    ]);
    for (const entry of ours.filter((e) => e.type === 'file')) {
      const stat = run('debugfs', ['-R', `stat ${entry.path}`, partition]);
      expect(Number(/Size: (\d+)/.exec(stat)?.[1])).toBe(entry.size);
    }
  });

  it('cats a file byte-exact, by partition number too', () => {
    const expected = runBytes('debugfs', ['-R', 'cat /etc/os-release', partition]);
    expect(rehost(['cat', EXAMPLE, '/etc/os-release']).stdoutBytes.equals(expected)).toBe(true);
    expect(rehost(['cat', '--partition', '2', EXAMPLE, '/etc/os-release']).stdoutBytes.equals(expected)).toBe(true);
  });

  it('reports symlinks with their targets and does not follow them', () => {
    const ours = rehostJson<Array<{ path: string; type: string; target?: string }>>(['ls', EXAMPLE, '/']);
    expect(ours.find((e) => e.path === 'bin')).toMatchObject({ type: 'symlink', target: 'usr/bin' });
  });

  it('names a missing path and a missing partition', () => {
    const missing = rehost(['cat', EXAMPLE, '/etc/nope']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/not found: .*\/etc\/nope/);
    const noPart = rehost(['ls', '--partition', '9', EXAMPLE]);
    expect(noPart.status).toBe(2);
    expect(noPart.stderr).toMatch(/no volume 9; volumes: p1, p2/);
  });
});

describe('rehost ls on LVM', () => {
  const image = join(CORPUS, 'images/qcow2/dfvfs-lvm.qcow2');
  it('lists and reads a logical volume named VG/LV', () => {
    const ours = rehostJson<Array<{ path: string }>>(['ls', '-R', '--lv', 'test_volume_group/test_logical_volume', image]);
    expect(ours.map((e) => e.path)).toEqual(expect.arrayContaining(['/a_directory', '/a_directory/a_file', '/a_link', '/passwords.txt']));
    const text = rehost(['cat', '--lv', 'test_volume_group/test_logical_volume', image, '/a_directory/another_file']);
    expect(text.status).toBe(0);
    expect(text.stdout.length).toBe(22);
  });
});
