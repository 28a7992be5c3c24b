// Cell layouts of the regf hive bins (nk, vk, sk, lf/lh/li/ri, db) with spec field names and
// offsets relative to the start of the cell *data* (after the 4-byte size). Spec: msuhanov
// "Windows registry file format specification" (Cells) and libyal libregf. The hot read path
// does not decode these into objects: it reads single fields through a DataView at
// `cell + 4 + NK.offsetOf(field)`, using the constants below; the structs document the layout
// and serve the writer and the tests.

import { bytes, magic, struct, u16le, u32le, u64leBig } from '../binary/index.js';

export const HBIN_HEADER = struct('hbin header', {
  signature: magic('hbin'), // 0x00
  offset: u32le, //            0x04 relative to the first hbin
  size: u32le, //              0x08 multiple of 4096
  reserved: bytes(8), //       0x0c
  timestamp: u64leBig, //      0x14 FILETIME, only meaningful in the first hbin
  spare: u32le, //             0x1c
});

export const NK = struct('nk cell', {
  signature: magic('nk'), //             0x00
  flags: u16le, //                       0x02
  lastWritten: u64leBig, //              0x04 FILETIME
  accessBits: u32le, //                  0x0c
  parent: u32le, //                      0x10
  numberOfSubkeys: u32le, //             0x14
  numberOfVolatileSubkeys: u32le, //     0x18
  subkeysListOffset: u32le, //           0x1c
  volatileSubkeysListOffset: u32le, //   0x20
  numberOfKeyValues: u32le, //           0x24
  keyValuesListOffset: u32le, //         0x28
  keySecurityOffset: u32le, //           0x2c
  classNameOffset: u32le, //             0x30
  largestSubkeyNameLength: u32le, //     0x34 low 16 bits; high bits: virtualization/user flags
  largestSubkeyClassNameLength: u32le, //0x38
  largestValueNameLength: u32le, //      0x3c
  largestValueDataSize: u32le, //        0x40
  workVar: u32le, //                     0x44
  keyNameLength: u16le, //               0x48
  classNameLength: u16le, //             0x4a
}); //                                   0x4c key name

export const VK = struct('vk cell', {
  signature: magic('vk'), // 0x00
  nameLength: u16le, //      0x02
  dataSize: u32le, //        0x04 bit 31: data stored in the data offset field
  dataOffset: u32le, //      0x08
  dataType: u32le, //        0x0c
  flags: u16le, //           0x10 bit 0: name is ASCII (Latin-1)
  spare: u16le, //           0x12
}); //                       0x14 value name

export const SK = struct('sk cell', {
  signature: magic('sk'), //          0x00
  reserved: u16le, //                 0x02
  flink: u32le, //                    0x04
  blink: u32le, //                    0x08
  referenceCount: u32le, //           0x0c
  securityDescriptorSize: u32le, //   0x10
}); //                                0x14 descriptor

export const DB = struct('db cell', {
  signature: magic('db'), //     0x00
  numberOfSegments: u16le, //    0x02
  segmentsListOffset: u32le, //  0x04
});

/** Field offsets inside cell data, for the hot path. */
export const NK_FLAGS = 0x02;
export const NK_LAST_WRITTEN = 0x04;
export const NK_PARENT = 0x10;
export const NK_SUBKEY_COUNT = 0x14;
export const NK_VOLATILE_SUBKEY_COUNT = 0x18;
export const NK_SUBKEY_LIST = 0x1c;
export const NK_VOLATILE_SUBKEY_LIST = 0x20;
export const NK_VALUE_COUNT = 0x24;
export const NK_VALUE_LIST = 0x28;
export const NK_SECURITY = 0x2c;
export const NK_CLASS = 0x30;
export const NK_MAX_SUBKEY_NAME = 0x34;
export const NK_MAX_SUBKEY_CLASS = 0x38;
export const NK_MAX_VALUE_NAME = 0x3c;
export const NK_MAX_VALUE_DATA = 0x40;
export const NK_NAME_LENGTH = 0x48;
export const NK_CLASS_LENGTH = 0x4a;
export const NK_NAME = 0x4c;

export const VK_NAME_LENGTH = 0x02;
export const VK_DATA_SIZE = 0x04;
export const VK_DATA_OFFSET = 0x08;
export const VK_TYPE = 0x0c;
export const VK_FLAGS = 0x10;
export const VK_NAME = 0x14;

/** nk flag: the name is stored as Latin-1 (one byte per character). */
export const KEY_COMP_NAME = 0x0020;
export const KEY_HIVE_ENTRY = 0x0004;
export const KEY_NO_DELETE = 0x0008;
/** vk flag: the name is stored as Latin-1. */
export const VALUE_COMP_NAME = 0x0001;

/** Big data segments hold this many bytes each (hive version 1.4 and later). */
export const BIG_DATA_SEGMENT_SIZE = 16344;
/** The offset value meaning "no cell". */
export const NO_CELL = 0xffffffff;

/** Two-byte cell signatures as little-endian u16, compared without making strings. */
export const SIG_NK = 0x6b6e; // 'nk'
export const SIG_VK = 0x6b76; // 'vk'
export const SIG_SK = 0x6b73; // 'sk'
export const SIG_LF = 0x666c; // 'lf'
export const SIG_LH = 0x686c; // 'lh'
export const SIG_LI = 0x696c; // 'li'
export const SIG_RI = 0x6972; // 'ri'
export const SIG_DB = 0x6264; // 'db'

export function signatureText(sig: number): string {
  const a = sig & 0xff;
  const b = sig >> 8;
  const show = (c: number) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`);
  return show(a) + show(b);
}
