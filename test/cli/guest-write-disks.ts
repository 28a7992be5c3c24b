// Disks and local trees for the copy-in / mkdir / rm tests: a GPT disk (sgdisk) whose partition
// 1 is a fresh mkntfs or mkfs.ext4 filesystem made on a plain file and copied in with dd (no
// loop devices), a local tree to copy (nested directories, Unicode names, a 5 MB file, an empty
// file), the oracle side: any output image → raw partition file for ntfs-3g / e2fsprogs, and
// the commands themselves run in process (plain, or --json with the exit status checked).

import { mkdirSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { registerGuestWriteCommands } from '../../src/cli/commands/guest-write.js';
import { runCommandInProcess } from '../helpers/cli.js';
import { bytesOf } from '../helpers/pattern.js';
import { run } from '../helpers/tools.js';

export const PART_START = 1024 * 1024;

/** `rehost copy-in / mkdir / rm …` run in process. */
export const guestWrite = (args: string[]) => runCommandInProcess(registerGuestWriteCommands, args);

/** What `--json` prints. */
export interface GuestWriteSummary {
  patches: { kind: string; outcome: string }[];
  summary: { applied: number; already: number };
}

/** The command with --json; expects exit status 0 and returns the parsed summary. */
export async function guestWriteJson(args: string[]): Promise<GuestWriteSummary> {
  const r = await guestWrite([...args, '--json']);
  expect(r.exitCode ?? 0, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout) as GuestWriteSummary;
}

/** A raw GPT disk with one partition holding a new `kind` filesystem of `partMiB` MiB. */
export function makeDisk(args: { dir: string; kind: 'ntfs' | 'ext4'; partMiB: number; name?: string }): string {
  const part = join(args.dir, `${args.name ?? args.kind}-part.img`);
  run('truncate', ['-s', `${args.partMiB}M`, part]);
  if (args.kind === 'ntfs') run('mkntfs', ['-F', '-Q', '-q', '-s', '512', '-p', String(PART_START / 512), '-L', 'DATA', part]);
  else run('mkfs.ext4', ['-q', '-F', '-E', 'root_owner=0:0', part]);
  const disk = join(args.dir, `${args.name ?? args.kind}.raw`);
  run('truncate', ['-s', `${args.partMiB + 2}M`, disk]);
  run('sgdisk', ['-o', '-n', `1:${PART_START / 512}:+${args.partMiB}M`, '-t', `1:${args.kind === 'ntfs' ? '0700' : '8300'}`, disk]);
  run('dd', [`if=${part}`, `of=${disk}`, 'bs=1M', `seek=${PART_START / (1024 * 1024)}`, 'conv=notrunc,sparse', 'status=none']);
  return disk;
}

/** Partition 1 of any image rehost wrote (raw, or a qcow2 chain) as its own raw file. */
export function partitionOf(args: { image: string; out: string; partMiB: number }): string {
  const raw = `${args.out}.disk`;
  run('qemu-img', ['convert', '-O', 'raw', args.image, raw]);
  run('dd', [`if=${raw}`, `of=${args.out}`, 'bs=1M', `skip=${PART_START / (1024 * 1024)}`, `count=${args.partMiB}`, 'status=none']);
  run('rm', ['-f', raw]);
  return args.out;
}

/** What a local tree holds, relative to its parent: directories end with '/'. */
export interface LocalTree {
  root: string;
  files: Map<string, Uint8Array>;
  dirs: string[];
  modes: Map<string, number>;
  symlinks: Map<string, string>;
}

/** tree/ with nested directories, Unicode names, a 5 MB file and an empty one (and a symlink when asked). */
export function makeLocalTree(args: { dir: string; withSymlink: boolean }): LocalTree {
  const root = join(args.dir, 'tree');
  const files = new Map<string, Uint8Array>([
    ['tree/readme.txt', new TextEncoder().encode('hello from the host\n')],
    ['tree/Ünïcödé – файл.txt', bytesOf(3000, 2)],
    ['tree/日本語/名前.bin', bytesOf(700, 3)],
    ['tree/a/b/c/deep.txt', bytesOf(12, 4)],
    ['tree/a/b/big.bin', bytesOf(5 * 1000 * 1000, 5)],
    ['tree/a/empty', new Uint8Array(0)],
    ['tree/a/script.sh', new TextEncoder().encode('#!/bin/sh\necho hi\n')],
  ]);
  const dirs = ['tree', 'tree/日本語', 'tree/a', 'tree/a/b', 'tree/a/b/c'];
  for (const d of dirs) mkdirSync(join(args.dir, d), { recursive: true });
  for (const [path, data] of files) writeFileSync(join(args.dir, path), data);
  const modes = new Map<string, number>([['tree/a/script.sh', 0o755], ['tree/readme.txt', 0o600], ['tree/a/b', 0o750]]);
  for (const [path, mode] of modes) chmodSync(join(args.dir, path), mode);
  const symlinks = new Map<string, string>();
  if (args.withSymlink) {
    symlinks.set('tree/a/link', 'b/c/deep.txt');
    symlinkSync('b/c/deep.txt', join(args.dir, 'tree/a/link'));
  }
  return { root, files, dirs, modes, symlinks };
}
