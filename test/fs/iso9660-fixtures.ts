// Builds small ISO images at test time with the real tools (xorriso, genisoimage) from a
// source tree with the cases that matter: deep trees (Rock Ridge relocation), long and
// Unicode names, symlinks, a file spanning several sectors. Also reads a host tree back as
// the oracle shape (path → type, bytes or link target).

import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool, run } from '../helpers/tools.js';

export const LONG_NAME = 'a very long file name with spaces, more than sixty-four characters, to test Joliet-long.txt';
export const UNICODE_NAME = 'Ünïcødé-名前-ñ.txt';

export function makeSourceTree(root: string): void {
  const file = (p: string, data: Uint8Array | string) => {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), data);
  };
  file('Dir/sub/file.txt', 'hello\n');
  file('Dir/Mixed.Case.Name.INF', '[Version]\r\n');
  file(LONG_NAME, 'long\n');
  file(UNICODE_NAME, 'unicode\n');
  file('deep/a/b/c/d/e/f/g/h/i/j/deep.txt', 'deep\n');
  file('empty', '');
  const big = new Uint8Array(300_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >> 11)) & 0xff;
  file('big.bin', big);
  symlinkSync('Dir/sub/file.txt', join(root, 'link'));
  symlinkSync('/abs/target', join(root, 'abslink'));
  symlinkSync('../sub', join(root, 'Dir/sub/uplink'));
}

export type IsoFlavour = 'xorriso-rr-joliet' | 'xorriso-rr' | 'genisoimage-rr' | 'genisoimage-joliet' | 'genisoimage-plain';

export function makeIso(args: { source: string; output: string; flavour: IsoFlavour; volid?: string }): string {
  const { source, output, flavour } = args;
  const volid = args.volid ?? 'TESTISO';
  if (flavour.startsWith('xorriso')) {
    requireTool('xorriso');
    run('xorriso', ['-as', 'mkisofs', '-quiet', '-V', volid, '-R', ...(flavour === 'xorriso-rr-joliet' ? ['-J', '-joliet-long'] : []), '-o', output, source]);
  } else {
    requireTool('genisoimage');
    const names = flavour === 'genisoimage-rr' ? ['-R'] : flavour === 'genisoimage-joliet' ? ['-J', '-joliet-long'] : [];
    run('genisoimage', ['-quiet', '-input-charset', 'utf-8', '-V', volid, ...names, '-o', output, source]);
  }
  return output;
}

export interface TreeEntry {
  type: 'file' | 'directory' | 'symlink';
  data?: Uint8Array;
  target?: string;
}

/** A host directory as path → entry (paths '/'-rooted), without following symlinks. */
export function hostTree(root: string): Map<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const path = `${prefix}/${name}`;
      const st = lstatSync(full);
      if (st.isSymbolicLink()) out.set(path, { type: 'symlink', target: readlinkSync(full) });
      else if (st.isDirectory()) {
        out.set(path, { type: 'directory' });
        walk(full, path);
      } else out.set(path, { type: 'file', data: new Uint8Array(readFileSync(full)) });
    }
  };
  walk(root, '');
  return out;
}
