// From a disk's volumes to inspected Linux roots: every readable volume that looks like a
// root (several are possible: multi-boot, a rescue copy) is inspected with the other
// filesystems its /etc/fstab names mounted where it says (/boot, /boot/efi, /usr, /var…),
// as libguestfs's inspection mounts them. fstab specs are matched to volumes by filesystem
// UUID/LABEL, GPT PARTUUID/PARTLABEL, /dev/mapper/VG-LV and /dev/VG/LV names (device-mapper
// doubles a '-' inside VG and LV names), /dev/disk/by-* links, and /dev/sdXN-style paths by
// partition number (a guest disk seen alone is the first disk whatever its bus).

import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import { RehostError } from '../../errors.js';
import type { Volume } from '../../fs/discover.js';
import { openFileSystem } from '../../fs/open.js';
import type { FileSystem } from '../../fs/types.js';
import type { DeviceRef } from './device-names.js';
import { parseFstabLine, parseTable } from './fstab.js';
import { GuestFs } from './guest-fs.js';
import { inspectLinux, looksLikeLinuxRoot, type InspectLinuxOptions, type LinuxFacts } from './inspect.js';

export interface VolumeKey {
  id: string;
  fsUuid?: string;
  fsLabel?: string;
  partUuid?: string;
  partLabel?: string;
}

export interface LinuxRoot {
  /** The root's volume id ('p2', 'rl/root'). */
  root: string;
  /** Mountpoint → volume id for every fstab entry that was found and opened. */
  mounts: Record<string, string>;
  /** fstab mountpoints whose device matched no readable volume. */
  unresolved: string[];
  facts: LinuxFacts;
}

/** Unescapes a device-mapper LV name: 'vg--data-lv--home' → ['vg-data', 'lv-home']. */
export function splitMapperName(name: string): [string, string] | undefined {
  const match = /^((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(name);
  if (match === null) return undefined;
  return [(match[1] as string).replace(/--/g, '-'), (match[2] as string).replace(/--/g, '-')];
}

/** The volume an fstab/crypttab/cmdline device reference names, if any. */
export function matchVolume(ref: DeviceRef, volumes: VolumeKey[]): string | undefined {
  const value = ref.value ?? '';
  const lower = value.toLowerCase();
  const find = (test: (v: VolumeKey) => boolean): string | undefined => volumes.find(test)?.id;
  switch (ref.naming) {
    case 'uuid':
    case 'by-uuid':
      return find((v) => v.fsUuid?.toLowerCase() === lower);
    case 'label':
    case 'by-label':
      return find((v) => v.fsLabel === value);
    case 'partuuid':
    case 'by-partuuid':
      return find((v) => v.partUuid?.toLowerCase() === lower);
    case 'partlabel':
      return find((v) => v.partLabel === value);
    case 'mapper': {
      const parts = splitMapperName(value);
      return parts === undefined ? undefined : find((v) => v.id === `${parts[0]}/${parts[1]}`);
    }
    case 'lvm-path':
      return find((v) => v.id === value);
    case 'device-path': {
      const partition = /(?:[a-z]|\d+n\d+p|mmcblk\d+p|c\d+d\d+p)(\d+)$/.exec(value)?.[1];
      return partition === undefined ? undefined : find((v) => v.id === `p${partition}`);
    }
    default:
      return undefined;
  }
}

export async function inspectLinuxVolumes(
  args: { volumes: Volume[]; diagnostics?: Diagnostics } & Omit<InspectLinuxOptions, 'fs' | 'mounts' | 'partitions' | 'diagnostics'>,
): Promise<LinuxRoot[]> {
  const diagnostics = args.diagnostics ?? ignoreDiagnostics;
  const opened = new Map<string, FileSystem>();
  const keys: VolumeKey[] = [];
  try {
    for (const volume of args.volumes) {
      if (!volume.filesystem.readable || volume.filesystem.kind === 'lvm2-pv') continue;
      let fs: FileSystem;
      try {
        fs = await openFileSystem(volume.device, { diagnostics, kind: volume.filesystem.kind });
      } catch (error) {
        if (!(error instanceof RehostError)) throw error;
        diagnostics.report({ severity: 'warning', code: 'LINUX_VOLUME_UNREADABLE', message: `${volume.id}: ${error.message}` });
        continue;
      }
      opened.set(volume.id, fs);
      keys.push({
        id: volume.id,
        ...(fs.uuid !== undefined ? { fsUuid: fs.uuid } : {}),
        ...(fs.label !== undefined ? { fsLabel: fs.label } : {}),
        ...(volume.guid !== undefined ? { partUuid: volume.guid } : {}),
        ...(volume.name !== undefined ? { partLabel: volume.name } : {}),
      });
    }
    const roots: LinuxRoot[] = [];
    for (const [id, fs] of opened) {
      if (!(await looksLikeLinuxRoot(fs))) continue;
      const fstabText = await new GuestFs({ root: fs }).readText('/etc/fstab');
      const mounts: Record<string, FileSystem> = {};
      const mountIds: Record<string, string> = {};
      const unresolved: string[] = [];
      for (const entry of fstabText === undefined ? [] : parseTable(fstabText, parseFstabLine).entries) {
        if (!entry.mountpoint.startsWith('/') || entry.mountpoint === '/') continue;
        if (['swap', 'proc', 'sysfs', 'tmpfs', 'devpts', 'nfs', 'nfs4', 'cifs'].includes(entry.fstype)) continue;
        const target = matchVolume(entry.device, keys);
        const targetFs = target === undefined ? undefined : opened.get(target);
        if (target === undefined || targetFs === undefined || target === id) {
          unresolved.push(entry.mountpoint);
          continue;
        }
        mounts[entry.mountpoint] = targetFs;
        mountIds[entry.mountpoint] = target;
      }
      const { volumes: _volumes, diagnostics: _diagnostics, ...options } = args;
      const facts = await inspectLinux({
        ...options,
        fs,
        mounts,
        partitions: args.volumes.map((v) => ({ id: v.id, ...(v.typeId !== undefined ? { typeId: v.typeId } : {}), ...(v.type !== undefined ? { type: v.type } : {}) })),
        diagnostics,
      });
      roots.push({ root: id, mounts: mountIds, unresolved, facts });
    }
    return roots;
  } finally {
    for (const fs of opened.values()) await fs.close?.();
  }
}
