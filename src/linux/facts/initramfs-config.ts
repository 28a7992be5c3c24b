// How the guest would rebuild its initramfs: dracut's configuration (dracut.conf(5):
// /etc/dracut.conf then /etc/dracut.conf.d/*.conf in lexical order, bash assignments such
// as hostonly="yes", add_drivers+=" virtio_blk ", force_drivers, omit_drivers, compress)
// and initramfs-tools' (initramfs.conf(5): MODULES=most|dep|netboot|list, COMPRESS=;
// /etc/initramfs-tools/modules: one module per line, with optional arguments; RESUME= in
// conf.d/resume, initramfs-tools(7)).

import { classifyDevice, type DeviceRef } from './device-names.js';
import type { GuestFs } from './guest-fs.js';
import { parseShellAssignments } from './release.js';

export interface DracutConfig {
  files: string[];
  hostonly?: boolean;
  hostonlyMode?: string;
  addDrivers: string[];
  forceDrivers: string[];
  omitDrivers: string[];
  addDracutModules: string[];
  omitDracutModules: string[];
  compress?: string;
}

export interface InitramfsToolsConfig {
  files: string[];
  modules?: string;
  compress?: string;
  /** RESUME= from conf.d/resume (Debian's installer writes the swap device there); the initramfs waits for it. */
  resume?: DeviceRef;
  /** Lines of /etc/initramfs-tools/modules (module name first). */
  extraModules: string[];
}

const LIST_KEYS: Record<string, keyof DracutConfig> = {
  add_drivers: 'addDrivers',
  force_drivers: 'forceDrivers',
  omit_drivers: 'omitDrivers',
  add_dracutmodules: 'addDracutModules',
  omit_dracutmodules: 'omitDracutModules',
};

/** Applies one dracut.conf text onto the accumulated config (`+=` appends, `=` replaces). */
export function applyDracutConf(config: DracutConfig, text: string): void {
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-z_]+)(\+?=)(.*)$/.exec(line);
    if (match === null) continue;
    const key = match[1] as string;
    const append = match[2] === '+=';
    const value = parseShellAssignments(`X=${match[3] as string}`).get('X') ?? '';
    const listKey = LIST_KEYS[key];
    if (listKey !== undefined) {
      const words = value.split(/\s+/).filter((w) => w !== '');
      const list = config[listKey] as string[];
      if (!append) list.length = 0;
      list.push(...words);
    } else if (key === 'hostonly') {
      config.hostonly = value === 'yes';
    } else if (key === 'hostonly_mode') {
      config.hostonlyMode = value;
    } else if (key === 'compress') {
      config.compress = value;
    }
  }
}

export async function readDracutConfig(guest: GuestFs): Promise<DracutConfig | undefined> {
  const config: DracutConfig = { files: [], addDrivers: [], forceDrivers: [], omitDrivers: [], addDracutModules: [], omitDracutModules: [] };
  // Distribution defaults first (/usr/lib/dracut/dracut.conf.d), then the admin's, as dracut does.
  const dirs = ['/usr/lib/dracut/dracut.conf.d', '/etc/dracut.conf.d'];
  const byName = new Map<string, string>();
  for (const dir of dirs) for (const e of await guest.list(dir)) if (e.name.endsWith('.conf')) byName.set(e.name, `${dir}/${e.name}`);
  const files = ['/etc/dracut.conf', ...[...byName.keys()].sort().map((n) => byName.get(n) as string)];
  for (const file of files) {
    const text = await guest.readText(file);
    if (text === undefined) continue;
    config.files.push(file);
    applyDracutConf(config, text);
  }
  return config.files.length === 0 ? undefined : config;
}

export function parseInitramfsToolsModules(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export async function readInitramfsToolsConfig(guest: GuestFs): Promise<InitramfsToolsConfig | undefined> {
  const config: InitramfsToolsConfig = { files: [], extraModules: [] };
  const confFiles = ['/etc/initramfs-tools/initramfs.conf', ...(await guest.list('/etc/initramfs-tools/conf.d')).map((e) => `/etc/initramfs-tools/conf.d/${e.name}`)];
  for (const file of confFiles) {
    const text = await guest.readText(file);
    if (text === undefined) continue;
    config.files.push(file);
    const kv = parseShellAssignments(text);
    if (kv.has('MODULES')) config.modules = kv.get('MODULES') as string;
    if (kv.has('COMPRESS')) config.compress = kv.get('COMPRESS') as string;
    const resume = kv.get('RESUME');
    if (resume !== undefined && resume !== '' && resume !== 'none') config.resume = classifyDevice(resume);
  }
  const modules = await guest.readText('/etc/initramfs-tools/modules');
  if (modules !== undefined) {
    config.files.push('/etc/initramfs-tools/modules');
    config.extraModules = parseInitramfsToolsModules(modules);
  }
  return config.files.length === 0 ? undefined : config;
}
