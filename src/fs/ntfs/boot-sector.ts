// The NTFS boot sector ($Boot, sector 0 of the volume): geometry (sector and cluster size,
// MFT and index record sizes), where $MFT and $MFTMirr start, and the serial number.
// Spec: libyal libfsntfs "NTFS volume header"; Microsoft "NTFS on-disk structures".
// Quirks relied on: a sectors-per-cluster byte above 0x80 is a negative shift (0xF4 → 2^12
// sectors, i.e. 2 MiB clusters with 512-byte sectors); clusters-per-MFT-record and
// clusters-per-index-record bytes are signed: negative n means 2^-n bytes (0xF6 → 1024).

import { struct, u8, u16le, u32le, u64le, u64leBig, i8, bytes, magic, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';

export const BOOT_SECTOR = struct('NTFS boot sector', {
  jump: bytes(3), //                          0x00
  oem_id: magic('NTFS    '), //               0x03
  bytes_per_sector: u16le, //                 0x0b
  sectors_per_cluster: u8, //                 0x0d  >0x80: 2^(256-n)
  reserved_sectors: u16le, //                 0x0e  0
  number_of_fats: u8, //                      0x10  0
  root_entries: u16le, //                     0x11  0
  sectors16: u16le, //                        0x13  0
  media_descriptor: u8, //                    0x15  0xf8
  sectors_per_fat: u16le, //                  0x16  0
  sectors_per_track: u16le, //                0x18
  number_of_heads: u16le, //                  0x1a
  hidden_sectors: u32le, //                   0x1c
  sectors32: u32le, //                        0x20  0
  physical_drive: u8, //                      0x24  0x80
  current_head: u8, //                        0x25
  extended_boot_signature: u8, //             0x26  0x80
  reserved1: u8, //                           0x27
  number_of_sectors: u64le, //                0x28  volume size in sectors
  mft_lcn: u64le, //                          0x30
  mftmirr_lcn: u64le, //                      0x38
  clusters_per_mft_record: i8, //             0x40  signed
  reserved2: bytes(3), //                     0x41
  clusters_per_index_record: i8, //           0x44  signed
  reserved3: bytes(3), //                     0x45
  volume_serial_number: u64leBig, //          0x48
  checksum: u32le, //                         0x50
  bootstrap: bytes(426), //                   0x54
  end_of_sector_marker: u16le, //             0x1fe 0xaa55
});
export type BootSector = Decoded<typeof BOOT_SECTOR.fields>;

export interface NtfsGeometry {
  sectorSize: number;
  clusterSize: number;
  mftRecordSize: number;
  indexRecordSize: number;
  /** Byte offset of $MFT (cluster mft_lcn). */
  mftOffset: number;
  mftMirrOffset: number;
  /** Volume size in bytes from the boot sector. */
  volumeSize: number;
  totalClusters: number;
  serial: bigint;
}

/** Decodes and validates a boot sector; errors name `origin` (the absolute offset of `sector`). */
export function decodeBootSector(sector: Uint8Array, origin = 0): { boot: BootSector; geometry: NtfsGeometry } {
  const boot = BOOT_SECTOR.decode(sector, { origin });
  const bad = (message: string, field: keyof BootSector & string): never => {
    throw new CorruptError(message, { structure: BOOT_SECTOR.name, offset: origin + BOOT_SECTOR.offsetOf(field) });
  };
  const sectorSize = boot.bytes_per_sector;
  if (![256, 512, 1024, 2048, 4096].includes(sectorSize)) bad(`bytes per sector ${sectorSize} is not a power of two in 256..4096`, 'bytes_per_sector');
  const spc = boot.sectors_per_cluster;
  let sectorsPerCluster: number;
  if (spc === 0) return bad('sectors per cluster is 0', 'sectors_per_cluster');
  if (spc <= 0x80) {
    if ((spc & (spc - 1)) !== 0) bad(`sectors per cluster ${spc} is not a power of two`, 'sectors_per_cluster');
    sectorsPerCluster = spc;
  } else {
    const shift = 256 - spc;
    if (shift > 20) bad(`sectors-per-cluster shift ${shift} is too large`, 'sectors_per_cluster');
    sectorsPerCluster = 2 ** shift;
  }
  const clusterSize = sectorSize * sectorsPerCluster;
  if (clusterSize > 2 ** 31) bad(`cluster size ${clusterSize} is larger than 2 GiB`, 'sectors_per_cluster');
  const recordSize = (value: number, field: 'clusters_per_mft_record' | 'clusters_per_index_record'): number => {
    if (value > 0) return value * clusterSize;
    if (value < 0 && value >= -31) return 2 ** -value;
    return bad(`${field} ${value} is invalid`, field);
  };
  const mftRecordSize = recordSize(boot.clusters_per_mft_record, 'clusters_per_mft_record');
  const indexRecordSize = recordSize(boot.clusters_per_index_record, 'clusters_per_index_record');
  if (mftRecordSize < 512 || mftRecordSize > 65536 || (mftRecordSize & (mftRecordSize - 1)) !== 0) {
    bad(`MFT record size ${mftRecordSize} is not a power of two in 512..65536`, 'clusters_per_mft_record');
  }
  if (indexRecordSize < 512 || indexRecordSize > 65536 || (indexRecordSize & (indexRecordSize - 1)) !== 0) {
    bad(`index record size ${indexRecordSize} is not a power of two in 512..65536`, 'clusters_per_index_record');
  }
  const volumeSize = boot.number_of_sectors * sectorSize;
  if (!Number.isSafeInteger(volumeSize)) bad('volume size does not fit 2^53', 'number_of_sectors');
  const totalClusters = Math.floor(volumeSize / clusterSize);
  if (boot.mft_lcn >= totalClusters && totalClusters > 0) bad(`$MFT cluster ${boot.mft_lcn} lies past the volume end`, 'mft_lcn');
  return {
    boot,
    geometry: {
      sectorSize,
      clusterSize,
      mftRecordSize,
      indexRecordSize,
      mftOffset: boot.mft_lcn * clusterSize,
      mftMirrOffset: boot.mftmirr_lcn * clusterSize,
      volumeSize,
      totalClusters,
      serial: boot.volume_serial_number,
    },
  };
}

/** Encodes a boot sector (the writer's counterpart of decodeBootSector). */
export function encodeBootSector(boot: BootSector): Uint8Array {
  return BOOT_SECTOR.encode(boot);
}

/** The sectors-per-cluster byte for a cluster size (the inverse of the decoding rule). */
export function encodeSectorsPerCluster(clusterSize: number, sectorSize: number): number {
  const sectors = clusterSize / sectorSize;
  return sectors <= 0x80 ? sectors : 256 - Math.log2(sectors);
}

/** The signed clusters-per-record byte for a record size. */
export function encodeClustersPerRecord(recordSize: number, clusterSize: number): number {
  return recordSize >= clusterSize ? recordSize / clusterSize : -Math.log2(recordSize);
}
