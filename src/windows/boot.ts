// Boot firmware and the default BCD entry. UEFI when the disk has an EFI System Partition
// (its \EFI\Microsoft\Boot\BCD is read when a reader for the ESP's filesystem exists; FAT has
// none yet, which is reported as a diagnostic); BIOS when a \Boot\BCD sits on an NTFS volume
// (the system-reserved partition or the Windows volume itself).

import type { Diagnostics } from '../diagnostics.js';
import { isRehostError } from '../errors.js';
import type { VolumeDiscovery } from '../fs/discover.js';
import { openFileSystem } from '../fs/open.js';
import type { FileSystem } from '../fs/types.js';
import { loadHive } from '../registry/index.js';
import { readBcdDefault } from './bcd.js';
import type { BootFacts } from './types.js';

const ESP_TYPE = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';

async function bcdFrom(fs: FileSystem, path: string, diagnostics: Diagnostics): Promise<BootFacts['defaultEntry'] | undefined> {
  try {
    if (!(await fs.exists(path))) return undefined;
    const { hive } = loadHive({ primary: await fs.readFile(path), diagnostics, label: 'BCD' });
    const entry = readBcdDefault({ hive, diagnostics });
    if (entry === undefined) return undefined;
    return { id: entry.id, description: entry.description, path: entry.path, systemRoot: entry.systemRoot };
  } catch (error) {
    if (!isRehostError(error)) throw error;
    diagnostics.report({ severity: 'warning', code: 'WINDOWS_BCD', message: `${path}: ${error.message}`, path });
    return undefined;
  }
}

export async function readBoot(input: { fs: FileSystem; disk?: VolumeDiscovery; diagnostics: Diagnostics }): Promise<BootFacts> {
  const { disk, diagnostics } = input;
  const esp = disk?.volumes.find((v) => v.typeId?.toLowerCase() === ESP_TYPE || (v.typeId === '0xef'));
  if (esp !== undefined) {
    const facts: BootFacts = { firmware: 'uefi', bcdPath: `${esp.id}:/EFI/Microsoft/Boot/BCD` };
    try {
      const espFs = await openFileSystem(esp.device, { diagnostics });
      const entry = await bcdFrom(espFs, '/EFI/Microsoft/Boot/BCD', diagnostics);
      if (entry) facts.defaultEntry = entry;
    } catch (error) {
      if (!isRehostError(error)) throw error;
      diagnostics.report({ severity: 'info', code: 'WINDOWS_ESP_UNREADABLE', message: `the ESP (${esp.id}) cannot be read: ${error.message}` });
    }
    return facts;
  }
  const own = await bcdFrom(input.fs, '/Boot/BCD', diagnostics);
  if (own) return { firmware: 'bios', bcdPath: '/Boot/BCD', defaultEntry: own };
  for (const volume of disk?.volumes ?? []) {
    if (volume.filesystem.kind !== 'ntfs') continue;
    try {
      const fs = await openFileSystem(volume.device, { diagnostics, kind: 'ntfs' });
      const entry = await bcdFrom(fs, '/Boot/BCD', diagnostics);
      if (entry) return { firmware: 'bios', bcdPath: `${volume.id}:/Boot/BCD`, defaultEntry: entry };
    } catch (error) {
      if (!isRehostError(error)) throw error;
    }
  }
  return { firmware: disk?.table?.scheme === 'mbr' ? 'bios' : 'unknown' };
}
