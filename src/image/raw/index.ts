// Raw images: the file is the guest disk. Probed last, since any file is a valid raw image.

import type { BlockDevice } from '../../io/block-device.js';
import type { DiskImage, ImageFormat, ImageWriter, OpenContext, WriteImageOptions } from '../types.js';
import { scanChunks } from '../scan.js';

export const rawFormat: ImageFormat = {
  name: 'raw',
  async probe() {
    return true;
  },
  async open(file: BlockDevice, context: OpenContext): Promise<DiskImage> {
    return {
      format: 'raw',
      device: file,
      virtualSize: file.size,
      filename: context.filename,
      files: [context.filename],
      details: {},
      close: async () => file.close?.(),
    };
  },
};

export const rawWriter: ImageWriter = {
  name: 'raw',
  subformats: [],
  async write({ source, output, onProgress }: WriteImageOptions): Promise<void> {
    for await (const chunk of scanChunks(source, { chunkSize: 1024 * 1024 })) {
      if (chunk.data) await output.write(chunk.offset, chunk.data);
      onProgress?.(chunk.offset + chunk.length, source.size);
    }
    // Holes at the end still count towards the size.
    if (output.truncate) await output.truncate(source.size);
    else if (output.size < source.size) await output.write(source.size - 1, new Uint8Array(1));
  },
};
