// Public surface of Windows inspection: find the system root, open its hives, and gather
// WindowsFacts. Decoders (PE header, product ids, BCD, MountedDevices) are exported for the
// fuzz tests and for other layers (rules read the data tables).

export { inspectWindows, resolveImagePath, osinfo, type InspectWindowsInput } from './inspect.js';
export type * from './types.js';
export { findWindows, openWindowsHive, SYSTEM_ROOT_CANDIDATES, type WindowsLocation, type OpenedHive } from './locate.js';
export { readSystemHive, type SystemHiveFacts, CLASS_DISK, CLASS_SCSI_ADAPTER, CLASS_HDC, CLASS_NET } from './system-hive.js';
export { readSoftwareHive, type SoftwareHiveFacts } from './software-hive.js';
export { decodePeHeader, PE_MACHINES, type PeHeader } from './pe.js';
export { decodeDigitalProductId, decodeDigitalProductId4, decodeProductKeyBytes, DPID4_SIZE, type DigitalProductId, type DigitalProductId4 } from './product-key.js';
export { readBcdDefault, decodeBcdDevice, BOOTMGR_OBJECT, type BcdDefaultEntry, type BcdDevice } from './bcd.js';
export { decodeMountedDevice, matchDriveLetters } from './drive-letters.js';
export { parseDeviceId } from './device-id.js';
export { GVLK_KEYS, AVMA_KEYS, type PublishedKey } from './data/activation-keys.js';
export { HYPERVISOR_TOOLS, ANTIVIRUS_PATTERNS, type ToolPattern } from './data/hypervisor-tools.js';
