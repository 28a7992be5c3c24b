export { Iso9660FileSystem, openIso9660, plainName, jolietName, MAX_DIRECTORY_BYTES, MAX_READFILE_BYTES, type IsoNames, type OpenIso9660Options } from './filesystem.js';
export { readDescriptorSet, descriptorText, VOLUME_DESCRIPTOR, FIRST_DESCRIPTOR, type DescriptorSet, type VolumeDescriptor } from './descriptors.js';
export { decodeDirectoryRecords, recordingTime, DIRECTORY_RECORD, FLAG_HIDDEN, FLAG_DIRECTORY, FLAG_ASSOCIATED, FLAG_MULTI_EXTENT, type DirectoryRecord } from './directory-record.js';
export { decodeSuspArea, readSystemUse, decodeRockRidge, MAX_CONTINUATIONS, type SuspEntry, type RockRidge } from './susp.js';
export { ExtentDevice, type Extent } from './extent-device.js';
