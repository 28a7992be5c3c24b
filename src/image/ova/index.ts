// OVA packages (tar + OVF descriptor + manifest + disks) and OVF descriptors.

export { readOvaPackage, ovaDiskDevice, isOvaPackage, verifyOvaManifest, ovaSummary, MAX_INFLATED_DISK_BYTES } from './package.js';
export type { OvaPackage, OvaDisk } from './package.js';
export { openOvaImage } from './open-ova.js';
export { parseOvf, unitMultiplier, MAX_OVF_BYTES } from './ovf.js';
export type { OvfDescriptor, OvfDisk, OvfFile, OvfController, OvfNic, OvfDrive, ControllerKind } from './ovf.js';
export { parseManifest, verifyManifest } from './manifest.js';
export type { ManifestEntry, ManifestCheck } from './manifest.js';
export { listTarMembers, decodeTarHeader, tarChecksumOk, parsePaxRecords, MAX_TAR_MEMBERS, TAR_BLOCK } from './tar.js';
export type { TarMember, TarHeader } from './tar.js';
