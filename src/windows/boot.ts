// Boot firmware and the default BCD entry. UEFI when the disk has an EFI System Partition:
// its \EFI\Microsoft\Boot\BCD is read, and Windows Boot Manager and the fallback loaders in
// \EFI\Boot are hashed (the firmware of a new VM has no boot entry for Windows and starts the
// fallback loader, so whether it is bootmgfw.efi decides whether Windows starts); an ESP that
// cannot be read is a diagnostic. BIOS when a \Boot\BCD sits on an NTFS volume (the
// system-reserved partition or the Windows volume itself).

import { createHash } from 'node:crypto';
import type { Diagnostics } from '../diagnostics.js';
import { isRehostError } from '../errors.js';
import type { VolumeDiscovery } from '../fs/discover.js';
import { openFileSystem } from '../fs/open.js';
import type { FileSystem } from '../fs/types.js';
import { loadHive } from '../registry/index.js';
import { readBcdDefault } from './bcd.js';
import type { BootFacts, FileDigest } from './types.js';

const ESP_TYPE = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';

async function bcdFrom(fs: FileSystem, path: string, diagnostics: Diagnostics): Promise<BootFacts['defaultEntry'] | undefined> {
  try {
    if (!(await fs.exists(path))) return undefined;
    const { hive } = loadHive({ primary: await fs.readFile(path), diagnostics, label: 'BCD' });
    const entry = readBcdDefault({ hive, diagnostics });
    if (entry === undefined) return undefined;
    return { id: entry.id, description: entry.description, path: entry.path, systemRoot: entry.systemRoot, graphicsModeDisabled: entry.graphicsModeDisabled };
  } catch (error) {
    if (!isRehostError(error)) throw error;
    diagnostics.report({ severity: 'warning', code: 'WINDOWS_BCD', message: `${path}: ${error.message}`, path });
    return undefined;
  }
}

/** Loaders larger than this are not hashed (bootmgfw.efi is about 2 MB). */
const MAX_LOADER = 64 * 1024 * 1024;

async function digest(fs: FileSystem, path: string): Promise<FileDigest | undefined> {
  const stat = await fs.stat(path);
  if (stat.type !== 'file' || stat.size > MAX_LOADER) return undefined;
  return { sha256: createHash('sha256').update(await fs.readFile(path)).digest('hex'), size: stat.size };
}

async function espLoaders(args: { fs: FileSystem; volume: string }): Promise<NonNullable<BootFacts['esp']>> {
  const { fs } = args;
  const out: NonNullable<BootFacts['esp']> = { volume: args.volume, fallback: {} };
  if (await fs.exists('/EFI/Microsoft/Boot/bootmgfw.efi')) {
    const d = await digest(fs, '/EFI/Microsoft/Boot/bootmgfw.efi');
    if (d) out.bootmgfw = d;
  }
  if (await fs.exists('/EFI/Boot')) {
    for (const entry of await fs.readdir('/EFI/Boot')) {
      if (entry.type !== 'file' || !/^BOOT[A-Z0-9]+\.EFI$/i.test(entry.name)) continue;
      const d = await digest(fs, `/EFI/Boot/${entry.name}`);
      if (d) out.fallback[entry.name.toUpperCase()] = d;
    }
  }
  return out;
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
      facts.esp = await espLoaders({ fs: espFs, volume: esp.id });
      await espFs.close?.();
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
