// From a controller-bound device name in a Linux configuration (/dev/sda2, /dev/vdb1,
// /dev/nvme0n1p2, /dev/xvda1, /dev/hda3, /dev/disk/by-path/…-part2) to the volume it names
// on this image, and the stable UUID= form to write instead. rehost sees one disk at a time,
// so the guest's first disk (sda, vda, hda, xvda, nvme0n1, mmcblk0, cciss/c0d0) is this image
// and partition N is volume pN (conversion-facts.md §b.5: virt-v2v renames by disk index the
// same way). Names of other disks, whole-disk names on a partitioned disk, and volumes
// without a filesystem UUID cannot be mapped; the reason is returned for the plan's advice.

import type { DeviceRef } from '../linux/facts/device-names.js';

export interface VolumeInfo {
  id: string;
  kind: string;
  uuid?: string;
}

export type DeviceMapping = { volume: string; to: string } | { reason: string };

/** Disk index (0 = first) and partition number of a kernel device name ('sda2' → 0, 2). */
export function parseKernelDeviceName(name: string): { disk: number; partition?: number } | undefined {
  const lettered = /^(?:sd|vd|hd|xvd)([a-z]+)(\d*)$/.exec(name);
  if (lettered !== null) {
    let disk = 0;
    for (const c of lettered[1] as string) disk = disk * 26 + (c.charCodeAt(0) - 96);
    const part = lettered[2] as string;
    return { disk: disk - 1, ...(part !== '' ? { partition: Number(part) } : {}) };
  }
  const numbered = /^(?:nvme(\d+)n1|mmcblk(\d+)|cciss\/c0d(\d+))(?:p(\d+))?$/.exec(name);
  if (numbered !== null) {
    const disk = Number(numbered[1] ?? numbered[2] ?? numbered[3]);
    return { disk, ...(numbered[4] !== undefined ? { partition: Number(numbered[4]) } : {}) };
  }
  return undefined;
}

/** Maps a device reference that depends on the controller to a volume and its UUID= form. */
export function mapDevice(args: { ref: DeviceRef; volumes: VolumeInfo[]; partitioned: boolean }): DeviceMapping {
  const { ref, volumes, partitioned } = args;
  let volumeId: string | undefined;
  if (ref.naming === 'device-path') {
    const parsed = parseKernelDeviceName(ref.value ?? '');
    if (parsed === undefined) return { reason: `${ref.raw} is not a device name rehost can place on this disk` };
    if (parsed.disk !== 0) return { reason: `${ref.raw} names disk ${parsed.disk + 1} of the guest; this image is one disk (its first)` };
    if (parsed.partition === undefined) {
      if (partitioned) return { reason: `${ref.raw} names the whole disk, which is partitioned` };
      volumeId = 'disk';
    } else volumeId = `p${parsed.partition}`;
  } else if (ref.naming === 'by-path' || ref.naming === 'by-id') {
    const part = /-part(\d+)$/.exec(ref.value ?? '')?.[1];
    if (part === undefined) return { reason: `${ref.raw} names a whole disk by its ${ref.naming === 'by-path' ? 'bus path' : 'hardware id'}` };
    volumeId = `p${part}`;
  } else {
    return { reason: `${ref.raw} does not depend on the controller` };
  }
  const volume = volumes.find((v) => v.id === volumeId);
  if (volume === undefined) return { reason: `${ref.raw} would be volume ${volumeId}, which this disk does not have` };
  if (volume.uuid === undefined) return { reason: `${ref.raw} is volume ${volume.id} (${volume.kind}), whose UUID rehost cannot read` };
  return { volume: volume.id, to: `UUID=${volume.uuid}` };
}

/** A guest absolute path → the volume holding it and the path inside that volume (longest mount prefix). */
export function resolveGuestPath(args: { path: string; root: string; mounts: Record<string, string> }): { volume: string; path: string } {
  let best: { mountpoint: string; volume: string } = { mountpoint: '/', volume: args.root };
  for (const [mountpoint, volume] of Object.entries(args.mounts)) {
    const mp = mountpoint.replace(/\/+$/, '') || '/';
    if (mp === '/') continue;
    if ((args.path === mp || args.path.startsWith(`${mp}/`)) && mp.length > best.mountpoint.length) best = { mountpoint: mp, volume };
  }
  if (best.mountpoint === '/') return { volume: best.volume, path: args.path };
  return { volume: best.volume, path: args.path.slice(best.mountpoint.length) || '/' };
}
