// What `rehost info` reports about an image file itself: format, sizes and the backing chain,
// in the shape qemu-img info --backing-chain gives, so the two can be compared.

import { stat } from 'node:fs/promises';
import type { DiskImage } from './types.js';
import { backingChain } from './open.js';

export interface ImageDescription {
  filename: string;
  format: string;
  subformat?: string;
  virtualSize: number;
  /** Bytes the image's own files occupy on the host (allocated blocks, like qemu-img's actual-size). */
  actualSize: number;
  files: string[];
  backingFilename?: string;
  details: Record<string, unknown>;
}

export async function describeImage(image: DiskImage): Promise<ImageDescription[]> {
  const out: ImageDescription[] = [];
  for (const layer of backingChain(image)) {
    let actualSize = 0;
    for (const file of layer.files) {
      try {
        const s = await stat(file);
        actualSize += s.blocks * 512;
      } catch {
        // A file inside a container (an OVA member) has no size of its own on the host.
      }
    }
    out.push({
      filename: layer.filename,
      format: layer.format,
      ...(layer.subformat !== undefined ? { subformat: layer.subformat } : {}),
      virtualSize: layer.virtualSize,
      actualSize,
      files: [...layer.files],
      ...(layer.backingFilename !== undefined ? { backingFilename: layer.backingFilename } : {}),
      details: { ...layer.details },
    });
  }
  return out;
}
