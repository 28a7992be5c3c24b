// Inspection of a whole guest disk: image → volumes → every operating system found on them,
// Windows (a volume holding /Windows/System32/config) and Linux (roots with their fstab
// mounts), as one JSON-serialisable document. This is what `rehost inspect` prints and what
// the fingerprint, reports and fleet audit build on.

import { openImage } from '../image/open.js';
import { describeImage, type ImageDescription } from '../image/describe.js';
import type { BlockDevice } from '../io/block-device.js';
import { DiagnosticLog, type Diagnostic, type Diagnostics } from '../diagnostics.js';
import { NotFoundError, RehostError } from '../errors.js';
import { discoverVolumes, type Volume, type VolumeDiscovery } from '../fs/discover.js';
import { openFileSystem } from '../fs/open.js';
import { inspectWindows, type WindowsFacts } from '../windows/index.js';
import { inspectLinuxVolumes, type LinuxFacts } from '../linux/facts/index.js';

export const INSPECTION_SCHEMA_VERSION = 1;

export type OperatingSystem =
  | { type: 'windows'; root: string; facts: WindowsFacts }
  | { type: 'linux'; root: string; mounts: Record<string, string>; unresolvedMounts: string[]; facts: LinuxFacts };

export type VolumeSummary = Omit<Volume, 'device'>;

export interface Inspection {
  schemaVersion: number;
  image?: ImageDescription[];
  partitionTable?: VolumeDiscovery['table'];
  volumes: VolumeSummary[];
  operatingSystems: OperatingSystem[];
  warnings: Diagnostic[];
}

export interface InspectDeviceOptions {
  device: BlockDevice;
  diagnostics?: Diagnostics;
  /** 'skip' leaves initramfs images unopened (the fastest audit). */
  initramfs?: 'read' | 'skip';
}

/** Every operating system on one guest disk. */
export async function inspectDevice(options: InspectDeviceOptions): Promise<Omit<Inspection, 'image' | 'warnings' | 'schemaVersion'>> {
  const diagnostics = options.diagnostics ?? new DiagnosticLog();
  const disk = await discoverVolumes(options.device, { diagnostics });
  const operatingSystems: OperatingSystem[] = [];
  for (const volume of disk.volumes) {
    if (volume.filesystem.kind !== 'ntfs') continue;
    const windows = await inspectWindowsVolume({ volume, disk, diagnostics });
    if (windows) operatingSystems.push({ type: 'windows', root: volume.id, facts: windows });
  }
  const linuxRoots = await inspectLinuxVolumes({ volumes: disk.volumes, diagnostics, ...(options.initramfs !== undefined ? { initramfs: options.initramfs } : {}) });
  for (const root of linuxRoots) {
    operatingSystems.push({ type: 'linux', root: root.root, mounts: root.mounts, unresolvedMounts: root.unresolved, facts: root.facts });
  }
  return {
    ...(disk.table !== undefined ? { partitionTable: disk.table } : {}),
    volumes: disk.volumes.map(({ device: _device, ...rest }) => rest),
    operatingSystems,
  };
}

async function inspectWindowsVolume(args: { volume: Volume; disk: VolumeDiscovery; diagnostics: Diagnostics }): Promise<WindowsFacts | undefined> {
  const { volume, disk, diagnostics } = args;
  let fs;
  try {
    fs = await openFileSystem(volume.device, { diagnostics, kind: 'ntfs' });
  } catch (error) {
    if (!(error instanceof RehostError)) throw error;
    diagnostics.report({ severity: 'warning', code: 'volume-unreadable', message: `${volume.id}: ${error.message}` });
    return undefined;
  }
  try {
    return await inspectWindows({ fs, diagnostics, disk });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    if (!(error instanceof RehostError)) throw error;
    diagnostics.report({ severity: 'warning', code: 'windows-uninspectable', message: `${volume.id}: ${error.message}` });
    return undefined;
  } finally {
    await fs.close?.();
  }
}

export interface InspectImageOptions {
  path: string;
  format?: string;
  /** Which disk of an OVA. */
  disk?: number;
  initramfs?: 'read' | 'skip';
  /** Wraps the guest device before inspection (the fleet audit counts bytes read through it). */
  wrapDevice?: (device: BlockDevice) => BlockDevice;
}

/** Opens an image file read-only and inspects it. */
export async function inspectImage(options: InspectImageOptions): Promise<Inspection> {
  const diagnostics = new DiagnosticLog();
  const image = await openImage(options.path, { format: options.format, diagnostics, disk: options.disk });
  try {
    const device = options.wrapDevice ? options.wrapDevice(image.device) : image.device;
    const found = await inspectDevice({ device, diagnostics, ...(options.initramfs !== undefined ? { initramfs: options.initramfs } : {}) });
    return { schemaVersion: INSPECTION_SCHEMA_VERSION, image: await describeImage(image), ...found, warnings: diagnostics.entries };
  } finally {
    await image.close();
  }
}
