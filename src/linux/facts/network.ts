// Collects the guest's network configuration from every place a distribution keeps it (see
// network-parsers.ts for the formats), the MAC→name bindings, and the naming scheme of each
// configured interface. A file that fails to parse becomes a diagnostic, not a failure.

import type { Diagnostics } from '../../diagnostics.js';
import { RehostError } from '../../errors.js';
import type { GuestFs } from './guest-fs.js';
import {
  namingScheme,
  parseIfcfg,
  parseInterfaces,
  parseNetplan,
  parseNetworkdNetwork,
  parseNmKeyfile,
  parseSystemdLink,
  parseUdevNetRules,
  type InterfaceConfig,
  type MacBinding,
  type NamingScheme,
} from './network-parsers.js';

export interface NetworkFacts {
  configs: InterfaceConfig[];
  macBindings: MacBinding[];
  /** Every interface name configured or bound, with its naming scheme. */
  interfaces: Array<{ name: string; scheme: NamingScheme }>;
  /** Which configuration systems have files in the guest. */
  managers: string[];
}

const MAX_INCLUDE_FILES = 256;

export async function inspectNetwork(args: { guest: GuestFs; diagnostics: Diagnostics }): Promise<NetworkFacts> {
  const { guest, diagnostics } = args;
  const configs: InterfaceConfig[] = [];
  const macBindings: MacBinding[] = [];
  const managers = new Set<string>();

  const guarded = async (file: string, action: (text: string) => void): Promise<void> => {
    const text = await guest.readText(file);
    if (text === undefined) return;
    try {
      action(text);
    } catch (error) {
      if (!(error instanceof RehostError)) throw error;
      diagnostics.report({ severity: 'warning', code: 'LINUX_NETWORK_CONFIG', message: `cannot parse ${file}: ${error.message}`, path: file });
    }
  };
  const filesIn = async (dir: string, pattern: RegExp): Promise<string[]> =>
    (await guest.list(dir)).filter((e) => e.type !== 'directory' && pattern.test(e.name)).map((e) => `${dir}/${e.name}`);

  for (const dir of ['/etc/sysconfig/network-scripts', '/etc/sysconfig/network']) {
    for (const file of await filesIn(dir, /^ifcfg-(?!lo$).+/)) {
      if (/\.(bak|orig|rpmnew|rpmsave)$|~$/.test(file)) continue;
      managers.add(dir.endsWith('network-scripts') ? 'initscripts' : 'wicked');
      await guarded(file, (text) => configs.push({ ...parseIfcfg(text, file), ...(dir.endsWith('/network') ? { source: 'wicked' as const } : {}) }));
    }
  }
  for (const dir of ['/etc/NetworkManager/system-connections', '/run/NetworkManager/system-connections']) {
    for (const file of await filesIn(dir, /\.nmconnection$|^[^.]+$/)) {
      managers.add('NetworkManager');
      await guarded(file, (text) => configs.push(parseNmKeyfile(text, file)));
    }
  }
  for (const dir of ['/lib/netplan', '/etc/netplan', '/run/netplan']) {
    for (const file of await filesIn(dir, /\.ya?ml$/)) {
      managers.add('netplan');
      await guarded(file, (text) => configs.push(...parseNetplan(text, file)));
    }
  }
  // ifupdown: follow `source` includes (globs only in their last component), bounded.
  const pending = ['/etc/network/interfaces'];
  const done = new Set<string>();
  while (pending.length > 0 && done.size < MAX_INCLUDE_FILES) {
    const file = pending.shift() as string;
    if (done.has(file)) continue;
    done.add(file);
    await guarded(file, (text) => {
      const parsed = parseInterfaces(text, file);
      if (parsed.configs.some((c) => c.method !== 'loopback')) managers.add('ifupdown');
      configs.push(...parsed.configs.filter((c) => c.method !== 'loopback'));
      for (const source of parsed.sources) pending.push(source.startsWith('/') ? source : `/etc/network/${source}`);
    });
    for (const glob of pending.filter((p) => p.includes('*'))) {
      pending.splice(pending.indexOf(glob), 1);
      const dir = glob.slice(0, glob.lastIndexOf('/'));
      const pattern = new RegExp('^' + glob.slice(glob.lastIndexOf('/') + 1).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[A-Za-z0-9_-]*') + '$');
      pending.push(...(await filesIn(dir, pattern)));
    }
  }
  for (const dir of ['/etc/systemd/network', '/run/systemd/network']) {
    for (const file of await filesIn(dir, /\.network$/)) {
      managers.add('systemd-networkd');
      await guarded(file, (text) => configs.push(parseNetworkdNetwork(text, file)));
    }
    for (const file of await filesIn(dir, /\.link$/)) {
      await guarded(file, (text) => {
        const binding = parseSystemdLink(text, file);
        if (binding !== undefined) macBindings.push(binding);
      });
    }
  }
  for (const file of await filesIn('/etc/udev/rules.d', /\.rules$/)) {
    await guarded(file, (text) => macBindings.push(...parseUdevNetRules(text, file)));
  }

  const names = new Set<string>();
  for (const config of configs) {
    for (const name of [config.name, config.setName]) if (name !== undefined && !/[*?[]/.test(name)) names.add(name);
  }
  for (const binding of macBindings) names.add(binding.name);
  const interfaces = [...names].sort().map((name) => ({ name, scheme: namingScheme(name) }));
  return { configs, macBindings, interfaces, managers: [...managers].sort() };
}
