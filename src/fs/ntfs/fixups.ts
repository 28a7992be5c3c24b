// Update-sequence fixups ("multi-sector transfer protection") of FILE and INDX records: the
// last two bytes of every 512-byte stride hold the update sequence number (USN), and the
// real bytes are kept in the update sequence array (USA) at usa_ofs. A stride whose tail does
// not carry the USN was written partly (a torn write): CorruptError.
// Spec: libyal libfsntfs "The fix-up values"; ntfs-3g ntfs_mst_post_read_fixup.
// Quirk relied on: the stride is always 512 bytes (NTFS_BLOCK_SIZE), whatever the sector size.

import { CorruptError } from '../../errors.js';

export const FIXUP_STRIDE = 512;

/**
 * Applies fixups in place to the record at `bytes[at, at+size)`. `origin` is the absolute
 * offset of `bytes[0]` for error messages.
 */
export function applyFixups(args: { bytes: Uint8Array; at?: number; size: number; origin: number; structure: string }): void {
  const { bytes, size, origin, structure } = args;
  const at = args.at ?? 0;
  const usaOffset = bytes[at + 4]! | (bytes[at + 5]! << 8);
  const usaCount = bytes[at + 6]! | (bytes[at + 7]! << 8);
  const strides = size / FIXUP_STRIDE;
  if (!Number.isInteger(strides) || usaCount !== strides + 1 || (usaOffset & 1) !== 0 || usaOffset < 8) {
    throw new CorruptError(`update sequence array (offset ${usaOffset}, count ${usaCount}) does not fit a ${size}-byte record`, {
      structure,
      offset: origin + at + 4,
    });
  }
  if (usaOffset + usaCount * 2 > FIXUP_STRIDE - 2) {
    throw new CorruptError(`update sequence array (offset ${usaOffset}, count ${usaCount}) overlaps the first fixup`, { structure, offset: origin + at + 4 });
  }
  const usn0 = bytes[at + usaOffset]!;
  const usn1 = bytes[at + usaOffset + 1]!;
  for (let i = 1; i <= strides; i++) {
    const tail = at + i * FIXUP_STRIDE - 2;
    if (bytes[tail] !== usn0 || bytes[tail + 1] !== usn1) {
      throw new CorruptError(`torn record: sector ${i - 1} does not end with the update sequence number`, { structure, offset: origin + tail });
    }
    bytes[tail] = bytes[at + usaOffset + 2 * i]!;
    bytes[tail + 1] = bytes[at + usaOffset + 2 * i + 1]!;
  }
}

/**
 * The hot-path form for scanners: applies fixups in place and answers false (changing
 * nothing) when the record is torn or its update sequence array is invalid. Positional
 * arguments on purpose: it runs once per record of a whole-$MFT scan.
 */
export function tryApplyFixups(bytes: Uint8Array, at: number, size: number): boolean {
  const usaOffset = bytes[at + 4]! | (bytes[at + 5]! << 8);
  const usaCount = bytes[at + 6]! | (bytes[at + 7]! << 8);
  const strides = size >>> 9;
  if (usaCount !== strides + 1 || (usaOffset & 1) !== 0 || usaOffset < 8 || usaOffset + usaCount * 2 > FIXUP_STRIDE - 2) return false;
  const usn0 = bytes[at + usaOffset]!;
  const usn1 = bytes[at + usaOffset + 1]!;
  for (let i = 1; i <= strides; i++) {
    const tail = at + i * FIXUP_STRIDE - 2;
    if (bytes[tail] !== usn0 || bytes[tail + 1] !== usn1) return false;
  }
  for (let i = 1; i <= strides; i++) {
    const tail = at + i * FIXUP_STRIDE - 2;
    bytes[tail] = bytes[at + usaOffset + 2 * i]!;
    bytes[tail + 1] = bytes[at + usaOffset + 2 * i + 1]!;
  }
  return true;
}

/**
 * The writer's side: stores the last two bytes of every stride in the USA, writes `usn` in
 * their place, and records `usn` at the head of the array. The record's usa_ofs/usa_count must
 * already be set.
 */
export function encodeFixups(args: { bytes: Uint8Array; at?: number; size: number; usn: number }): void {
  const { bytes, size, usn } = args;
  const at = args.at ?? 0;
  const usaOffset = bytes[at + 4]! | (bytes[at + 5]! << 8);
  const strides = size / FIXUP_STRIDE;
  bytes[at + usaOffset] = usn & 0xff;
  bytes[at + usaOffset + 1] = usn >>> 8;
  for (let i = 1; i <= strides; i++) {
    const tail = at + i * FIXUP_STRIDE - 2;
    bytes[at + usaOffset + 2 * i] = bytes[tail]!;
    bytes[at + usaOffset + 2 * i + 1] = bytes[tail + 1]!;
    bytes[tail] = usn & 0xff;
    bytes[tail + 1] = usn >>> 8;
  }
}
