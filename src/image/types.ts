// The image layer's contracts. A format probes a file by content and opens it read-only as a
// DiskImage whose `device` is the guest disk. Files an image refers to (VMDK extents, backing
// and parent images) are resolved through the OpenContext, which bounds chain depth and
// detects cycles, so no format opens host files on its own.

import type { BlockDevice, WritableBlockDevice } from '../io/block-device.js';
import type { Diagnostics } from '../diagnostics.js';

export interface DiskImage {
  /** qemu-img's name for the format: raw, qcow2, vmdk, vpc, vhdx, vdi. */
  readonly format: string;
  /** Variant: monolithicSparse, streamOptimized, fixed, dynamic, differencing, … */
  readonly subformat?: string;
  /** The guest disk, reading through to the backing chain where there is one. */
  readonly device: BlockDevice;
  readonly virtualSize: number;
  /** The file this image was opened from (path or name). */
  readonly filename: string;
  /** The parent / backing image, opened. */
  readonly backing?: DiskImage;
  /** The backing reference as the image records it. */
  readonly backingFilename?: string;
  /** Every host file this image consists of (descriptor, extents), not counting the backing chain. */
  readonly files: readonly string[];
  /** Format-specific facts for `rehost info` (cluster size, version, features, creator…). */
  readonly details: Readonly<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface OpenContext {
  /** Name (path) of the file being opened, for errors and relative references. */
  readonly filename: string;
  readonly diagnostics: Diagnostics;
  /** Opens a host file named by this image (relative to it), read-only. */
  openFile(reference: string): Promise<BlockDevice & { readonly path: string }>;
  /** Opens a backing/parent image by reference: probed by content unless a format is given. */
  openBacking(reference: string, options?: { format?: string }): Promise<DiskImage>;
}

export interface ImageFormat {
  /** qemu-img's name for it. */
  readonly name: string;
  /** True when `file` is in this format (content only, never the file name). */
  probe(file: BlockDevice): Promise<boolean>;
  open(file: BlockDevice, context: OpenContext): Promise<DiskImage>;
}

export interface WriteImageOptions {
  /** What to write: the guest disk. Its allocation map decides what is stored (see below). */
  source: BlockDevice;
  output: WritableBlockDevice & { truncate?(size: number): Promise<void> };
  subformat?: string;
  /**
   * With a backing file, only the source's 'data' runs are stored and everything else is left
   * unallocated, so it reads through to the backing file. Without one, 'zero' runs and
   * all-zero data are written as holes.
   */
  backing?: { filename: string; format: string };
  onProgress?: (done: number, total: number) => void;
}

export interface ImageWriter {
  /** qemu-img's name for the format written. */
  readonly name: string;
  readonly subformats: readonly string[];
  write(options: WriteImageOptions): Promise<void>;
}
