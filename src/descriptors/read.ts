// Entry point for VM descriptors: detect the kind from the bytes (and, for ties, the file
// name) and return one VmDescription. Text descriptors must be UTF-8 (a BOM is allowed).

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { UnsupportedError } from '../errors.js';
import { describeLibvirt, looksLikeLibvirt } from './libvirt.js';
import { describeOvf, looksLikeOvf } from './ovf.js';
import { MAX_DESCRIPTOR_BYTES, type DescriptorSource, type VmDescription } from './types.js';
import { describeVbox, looksLikeVbox } from './vbox.js';
import { describeVmcx, looksLikeVmcx } from './vmcx.js';
import { describeVmx, looksLikeVmx } from './vmx.js';

/** Which descriptor kind these bytes hold, or undefined. */
export function detectDescriptor(bytes: Uint8Array, fileName?: string): DescriptorSource | undefined {
  if (looksLikeVmcx(bytes)) return 'vmcx';
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 65536));
  if (looksLikeVbox(head)) return 'vbox';
  if (looksLikeOvf(head)) return 'ovf';
  if (looksLikeLibvirt(head)) return 'libvirt';
  if (looksLikeVmx(head) || /\.vmx$/i.test(fileName ?? '')) return 'vmx';
  return undefined;
}

/** Reads a descriptor held in memory. UnsupportedError when the kind is not recognised. */
export function describeDescriptor(bytes: Uint8Array, options: { fileName?: string } = {}): VmDescription {
  const kind = detectDescriptor(bytes, options.fileName);
  if (kind === undefined) throw new UnsupportedError('not a recognised VM descriptor (vmx, OVF, vbox, libvirt XML, vmcx)', { structure: 'VM descriptor', path: options.fileName });
  if (kind === 'vmcx') return describeVmcx(bytes, options);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/^\uFEFF/, '');
  switch (kind) {
    case 'vbox': return describeVbox(text);
    case 'ovf': return describeOvf(text);
    case 'libvirt': return describeLibvirt(text);
    case 'vmx': return describeVmx(text, options);
  }
}

/** Reads a descriptor file from disk. */
export async function readVmDescription(path: string): Promise<VmDescription> {
  const bytes = new Uint8Array(await readFile(path));
  if (bytes.length > MAX_DESCRIPTOR_BYTES) throw new UnsupportedError(`descriptor of ${bytes.length} bytes is too large`, { structure: 'VM descriptor', path });
  return describeDescriptor(bytes, { fileName: basename(path) });
}
