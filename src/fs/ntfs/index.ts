// Public surface of the NTFS reader: probe, open, and the types callers see. Decoders are
// exported for the fuzz tests and the writer that comes later.

import type { BlockDevice } from '../../io/block-device.js';
import type { Diagnostics } from '../../diagnostics.js';
import { NtfsFileSystem } from './filesystem.js';
import { decodeBootSector } from './boot-sector.js';

export { NtfsFileSystem } from './filesystem.js';
export type { NtfsVolumeInfo, NtfsStat, NtfsStatExtra, NtfsStreamInfo, NtfsNameInfo, VolumeState } from './filesystem.js';
export type { WalkEntry, WalkDirectory } from './catalog.js';
export { MftCatalog } from './catalog.js';
export * from './boot-sector.js';
export * from './fixups.js';
export * from './record.js';
export * from './attribute.js';
export * from './attribute-types.js';
export * from './runlist.js';
export * from './attribute-list.js';
export * from './file-name.js';
export * from './standard-information.js';
export * from './volume-information.js';
export * from './reparse-point.js';
export * from './object-id.js';
export * from './index-node.js';
export * from './upcase.js';
export * from './lznt1.js';
export { Mft, mergeExtents, type MftFile } from './mft.js';
export { AttributeStream } from './data-stream.js';
export { openNtfsWritable, NtfsWritableFileSystem, generateShortName, isShortName, type NtfsWriteOptions, type ShortNamePolicy } from './write/index.js';
export { checkNtfs, type NtfsProblem, type NtfsCheckReport } from './check/index.js';

/** True when the device starts with an NTFS boot sector that decodes cleanly. */
export async function probeNtfs(device: BlockDevice): Promise<boolean> {
  if (device.size < 512) return false;
  try {
    decodeBootSector(await device.read(0, 512));
    return true;
  } catch {
    return false;
  }
}

export function openNtfs(device: BlockDevice, options: { diagnostics?: Diagnostics } = {}): Promise<NtfsFileSystem> {
  return NtfsFileSystem.open(device, options);
}
