// ISO 9660 (ECMA-119) volume descriptors: the set that starts at sector 16 (2048-byte
// sectors regardless of the logical block size) and ends with a terminator (type 255).
// Type 1 is the primary volume descriptor, type 2 a supplementary one (Joliet when its
// escape sequences are %/@, %/C or %/E: UCS-2 level 1, 2, 3), type 0 a boot record
// (El Torito, noted only). Both-endian fields are read from their little-endian half, as
// Linux does; a disagreeing big-endian half is reported, not fatal.

import { ascii, bytes, magic, struct, u16be, u16le, u32be, u32le, u8, type Decoded } from '../../binary/struct.js';
import type { Diagnostics } from '../../diagnostics.js';
import { CorruptError } from '../../errors.js';
import type { BlockDevice } from '../../io/block-device.js';

export const DESCRIPTOR_SECTOR = 2048;
export const FIRST_DESCRIPTOR = 16 * DESCRIPTOR_SECTOR;
/** More descriptors than this before a terminator is corruption (real discs have 2–5). */
export const MAX_DESCRIPTORS = 64;

export const VOLUME_DESCRIPTOR = struct('ISO 9660 volume descriptor', {
  type: u8, //                                   0    0 boot, 1 primary, 2 supplementary, 3 partition, 255 terminator
  standard_identifier: magic('CD001'), //        1
  version: u8, //                                6
  unused0: u8, //                                7    (boot record: boot system identifier starts here)
  system_identifier: ascii(32), //               8
  volume_identifier: bytes(32), //               40   a-/d-characters, or UCS-2 BE for Joliet
  unused1: bytes(8), //                          72
  volume_space_size_le: u32le, //                80   in logical blocks
  volume_space_size_be: u32be, //                84
  escape_sequences: bytes(32), //                88   supplementary only
  volume_set_size_le: u16le, //                  120
  volume_set_size_be: u16be, //                  122
  volume_sequence_number_le: u16le, //           124
  volume_sequence_number_be: u16be, //           126
  logical_block_size_le: u16le, //               128
  logical_block_size_be: u16be, //               130
  path_table_size_le: u32le, //                  132
  path_table_size_be: u32be, //                  136
  type_l_path_table: u32le, //                   140
  optional_type_l_path_table: u32le, //          144
  type_m_path_table: u32be, //                   148
  optional_type_m_path_table: u32be, //          152
  root_directory_record: bytes(34), //           156
  volume_set_identifier: bytes(128), //          190
  publisher_identifier: bytes(128), //           318
  data_preparer_identifier: bytes(128), //       446
  application_identifier: bytes(128), //         574
  copyright_file_identifier: bytes(37), //       702
  abstract_file_identifier: bytes(37), //        739
  bibliographic_file_identifier: bytes(37), //   776
  volume_creation_date: bytes(17), //            813
  volume_modification_date: bytes(17), //       830
  volume_expiration_date: bytes(17), //          847
  volume_effective_date: bytes(17), //           864
  file_structure_version: u8, //                 881
  reserved: u8, //                               882
  application_use: bytes(512), //                883
  reserved2: bytes(653), //                      1395
});
export type VolumeDescriptor = Decoded<typeof VOLUME_DESCRIPTOR.fields>;

export interface DescriptorSet {
  primary: { descriptor: VolumeDescriptor; offset: number };
  /** The Joliet supplementary descriptor, when present, with its UCS-2 level. */
  joliet?: { descriptor: VolumeDescriptor; offset: number; level: 1 | 2 | 3 };
  /** An El Torito boot record was seen (not used for reading files). */
  elTorito: boolean;
  blockSize: number;
}

function jolietLevel(escape: Uint8Array): 1 | 2 | 3 | undefined {
  if (escape[0] !== 0x25 || escape[1] !== 0x2f) return undefined;
  if (escape[2] === 0x40) return 1;
  if (escape[2] === 0x43) return 2;
  if (escape[2] === 0x45) return 3;
  return undefined;
}

export async function readDescriptorSet(device: BlockDevice, diagnostics: Diagnostics): Promise<DescriptorSet> {
  let primary: DescriptorSet['primary'] | undefined;
  let joliet: DescriptorSet['joliet'];
  let elTorito = false;
  for (let i = 0; ; i++) {
    const offset = FIRST_DESCRIPTOR + i * DESCRIPTOR_SECTOR;
    if (i >= MAX_DESCRIPTORS) throw new CorruptError(`no volume descriptor set terminator within ${MAX_DESCRIPTORS} descriptors`, { structure: 'ISO 9660 volume descriptor', offset });
    if (offset + DESCRIPTOR_SECTOR > device.size) {
      throw new CorruptError('volume descriptor set runs past the end of the image', { structure: 'ISO 9660 volume descriptor', offset });
    }
    const sector = await device.read(offset, DESCRIPTOR_SECTOR);
    const d = VOLUME_DESCRIPTOR.decode(sector, { origin: offset });
    if (d.type === 255) break;
    if (d.type === 1 && !primary) primary = { descriptor: d, offset };
    else if (d.type === 2 && !joliet) {
      const level = jolietLevel(d.escape_sequences);
      if (level !== undefined) joliet = { descriptor: d, offset, level };
    } else if (d.type === 0 && String.fromCharCode(...sector.subarray(7, 30)) === 'EL TORITO SPECIFICATION') elTorito = true;
  }
  if (!primary) throw new CorruptError('no primary volume descriptor', { structure: 'ISO 9660 volume descriptor', offset: FIRST_DESCRIPTOR });
  const p = primary.descriptor;
  const blockSize = p.logical_block_size_le;
  if (blockSize !== p.logical_block_size_be) {
    diagnostics.report({ severity: 'warning', code: 'iso-both-endian', message: 'logical block size halves differ; using the little-endian one', structure: 'ISO 9660 primary volume descriptor', offset: primary.offset + 128 });
  }
  if (![512, 1024, 2048].includes(blockSize)) {
    throw new CorruptError(`logical block size ${blockSize} is not 512, 1024 or 2048`, { structure: 'ISO 9660 primary volume descriptor', offset: primary.offset + 128 });
  }
  if (p.volume_space_size_le !== p.volume_space_size_be) {
    diagnostics.report({ severity: 'warning', code: 'iso-both-endian', message: 'volume space size halves differ; using the little-endian one', structure: 'ISO 9660 primary volume descriptor', offset: primary.offset + 80 });
  }
  if (p.volume_space_size_le * blockSize > device.size) {
    diagnostics.report({
      severity: 'warning',
      code: 'iso-truncated',
      message: `the volume claims ${p.volume_space_size_le * blockSize} bytes but the image has ${device.size}`,
      structure: 'ISO 9660 primary volume descriptor',
      offset: primary.offset + 80,
    });
  }
  if (joliet && joliet.descriptor.logical_block_size_le !== blockSize) {
    diagnostics.report({ severity: 'warning', code: 'iso-joliet-ignored', message: 'Joliet descriptor has a different block size; ignored', structure: 'ISO 9660 supplementary volume descriptor', offset: joliet.offset + 128 });
    joliet = undefined;
  }
  return { primary, ...(joliet ? { joliet } : {}), elTorito, blockSize };
}

/** Joliet UCS-2 big-endian text, code unit by code unit (an odd last byte is dropped). */
export function ucs2beText(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  return s;
}

/** d-characters text, trailing spaces dropped. */
export function descriptorText(bytes: Uint8Array, ucs2: boolean): string {
  return (ucs2 ? ucs2beText(bytes) : String.fromCharCode(...bytes)).replace(/[\s\0]+$/, '');
}
