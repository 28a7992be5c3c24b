export { HostDirectoryFileSystem } from './host-directory.js';
export { OS_DIRS, conventionOf, conventionFit, osDirIndexFor, osDirName, type ConventionHint } from './convention.js';
export { openDriverSource, listInfFiles, scanDriverSource, MAX_SOURCE_DEPTH, MAX_SOURCE_ENTRIES, type DriverSource, type DriverPackage } from './source.js';
export { findDrivers, resolveInSource, pciDeviceIds, type DriverMatch, type DriverFile, type FindDriversArgs } from './find.js';
export { virtioStagingSet, type StagedFile, type StagingSet } from './staging.js';
export { deviceMatchesId, driversForDevices, vendorPackageFiles, MAX_PACKAGE_BYTES, MAX_PACKAGE_FILES, type SourceDeviceDriver, type TargetDevice } from './device-packages.js';
