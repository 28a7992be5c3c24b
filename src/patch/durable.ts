// Writing a user's file so that a crash never leaves something that looks complete: the data
// goes to `<name>.partial-<pid>`, is fsync'd, renamed over the final name, and the directory is
// fsync'd so the rename itself is durable. A killed process leaves at most the .partial file.

import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WritableFileDevice } from '../io/file-device.js';

export function partialName(path: string): string {
  return `${path}.partial-${process.pid}`;
}

export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(dirname(path), 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Runs `body` on a fresh partial file, then syncs and renames it to `path`; removes it on failure. */
export async function writeDurably(path: string, body: (output: WritableFileDevice) => Promise<void>): Promise<void> {
  const partial = partialName(path);
  const output = await WritableFileDevice.create(partial);
  try {
    await body(output);
    await output.flush();
    await output.close();
  } catch (error) {
    await output.close().catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
  await rename(partial, path);
  await syncDirectory(path);
}
