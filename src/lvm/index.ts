// LVM2 as a volume layer beside src/partition: physical-volume labels, metadata areas, the text
// metadata format, and logical volumes (linear and striped) as BlockDevices.

export { probeLvm, readLvm, readPhysicalVolume, openLogicalVolume, findLogicalVolume } from './read.js';
export type { LogicalVolume, PhysicalVolume, VolumeGroup } from './read.js';
export { readPvLabel, findLabelSector, formatPvUuid, LABEL_HEADER, PV_HEADER, DISK_LOCN } from './label.js';
export type { PvLabel, DiskLocation } from './label.js';
export { readMdaHeader, metadataRanges, decodeMetadataText, MDA_HEADER, RAW_LOCN, MDA_MAGIC } from './mda.js';
export type { MdaHeader } from './mda.js';
export { parseLvmText, isSection } from './text-format.js';
export type { ConfigSection, ConfigValue } from './text-format.js';
export { interpretMetadata } from './volume-group.js';
export type { VgRecord, LvRecord, PvRecord, SegmentRecord } from './volume-group.js';
export { LogicalVolumeDevice } from './lv-device.js';
export { lvmCrc } from './crc.js';
