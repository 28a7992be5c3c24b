// Module loading policy the guest applies at boot (modprobe.d(5)): `alias` lines (old
// `alias eth0 e1000` / `alias scsi_hostadapter mptspi` forms virt-v2v rewrites), `blacklist`
// (a blacklisted virtio driver is not autoloaded by alias), `install NAME /bin/false` (the
// stronger way to disable one), and `options`. Files: /etc/modprobe.d/*.conf,
// /usr/lib/modprobe.d, /lib/modprobe.d, plus the legacy /etc/modprobe.conf and
// /etc/modules.conf; later directories do not override here, every line is reported with its
// file. Also SUSE's /etc/sysconfig/kernel INITRD_MODULES / DOMU_INITRD_MODULES and Debian's
// /etc/modules (modules loaded at boot, one per line).

import type { GuestFs } from './guest-fs.js';
import { parseShellAssignments } from './release.js';

export interface ModprobeFacts {
  files: string[];
  aliases: Array<{ alias: string; module: string; file: string }>;
  blacklist: Array<{ module: string; file: string }>;
  install: Array<{ module: string; command: string; file: string }>;
  options: Array<{ module: string; options: string; file: string }>;
  /** /etc/modules and /etc/modules-load.d/*.conf. */
  loadAtBoot: Array<{ module: string; file: string }>;
  /** SUSE /etc/sysconfig/kernel. */
  sysconfigKernel?: { initrdModules: string[]; domuInitrdModules: string[] };
}

export type ModprobeLines = Pick<ModprobeFacts, 'aliases' | 'blacklist' | 'install' | 'options'>;

export function parseModprobeConf(text: string, file: string): ModprobeLines {
  const out: ModprobeLines = { aliases: [], blacklist: [], install: [], options: [] };
  // Backslash-newline joins lines (modprobe.d(5)).
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [command, name, ...rest] = line.split(/\s+/);
    if (name === undefined) continue;
    const norm = name.replace(/-/g, '_');
    if (command === 'alias' && rest[0] !== undefined) out.aliases.push({ alias: name, module: rest[0].replace(/-/g, '_'), file });
    else if (command === 'blacklist') out.blacklist.push({ module: norm, file });
    else if (command === 'install') out.install.push({ module: norm, command: rest.join(' '), file });
    else if (command === 'options') out.options.push({ module: norm, options: rest.join(' '), file });
  }
  return out;
}

export function parseModulesLoad(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/[#;].*/, '').trim())
    .filter((l) => l !== '')
    .map((l) => (l.split(/\s+/)[0] as string).replace(/-/g, '_'));
}

export async function readModprobe(guest: GuestFs): Promise<ModprobeFacts> {
  const facts: ModprobeFacts = { files: [], aliases: [], blacklist: [], install: [], options: [], loadAtBoot: [] };
  const confFiles: string[] = [];
  for (const dir of ['/usr/lib/modprobe.d', '/lib/modprobe.d', '/etc/modprobe.d']) {
    const real = await guest.resolve(dir);
    // /lib is a symlink to /usr/lib on merged-/usr systems: read the directory once.
    if (real === undefined || confFiles.some((f) => f.startsWith(`${real}/`))) continue;
    for (const entry of await guest.list(real)) if (entry.name.endsWith('.conf')) confFiles.push(`${real}/${entry.name}`);
  }
  for (const file of [...confFiles, '/etc/modprobe.conf', '/etc/modprobe.conf.local', '/etc/modules.conf']) {
    const text = await guest.readText(file);
    if (text === undefined) continue;
    facts.files.push(file);
    const lines = parseModprobeConf(text, file);
    facts.aliases.push(...lines.aliases);
    facts.blacklist.push(...lines.blacklist);
    facts.install.push(...lines.install);
    facts.options.push(...lines.options);
  }
  const loadFiles = ['/etc/modules', ...(await guest.list('/etc/modules-load.d')).filter((e) => e.name.endsWith('.conf')).map((e) => `/etc/modules-load.d/${e.name}`)];
  for (const file of loadFiles) {
    const text = await guest.readText(file);
    if (text === undefined) continue;
    for (const module of parseModulesLoad(text)) facts.loadAtBoot.push({ module, file });
  }
  const sysconfig = await guest.readText('/etc/sysconfig/kernel');
  if (sysconfig !== undefined) {
    const kv = parseShellAssignments(sysconfig);
    const words = (key: string): string[] => (kv.get(key) ?? '').split(/\s+/).filter((w) => w !== '');
    facts.sysconfigKernel = { initrdModules: words('INITRD_MODULES'), domuInitrdModules: words('DOMU_INITRD_MODULES') };
  }
  return facts;
}
