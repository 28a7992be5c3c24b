// Boot facts: firmware (BIOS or UEFI) from the partition table (an EFI System Partition by GPT
// type or MBR type 0xEF; a BIOS boot partition for GRUB's core.img) and from what the guest
// installed (/boot/efi/EFI, grub's i386-pc vs x86_64-efi module directories); the boot loader
// found the way virt-v2v's Linux_bootloaders looks (first grub.cfg = grub2, else menu.lst /
// grub.conf = grub legacy), its entries, /etc/default/grub, and BLS entries.

import type { Diagnostics } from '../../diagnostics.js';
import { RehostError } from '../../errors.js';
import {
  parseBlsEntry,
  parseDefaultGrub,
  parseGrubCfg,
  parseGrubLegacy,
  parseGrubenv,
  type BootEntry,
  type DefaultGrub,
  type Grub2Config,
  type GrubLegacyConfig,
} from './bootloader.js';
import { classifyDevice, type DeviceNaming, type DeviceRef } from './device-names.js';
import type { GuestFs } from './guest-fs.js';
import { kernelVersionFromFileName } from './kernels.js';

export const ESP_GPT_TYPE = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
export const BIOS_BOOT_GPT_TYPE = '21686148-6449-6e6f-744e-656564454649';

/** What the caller knows about the disk's partitions (from discoverVolumes). */
export interface PartitionHint {
  id: string;
  typeId?: string;
  type?: string;
}

export interface BootFacts {
  firmware: 'bios' | 'uefi' | 'bios+uefi' | 'unknown';
  evidence: string[];
  espPartitions: string[];
  biosBootPartitions: string[];
  bootloader: 'grub2' | 'grub-legacy' | 'systemd-boot' | 'extlinux' | 'none';
  grub2: Grub2Config[];
  defaultGrub?: DefaultGrub;
  blsEntries: BootEntry[];
  grubLegacy?: GrubLegacyConfig;
  /** Every distinct root= form across all boot entries and /etc/default/grub. */
  rootNamings: DeviceNaming[];
  /** The entry grub boots without a key press, as far as the configuration tells. */
  defaultEntry?: { title: string; kernel?: string; kernelVersion?: string; selectedBy: string };
  /** grub's device.map ("(hd0) /dev/sda"), which virt-v2v rewrites on a bus change. */
  deviceMap?: { path: string; entries: Array<{ drive: string; device: DeviceRef }> };
}

/**
 * Picks the default entry the way grub reads `set default=`: a number indexes the top-level
 * menu (a submenu counts as one item; "1>2" is the third entry of the second item), anything
 * else matches an entry's title or BLS id (the entry file's name without .conf); `saved`
 * and `${saved_entry}` mean grubenv's saved_entry. BLS menus list newest version first, as
 * grub's blscfg sorts them. Falls back to the first entry.
 */
export function selectDefaultEntry(args: { entries: BootEntry[]; key?: string; savedEntry?: string }): { entry: BootEntry; selectedBy: string } | undefined {
  const { entries } = args;
  if (entries.length === 0) return undefined;
  let key = args.key?.replace(/^"(.*)"$/, '$1');
  let via = 'set default';
  if (key === undefined || key === '' || key === 'saved' || /\$\{?saved_entry\}?/.test(key)) {
    key = args.savedEntry;
    via = 'grubenv saved_entry';
  }
  if (key !== undefined && key !== '') {
    const items: BootEntry[][] = [];
    for (const entry of entries) {
      const top = entry.submenu?.[0];
      const last = items[items.length - 1];
      if (top !== undefined && last !== undefined && last[0]?.submenu?.[0] === top) last.push(entry);
      else items.push([entry]);
    }
    const path = /^(\d+)(?:>(\d+))?$/.exec(key);
    if (path !== null) {
      const item = items[Number(path[1])];
      const entry = item?.[path[2] === undefined ? 0 : Number(path[2])];
      if (entry !== undefined) return { entry, selectedBy: `${via} ${key}` };
    } else {
      const byName = entries.find((e) => e.title === key || (e.file !== undefined && e.file.replace(/^.*\//, '').replace(/\.conf$/, '') === key));
      if (byName !== undefined) return { entry: byName, selectedBy: `${via} ${key}` };
    }
  }
  return { entry: entries[0] as BootEntry, selectedBy: 'first entry' };
}

export function parseDeviceMap(text: string): Array<{ drive: string; device: DeviceRef }> {
  const out: Array<{ drive: string; device: DeviceRef }> = [];
  for (const line of text.split('\n')) {
    const match = /^\s*(\([^)]+\))\s+(\S+)/.exec(line);
    if (match !== null) out.push({ drive: match[1] as string, device: classifyDevice(match[2] as string) });
  }
  return out;
}

const GRUB2_CONFIGS = ['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg'];
const GRUB_LEGACY_CONFIGS = ['/boot/grub/menu.lst', '/boot/grub/grub.conf', '/etc/grub.conf'];

export async function inspectBoot(args: { guest: GuestFs; partitions?: PartitionHint[]; diagnostics: Diagnostics }): Promise<BootFacts> {
  const { guest, diagnostics } = args;
  const evidence: string[] = [];
  const espPartitions: string[] = [];
  const biosBootPartitions: string[] = [];
  for (const p of args.partitions ?? []) {
    const typeId = p.typeId?.toLowerCase();
    if (typeId === ESP_GPT_TYPE || typeId === '0xef') espPartitions.push(p.id);
    if (typeId === BIOS_BOOT_GPT_TYPE) biosBootPartitions.push(p.id);
  }
  if (espPartitions.length > 0) evidence.push(`ESP partition ${espPartitions.join(', ')}`);
  if (biosBootPartitions.length > 0) evidence.push(`BIOS boot partition ${biosBootPartitions.join(', ')}`);
  let uefi = espPartitions.length > 0;
  let bios = biosBootPartitions.length > 0;
  for (const dir of ['/boot/grub/i386-pc', '/boot/grub2/i386-pc']) {
    if (await guest.isDirectory(dir)) {
      bios = true;
      evidence.push(dir);
    }
  }
  for (const dir of ['/boot/grub/x86_64-efi', '/boot/grub2/x86_64-efi', '/boot/efi/EFI']) {
    if (await guest.isDirectory(dir)) {
      uefi = true;
      evidence.push(dir);
    }
  }
  const firmware: BootFacts['firmware'] = bios && uefi ? 'bios+uefi' : bios ? 'bios' : uefi ? 'uefi' : 'unknown';

  const grub2: Grub2Config[] = [];
  const cfgPaths = [...GRUB2_CONFIGS];
  for (const vendor of await guest.list('/boot/efi/EFI')) if (vendor.type === 'directory') cfgPaths.push(`/boot/efi/EFI/${vendor.name}/grub.cfg`);
  for (const path of cfgPaths) {
    const text = await guest.readText(path);
    if (text !== undefined) grub2.push(parseGrubCfg(text, path));
  }

  let defaultGrub: DefaultGrub | undefined;
  for (const path of ['/etc/default/grub', '/etc/sysconfig/grub']) {
    const text = await guest.readText(path);
    if (text !== undefined) {
      defaultGrub = parseDefaultGrub(text, path);
      break;
    }
  }

  const blsEntries: BootEntry[] = [];
  const grubenvText = (await guest.readText('/boot/grub2/grubenv')) ?? (await guest.readText('/boot/grub/grubenv'));
  const kernelopts = grubenvText === undefined ? undefined : parseGrubenv(grubenvText).get('kernelopts');
  for (const entry of await guest.list('/boot/loader/entries')) {
    if (!entry.name.endsWith('.conf')) continue;
    const path = `/boot/loader/entries/${entry.name}`;
    const text = await guest.readText(path);
    if (text !== undefined) blsEntries.push(parseBlsEntry({ text, file: path, ...(kernelopts !== undefined ? { kernelopts } : {}) }));
  }

  let grubLegacy: GrubLegacyConfig | undefined;
  if (grub2.length === 0) {
    for (const path of GRUB_LEGACY_CONFIGS) {
      const text = await guest.readText(path);
      if (text === undefined) continue;
      try {
        grubLegacy = parseGrubLegacy(text, path);
      } catch (error) {
        if (!(error instanceof RehostError)) throw error;
        diagnostics.report({ severity: 'warning', code: 'LINUX_GRUB_LEGACY', message: error.message, path });
      }
      break;
    }
  }

  let bootloader: BootFacts['bootloader'] = 'none';
  if (grub2.length > 0) bootloader = 'grub2';
  else if (grubLegacy !== undefined) bootloader = 'grub-legacy';
  else if ((await guest.exists('/boot/efi/loader/loader.conf')) || (await guest.exists('/boot/loader/loader.conf'))) bootloader = 'systemd-boot';
  else if ((await guest.exists('/boot/extlinux/extlinux.conf')) || (await guest.exists('/boot/syslinux/syslinux.cfg'))) bootloader = 'extlinux';

  const namings = new Set<DeviceNaming>();
  const entries = [...grub2.flatMap((c) => c.entries), ...blsEntries, ...(grubLegacy?.entries ?? [])];
  for (const entry of entries) if (entry.cmdline?.root !== undefined) namings.add(entry.cmdline.root.naming);
  for (const cmdline of [defaultGrub?.cmdlineLinux, defaultGrub?.cmdlineLinuxDefault]) if (cmdline?.root !== undefined) namings.add(cmdline.root.naming);

  const facts: BootFacts = { firmware, evidence, espPartitions, biosBootPartitions, bootloader, grub2, blsEntries, rootNamings: [...namings].sort() };
  const env = grubenvText === undefined ? undefined : parseGrubenv(grubenvText);
  const main = grub2.find((c) => c.configfile === undefined);
  const menu = main?.blscfg === true && blsEntries.length > 0 ? [...blsEntries].sort((a, b) => compareVersions(b.version ?? '', a.version ?? '')) : (main?.entries ?? grubLegacy?.entries ?? blsEntries);
  const legacyDefault = main === undefined && grubLegacy?.default !== undefined ? String(grubLegacy.default) : undefined;
  const picked = selectDefaultEntry({
    entries: menu,
    ...((main?.default ?? legacyDefault ?? defaultGrub?.default) !== undefined ? { key: (main?.default ?? legacyDefault ?? defaultGrub?.default) as string } : {}),
    ...(env?.get('saved_entry') !== undefined ? { savedEntry: env.get('saved_entry') as string } : {}),
  });
  if (picked !== undefined) {
    const kernelVersion = picked.entry.version ?? (picked.entry.kernel === undefined ? undefined : kernelVersionFromFileName(picked.entry.kernel.replace(/^.*\//, '')));
    facts.defaultEntry = {
      title: picked.entry.title,
      ...(picked.entry.kernel !== undefined ? { kernel: picked.entry.kernel } : {}),
      ...(kernelVersion !== undefined ? { kernelVersion } : {}),
      selectedBy: picked.selectedBy,
    };
  }
  for (const path of ['/boot/grub2/device.map', '/boot/grub/device.map']) {
    const text = await guest.readText(path);
    if (text === undefined) continue;
    facts.deviceMap = { path, entries: parseDeviceMap(text) };
    break;
  }
  if (defaultGrub !== undefined) facts.defaultGrub = defaultGrub;
  if (grubLegacy !== undefined) facts.grubLegacy = grubLegacy;
  return facts;
}

/** Orders version strings segment by segment, numbers numerically (enough for kernel versions). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.\-_+~]/);
  const pb = b.split(/[.\-_+~]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = /^\d+$/.test(x) ? Number(x) : undefined;
    const ny = /^\d+$/.test(y) ? Number(y) : undefined;
    const diff = nx !== undefined && ny !== undefined ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (diff !== 0) return diff;
  }
  return 0;
}
