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
    // Adjacent data chunks from one read window go out as one write; holes are skipped.
    let pending: Uint8Array | undefined;
    let pendingOffset = 0;
    const flush = async (): Promise<void> => {
      if (pending) await output.write(pendingOffset, pending);
      pending = undefined;
    };
    for await (const chunk of scanChunks(source, { chunkSize: 1024 * 1024 })) {
      const data = chunk.data;
      if (data && pending && pending.buffer === data.buffer && pending.byteOffset + pending.length === data.byteOffset && pendingOffset + pending.length === chunk.offset) {
        pending = new Uint8Array(data.buffer, pending.byteOffset, pending.length + data.length);
      } else {
        await flush();
        if (data) {
          pending = data;
          pendingOffset = chunk.offset;
        }
      }
      onProgress?.(chunk.offset + chunk.length, source.size);
    }
    await flush();
    // Holes at the end still count towards the size.
    if (output.truncate) await output.truncate(source.size);
    else if (output.size < source.size) await output.write(source.size - 1, new Uint8Array(1));
  },
};
