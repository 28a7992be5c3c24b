// Opens the reader for a volume by what identifyVolume found. Readers load lazily, so a
// command that only touches NTFS never starts the ext WebAssembly module.

import type { BlockDevice } from '../io/block-device.js';
import { ignoreDiagnostics, type Diagnostics } from '../diagnostics.js';
import { UnsupportedError, NotFoundError } from '../errors.js';
import type { FileSystem } from './types.js';
import type { Volume } from './discover.js';
import { identifyVolume } from './identify.js';

export async function openFileSystem(device: BlockDevice, options: { diagnostics?: Diagnostics; kind?: string } = {}): Promise<FileSystem> {
  const diagnostics = options.diagnostics ?? ignoreDiagnostics;
  const identity = options.kind !== undefined ? { kind: options.kind, readable: true, encrypted: false } : await identifyVolume(device);
  switch (identity.kind) {
    case 'ntfs': {
      const { openNtfs } = await import('./ntfs/index.js');
      return openNtfs(device, { diagnostics });
    }
    case 'ext2':
    case 'ext3':
    case 'ext4': {
      const { openExt } = await import('./ext/index.js');
      return openExt(device, { diagnostics });
    }
    case 'vfat': {
      const { openFat } = await import('./fat/index.js');
      return openFat(device, { diagnostics });
    }
    case 'iso9660': {
      const { openIso9660 } = await import('./iso9660/index.js');
      return openIso9660(device, { diagnostics });
    }
    default:
      throw new UnsupportedError(
        identity.encrypted ? `the volume is encrypted (${identity.kind}); rehost cannot read it without its key` : `no reader for a ${identity.kind} volume`,
        { kind: identity.kind },
      );
  }
}

/**
 * Picks the volume a command means: the one named (`p2`, `2`, `VG/LV`), else the only
 * readable filesystem, else the first one that holds an operating system
 * (/Windows/System32/config or /etc with /bin or /usr), else the first readable one.
 */
export async function chooseVolume(volumes: Volume[], options: { select?: string; diagnostics?: Diagnostics } = {}): Promise<Volume> {
  if (options.select !== undefined) {
    const want = /^\d+$/.test(options.select) ? `p${options.select}` : options.select;
    const hit = volumes.find((v) => v.id === want || v.id.toLowerCase() === want.toLowerCase());
    if (!hit) throw new NotFoundError(`no volume ${options.select}; volumes: ${volumes.map((v) => v.id).join(', ') || '(none)'}`, { kind: 'partition' });
    return hit;
  }
  const readable = volumes.filter((v) => v.filesystem.readable && v.filesystem.kind !== 'lvm2-pv');
  if (readable.length === 0) throw new NotFoundError('no readable filesystem on this disk', { kind: 'partition' });
  if (readable.length === 1) return readable[0] as Volume;
  for (const volume of readable) {
    try {
      const fs = await openFileSystem(volume.device, { diagnostics: options.diagnostics ?? ignoreDiagnostics, kind: volume.filesystem.kind });
      const isOs = (await fs.exists('/Windows/System32/config')) || ((await fs.exists('/etc')) && ((await fs.exists('/usr')) || (await fs.exists('/bin'))));
      await fs.close?.();
      if (isOs) return volume;
    } catch {
      // An unreadable candidate is not the OS volume; keep looking.
    }
  }
  return readable[0] as Volume;
}
