// qcow2 (QEMU copy-on-write v2/v3): the reader, a BlockDevice over the guest disk with its
// backing chain, and the writer used for conversions and for overlays backed by a source.

export { qcow2Format } from './format.js';
export { qcow2Writer } from './writer.js';
export { Qcow2Device } from './device.js';
export type { Qcow2Header, CompressionType } from './header.js';
