// What a qcow2 file must be for rehost to write guest data into it in place (docs/interop/
// qcow2.txt). Refused, before anything is planned or written:
//  - unknown incompatible features, an external data file (guest data lives elsewhere);
//  - the dirty bit (refcounts are stale until `qemu-img check -r all`; lazy refcounts leave
//    it set) and the corrupt bit (qemu itself refuses writes);
//  - internal snapshots: their clusters are shared (refcount > 1) and a write would need
//    copy-on-write of data and L2 tables, which this writer does not do;
//  - persistent dirty bitmaps: they would silently go stale;
//  - encryption (already refused by decodeHeader, checked again here for a header built by hand).
// Autoclear feature bits other than the bitmaps bit are cleared by the writer, as the spec
// asks of a writer that does not maintain them.

import { UnsafeStateError, UnsupportedError } from '../../errors.js';
import { EXTENSION, type HeaderExtensions } from './extensions.js';
import { featureBits, type Qcow2Header } from './header.js';

/** Autoclear bit 0: the bitmaps extension is consistent. */
export const AUTOCLEAR_BITMAPS = 1n << 0n;

export function assertInPlaceWritable(args: { header: Qcow2Header & { unknownIncompatible?: bigint }; extensions: HeaderExtensions; path?: string }): void {
  const { header, extensions } = args;
  const where = { structure: 'qcow2 header', offset: 0x48, ...(args.path !== undefined ? { path: args.path } : {}) };
  const refuse = (reason: string, feature: string): never => {
    throw new UnsupportedError(`cannot write this qcow2 in place: ${reason}`, { ...where, feature });
  };
  if (header.cryptMethod !== 0) refuse(`it is encrypted (crypt_method ${header.cryptMethod})`, 'encryption');
  if ((header.unknownIncompatible ?? 0n) !== 0n) {
    refuse(`unknown incompatible feature bits ${featureBits(header.unknownIncompatible ?? 0n).join(', ')}`, 'incompatible features');
  }
  if (header.externalDataFile || extensions.externalDataFile !== undefined) refuse('its guest data lives in an external data file', 'external data file');
  if (header.dirty) {
    throw new UnsafeStateError('cannot write this qcow2 in place: it is marked dirty (not closed cleanly, or lazy refcounts in use); run `qemu-img check -r all` first', {
      ...where,
      feature: 'dirty',
    });
  }
  if (header.corrupt) {
    throw new UnsafeStateError('cannot write this qcow2 in place: qemu marked it corrupt; repair it with `qemu-img check -r all` first', { ...where, feature: 'corrupt' });
  }
  if (header.nbSnapshots !== 0) {
    refuse(`it has ${header.nbSnapshots} internal snapshot(s), whose shared clusters would need copy-on-write; delete them or commit to a backed qcow2`, 'internal snapshots');
  }
  if ((header.autoclearFeatures & AUTOCLEAR_BITMAPS) !== 0n || extensions.types.includes(EXTENSION.bitmaps)) {
    refuse('it holds persistent dirty bitmaps, which would go stale', 'bitmaps');
  }
  if (extensions.types.includes(EXTENSION.fullDiskEncryption)) refuse('it has an encryption header', 'encryption');
}
