// Walks a guest disk down to its volumes: the partition table (or the whole disk when there is
// none), the LVM logical volumes on any physical volumes found there, and for each volume what
// it holds. This is what `rehost info`, `ls` and inspection use to find filesystems.

import type { BlockDevice } from '../io/block-device.js';
import { ignoreDiagnostics, type Diagnostics } from '../diagnostics.js';
import { readPartitionTable } from '../partition/index.js';
import { readLvm } from '../lvm/index.js';
import { identifyVolume, type VolumeIdentity } from './identify.js';
import { UnsupportedError } from '../errors.js';

export interface Volume {
  /** 'p1', 'p5', … for partitions, 'disk' for an unpartitioned disk, 'VG/LV' for logical volumes. */
  id: string;
  /** Why a logical volume cannot be read (unsupported segment type, missing PV, bad mapping). */
  unreadable?: string;
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
  } else {
    for (const p of table.partitions) {
      if (p.kind === 'extended') continue;
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
  }
  volumes.push(...(await logicalVolumes(volumes, diagnostics)));
  return {
    ...(table.scheme !== 'none' ? { table: { scheme: table.scheme, ...(table.diskId !== undefined ? { diskId: table.diskId } : {}), sectorSize: table.sectorSize } } : {}),
    volumes,
  };
}

async function logicalVolumes(volumes: Volume[], diagnostics: Diagnostics): Promise<Volume[]> {
  const pvs = volumes.filter((v) => v.filesystem.kind === 'lvm2-pv');
  if (pvs.length === 0) return [];
  const out: Volume[] = [];
  for (const vg of await readLvm(pvs.map((v) => v.device), { diagnostics })) {
    for (const lv of vg.lvs) {
      const reason = lv.unsupported ?? lv.corrupt;
      out.push({
        id: `${lv.vg}/${lv.name}`,
        start: 0,
        size: lv.size,
        type: `LVM ${lv.segmentTypes.join('+') || 'empty'}`,
        ...(reason !== undefined ? { unreadable: reason } : {}),
        filesystem: lv.device ? await identifyVolume(lv.device) : { kind: 'unknown', readable: false },
        device: lv.device ?? unreadableDevice(lv.size, reason ?? 'logical volume cannot be read'),
      });
    }
  }
  return out;
}

/** Stands in for a logical volume rehost cannot map: every read says why. */
function unreadableDevice(size: number, reason: string): BlockDevice {
  return {
    size,
    read: async () => {
      throw new UnsupportedError(reason, { kind: 'logical volume' });
    },
  };
}
