// The lab guests of ../shared/guests/build-debian-guest.sh, built once and cached under
// .cache/linux-guest/<flavour>-<script hash>/ (a changed script means a new build). A build
// takes about 10 s with the shared rootfs cache warm, 75 s (initramfs-tools) to 3 min (dracut)
// cold. Returns the opened root filesystem with the partitions discoverVolumes saw.
// `source` picks the hypervisor the guest looks installed on: 'vmware' (default; host-only
// initramfs without virtio, open-vm-tools) or 'kvm' (distribution-default initramfs, virtio in).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverVolumes, type Volume } from '../../../src/fs/discover.js';
import { openFileSystem } from '../../../src/fs/open.js';
import type { FileSystem } from '../../../src/fs/types.js';
import { openImage } from '../../../src/image/open.js';
import { run } from '../../helpers/tools.js';

export const GUESTS = new URL('../../../../shared/guests/', import.meta.url).pathname;
const CACHE = new URL('../../../.cache/linux-guest/', import.meta.url).pathname;

export type GuestFlavour = 'initramfs-tools' | 'dracut';
export type GuestSource = 'vmware' | 'kvm';

export interface LabGuest {
  dir: string;
  disk: string;
  json: GuestJson;
}

export interface GuestJson {
  hostname: string;
  kernel: { version: string; package: string; module_extension: string };
  initramfs: { generator: string; compression: string; modules: string[]; module_count: number };
  disk: { fstab_root: string; partitions: Array<{ number: number; uuid?: string; label?: string }> };
  open_vm_tools: string | null;
}

export function labGuest(flavour: GuestFlavour, options: { source?: GuestSource } = {}): LabGuest {
  const source = options.source ?? 'vmware';
  const script = join(GUESTS, 'build-debian-guest.sh');
  const hash = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 16);
  const dir = join(CACHE, `${source}-${flavour === 'dracut' ? 'dracut' : 'itools'}-${hash}`);
  const disk = join(dir, 'disk.raw');
  if (!existsSync(join(dir, 'guest.json')) || !existsSync(disk)) {
    run(script, [dir, '--source', source, '--initramfs', flavour]);
  }
  return { dir, disk, json: JSON.parse(readFileSync(join(dir, 'guest.json'), 'utf8')) as GuestJson };
}

export async function openLabRoot(disk: string): Promise<{ fs: FileSystem; volumes: Volume[] }> {
  const image = await openImage(disk);
  const { volumes } = await discoverVolumes(image.device);
  const root = volumes.find((v) => v.filesystem.kind.startsWith('ext'));
  if (root === undefined) throw new Error(`no ext volume in ${disk}`);
  return { fs: await openFileSystem(root.device), volumes };
}
