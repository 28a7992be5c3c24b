// A GuestView over any source of filesystems: the OS's root volume and mount table (mount
// point → volume id, from inspection) and a function that opens a volume's filesystem (the
// transaction's writable filesystems when applying, read-only ones in tests). Paths resolve
// by the longest mount prefix, as the kernel's mount table would.

import { splitPath } from '../../fs/path.js';
import type { FileSystem } from '../../fs/types.js';
import type { GuestView } from './types.js';

export function guestView(args: { root: string; mounts: Record<string, string>; open: (volume: string) => Promise<FileSystem> }): GuestView {
  const mounts: Record<string, string> = { '/': args.root };
  for (const [point, volume] of Object.entries(args.mounts)) mounts['/' + splitPath(point).join('/')] = volume;
  const points = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const cache = new Map<string, Promise<FileSystem>>();
  return {
    root: args.root,
    mounts,
    fs(volume) {
      let fs = cache.get(volume);
      if (fs === undefined) {
        fs = args.open(volume);
        cache.set(volume, fs);
      }
      return fs;
    },
    resolve(guestPath) {
      const path = '/' + splitPath(guestPath).join('/');
      for (const point of points) {
        if (point === '/' || path === point || path.startsWith(`${point}/`)) {
          return { volume: mounts[point] as string, path: point === '/' ? path : path.slice(point.length) || '/' };
        }
      }
      return { volume: args.root, path };
    },
  };
}
