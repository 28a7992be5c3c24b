// Opening an image file: probe by content, resolve the files it names relative to it, and
// follow backing chains with a depth bound and cycle detection. This is the only place the
// image layer opens host files.

import { dirname, isAbsolute, resolve } from 'node:path';
import { realpath } from 'node:fs/promises';
import type { BlockDevice } from '../io/block-device.js';
import { FileDevice } from '../io/file-device.js';
import { CorruptError, NotFoundError, UnsupportedError } from '../errors.js';
import { ignoreDiagnostics, type Diagnostics } from '../diagnostics.js';
import type { DiskImage, ImageFormat, OpenContext } from './types.js';
import { imageFormats } from './formats.js';
import { isOvaPackage, openOvaImage } from './ova/index.js';

export const MAX_CHAIN_DEPTH = 32;

export interface OpenImageOptions {
  /** Skip probing and use this format (qemu-img's name). */
  format?: string;
  diagnostics?: Diagnostics;
  /** For an OVA package: which of its disks to open (0-based, DiskSection order; default 0). */
  disk?: number;
}

/** Probes `file` against every registered format in order and returns the first that matches. */
export async function probeFormat(file: BlockDevice): Promise<ImageFormat> {
  for (const format of imageFormats) {
    if (await format.probe(file)) return format;
  }
  throw new UnsupportedError('no image format matched');
}

export function formatByName(name: string): ImageFormat {
  const format = imageFormats.find((f) => f.name === name);
  if (!format) throw new UnsupportedError(`unknown image format: ${name}`, { kind: 'format' });
  return format;
}

/** Opens an image file read-only, with its whole backing chain. */
export async function openImage(path: string, options: OpenImageOptions = {}): Promise<DiskImage> {
  return openInChain({ path, format: options.format, diagnostics: options.diagnostics ?? ignoreDiagnostics, chain: [], disk: options.disk });
}

async function openInChain(args: { path: string; format: string | undefined; diagnostics: Diagnostics; chain: string[]; disk?: number }): Promise<DiskImage> {
  const { path, diagnostics, chain } = args;
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new NotFoundError(`image file not found: ${path}`, { path, kind: 'image' });
  }
  if (chain.includes(real)) {
    throw new CorruptError(`backing chain loops back to ${path}`, { structure: 'backing chain', path: chain[chain.length - 1] });
  }
  if (chain.length >= MAX_CHAIN_DEPTH) {
    throw new CorruptError(`backing chain deeper than ${MAX_CHAIN_DEPTH}`, { structure: 'backing chain', path });
  }
  const file = await FileDevice.open(path);
  const opened: Array<{ close(): Promise<void> }> = [];
  const context: OpenContext = {
    filename: path,
    diagnostics,
    async openFile(reference) {
      const target = relativeTo(path, reference);
      const device = await FileDevice.open(target);
      opened.push(device);
      return device;
    },
    async openBacking(reference, backingOptions) {
      return openInChain({ path: relativeTo(path, reference), format: backingOptions?.format, diagnostics, chain: [...chain, real] });
    },
  };
  try {
    // An OVA is a container rather than a disk format: open the chosen disk inside it.
    const ova = args.format === 'ova' || (args.format === undefined && (await isOvaPackage(file)));
    const image = ova
      ? await openOvaImage({ file, context, disk: args.disk ?? 0, probeFormat })
      : await (args.format !== undefined ? formatByName(args.format) : await probeFormat(file)).open(file, context);
    const close = image.close.bind(image);
    return Object.assign(image, {
      close: async () => {
        await close();
        await Promise.allSettled([file.close(), ...opened.map((d) => d.close())]);
      },
    });
  } catch (error) {
    await Promise.allSettled([file.close(), ...opened.map((d) => d.close())]);
    throw error;
  }
}

/** A reference recorded inside an image is relative to the image's own directory. */
export function relativeTo(imagePath: string, reference: string): string {
  return isAbsolute(reference) ? reference : resolve(dirname(imagePath), reference);
}

/** The chain from the top image down to the base. */
export function backingChain(image: DiskImage): DiskImage[] {
  const chain: DiskImage[] = [];
  for (let current: DiskImage | undefined = image; current; current = current.backing) chain.push(current);
  return chain;
}
