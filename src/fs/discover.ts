// Walks a guest disk down to its volumes: the partition table (or the whole disk when there is
// none), and for each volume what it holds. This is what `rehost info`, `ls` and inspection use
// to find filesystems.

import type { BlockDevice } from '../io/block-device.js';
import { ignoreDiagnostics, type Diagnostics } from '../diagnostics.js';
import { readPartitionTable } from '../partition/index.js';
import { identifyVolume, type VolumeIdentity } from './identify.js';

export interface Volume {
  /** 'p1', 'p5', … for partitions, 'disk' for an unpartitioned disk, 'VG/LV' for logical volumes. */
  id: string;
  start: number;
  size: number;
  type?: string;
  typeId?: string;
  guid?: string;
  name?: string;
  filesystem: VolumeIdentity;
  device: BlockDevice;
}

export interface VolumeDiscovery {
  table?: { scheme: string; diskId?: string; sectorSize: number };
  volumes: Volume[];
}

export async function discoverVolumes(device: BlockDevice, options: { diagnostics?: Diagnostics } = {}): Promise<VolumeDiscovery> {
  const diagnostics = options.diagnostics ?? ignoreDiagnostics;
  const table = await readPartitionTable(device, { diagnostics });
  const volumes: Volume[] = [];
  if (table.scheme === 'none') {
    volumes.push({ id: 'disk', start: 0, size: device.size, filesystem: await identifyVolume(device), device });
    return { volumes };
  }
  for (const p of table.partitions) {
    volumes.push({
      id: `p${p.index}`,
      start: p.start,
      size: p.size,
      type: p.type,
      typeId: p.typeId,
      ...(p.guid !== undefined ? { guid: p.guid } : {}),
      ...(p.name !== undefined ? { name: p.name } : {}),
      filesystem: await identifyVolume(p.device),
      device: p.device,
    });
  }
  return { table: { scheme: table.scheme, ...(table.diskId !== undefined ? { diskId: table.diskId } : {}), sectorSize: table.sectorSize }, volumes };
}
