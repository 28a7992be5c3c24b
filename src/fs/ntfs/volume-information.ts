// $VOLUME_INFORMATION (0x70) and $VOLUME_NAME (0x60) of $Volume (record 3): the NTFS version,
// the volume flags (dirty 0x0001, …) and the label.
// Spec: libyal libfsntfs "The volume information attribute"; ntfs-3g VOLUME_INFORMATION.

import { struct, u8, u16le, u64leBig, type Decoded } from '../../binary/struct.js';
import { readUtf16 } from './file-name.js';

export const VOLUME_INFORMATION = struct('NTFS $VOLUME_INFORMATION', {
  reserved: u64leBig, //      0x00
  major_version: u8, //       0x08
  minor_version: u8, //       0x09
  flags: u16le, //            0x0a
});
export type VolumeInformation = Decoded<typeof VOLUME_INFORMATION.fields>;

export const VOLUME_IS_DIRTY = 0x0001;
export const VOLUME_FLAG_NAMES: Record<string, number> = {
  DIRTY: 0x0001,
  RESIZE_LOG_FILE: 0x0002,
  UPGRADE_ON_MOUNT: 0x0004,
  MOUNTED_ON_NT4: 0x0008,
  DELETE_USN_UNDERWAY: 0x0010,
  REPAIR_OBJECT_ID: 0x0020,
  CHKDSK_UNDERWAY: 0x4000,
  MODIFIED_BY_CHKDSK: 0x8000,
};

export function decodeVolumeInformation(value: Uint8Array, origin: number): VolumeInformation {
  return VOLUME_INFORMATION.decode(value, { origin });
}

export function encodeVolumeInformation(value: VolumeInformation): Uint8Array {
  return VOLUME_INFORMATION.encode(value);
}

export function decodeVolumeName(value: Uint8Array): string {
  return readUtf16(value, 0, value.length >>> 1);
}

export function volumeFlagNames(flags: number): string[] {
  return Object.entries(VOLUME_FLAG_NAMES).filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name);
}
