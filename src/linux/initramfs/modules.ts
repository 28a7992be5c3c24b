// Kernel modules inside an initramfs: every regular file named *.ko, *.ko.xz, *.ko.zst or
// *.ko.gz under (usr/)lib/modules/<kver>/, found by walking the real directories of the
// merged tree (symlinked aliases like lib -> usr/lib are not walked twice). Module names are
// normalised as kmod does: the file name without its suffixes, '-' replaced by '_'.

import type { CpioTree, TreeNode } from '../../fs/cpio/index.js';
import { fileType } from '../../fs/cpio/index.js';

export type ModuleCompression = 'none' | 'xz' | 'zstd' | 'gzip';

export interface InitramfsModule {
  /** Normalised module name (virtio_blk). */
  name: string;
  /** Path inside the initramfs, without a leading slash. */
  path: string;
  kernelVersion: string;
  compression: ModuleCompression;
  size: number;
}

const MODULE_FILE = /^(.+)\.ko(?:\.(xz|zst|gz))?$/;

export function moduleNameFromFile(fileName: string): string | undefined {
  const match = MODULE_FILE.exec(fileName);
  return match === null ? undefined : (match[1] as string).replace(/-/g, '_');
}

export function listModules(tree: CpioTree): InitramfsModule[] {
  const out: InitramfsModule[] = [];
  const seen = new Set<TreeNode>();
  for (const prefix of ['usr/lib/modules', 'lib/modules']) {
    const modulesDir = tree.find(prefix, true);
    if (modulesDir?.children === undefined || seen.has(modulesDir)) continue;
    seen.add(modulesDir);
    for (const [kernelVersion, versionDir] of modulesDir.children) {
      if (versionDir.children === undefined) continue;
      // Depth-first over real directories only; bounded by the tree's size.
      const stack: Array<{ node: TreeNode; path: string }> = [{ node: versionDir, path: `${prefix}/${kernelVersion}` }];
      while (stack.length > 0) {
        const { node, path } = stack.pop() as { node: TreeNode; path: string };
        for (const [name, child] of node.children ?? []) {
          const childPath = `${path}/${name}`;
          if (child.children !== undefined) {
            stack.push({ node: child, path: childPath });
            continue;
          }
          if (fileType(child.mode) !== 'file') continue;
          const match = MODULE_FILE.exec(name);
          if (match === null) continue;
          const suffix = match[2];
          out.push({
            name: (match[1] as string).replace(/-/g, '_'),
            path: childPath,
            kernelVersion,
            compression: suffix === 'xz' ? 'xz' : suffix === 'zst' ? 'zstd' : suffix === 'gz' ? 'gzip' : 'none',
            size: child.content.data.length,
          });
        }
      }
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
