// $STANDARD_INFORMATION (0x10): the timestamps Windows shows, the DOS file attribute word,
// and (NTFS 3.x) owner, security id into $Secure, quota and USN.
// Spec: libyal libfsntfs "The standard information attribute"; ntfs-3g STANDARD_INFORMATION.
// Quirk relied on: NTFS 1.2 volumes carry the 48-byte form without the 3.x tail.

import { struct, u32le, u64leBig, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';

export const STANDARD_INFORMATION = struct('NTFS $STANDARD_INFORMATION', {
  creation_time: u64leBig, //          0x00  FILETIME
  last_data_change_time: u64leBig, //  0x08
  last_mft_change_time: u64leBig, //   0x10
  last_access_time: u64leBig, //       0x18
  file_attributes: u32le, //           0x20
  maximum_versions: u32le, //          0x24
  version_number: u32le, //            0x28
  class_id: u32le, //                  0x2c
  owner_id: u32le, //                  0x30  3.x
  security_id: u32le, //               0x34  3.x: key into $Secure:$SII
  quota_charged: u64leBig, //          0x38  3.x
  usn: u64leBig, //                    0x40  3.x
});
export type StandardInformation = Decoded<typeof STANDARD_INFORMATION.fields>;

const SHORT_SIZE = 0x30;

export function decodeStandardInformation(value: Uint8Array, origin: number): StandardInformation {
  if (value.length >= STANDARD_INFORMATION.size) return STANDARD_INFORMATION.decode(value, { origin });
  if (value.length < SHORT_SIZE) {
    throw new CorruptError(`$STANDARD_INFORMATION of ${value.length} bytes is too short`, { structure: STANDARD_INFORMATION.name, offset: origin });
  }
  const padded = new Uint8Array(STANDARD_INFORMATION.size);
  padded.set(value.subarray(0, SHORT_SIZE));
  return STANDARD_INFORMATION.decode(padded, { origin });
}

export function encodeStandardInformation(value: StandardInformation): Uint8Array {
  return STANDARD_INFORMATION.encode(value);
}

const FILETIME_UNIX_EPOCH = 116444736000000000n;

/** FILETIME (100 ns since 1601) → Date, or undefined for 0. */
export function filetimeToDate(filetime: bigint): Date | undefined {
  if (filetime === 0n) return undefined;
  return new Date(Number((filetime - FILETIME_UNIX_EPOCH) / 10000n));
}
