// Test images made by the real tools: a source tree with the shapes ext readers get wrong
// (deep paths, a 20,000-entry directory, inline data, fast and slow symlinks, sparse and large
// files, xattrs, odd modes and owners, hard links, non-ASCII names), turned into filesystems by
// mkfs.ext2/3/4 -d, and the oracle view of a filesystem from `debugfs -R 'rdump / DIR'`.

import { createHash } from 'node:crypto';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../helpers/tools.js';
import type { WalkEntry } from './walk.js';


function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(length: number, seed: number): Uint8Array {
  const next = prng(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

/** Builds the source tree under `root`; `manyEntries` adds the 20,000-entry directory. */
export function buildTree(root: string, options: { manyEntries?: number } = {}): void {
  mkdirSync(root, { recursive: true });
  let deep = root;
  for (let i = 0; i < 24; i++) deep = join(deep, `level-${i}`);
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, 'bottom.txt'), 'at the bottom\n');
  writeFileSync(join(root, 'hello.txt'), 'hello, world\n');
  writeFileSync(join(root, 'empty'), '');
  mkdirSync(join(root, 'empty-dir'));
  writeFileSync(join(root, 'tiny'), 'x'.repeat(40)); // inline_data candidate
  writeFileSync(join(root, 'large.bin'), randomBytes(3 * 1024 * 1024 + 123, 1));
  writeFileSync(join(root, 'sparse.bin'), new Uint8Array(0));
  // A sparse file: data at 1 MiB and at the end, holes elsewhere.
  const sparse = join(root, 'sparse.bin');
  run('sh', ['-c', `printf data1 | dd of="$1" bs=1 seek=1048576 conv=notrunc status=none && truncate -s 6291456 "$1" && printf tail | dd of="$1" bs=1 seek=6291452 conv=notrunc status=none`, 'sh', sparse]);
  symlinkSync('hello.txt', join(root, 'fast-link'));
  symlinkSync('/' + 'long-target-'.repeat(20) + 'end', join(root, 'slow-link'));
  symlinkSync('level-0/level-1', join(root, 'dir-link'));
  mkdirSync(join(root, 'modes'));
  writeFileSync(join(root, 'modes', 'setuid'), '#!/bin/sh\n');
  chmodSync(join(root, 'modes', 'setuid'), 0o4755);
  writeFileSync(join(root, 'modes', 'private'), 'secret\n');
  chmodSync(join(root, 'modes', 'private'), 0o600);
  chownSync(join(root, 'modes', 'private'), 1000, 1000);
  mkdirSync(join(root, 'modes', 'sticky'));
  chmodSync(join(root, 'modes', 'sticky'), 0o1777);
  linkSync(join(root, 'hello.txt'), join(root, 'modes', 'hardlink'));
  writeFileSync(join(root, 'héllo wörld ✓.txt'), 'unicode name\n');
  writeFileSync(join(root, 'with-xattr'), 'has extended attributes\n');
  run('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.rehost", b"v" * 100); os.setxattr(sys.argv[1], "user.big", b"w" * 900)', join(root, 'with-xattr')]);
  mkdirSync(join(root, 'small-dir'));
  for (let i = 0; i < 3; i++) writeFileSync(join(root, 'small-dir', `f${i}`), `${i}\n`);
  if (options.manyEntries) {
    const many = join(root, 'many');
    mkdirSync(many);
    for (let i = 0; i < options.manyEntries; i++) writeFileSync(join(many, `e${i}`), i % 1000 === 0 ? `entry ${i}\n` : '');
  }
}

/** Makes a filesystem image file from a tree with mkfs.<kind> -d. */
export function makeFs(args: { kind: 'ext2' | 'ext3' | 'ext4'; tree: string; image: string; sizeMb: number; extra?: string[] }): void {
  run('truncate', ['-s', '0', args.image]);
  run(`mkfs.${args.kind}`, ['-q', '-F', '-b', '4096', '-E', 'root_owner=0:0', ...(args.extra ?? []), '-d', args.tree, args.image, `${args.sizeMb}M`]);
}

/** debugfs 1.47 prints name bytes >= 0x80 as "\\xNN" escapes. */
function decodeDebugfsName(text: string): string {
  const out: number[] = [];
  for (let i = 0; i < text.length; ) {
    const hex = /^\\x([0-9a-fA-F]{2})/.exec(text.slice(i, i + 4));
    if (hex) {
      out.push(parseInt(hex[1] as string, 16));
      i += 4;
    } else {
      out.push(...Buffer.from(text[i] as string, 'utf8'));
      i += 1;
    }
  }
  return Buffer.from(out).toString('utf8');
}

/** The oracle: debugfs rdump of the whole filesystem into `out`, walked on the host. */
export function debugfsView(image: string, out: string, paths: string[] = ['/']): Map<string, WalkEntry> {
  mkdirSync(out, { recursive: true });
  for (const path of paths) {
    // rdump DIR OUT creates OUT/<basename>; recreate the parents so the host tree mirrors the guest.
    const parent = path === '/' ? out : join(out, path.split('/').slice(0, -1).join('/'));
    mkdirSync(parent, { recursive: true });
    run('debugfs', ['-R', `rdump ${path} ${parent}`, image]);
  }
  const result = new Map<string, WalkEntry>();
  const visit = (hostDir: string, guestDir: string): void => {
    for (const name of readdirSync(hostDir)) {
      const host = join(hostDir, name);
      const path = guestDir === '/' ? `/${name}` : `${guestDir}/${name}`;
      const st = lstatSync(host);
      const type = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
      const entry: WalkEntry = { path, type, size: st.size, mode: st.mode, uid: st.uid, gid: st.gid };
      if (type === 'file') entry.sha256 = createHash('sha256').update(readFileSync(host)).digest('hex');
      if (type === 'symlink') entry.target = readlinkSync(host);
      result.set(path, entry);
      if (type === 'directory') visit(host, path);
    }
  };
  visit(out, '/');
  // rdump drops setuid/setgid/sticky bits; modes and owners come from `ls -l` of every directory.
  const dirs = ['/', ...[...result.values()].filter((e) => e.type === 'directory').map((e) => e.path)];
  const commands = join(out, '..', `${out.split('/').pop()}.debugfs-commands`);
  writeFileSync(commands, dirs.map((d) => `ls -l "${d}"`).join('\n') + '\n');
  const listing = run('debugfs', ['-f', commands, image]);
  let current = '/';
  for (const line of listing.split('\n')) {
    const command = /^debugfs: ls -l "(.*)"$/.exec(line);
    if (command) {
      current = command[1] as string;
      continue;
    }
    const m = /^\s*(\d+)\s+(\d+)\s+\(\d+\)\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+\s+\S+\s(.*)$/.exec(line);
    if (!m) continue;
    const name = decodeDebugfsName(m[6] as string);
    if (name === '.' || name === '..') continue;
    const entry = result.get(current === '/' ? `/${name}` : `${current}/${name}`);
    if (entry) {
      const size = Number(m[5]);
      if (entry.type === 'file' && entry.size > size) {
        // debugfs 1.47.0 dumps an inline-data file as all 60 bytes of i_block; i_size (what
        // `ls -l` and `stat` print) says how many of them are the file.
        const host = join(out, entry.path);
        entry.sha256 = createHash('sha256').update(readFileSync(host).subarray(0, size)).digest('hex');
        entry.size = size;
      }
      entry.mode = parseInt(m[2] as string, 8);
      entry.uid = Number(m[3]);
      entry.gid = Number(m[4]);
    }
  }
  return result;
}
