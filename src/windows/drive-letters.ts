// Drive letters from SYSTEM\MountedDevices (\DosDevices\X: values), matched to the disk's
// partitions as libguestfs does (conversion-facts §c.2): a 12-byte value is MBR — a 4-byte
// disk signature (matched with the MBR's 0x1B8 signature) and the partition's 8-byte
// little-endian start in bytes; a value starting "DMIO:ID:" is GPT — the partition GUID
// follows in Microsoft's mixed-endian layout. Anything else (e.g. "\??\Volume{…}" strings
// of removable media) is reported as 'other'.

import { decodeGuid } from '../binary/index.js';
import type { VolumeDiscovery } from '../fs/discover.js';
import type { DriveLetter } from './types.js';

const DMIO = 'DMIO:ID:';

export function decodeMountedDevice(letter: string, data: Uint8Array): DriveLetter {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length === 12) {
    const offset = view.getBigUint64(4, true);
    return {
      letter,
      kind: 'mbr',
      mbrSignature: `0x${view.getUint32(0, true).toString(16).padStart(8, '0')}`,
      partitionOffset: offset <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(offset) : undefined,
    };
  }
  if (data.length >= 24 && String.fromCharCode(...data.subarray(0, 8)) === DMIO) {
    return { letter, kind: 'gpt', partitionGuid: decodeGuid(data, 8) };
  }
  return { letter, kind: 'other' };
}

export function matchDriveLetters(input: { mounted: { letter: string; data: Uint8Array }[]; disk?: VolumeDiscovery }): DriveLetter[] {
  return input.mounted.map(({ letter, data }) => {
    const drive = decodeMountedDevice(letter, data);
    const disk = input.disk;
    if (disk?.table === undefined) return drive;
    if (drive.kind === 'mbr' && disk.table.scheme === 'mbr' && disk.table.diskId?.toLowerCase() === drive.mbrSignature) {
      const hit = disk.volumes.find((v) => v.start === drive.partitionOffset);
      if (hit) drive.volume = hit.id;
    }
    if (drive.kind === 'gpt' && disk.table.scheme === 'gpt') {
      const hit = disk.volumes.find((v) => v.guid?.toLowerCase() === drive.partitionGuid);
      if (hit) drive.volume = hit.id;
    }
    return drive;
  });
}
