// The `vhdx` image format (Hyper-V VHDX, [MS-VHDX] 1.0): fixed, dynamic and differencing
// disks. Opening follows the specification's order: file identifier, current header, log
// replay (in memory) when the header names a log, region table, metadata, BAT. qemu-img
// reads fixed and dynamic VHDX but refuses differencing ones and refuses a dirty log when
// opened read-only; we handle both.

import type { BlockDevice } from '../../io/block-device.js';
import { CorruptError } from '../../errors.js';
import { assertWithin, decodeGuid } from '../../binary/index.js';
import type { DiskImage, ImageFormat, OpenContext } from '../types.js';
import { decodeCreator, hasVhdxSignature, readCurrentHeader, readRegions } from './headers.js';
import { replayLog } from './log.js';
import { decodeMetadata } from './metadata.js';
import { MIB, isZeroGuid } from './structures.js';
import { batLayout, decodeBat } from './bat.js';
import { VhdxSparseDevice } from './sparse-device.js';
import { openVhdxParent, parentInfo } from './parent.js';

export const vhdxFormat: ImageFormat = {
  name: 'vhdx',
  async probe(file) {
    return file.size >= 8 && hasVhdxSignature(await file.read(0, 8));
  },
  open: openVhdx,
};

async function openVhdx(file: BlockDevice, context: OpenContext): Promise<DiskImage> {
  if (file.size < 1 * MIB || !hasVhdxSignature(await file.read(0, 8))) {
    throw new CorruptError('not a VHDX file (no "vhdxfile" signature, or shorter than 1 MiB)', { structure: 'VHDX file identifier', offset: 0 });
  }
  const creator = decodeCreator(await file.read(0, 520));
  const { header, offset: headerOffset } = await readCurrentHeader(file, context.diagnostics);
  let view: BlockDevice = file;
  let replayedEntries = 0;
  if (!isZeroGuid(header.logGuid)) {
    const replay = await replayLog({ file, header, headerOffset });
    view = replay.device;
    replayedEntries = replay.entries;
    context.diagnostics.report({ severity: 'info', code: 'vhdx-log-replayed', message: `replayed ${replay.entries} VHDX log entries in memory (the file is unchanged)`, structure: 'VHDX log', offset: header.logOffset });
  }
  const regions = await readRegions(view, context.diagnostics);
  const metadataWhere = { structure: 'VHDX metadata region', offset: regions.metadata.offset };
  if (regions.metadata.length < 64 * 1024 || regions.metadata.length > 64 * MIB) {
    throw new CorruptError(`metadata region of ${regions.metadata.length} bytes`, metadataWhere);
  }
  assertWithin({ offset: regions.metadata.offset, length: regions.metadata.length, limit: view.size }, metadataWhere);
  const metadata = decodeMetadata(await view.read(regions.metadata.offset, regions.metadata.length), regions.metadata.offset);
  const { blockSize, virtualDiskSize, logicalSectorSize, hasParent } = metadata;
  const layout = batLayout(metadata);
  const batWhere = { structure: 'VHDX BAT', offset: regions.bat.offset };
  if (layout.totalEntries * 8 > regions.bat.length) {
    throw new CorruptError(`BAT region of ${regions.bat.length} bytes cannot hold the ${layout.totalEntries} entries ${virtualDiskSize} bytes need`, batWhere);
  }
  assertWithin({ offset: regions.bat.offset, length: layout.totalEntries * 8, limit: view.size }, batWhere);
  const bat = decodeBat({ bytes: await view.read(regions.bat.offset, layout.totalEntries * 8), batOffset: regions.bat.offset, metadata, fileSize: view.size });
  const { states, offsets, bitmapOffsets, chunkRatio, present } = bat;

  const details: Record<string, unknown> = {
    creator,
    version: header.version,
    sequenceNumber: header.sequenceNumber.toString(),
    fileWriteGuid: decodeGuid(header.fileWriteGuid),
    dataWriteGuid: decodeGuid(header.dataWriteGuid),
    virtualDiskId: metadata.virtualDiskId,
    blockSize,
    clusterSize: blockSize,
    logicalSectorSize,
    physicalSectorSize: metadata.physicalSectorSize,
    leaveBlocksAllocated: metadata.leaveBlocksAllocated,
    hasParent,
    presentBlocks: present,
    logReplayedEntries: replayedEntries,
  };
  let parent: DiskImage | undefined;
  if (hasParent) {
    const info = parentInfo(metadata, regions.metadata.offset);
    Object.assign(details, { parentLinkage: info.linkage, parentPaths: info.paths });
    parent = await openVhdxParent({ context, info, metadataOffset: regions.metadata.offset });
  }
  const device = new VhdxSparseDevice({
    file: view, size: virtualDiskSize, blockSize, logicalSectorSize, chunkRatio, states, offsets, bitmapOffsets,
    ...(parent ? { parent: parent.device } : {}),
  });
  const image: DiskImage = {
    format: 'vhdx',
    subformat: hasParent ? 'differencing' : metadata.leaveBlocksAllocated ? 'fixed' : 'dynamic',
    device,
    virtualSize: virtualDiskSize,
    filename: context.filename,
    files: [context.filename],
    details,
    close: async () => {
      await parent?.close();
      await file.close?.();
    },
  };
  if (parent) Object.assign(image, { backing: parent, backingFilename: parent.filename });
  return image;
}
