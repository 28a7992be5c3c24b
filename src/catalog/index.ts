// The platform catalog: open, versioned data describing each hypervisor's and cloud's virtual
// hardware (schema/platform.schema.json, platforms/*.json), its loader and lookups.

export type { Catalog, Platform, PlatformDevice, PciId, InboxStatus, SmbiosIdentity, DeviceFunction, DeviceBus, UnverifiedField } from './types.js';
export { loadCatalog, checkPlatform, platformSchema, builtinPlatformDir, MAX_PLATFORM_FILE_BYTES, MAX_PLATFORM_FILES } from './load.js';
export type { LoadCatalogOptions } from './load.js';
export { platformById, findPlatform, devicesByFunction, platformsForPciId, platformsForSmbios } from './lookup.js';
export type { PciMatch } from './lookup.js';
export { validateJsonSchema } from './json-schema.js';
export type { SchemaIssue } from './json-schema.js';
