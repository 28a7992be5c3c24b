// Hyper-V .vmcx (and .vmrs) files: a binary, journaled key-value store ("Hyper-V storage
// file"). The first header sits at offset 0 and a second copy at 0x1000; each starts with
// the signature 0x01282014 (little-endian), then a checksum, a 16-bit sequence number and a
// 32-bit format version (layout as dissect.hypervisor's c_hyperv.py documents it; the fields
// are packed, not aligned). rehost recognises the file and reads this header only: the object
// and key tables that hold the VM's settings are not decoded.

import { struct, u16le, u32le } from '../binary/index.js';
import { CorruptError } from '../errors.js';
import type { VmDescription } from './types.js';

export const VMCX_SIGNATURE = 0x01282014;

export const VMCX_HEADER = struct('vmcx storage header', {
  signature: u32le, // 0x00  0x01282014
  checksum: u32le, // 0x04  over the header with this field zeroed
  sequence_number: u16le, // 0x08
  version: u32le, // 0x0a  format version
});

export function looksLikeVmcx(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === VMCX_SIGNATURE;
}

/** Recognises a .vmcx file and reports that its settings are not decoded. */
export function describeVmcx(bytes: Uint8Array, options: { fileName?: string } = {}): VmDescription {
  const header = VMCX_HEADER.decode(bytes);
  if (header.signature !== VMCX_SIGNATURE) {
    throw new CorruptError(`not a Hyper-V storage file: signature 0x${header.signature.toString(16)}`, { structure: VMCX_HEADER.name, offset: 0 });
  }
  const name = options.fileName?.replace(/^.*[\\/]/, '').replace(/\.vmcx$/i, '') ?? '';
  return {
    source: 'vmcx',
    name,
    firmware: 'unknown',
    controllers: [],
    disks: [],
    nics: [],
    notes: [
      `Hyper-V virtual machine configuration (.vmcx, storage format version 0x${header.version.toString(16)}, header sequence ${header.sequence_number}); ` +
        'its key tables are not decoded, so firmware (generation), controllers, disks and NICs are unknown. ' +
        'On the Hyper-V host, Get-VM / Get-VMHardDiskDrive give them.',
      'the file name of a .vmcx is the VM id (GUID), not its display name',
    ],
  };
}
