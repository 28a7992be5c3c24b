// The VMDK writer: monolithicSparse (the default; what VMware Workstation and qemu-img make,
// also as a child of a VMDK backing file) or streamOptimized (what OVA packages and ESXi
// imports take; it writes strictly forward from offset 0, so it can feed a tar stream).

import type { ImageWriter, WriteImageOptions } from '../types.js';
import { UnsupportedError } from '../../errors.js';
import { writeMonolithicSparse } from './write-monolithic-sparse.js';
import { writeStreamOptimized } from './write-stream-optimized.js';

export const vmdkWriter: ImageWriter = {
  name: 'vmdk',
  subformats: ['monolithicSparse', 'streamOptimized'],
  async write(options: WriteImageOptions): Promise<void> {
    const subformat = options.subformat ?? 'monolithicSparse';
    if (subformat === 'monolithicSparse') return writeMonolithicSparse(options);
    if (subformat === 'streamOptimized') return writeStreamOptimized(options);
    throw new UnsupportedError(`vmdk has no writable subformat ${subformat}; choose monolithicSparse or streamOptimized`, { kind: 'format' });
  },
};
