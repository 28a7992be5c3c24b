// Microsoft VHD (qemu's `vpc`): reader for fixed, dynamic and differencing disks, and writer.

export { vhdFormat } from './format.js';
export { vhdWriter } from './writer.js';
export { VhdFooter, virtualSizeOf, geometryFor, footerChecksum, encodeFooter } from './footer.js';
export { VhdDynamicHeader, VhdParentLocatorEntry, encodeDynamicHeader } from './dynamic-header.js';
