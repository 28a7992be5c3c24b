// The checksum LVM2 puts on its label and metadata areas (lib/misc/crc.c): the reflected
// CRC-32 polynomial started from INITIAL_CRC 0xf597a6cf, with no final inversion. Expressed
// through our IEEE crc32 (which inverts on entry and exit) by inverting the seed and result.

import { crc32 } from '../binary/checksum.js';

export const LVM_INITIAL_CRC = 0xf597a6cf;

/** LVM2's calc_crc(INITIAL_CRC, data), or continues from a previous `seed` value. */
export function lvmCrc(data: Uint8Array, seed = LVM_INITIAL_CRC): number {
  return ~crc32(data, ~seed >>> 0) >>> 0;
}
