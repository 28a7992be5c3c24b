// Writing a guest disk into a new image file. The output is written under a temporary name and
// renamed only when complete, so an interrupted conversion never leaves a file that looks whole.

import { rename, rm } from 'node:fs/promises';
import type { BlockDevice } from '../io/block-device.js';
import { WritableFileDevice } from '../io/file-device.js';
import { UnsupportedError } from '../errors.js';
import { imageWriters } from './formats.js';
import type { ImageWriter } from './types.js';

const ALIASES: Record<string, string> = { vhd: 'vpc', img: 'raw' };

export function writerByName(name: string): ImageWriter {
  const canonical = ALIASES[name] ?? name;
  const writer = imageWriters.find((w) => w.name === canonical);
  if (!writer) {
    throw new UnsupportedError(`cannot write ${name}; writable formats: ${imageWriters.map((w) => w.name).join(', ')}`, { kind: 'format' });
  }
  return writer;
}

export interface ConvertOptions {
  source: BlockDevice;
  outputPath: string;
  format: string;
  subformat?: string;
  backing?: { filename: string; format: string };
  onProgress?: (done: number, total: number) => void;
}

export async function writeImageFile(options: ConvertOptions): Promise<void> {
  const writer = writerByName(options.format);
  if (options.subformat !== undefined && !writer.subformats.includes(options.subformat)) {
    throw new UnsupportedError(`${writer.name} has no subformat ${options.subformat}; choose one of: ${writer.subformats.join(', ') || '(none)'}`);
  }
  const partial = `${options.outputPath}.partial-${process.pid}`;
  const output = await WritableFileDevice.create(partial);
  try {
    await writer.write({
      source: options.source,
      output,
      ...(options.subformat !== undefined ? { subformat: options.subformat } : {}),
      ...(options.backing !== undefined ? { backing: options.backing } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
    });
    // No fsync, as qemu-img convert: the rename alone keeps an interrupted run from leaving a
    // file that looks complete. Commits that replace a guest's image sync explicitly.
    await output.close();
    await rename(partial, options.outputPath);
  } catch (error) {
    await output.close().catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
}
