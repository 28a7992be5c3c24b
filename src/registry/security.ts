// Security descriptor cells (sk): a doubly linked ring of shared descriptors, each with a
// reference count of the keys using it. Spec: msuhanov regf specification, "Key security".
// The descriptor itself is a self-relative SECURITY_DESCRIPTOR (MS-DTYP 2.4.6), kept as bytes.

import { CorruptError } from '../errors.js';
import { HBIN_START } from './base-block.js';
import { SK } from './cells.js';

export interface SecurityCell {
  /** Absolute offset of the sk cell. */
  offset: number;
  flink: number;
  blink: number;
  referenceCount: number;
  descriptor: Uint8Array;
}

export function decodeSecurityCell(bytes: Uint8Array, cell: number): SecurityCell {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = Math.abs(view.getInt32(cell, true));
  const sk = SK.decode(bytes, { at: cell + 4 });
  if (SK.size + sk.securityDescriptorSize > length - 4) {
    throw new CorruptError(`security descriptor of ${sk.securityDescriptorSize} bytes runs past its ${length}-byte cell`, { structure: 'sk cell', offset: cell });
  }
  const start = cell + 4 + SK.size;
  return {
    offset: cell,
    flink: sk.flink + HBIN_START,
    blink: sk.blink + HBIN_START,
    referenceCount: sk.referenceCount,
    descriptor: bytes.slice(start, start + sk.securityDescriptorSize),
  };
}
