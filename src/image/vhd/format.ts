// The `vpc` image format (Microsoft VHD): fixed disks are raw data followed by a footer;
// dynamic disks map 2 MiB (usually) blocks through a BAT; differencing disks add a parent.
// Probing looks at offset 0 (dynamic) and at the last 512 or 511 bytes (fixed), unlike
// qemu-img, which probes a fixed VHD as raw. The virtual size follows qemu-img (see
// footer.ts) so `rehost` and `qemu-img convert -f vpc` produce the same bytes.

import type { BlockDevice } from '../../io/block-device.js';
import { SliceDevice } from '../../io/slice-device.js';
import { CorruptError, UnsupportedError } from '../../errors.js';
import { assertWithin, decodeUuidBE, isPowerOfTwo } from '../../binary/index.js';
import type { DiskImage, ImageFormat, OpenContext } from '../types.js';
import { DISK_TYPE_DIFFERENCING, DISK_TYPE_DYNAMIC, DISK_TYPE_FIXED, VhdFooter, VHD_EPOCH_SECONDS, creatorName, virtualSizeOf } from './footer.js';
import { DYNAMIC_HEADER_SIZE, VhdDynamicHeader, dynamicHeaderChecksum } from './dynamic-header.js';
import { decodeBat } from './bat.js';
import { locateFooter, probeVhd } from './locate-footer.js';
import { VhdSparseDevice } from './sparse-device.js';
import { openVhdParent, parentReferences } from './parent.js';

const SECTOR = 512;
/** qemu refuses blocks above this too (and bitmaps grow with the block size). */
const MAX_BLOCK_SIZE = 1 << 30;

export const vhdFormat: ImageFormat = {
  name: 'vpc',
  probe: probeVhd,
  open: openVhd,
};

async function openVhd(file: BlockDevice, context: OpenContext): Promise<DiskImage> {
  const { footer, offset: footerOffset, trailerOffset } = await locateFooter(file, context.diagnostics);
  const virtualSize = virtualSizeOf(footer);
  const details: Record<string, unknown> = {
    diskType: diskTypeName(footer.diskType),
    creatorApplication: creatorName(footer).replace(/\0/g, ''),
    creatorVersion: `${footer.creatorVersion >>> 16}.${footer.creatorVersion & 0xffff}`,
    creatorHostOs: footer.creatorHostOs,
    currentSize: footer.currentSize,
    geometry: { cylinders: footer.diskGeometryCylinders, heads: footer.diskGeometryHeads, sectorsPerTrack: footer.diskGeometrySectorsPerTrack },
    uniqueId: decodeUuidBE(footer.uniqueId),
    timeStamp: new Date((footer.timeStamp + VHD_EPOCH_SECONDS) * 1000).toISOString(),
    savedState: footer.savedState !== 0,
  };
  if (footer.savedState !== 0) {
    context.diagnostics.report({ severity: 'warning', code: 'vhd-saved-state', message: 'the VHD footer says the virtual machine was saved (its memory state is outside the disk)', structure: 'VHD footer', offset: footerOffset });
  }
  const base = { format: 'vpc', virtualSize, filename: context.filename, files: [context.filename] };

  if (footer.diskType === DISK_TYPE_FIXED) {
    if (virtualSize > trailerOffset) {
      throw new CorruptError(`fixed VHD holds ${trailerOffset} bytes of data but its size is ${virtualSize}`, { structure: 'VHD footer', offset: footerOffset });
    }
    return { ...base, subformat: 'fixed', device: new SliceDevice({ base: file, start: 0, size: virtualSize, name: 'VHD fixed data' }), details, close: async () => file.close?.() };
  }
  if (footer.diskType !== DISK_TYPE_DYNAMIC && footer.diskType !== DISK_TYPE_DIFFERENCING) {
    throw new UnsupportedError(`VHD disk type ${footer.diskType} is not fixed (2), dynamic (3) or differencing (4)`, { structure: 'VHD footer', offset: footerOffset + VhdFooter.offsetOf('diskType') });
  }

  const headerOffset = Number(footer.dataOffset > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : footer.dataOffset);
  assertWithin({ offset: headerOffset, length: DYNAMIC_HEADER_SIZE, limit: file.size }, { structure: 'VHD footer data offset', offset: footerOffset + VhdFooter.offsetOf('dataOffset') });
  const headerBytes = await file.read(headerOffset, DYNAMIC_HEADER_SIZE);
  const header = VhdDynamicHeader.decode(headerBytes, { origin: headerOffset });
  if (header.checksum !== dynamicHeaderChecksum(headerBytes)) {
    // qemu does not check it either; the fields are validated one by one below.
    context.diagnostics.report({ severity: 'warning', code: 'vhd-dynamic-header-checksum', message: 'the dynamic disk header has a bad checksum', structure: 'VHD dynamic header', offset: headerOffset });
  }
  const { blockSize, maxTableEntries, tableOffset } = header;
  if (!isPowerOfTwo(blockSize) || blockSize < SECTOR || blockSize > MAX_BLOCK_SIZE) {
    throw new CorruptError(`invalid block size ${blockSize}`, { structure: 'VHD dynamic header', offset: headerOffset + VhdDynamicHeader.offsetOf('blockSize') });
  }
  const blocksNeeded = Math.ceil(virtualSize / blockSize);
  if (maxTableEntries < blocksNeeded) {
    throw new CorruptError(`BAT of ${maxTableEntries} entries cannot map ${virtualSize} bytes in ${blockSize}-byte blocks`, { structure: 'VHD dynamic header', offset: headerOffset + VhdDynamicHeader.offsetOf('maxTableEntries') });
  }
  assertWithin({ offset: tableOffset, length: blocksNeeded * 4, limit: file.size }, { structure: 'VHD BAT', offset: tableOffset });
  const { bat, bitmapSize, allocatedBlocks } = decodeBat({ bytes: await file.read(tableOffset, blocksNeeded * 4), tableOffset, blockSize, virtualSize, fileSize: file.size });
  Object.assign(details, { blockSize, maxTableEntries, allocatedBlocks, clusterSize: blockSize });

  let parent: DiskImage | undefined;
  if (footer.diskType === DISK_TYPE_DIFFERENCING) {
    const references = await parentReferences({ file, header, headerOffset });
    Object.assign(details, { parentUniqueId: decodeUuidBE(header.parentUniqueId), parentName: header.parentUnicodeName, parentLocators: references.map((r) => ({ platform: r.source, path: r.recorded })) });
    parent = await openVhdParent({ context, header, references, headerOffset });
  }
  const device = new VhdSparseDevice({ file, size: virtualSize, blockSize, bitmapSize, bat, ...(parent ? { parent: parent.device } : {}) });
  const opened: DiskImage = {
    ...base,
    subformat: parent ? 'differencing' : 'dynamic',
    device,
    details,
    close: async () => {
      await parent?.close();
      await file.close?.();
    },
  };
  if (parent) Object.assign(opened, { backing: parent, backingFilename: parent.filename });
  return opened;
}

function diskTypeName(type: number): string {
  return type === DISK_TYPE_FIXED ? 'fixed' : type === DISK_TYPE_DYNAMIC ? 'dynamic' : type === DISK_TYPE_DIFFERENCING ? 'differencing' : `unknown (${type})`;
}
