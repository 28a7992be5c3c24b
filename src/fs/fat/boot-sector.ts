// The FAT boot sector and BIOS Parameter Block (Microsoft "FAT32 File System Specification",
// fatgen103, section 3), decoded into the volume geometry every other FAT module uses.
// The FAT type comes from the count of data clusters alone, exactly as the spec says
// (< 4085 FAT12, < 65525 FAT16, else FAT32); BS_FilSysType is only a label and is never
// trusted. Every field that would put a region outside the device, or that the spec forbids,
// is a CorruptError naming the field and its byte offset.
// Quirks: the BPB sits in the first 512 bytes even on 4096-byte-sector volumes; the 0x55AA
// signature is at bytes 510..511 of sector 0 whatever the sector size.

import { ascii, bytes, struct, u16le, u32le, u8, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';

/** Fields shared by FAT12/16 and FAT32 (offsets 0..35). */
export const BPB_COMMON = struct('FAT boot sector', {
  BS_jmpBoot: bytes(3), //        0    EB ?? 90 or E9 ?? ??
  BS_OEMName: ascii(8), //        3
  BPB_BytsPerSec: u16le, //       11   512, 1024, 2048 or 4096
  BPB_SecPerClus: u8, //          13   power of two, 1..128
  BPB_RsvdSecCnt: u16le, //       14   never 0
  BPB_NumFATs: u8, //             16   usually 2
  BPB_RootEntCnt: u16le, //       17   0 on FAT32
  BPB_TotSec16: u16le, //         19   0 when TotSec32 is used
  BPB_Media: u8, //               21   F0, F8..FF
  BPB_FATSz16: u16le, //          22   0 on FAT32
  BPB_SecPerTrk: u16le, //        24
  BPB_NumHeads: u16le, //         26
  BPB_HiddSec: u32le, //          28
  BPB_TotSec32: u32le, //         32
});

/** The FAT12/16 extended BPB (offsets 36..61). */
export const BPB_FAT16 = struct('FAT12/16 extended BPB', {
  BS_DrvNum: u8, //               36
  BS_Reserved1: u8, //            37   bit 0: Windows NT / Linux "volume dirty"
  BS_BootSig: u8, //              38   0x29 when the next three fields are present
  BS_VolID: u32le, //             39
  BS_VolLab: ascii(11), //        43
  BS_FilSysType: ascii(8), //     54   "FAT12   ", "FAT16   ", "FAT     " (informational)
});

/** The FAT32 extended BPB (offsets 36..89). */
export const BPB_FAT32 = struct('FAT32 extended BPB', {
  BPB_FATSz32: u32le, //          36
  BPB_ExtFlags: u16le, //         40   bit 7: mirroring off; bits 0..3: active FAT
  BPB_FSVer: u16le, //            42   0.0
  BPB_RootClus: u32le, //         44
  BPB_FSInfo: u16le, //           48
  BPB_BkBootSec: u16le, //        50
  BPB_Reserved: bytes(12), //     52
  BS_DrvNum: u8, //               64
  BS_Reserved1: u8, //            65   bit 0: Windows NT / Linux "volume dirty"
  BS_BootSig: u8, //              66
  BS_VolID: u32le, //             67
  BS_VolLab: ascii(11), //        71
  BS_FilSysType: ascii(8), //     82   "FAT32   " (informational)
});

/** The FAT32 FSInfo sector (fatgen103 section 5). */
export const FSINFO = struct('FAT32 FSInfo sector', {
  FSI_LeadSig: u32le, //          0    0x41615252
  FSI_Reserved1: bytes(480), //   4
  FSI_StrucSig: u32le, //         484  0x61417272
  FSI_Free_Count: u32le, //       488  0xFFFFFFFF when unknown
  FSI_Nxt_Free: u32le, //         492  0xFFFFFFFF when unknown
  FSI_Reserved2: bytes(12), //    496
  FSI_TrailSig: u32le, //         508  0xAA550000
});
export type FsInfo = Decoded<typeof FSINFO.fields>;
export const FSI_LEAD_SIG = 0x41615252;
export const FSI_STRUC_SIG = 0x61417272;
export const FSI_TRAIL_SIG = 0xaa550000;

export type FatType = 12 | 16 | 32;

/** Cluster-count limits of fatgen103 section 3.5: the only rule that decides the FAT type. */
export const FAT12_MAX_CLUSTERS = 4084;
export const FAT16_MAX_CLUSTERS = 65524;
/** FAT32 cluster numbers are 28 bits; 0x0FFFFFF7 and up are the bad/EOC marks. */
export const FAT32_MAX_CLUSTERS = 0x0ffffff5;

export interface FatGeometry {
  type: FatType;
  bytesPerSector: number;
  sectorsPerCluster: number;
  clusterSize: number;
  reservedSectors: number;
  numFats: number;
  rootEntryCount: number;
  totalSectors: number;
  /** Sectors per FAT copy. */
  fatSectors: number;
  /** Byte offset of the first FAT copy. */
  fatOffset: number;
  /** Bytes per FAT copy. */
  fatBytes: number;
  /** Byte offset and length of the fixed FAT12/16 root directory (0 length on FAT32). */
  rootDirOffset: number;
  rootDirBytes: number;
  /** Byte offset of cluster 2. */
  dataOffset: number;
  /** Number of data clusters: valid cluster numbers are 2 .. clusterCount + 1. */
  clusterCount: number;
  /** First cluster of the FAT32 root directory (0 on FAT12/16). */
  rootCluster: number;
  /** FAT32 FSInfo sector number (0 when absent). */
  fsInfoSector: number;
  /** FAT32 BPB_ExtFlags (0 on FAT12/16). */
  extFlags: number;
  media: number;
  volumeId?: number;
  /** BS_VolLab without trailing spaces ('' when absent or "NO NAME"). */
  volumeLabel: string;
  fileSystemType: string;
  /** Offset of BS_Reserved1 (its bit 0 is the NT/Linux dirty flag). */
  reserved1Offset: number;
  /** BS_Reserved1 as read. */
  reserved1: number;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function corrupt(message: string, field: string, offset: number): CorruptError {
  return new CorruptError(`${field}: ${message}`, { structure: 'FAT boot sector', offset, field });
}

/**
 * Decodes and validates the boot sector. `sector0` holds at least the first 512 bytes of the
 * volume, `deviceSize` is the size of the device holding it (regions must lie inside).
 */
export function decodeBootSector(sector0: Uint8Array, deviceSize: number): FatGeometry {
  if (sector0.length < 512) throw new CorruptError(`truncated: the boot sector needs 512 bytes, have ${sector0.length}`, { structure: 'FAT boot sector', offset: 0 });
  const c = BPB_COMMON.decode(sector0);
  const at = (field: keyof typeof BPB_COMMON.fields & string): number => BPB_COMMON.offsetOf(field);
  const jmp = c.BS_jmpBoot;
  if (!((jmp[0] === 0xeb && jmp[2] === 0x90) || jmp[0] === 0xe9)) throw corrupt(`jump instruction ${Array.from(jmp, (b) => b.toString(16).padStart(2, '0')).join(' ')} is neither EB ?? 90 nor E9 ?? ??`, 'BS_jmpBoot', 0);
  if (sector0[510] !== 0x55 || sector0[511] !== 0xaa) throw corrupt('boot sector signature 55 AA missing', 'Signature_word', 510);
  const bps = c.BPB_BytsPerSec;
  if (!isPowerOfTwo(bps) || bps < 512 || bps > 4096) throw corrupt(`${bps} is not a power of two from 512 to 4096`, 'BPB_BytsPerSec', at('BPB_BytsPerSec'));
  const spc = c.BPB_SecPerClus;
  if (!isPowerOfTwo(spc)) throw corrupt(`${spc} is not a power of two`, 'BPB_SecPerClus', at('BPB_SecPerClus'));
  if (c.BPB_RsvdSecCnt === 0) throw corrupt('no reserved sectors (the boot sector itself is one)', 'BPB_RsvdSecCnt', at('BPB_RsvdSecCnt'));
  if (c.BPB_NumFATs === 0) throw corrupt('no FAT copies', 'BPB_NumFATs', at('BPB_NumFATs'));
  if (c.BPB_Media !== 0xf0 && c.BPB_Media < 0xf8) throw corrupt(`media byte 0x${c.BPB_Media.toString(16)} is not F0 or F8..FF`, 'BPB_Media', at('BPB_Media'));
  const totalSectors = c.BPB_TotSec16 !== 0 ? c.BPB_TotSec16 : c.BPB_TotSec32;
  if (totalSectors === 0) throw corrupt('both BPB_TotSec16 and BPB_TotSec32 are 0', 'BPB_TotSec32', at('BPB_TotSec32'));
  const isFat32Layout = c.BPB_FATSz16 === 0;
  const f32 = isFat32Layout ? BPB_FAT32.decode(sector0, { at: 36 }) : undefined;
  const f16 = isFat32Layout ? undefined : BPB_FAT16.decode(sector0, { at: 36 });
  const fatSectors = f32 ? f32.BPB_FATSz32 : c.BPB_FATSz16;
  if (fatSectors === 0) throw corrupt('FAT size is 0', 'BPB_FATSz32', 36);
  const rootDirSectors = Math.ceil((c.BPB_RootEntCnt * 32) / bps);
  if (!f32 && c.BPB_RootEntCnt === 0) throw corrupt('a FAT12/16 volume needs root directory entries', 'BPB_RootEntCnt', at('BPB_RootEntCnt'));
  const firstDataSector = c.BPB_RsvdSecCnt + c.BPB_NumFATs * fatSectors + rootDirSectors;
  if (firstDataSector >= totalSectors) throw corrupt(`the data region would start at sector ${firstDataSector}, past the volume's ${totalSectors} sectors`, 'BPB_FATSz16', at('BPB_FATSz16'));
  const volumeBytes = totalSectors * bps;
  if (volumeBytes > deviceSize) {
    throw corrupt(`the volume claims ${volumeBytes} bytes (${totalSectors} sectors) but the device has ${deviceSize}: truncated image`, c.BPB_TotSec16 !== 0 ? 'BPB_TotSec16' : 'BPB_TotSec32', c.BPB_TotSec16 !== 0 ? at('BPB_TotSec16') : at('BPB_TotSec32'));
  }
  const clusterCount = Math.floor((totalSectors - firstDataSector) / spc);
  const type: FatType = clusterCount <= FAT12_MAX_CLUSTERS ? 12 : clusterCount <= FAT16_MAX_CLUSTERS ? 16 : 32;
  if (type === 32 && !f32) throw corrupt(`${clusterCount} clusters make this FAT32 but BPB_FATSz16 is set (a FAT12/16 layout)`, 'BPB_FATSz16', at('BPB_FATSz16'));
  if (type !== 32 && f32) throw corrupt(`${clusterCount} clusters make this FAT${type} but BPB_FATSz16 is 0 (a FAT32 layout)`, 'BPB_FATSz16', at('BPB_FATSz16'));
  if (type === 32 && clusterCount > FAT32_MAX_CLUSTERS) throw corrupt(`${clusterCount} clusters exceed the 28-bit FAT32 range`, 'BPB_TotSec32', at('BPB_TotSec32'));
  // The FAT must have an entry for every cluster, 0 and 1 included.
  const fatBytes = fatSectors * bps;
  const needed = type === 12 ? Math.ceil(((clusterCount + 2) * 3) / 2) : (clusterCount + 2) * (type / 8);
  if (fatBytes < needed) throw corrupt(`${fatSectors} sectors per FAT hold fewer entries than the ${clusterCount + 2} clusters need (${needed} bytes)`, f32 ? 'BPB_FATSz32' : 'BPB_FATSz16', f32 ? 36 : at('BPB_FATSz16'));
  let rootCluster = 0;
  let fsInfoSector = 0;
  let extFlags = 0;
  if (f32) {
    if (c.BPB_RootEntCnt !== 0) throw corrupt('must be 0 on FAT32', 'BPB_RootEntCnt', at('BPB_RootEntCnt'));
    if (f32.BPB_FSVer !== 0) throw corrupt(`version ${f32.BPB_FSVer >> 8}.${f32.BPB_FSVer & 0xff} is not 0.0`, 'BPB_FSVer', 42);
    rootCluster = f32.BPB_RootClus;
    if (rootCluster < 2 || rootCluster > clusterCount + 1) throw corrupt(`root cluster ${rootCluster} is outside the data area (2..${clusterCount + 1})`, 'BPB_RootClus', 44);
    extFlags = f32.BPB_ExtFlags;
    if (extFlags & 0x80 && (extFlags & 0x0f) >= c.BPB_NumFATs) throw corrupt(`active FAT ${extFlags & 0x0f} does not exist (${c.BPB_NumFATs} FATs)`, 'BPB_ExtFlags', 40);
    fsInfoSector = f32.BPB_FSInfo;
    if (fsInfoSector === 0xffff || fsInfoSector >= c.BPB_RsvdSecCnt) fsInfoSector = 0; // absent: allowed, then no hint
  }
  const ext = f32 ?? (f16 as NonNullable<typeof f16>);
  const hasSerial = ext.BS_BootSig === 0x29 || ext.BS_BootSig === 0x28;
  const label = ext.BS_BootSig === 0x29 ? ext.BS_VolLab.replace(/[ \0]+$/, '') : '';
  return {
    type,
    bytesPerSector: bps,
    sectorsPerCluster: spc,
    clusterSize: bps * spc,
    reservedSectors: c.BPB_RsvdSecCnt,
    numFats: c.BPB_NumFATs,
    rootEntryCount: c.BPB_RootEntCnt,
    totalSectors,
    fatSectors,
    fatOffset: c.BPB_RsvdSecCnt * bps,
    fatBytes,
    rootDirOffset: (c.BPB_RsvdSecCnt + c.BPB_NumFATs * fatSectors) * bps,
    rootDirBytes: type === 32 ? 0 : c.BPB_RootEntCnt * 32,
    dataOffset: firstDataSector * bps,
    clusterCount,
    rootCluster,
    fsInfoSector,
    extFlags,
    media: c.BPB_Media,
    ...(hasSerial ? { volumeId: ext.BS_VolID } : {}),
    volumeLabel: label === 'NO NAME' ? '' : label,
    fileSystemType: ext.BS_BootSig === 0x29 ? ext.BS_FilSysType.replace(/[ \0]+$/, '') : '',
    reserved1Offset: f32 ? 65 : 37,
    reserved1: ext.BS_Reserved1,
  };
}

/** BS_VolID as blkid prints it: "ABCD-1234" (high word, low word, upper-case hex). */
export function volumeIdText(id: number): string {
  const hex = (id >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `${hex.slice(0, 4)}-${hex.slice(4)}`;
}

/** Byte offset of a data cluster (2 .. clusterCount + 1). */
export function clusterOffset(geometry: FatGeometry, cluster: number): number {
  return geometry.dataOffset + (cluster - 2) * geometry.clusterSize;
}

/** Decodes an FSInfo sector; undefined when its signatures are wrong (then it gives no hints). */
export function decodeFsInfo(sector: Uint8Array): FsInfo | undefined {
  if (sector.length < FSINFO.size) return undefined;
  const info = FSINFO.decode(sector);
  if (info.FSI_LeadSig !== FSI_LEAD_SIG || info.FSI_StrucSig !== FSI_STRUC_SIG || info.FSI_TrailSig !== FSI_TRAIL_SIG) return undefined;
  return info;
}
