// A small real guest disk made at test time: an ext4 filesystem populated by `mkfs.ext4 -d`
// in partition 1 of a GPT disk made by sgdisk, as raw and (optionally) qcow2 by qemu-img.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../helpers/tools.js';
import { GUEST_FILES } from './guest-files.js';

export { GUEST_FILES };

export const PART_START = 1024 * 1024;
export const PART_SIZE = 24 * 1024 * 1024;
export const DISK_SIZE = 32 * 1024 * 1024;

/** Builds the disk in `dir`; returns the raw path (and the qcow2 path when asked). */
export function makeGuestDisk(dir: string): { raw: string; qcow2: string; tree: string } {
  const tree = join(dir, 'tree');
  for (const [path, content] of Object.entries(GUEST_FILES)) {
    const full = join(tree, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, content);
  }
  mkdirSync(join(tree, 'etc/systemd/system'), { recursive: true });
  const part = join(dir, 'part.img');
  run('mkfs.ext4', ['-q', '-F', '-d', tree, '-E', 'root_owner=0:0', '-U', '0f3c6a7e-1111-4222-8333-444455556666', part, `${PART_SIZE / 1024}k`]);
  const raw = join(dir, 'disk.raw');
  run('truncate', ['-s', String(DISK_SIZE), raw]);
  run('sgdisk', ['-o', '-n', `1:${PART_START / 512}:+${PART_SIZE / 1024}K`, '-t', '1:8300', raw]);
  run('dd', [`if=${part}`, `of=${raw}`, 'bs=1M', `seek=${PART_START / (1024 * 1024)}`, 'conv=notrunc,sparse', 'status=none']);
  const qcow2 = join(dir, 'disk.qcow2');
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
  return { raw, qcow2, tree };
}

/** Extracts partition 1 of a raw disk into its own file for e2fsck / debugfs. */
export function extractPartition(raw: string, out: string): string {
  run('dd', [`if=${raw}`, `of=${out}`, 'bs=1M', `skip=${PART_START / (1024 * 1024)}`, `count=${PART_SIZE / (1024 * 1024)}`, 'status=none']);
  return out;
}
