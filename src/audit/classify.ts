// What a host file is, from its bytes alone (never its name): an OVA package, a disk image in
// a format with a signature, a VM descriptor (vmx, OVF, vbox, libvirt XML), a raw disk (only
// when it holds a partition table or a filesystem signature at 0), a manifest of paths (only
// for files named on the command line), or nothing of ours.

import { readFile } from 'node:fs/promises';
import { FileDevice } from '../io/file-device.js';
import { isOvaPackage } from '../image/ova/index.js';
import { probeFormat } from '../image/open.js';
import { detectDescriptor, MAX_DESCRIPTOR_BYTES } from '../descriptors/index.js';
import { readPartitionTable } from '../partition/index.js';
import { identifyVolume } from '../fs/identify.js';
import { RehostError } from '../errors.js';

export type FileKind = 'ova' | 'image' | 'raw-image' | 'descriptor' | 'text' | 'other';

/** Manifests are read whole; bound them. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

const PROBE_BYTES = 65536;

export async function classifyFile(path: string): Promise<FileKind> {
  let file: FileDevice;
  try {
    file = await FileDevice.open(path);
  } catch (error) {
    if (error instanceof RehostError) return 'other';
    throw error;
  }
  try {
    if (file.size === 0) return 'other';
    if (await isOvaPackage(file)) return 'ova';
    const format = await probeFormat(file);
    if (format.name !== 'raw') return 'image';
    const head = await file.read(0, Math.min(PROBE_BYTES, file.size));
    if (file.size <= MAX_DESCRIPTOR_BYTES && !head.includes(0)) {
      if (detectDescriptor(head) !== undefined) return 'descriptor';
      return 'text';
    }
    if (await holdsDiskSignature(file)) return 'raw-image';
    return 'other';
  } catch (error) {
    if (error instanceof RehostError) return 'other';
    throw error;
  } finally {
    await file.close();
  }
}

async function holdsDiskSignature(file: FileDevice): Promise<boolean> {
  try {
    const table = await readPartitionTable(file);
    if (table.scheme !== 'none') return true;
  } catch (error) {
    if (!(error instanceof RehostError)) throw error;
  }
  const identity = await identifyVolume(file);
  return identity.kind !== 'unknown';
}

/** The paths a manifest lists: one per line; blank lines and '#' comments ignored. */
export async function readManifestLines(path: string): Promise<string[]> {
  const bytes = await readFile(path);
  if (bytes.length > MAX_MANIFEST_BYTES) return [];
  return bytes
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}
