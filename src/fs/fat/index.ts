// Public surface of the FAT12/16/32 reader and writer (Microsoft fatgen103).
export { FatFileSystem, openFat, findEntry, MAX_DIRECTORY_BYTES, MAX_READFILE_BYTES, type OpenFatOptions, type FatDirectory, type FatNode } from './filesystem.js';
export { FatWritableFileSystem, openFatWritable } from './writable.js';
export { decodeBootSector, decodeFsInfo, volumeIdText, clusterOffset, BPB_COMMON, BPB_FAT16, BPB_FAT32, FSINFO, FAT12_MAX_CLUSTERS, FAT16_MAX_CLUSTERS, type FatGeometry, type FatType, type FsInfo } from './boot-sector.js';
export { FatTable, type FatLink } from './fat-table.js';
export {
  decodeDirectory,
  decodeDateTime,
  encodeDateTime,
  encodeLongName,
  encodeShortEntry,
  generateShortName,
  plainShortName,
  checkLongName,
  shortNameChecksum,
  DIR_ENTRY,
  LFN_ENTRY,
  ATTR_READ_ONLY,
  ATTR_HIDDEN,
  ATTR_SYSTEM,
  ATTR_VOLUME_ID,
  ATTR_DIRECTORY,
  ATTR_ARCHIVE,
  ATTR_LONG_NAME,
  type FatDirent,
  type DecodedDirectory,
} from './directory.js';
