// A child VMDK records its parent's content id (parentCID) so readers can tell when the parent
// changed after the child was made. The writer gets only the parent's file name, so it reads
// the parent's descriptor itself: embedded in a sparse extent or a text descriptor file. The
// name is resolved as readers will resolve it: relative to the child's own directory.

import { dirname, isAbsolute, resolve } from 'node:path';
import { FileDevice } from '../../io/file-device.js';
import { CorruptError, UnsupportedError } from '../../errors.js';
import { looksLikeDescriptor, MAX_DESCRIPTOR_BYTES, parseDescriptor } from './descriptor.js';
import { decodeSparseHeader, isSparseExtentHeader, SECTOR } from './sparse-header.js';

export async function readParentCid(args: { output: object; reference: string }): Promise<number> {
  const childPath = (args.output as { path?: unknown }).path;
  const base = typeof childPath === 'string' ? dirname(childPath) : process.cwd();
  const path = isAbsolute(args.reference) ? args.reference : resolve(base, args.reference);
  const file = await FileDevice.open(path);
  try {
    const head = await file.read(0, Math.min(file.size, SECTOR));
    let bytes: Uint8Array;
    let origin = 0;
    if (isSparseExtentHeader(head)) {
      const header = decodeSparseHeader(head, 0);
      origin = header.descriptorOffset * SECTOR;
      const length = Math.min(header.descriptorSize * SECTOR, MAX_DESCRIPTOR_BYTES);
      if (origin === 0 || length === 0 || origin + length > file.size) {
        throw new CorruptError('parent has no embedded descriptor to take its CID from', { structure: 'VMDK sparse extent header', path });
      }
      bytes = await file.read(origin, length);
    } else {
      bytes = await file.read(0, Math.min(file.size, MAX_DESCRIPTOR_BYTES));
      if (!looksLikeDescriptor(bytes)) throw new UnsupportedError('the parent of a VMDK must be a VMDK', { kind: 'backing', path });
    }
    const cid = parseDescriptor(bytes, origin).cid;
    if (cid === undefined) throw new CorruptError('parent descriptor has no CID', { structure: 'VMDK descriptor', path });
    return cid;
  } finally {
    await file.close();
  }
}
