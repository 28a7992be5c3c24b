// Shared file steps of the first-boot realizers (folders: directories.ts): a new file as write-file
// expecting nothing there (or nothing to do when the same bytes are there already; other bytes
// are refused), and files copied from a driver source after checking the size and hash the
// plan recorded.

import { PreconditionError } from '../../errors.js';
import type { FileSystem } from '../../fs/types.js';
import type { WindowsDriverFile } from '../../rules/types.js';
import { openDriverSource } from '../../windows/drivers/source.js';
import { sha256Hex } from '../hash.js';
import { pathState } from '../state.js';
import type { Patch } from '../types.js';

/** A write-file of new content at `path`: [] when those bytes are there, refused when other bytes are. */
export async function newFilePatch(args: { fs: FileSystem; volume: string; path: string; content: Uint8Array; reason: string }): Promise<Patch[]> {
  const state = await pathState(args.fs, args.path);
  if (state === sha256Hex(args.content)) return [];
  if (state !== 'absent') throw new PreconditionError(`${args.volume}:${args.path} exists with other content (${state}); rehost does not overwrite a file it did not write`, { path: args.path, found: state });
  return [{ kind: 'write-file', volume: args.volume, path: args.path, expect: 'absent', content: args.content, reason: args.reason }];
}

/** Files copied from a driver source, each checked against the plan's size and sha256. */
export async function sourceFilePatches(args: { fs: FileSystem; volume: string; driverSource: string; files: readonly WindowsDriverFile[]; reason: string }): Promise<Patch[]> {
  if (args.files.length === 0) return [];
  const out: Patch[] = [];
  const source = await openDriverSource(args.driverSource);
  try {
    for (const file of args.files) {
      const state = await pathState(args.fs, file.dest);
      if (state === file.sha256) continue;
      if (state !== 'absent') throw new PreconditionError(`${args.volume}:${file.dest} exists with other content (${state})`, { path: file.dest, found: state });
      const stat = await source.fs.stat(file.source);
      if (stat.size !== file.size) throw new PreconditionError(`${args.driverSource}${file.source} is ${stat.size} bytes, the plan saw ${file.size}`, { path: file.source });
      const content = await source.fs.readFile(file.source);
      if (sha256Hex(content) !== file.sha256) throw new PreconditionError(`${args.driverSource}${file.source} changed since the plan (sha256 differs)`, { path: file.source });
      out.push({ kind: 'write-file', volume: args.volume, path: file.dest, expect: 'absent', content, reason: args.reason });
    }
  } finally {
    await source.close();
  }
  return out;
}
