// Guest tools per hypervisor: matches the installed package list and marker paths against
// GUEST_TOOL_PATTERNS (data), and reads cloud-init's datasource choice: `datasource_list:`
// in /etc/cloud/cloud.cfg and /etc/cloud/cloud.cfg.d/*.cfg (cloud-init docs, "datasources";
// the last file in lexical order wins, as cloud-init merges them). Flow lists
// ([ NoCloud, None ]) and block lists are both read; ds-identify's policy is not evaluated.

import type { GuestFs } from './guest-fs.js';
import { GUEST_TOOL_PATTERNS, type GuestToolPattern } from './guest-tools-data.js';
import type { InstalledPackage } from './packages.js';

export interface GuestToolFacts {
  id: string;
  hypervisor: GuestToolPattern['hypervisor'];
  name: string;
  /** What matched: "package:open-vm-tools 2:12.2.0-1", "path:/etc/vmware-tools/locations". */
  evidence: string[];
  version?: string;
}

export interface CloudInitFacts {
  installed: boolean;
  datasources?: string[];
  /** Files that set datasource_list, in the order read. */
  sources: string[];
  disabled: boolean;
}

export async function detectGuestTools(args: { guest: GuestFs; packages: InstalledPackage[]; patterns?: GuestToolPattern[] }): Promise<GuestToolFacts[]> {
  const byName = new Map<string, InstalledPackage>();
  for (const pkg of args.packages) if (pkg.status === undefined || pkg.status === 'installed') byName.set(pkg.name, pkg);
  const out: GuestToolFacts[] = [];
  for (const pattern of args.patterns ?? GUEST_TOOL_PATTERNS) {
    const evidence: string[] = [];
    let version: string | undefined;
    for (const name of pattern.packages) {
      const pkg = byName.get(name);
      if (pkg === undefined) continue;
      const full = `${pkg.epoch !== undefined ? `${pkg.epoch}:` : ''}${pkg.version}${pkg.release !== undefined ? `-${pkg.release}` : ''}`;
      evidence.push(`package:${name} ${full}`);
      version ??= full;
    }
    for (const path of pattern.paths) if (await args.guest.exists(path)) evidence.push(`path:${path}`);
    if (evidence.length === 0) continue;
    out.push({ id: pattern.id, hypervisor: pattern.hypervisor, name: pattern.name, evidence, ...(version !== undefined ? { version } : {}) });
  }
  return out;
}

/** The value of a top-level `datasource_list:` key in a cloud.cfg text, or undefined. */
export function parseDatasourceList(text: string): string[] | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^datasource_list\s*:\s*(.*?)\s*(?:#.*)?$/.exec(lines[i] as string);
    if (match === null) continue;
    const inline = match[1] as string;
    if (inline.startsWith('[')) {
      const close = inline.indexOf(']');
      return inline
        .slice(1, close < 0 ? undefined : close)
        .split(',')
        .map((s) => s.trim().replace(/^['"]|['"]$/g, ''))
        .filter((s) => s !== '');
    }
    const items: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const item = /^\s*-\s*(.+?)\s*$/.exec(lines[j] as string);
      if (item === null) break;
      items.push((item[1] as string).replace(/^['"]|['"]$/g, ''));
    }
    return items;
  }
  return undefined;
}

export async function inspectCloudInit(guest: GuestFs, tools: GuestToolFacts[]): Promise<CloudInitFacts> {
  const facts: CloudInitFacts = { installed: tools.some((t) => t.id === 'cloud-init'), sources: [], disabled: await guest.exists('/etc/cloud/cloud-init.disabled') };
  const files = ['/etc/cloud/cloud.cfg', ...(await guest.list('/etc/cloud/cloud.cfg.d')).filter((e) => e.name.endsWith('.cfg')).map((e) => `/etc/cloud/cloud.cfg.d/${e.name}`)];
  for (const file of files) {
    const text = await guest.readText(file);
    if (text === undefined) continue;
    const list = parseDatasourceList(text);
    if (list === undefined) continue;
    facts.datasources = list;
    facts.sources.push(file);
  }
  return facts;
}
