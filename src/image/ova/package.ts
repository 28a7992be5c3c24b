// An OVA package: a tar archive holding one OVF descriptor (the first member by DSP0243 §5.3,
// but any position is accepted), an optional manifest (.mf) and certificate (.cert), and the
// disk files the descriptor references. The disks are read in place as windows onto the tar
// (no extraction). Disks stored compressed (ovf:compression="gzip") are inflated into memory
// only when small; chunked files (ovf:chunkSize) are not supported.

import { gunzipSync } from 'node:zlib';
import type { BlockDevice } from '../../io/block-device.js';
import { SliceDevice } from '../../io/slice-device.js';
import { MemoryDevice } from '../../io/memory-device.js';
import { CorruptError, NotFoundError, RehostError, UnsupportedError } from '../../errors.js';
import { listTarMembers, tarChecksumOk, TAR_BLOCK, type TarMember } from './tar.js';
import { parseOvf, MAX_OVF_BYTES, type ControllerKind, type OvfDescriptor } from './ovf.js';
import { parseManifest, verifyManifest, MAX_MANIFEST_BYTES, type ManifestCheck, type ManifestEntry } from './manifest.js';

/** Compressed disks are inflated into memory up to this many bytes (compressed and inflated). */
export const MAX_INFLATED_DISK_BYTES = 256 * 1024 * 1024;

export interface OvaDisk {
  /** DiskSection diskId (vmdisk1). */
  id: string;
  /** The referenced file (ovf:href). */
  fileName: string;
  /** Where the file's bytes start in the archive; undefined when it is not in the archive. */
  offset?: number;
  /** Member size in the archive (compressed size when compressed). */
  size?: number;
  /** Virtual capacity in bytes from the descriptor. */
  capacity?: number;
  format?: string;
  compression?: string;
  /** The controller the disk is attached to, from the virtual hardware. */
  controller?: { kind: ControllerKind; subtype?: string; instanceId: string; addressOnParent?: number };
}

export interface OvaPackage {
  /** The archive itself. */
  file: BlockDevice;
  ovfName: string;
  ovf: OvfDescriptor;
  members: Array<{ name: string; offset: number; size: number }>;
  manifest?: { name: string; entries: ManifestEntry[] };
  disks: OvaDisk[];
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

function findMember(members: TarMember[], href: string): TarMember | undefined {
  return members.find((m) => m.name === href) ?? members.find((m) => baseName(m.name).toLowerCase() === baseName(href).toLowerCase());
}

/** True when `file` starts with a valid tar header and lists an .ovf member. Never throws on content. */
export async function isOvaPackage(file: BlockDevice): Promise<boolean> {
  if (file.size < TAR_BLOCK * 2) return false;
  const first = await file.read(0, TAR_BLOCK);
  if (!tarChecksumOk(first)) return false;
  try {
    const members = await listTarMembers(file, { maxMembers: 256 });
    return members.some((m) => m.name.toLowerCase().endsWith('.ovf'));
  } catch (error) {
    if (error instanceof RehostError) return false;
    throw error;
  }
}

export async function readOvaPackage(file: BlockDevice): Promise<OvaPackage> {
  const members = await listTarMembers(file);
  const ovfMember = members.find((m) => m.name.toLowerCase().endsWith('.ovf'));
  if (!ovfMember) throw new CorruptError('the archive holds no .ovf descriptor', { structure: 'OVA package', offset: 0 });
  if (ovfMember.size > MAX_OVF_BYTES) throw new CorruptError(`descriptor of ${ovfMember.size} bytes is too large`, { structure: 'OVF descriptor', offset: ovfMember.offset });
  const ovf = parseOvf(new TextDecoder('utf-8').decode(await file.read(ovfMember.offset, ovfMember.size)));

  let manifest: OvaPackage['manifest'];
  const mfMember = members.find((m) => m.name.toLowerCase().endsWith('.mf'));
  if (mfMember) {
    if (mfMember.size > MAX_MANIFEST_BYTES) throw new CorruptError(`manifest of ${mfMember.size} bytes is too large`, { structure: 'OVF manifest', offset: mfMember.offset });
    manifest = { name: mfMember.name, entries: parseManifest(new TextDecoder('utf-8').decode(await file.read(mfMember.offset, mfMember.size)), mfMember.offset) };
  }

  const disks: OvaDisk[] = ovf.disks.map((disk) => {
    const ref = ovf.files.find((f) => f.id === disk.fileRef);
    const member = ref ? findMember(members, ref.href) : undefined;
    const drive = ovf.drives.find((d) => d.kind === 'disk' && d.diskId === disk.diskId);
    const controller = drive?.controllerId !== undefined ? ovf.controllers.find((c) => c.instanceId === drive.controllerId) : undefined;
    return {
      id: disk.diskId,
      fileName: ref?.href ?? '',
      offset: member?.offset,
      size: member?.size,
      capacity: disk.capacity,
      format: disk.format,
      compression: ref?.compression,
      controller: controller ? { kind: controller.kind, subtype: controller.subtype, instanceId: controller.instanceId, addressOnParent: drive?.addressOnParent } : undefined,
    };
  });

  return {
    file,
    ovfName: ovfMember.name,
    ovf,
    members: members.map(({ name, offset, size }) => ({ name, offset, size })),
    manifest,
    disks,
  };
}

/** The bytes of disk `index` (DiskSection order) as a device: a window onto the archive. */
export async function ovaDiskDevice(pkg: OvaPackage, index: number): Promise<BlockDevice> {
  const disk = pkg.disks[index];
  if (!disk) throw new NotFoundError(`the package has ${pkg.disks.length} disk(s); there is no disk ${index}`, { kind: 'disk' });
  if (disk.offset === undefined || disk.size === undefined) {
    throw new NotFoundError(`disk ${disk.id} refers to "${disk.fileName}", which is not in the archive`, { kind: 'file', path: disk.fileName });
  }
  const file = pkg.ovf.files.find((f) => f.href === disk.fileName);
  if (file?.chunkSize !== undefined) throw new UnsupportedError(`disk ${disk.id} is split into chunks (ovf:chunkSize)`, { kind: 'ova-chunked' });
  const slice = new SliceDevice({ base: pkg.file, start: disk.offset, size: disk.size, name: `OVA member ${disk.fileName}` });
  if (disk.compression === undefined || disk.compression === '' || disk.compression === 'identity') return slice;
  if (disk.compression !== 'gzip') throw new UnsupportedError(`disk ${disk.id} uses compression "${disk.compression}"`, { kind: 'ova-compression' });
  if (disk.size > MAX_INFLATED_DISK_BYTES) {
    throw new UnsupportedError(`disk ${disk.id} is gzip-compressed and too large (${disk.size} bytes) to inflate in memory; extract it first`, { kind: 'ova-compression' });
  }
  let inflated: Uint8Array;
  try {
    inflated = new Uint8Array(gunzipSync(await slice.read(0, disk.size), { maxOutputLength: MAX_INFLATED_DISK_BYTES }));
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new UnsupportedError(`disk ${disk.id} inflates to more than ${MAX_INFLATED_DISK_BYTES} bytes; extract it first`, { kind: 'ova-compression' });
    }
    throw new CorruptError(`disk ${disk.id} is not valid gzip data: ${(error as Error).message}`, { structure: 'OVA member', offset: disk.offset }, { cause: error });
  }
  return new MemoryDevice(inflated, `OVA member ${disk.fileName} (inflated)`);
}

/**
 * Checks every digest in the package's manifest against the archive members it names (reads
 * them in full). Returns one result per manifest line; an empty list when there is no manifest.
 */
export async function verifyOvaManifest(pkg: OvaPackage): Promise<ManifestCheck[]> {
  if (!pkg.manifest) return [];
  return verifyManifest({
    entries: pkg.manifest.entries,
    file: pkg.file,
    locate: (name) => pkg.members.find((m) => m.name === name) ?? pkg.members.find((m) => baseName(m.name) === baseName(name)),
  });
}

/** A JSON-friendly summary of the package for DiskImage.details. */
export function ovaSummary(pkg: OvaPackage): Record<string, unknown> {
  const { ovf } = pkg;
  return {
    descriptor: pkg.ovfName,
    name: ovf.name,
    os: ovf.os,
    virtualSystemType: ovf.virtualSystemType,
    firmware: ovf.firmware,
    cpus: ovf.cpus,
    memoryBytes: ovf.memoryBytes,
    networks: ovf.networks,
    controllers: ovf.controllers,
    nics: ovf.nics,
    drives: ovf.drives,
    disks: pkg.disks,
    members: pkg.members,
    manifest: pkg.manifest?.name,
  };
}
