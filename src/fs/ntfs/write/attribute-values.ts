// Small in-place edits of single attribute records (raw bytes, fixups removed) the writer
// makes when a file's content changes: the runs of a non-resident extent, the times and file
// attribute flags of $STANDARD_INFORMATION, and the sizes and flags a $FILE_NAME copy holds.
// Spec: ntfs-3g layout.h STANDARD_INFORMATION (times at 0x00-0x1f, file_attributes 0x20),
// FILE_NAME_ATTR (allocated_size 0x28, data_size 0x30, file_attributes 0x38), ATTR_RECORD.

import { decodeRuns, type DataRun } from '../runlist.js';
import { u16, u32 } from './record-edit.js';
import { attributeLowestVcn } from './attribute-layout.js';
import { filetime } from './new-record.js';
import { STANDARD_INFORMATION } from '../standard-information.js';
import { FILE_NAME_HEADER } from '../file-name.js';

const SI_DATA_CHANGE = STANDARD_INFORMATION.offsetOf('last_data_change_time');
const SI_MFT_CHANGE = STANDARD_INFORMATION.offsetOf('last_mft_change_time');
const SI_ATTRIBUTES = STANDARD_INFORMATION.offsetOf('file_attributes');
const FN_ALLOCATED = FILE_NAME_HEADER.offsetOf('allocated_size');
const FN_DATA = FILE_NAME_HEADER.offsetOf('data_size');
const FN_ATTRIBUTES = FILE_NAME_HEADER.offsetOf('file_attributes');

/** The runs of a non-resident attribute record (its own extent, from its lowest VCN). */
export function extentRuns(bytes: Uint8Array, maxCluster: number): DataRun[] {
  const mappingOffset = u16(bytes, 0x20);
  return decodeRuns({ bytes, at: mappingOffset, end: Math.min(u32(bytes, 4), bytes.length), startVcn: attributeLowestVcn(bytes), origin: 0, maxCluster });
}

/** The value of a resident attribute record (a view). */
export function residentValue(bytes: Uint8Array): Uint8Array {
  const offset = u16(bytes, 0x14);
  return bytes.subarray(offset, offset + u32(bytes, 0x10));
}

/** Sets the data-change and MFT-change times of a $STANDARD_INFORMATION record and clears `clearFlags`. */
export function touchStandardInformation(args: { bytes: Uint8Array; when: Date; clearFlags: number }): void {
  const { when, clearFlags } = args;
  const value = residentValue(args.bytes);
  if (value.length < SI_ATTRIBUTES + 4) return;
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const t = filetime(when);
  v.setBigUint64(SI_DATA_CHANGE, t, true);
  v.setBigUint64(SI_MFT_CHANGE, t, true);
  v.setUint32(SI_ATTRIBUTES, v.getUint32(SI_ATTRIBUTES, true) & ~clearFlags, true);
}

/** Updates the sizes a $FILE_NAME value (record copy or index key) holds and clears `clearFlags`. */
export function setFileNameValueSizes(args: { value: Uint8Array; sizes: { allocated: number; data: number }; clearFlags: number }): void {
  const { value, sizes, clearFlags } = args;
  if (value.length < FILE_NAME_HEADER.size) return;
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  v.setBigUint64(FN_ALLOCATED, BigInt(sizes.allocated), true);
  v.setBigUint64(FN_DATA, BigInt(sizes.data), true);
  v.setUint32(FN_ATTRIBUTES, v.getUint32(FN_ATTRIBUTES, true) & ~clearFlags, true);
}
