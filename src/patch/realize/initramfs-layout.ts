// Where an initramfs keeps a kernel's modules, as the kernel's unpacker will see the merged
// tree: `usr/lib/modules/<kver>` (merged /usr: `lib` is a symlink to `usr/lib` in both Debian
// generators' images) or `lib/modules/<kver>`. The chosen directory must be reached through
// real directories only, because an appended segment that names `lib/...` with a directory
// entry for `lib` would replace the symlink (init/initramfs.c: a new entry of another type
// replaces the old one) and hide everything under usr/lib. Also: which parent directories
// of the files we add do not exist yet as real directories (the segment must create them).

import { UnsupportedError } from '../../errors.js';
import { type CpioTree, S_IFDIR, S_IFLNK, S_IFMT } from '../../fs/cpio/index.js';

const typeOf = (tree: CpioTree, path: string): 'dir' | 'symlink' | 'other' | 'absent' => {
  const node = tree.find(path, false);
  if (node === undefined) return 'absent';
  const type = node.mode & S_IFMT;
  return type === S_IFDIR ? 'dir' : type === S_IFLNK ? 'symlink' : 'other';
};

/** Every leading component of `path` ("a/b/c" → a, a/b, a/b/c). */
export function prefixes(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** True when every component of `path` is a real directory of the tree (no symlink on the way). */
export function isRealDirectory(tree: CpioTree, path: string): boolean {
  return prefixes(path).every((p) => typeOf(tree, p) === 'dir');
}

/**
 * The module directory for `kernel` inside the initramfs (no leading slash). An existing real
 * directory wins (usr/lib first); with none, usr/lib/modules when `lib` is a symlink or absent
 * while usr/lib exists, else lib/modules. Throws UnsupportedError when the only place would
 * need replacing a symlink or a file.
 */
export function initramfsModuleDir(tree: CpioTree, kernel: string): string {
  const candidates = [`usr/lib/modules/${kernel}`, `lib/modules/${kernel}`];
  for (const dir of candidates) if (isRealDirectory(tree, dir)) return dir;
  // No module directory for this kernel yet: put it where the tree's own layout says.
  for (const dir of candidates) {
    const blocked = prefixes(dir).find((p) => {
      const t = typeOf(tree, p);
      return t === 'symlink' || t === 'other';
    });
    if (blocked === undefined) return dir;
  }
  throw new UnsupportedError(`no place for /lib/modules/${kernel} in the initramfs: both usr/lib and lib paths pass through a symlink or a file`, {
    structure: 'initramfs',
    path: `lib/modules/${kernel}`,
  });
}

/** Directories (sorted, parents first) the segment must create so that `files` can be unpacked. */
export function missingDirectories(tree: CpioTree, files: readonly string[]): string[] {
  const out = new Set<string>();
  for (const file of files) {
    const parts = prefixes(file);
    parts.pop();
    for (const dir of parts) if (typeOf(tree, dir) !== 'dir') out.add(dir);
  }
  return [...out].sort();
}
