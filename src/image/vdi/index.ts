// VDI (VirtualBox) images: static and dynamic, version 1.1. See header.ts for the layout.

import type { BlockDevice } from '../../io/block-device.js';
import type { DiskImage, ImageFormat, OpenContext } from '../types.js';
import { decodeVdiHeader, hasVdiSignature, VDI_HEADER } from './header.js';
import { decodeVdiBlockMap } from './block-map.js';
import { VdiDevice } from './vdi-device.js';
import { CorruptError } from '../../errors.js';

export { decodeVdiHeader, hasVdiSignature, VDI_HEADER, VDI_SIGNATURE, VDI_IMAGE_TYPES } from './header.js';
export type { VdiLayout, VdiHeader } from './header.js';
export { decodeVdiBlockMap, VDI_BLOCK_UNALLOCATED, VDI_BLOCK_ZERO } from './block-map.js';
export { VdiDevice } from './vdi-device.js';

export const vdiFormat: ImageFormat = {
  name: 'vdi',
  async probe(file: BlockDevice): Promise<boolean> {
    if (file.size < VDI_HEADER.size) return false;
    return hasVdiSignature(await file.read(0, 0x48));
  },
  async open(file: BlockDevice, context: OpenContext): Promise<DiskImage> {
    if (file.size < VDI_HEADER.size) throw new CorruptError(`file of ${file.size} bytes is too small for a VDI header`, { structure: 'VDI header', offset: 0 });
    const layout = decodeVdiHeader(await file.read(0, VDI_HEADER.size), file.size);
    const { header } = layout;
    const map = decodeVdiBlockMap({
      bytes: await file.read(header.offBlocks, header.cBlocks * 4),
      layout,
      fileSize: file.size,
      diagnostics: context.diagnostics,
    });
    return {
      format: 'vdi',
      subformat: layout.type,
      device: new VdiDevice({ file, layout, map }),
      virtualSize: layout.virtualSize,
      filename: context.filename,
      files: [context.filename],
      details: {
        version: '1.1',
        imageType: layout.type,
        blockSize: layout.blockSize,
        blockExtra: header.cbBlockExtra,
        blocks: header.cBlocks,
        blocksAllocated: header.cBlocksAllocated,
        uuid: layout.uuid,
        modifyUuid: layout.modifyUuid,
        comment: header.comment,
        creator: header.fileInfo.replace(/\n$/, ''),
      },
      close: async () => file.close?.(),
    };
  },
};
