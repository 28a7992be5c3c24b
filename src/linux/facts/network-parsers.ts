// Pure parsers for every network configuration format a Linux guest may carry, each giving
// the same record: which interface (by name or by MAC), DHCP or static, addresses (CIDR),
// gateway, DNS. Formats:
// - ifcfg-* (RHEL/SUSE initscripts, nm-settings-ifcfg-rh(5)): shell KEY=value; DEVICE,
//   HWADDR/MACADDR, BOOTPROTO, IPADDR[n], PREFIX[n] or NETMASK[n], GATEWAY, DNS[n].
// - NetworkManager keyfiles (nm-settings-keyfile(5)): INI; [connection] id, interface-name;
//   [ethernet] mac-address; [ipv4] method, address1=ADDR/PLEN[,GW], gateway, dns=a;b;
// - netplan (netplan(5)): network.{ethernets,bonds,vlans,bridges}.<id> with match.macaddress,
//   match.name, set-name, dhcp4, addresses, gateway4, routes[to=default|0.0.0.0/0].via,
//   nameservers.addresses.
// - ifupdown /etc/network/interfaces (interfaces(5)): `iface NAME inet METHOD` stanzas with
//   address (CIDR or + netmask), gateway, hwaddress, dns-nameservers.
// - systemd-networkd .network (systemd.network(5)): [Match] Name=, MACAddress=; [Network]
//   DHCP=, Address=, Gateway=, DNS=; [Address] Address=. And .link files (systemd.link(5)):
//   [Match] MACAddress=, [Link] Name= — a MAC→name binding.
// - udev persistent-net rules: SUBSYSTEM=="net" … ATTR{address}=="MAC" … NAME="eth0".

import { parseShellAssignments } from './release.js';
import { parseYaml, type YamlValue } from './yaml-subset.js';

export type NetworkSource = 'ifcfg' | 'networkmanager' | 'netplan' | 'ifupdown' | 'networkd' | 'wicked';

export interface InterfaceConfig {
  source: NetworkSource;
  file: string;
  /** Interface name the config applies to (absent when it matches by MAC only). */
  name?: string;
  /** netplan set-name / .link Name=: the name the interface gets. */
  setName?: string;
  mac?: string;
  method: 'dhcp' | 'static' | 'manual' | 'loopback' | 'disabled' | 'auto' | 'other';
  addresses: string[];
  gateway?: string;
  dns: string[];
  onBoot?: boolean;
  /** Connection type where the format says it (ethernet, bond, vlan, bridge, wifi). */
  type?: string;
}

export interface MacBinding {
  source: 'udev' | 'systemd-link';
  file: string;
  mac: string;
  name: string;
}

export function netmaskToPrefix(mask: string): number | undefined {
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const bits = parts.reduce((acc, p) => acc * 256 + p, 0);
  let prefix = 0;
  while (prefix < 32 && (bits & (0x80000000 >>> prefix)) !== 0) prefix++;
  // A valid mask is ones then zeros only.
  const expected = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return bits === expected ? prefix : undefined;
}

function normalizeMac(mac: string): string {
  return mac.trim().toLowerCase().replace(/-/g, ':');
}

export function parseIfcfg(text: string, file: string): InterfaceConfig {
  const kv = parseShellAssignments(text);
  const bootproto = (kv.get('BOOTPROTO') ?? '').toLowerCase();
  const addresses: string[] = [];
  for (const suffix of ['', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
    const ip = kv.get(`IPADDR${suffix}`);
    if (ip === undefined || ip === '') continue;
    const prefix = kv.get(`PREFIX${suffix}`) ?? (kv.get(`NETMASK${suffix}`) !== undefined ? String(netmaskToPrefix(kv.get(`NETMASK${suffix}`) as string) ?? '') : '');
    addresses.push(ip.includes('/') || prefix === '' ? ip : `${ip}/${prefix}`);
  }
  const dns = ['DNS1', 'DNS2', 'DNS3'].map((k) => kv.get(k)).filter((v): v is string => v !== undefined && v !== '');
  const fromName = /ifcfg-(.+)$/.exec(file)?.[1];
  const name = kv.get('DEVICE') ?? kv.get('NAME') ?? fromName;
  const mac = kv.get('HWADDR') ?? kv.get('MACADDR');
  const method: InterfaceConfig['method'] =
    bootproto === 'dhcp' || bootproto === 'bootp' ? 'dhcp' : bootproto === 'static' || bootproto === 'none' || (bootproto === '' && addresses.length > 0) ? (addresses.length > 0 ? 'static' : 'manual') : name === 'lo' ? 'loopback' : 'other';
  const config: InterfaceConfig = { source: 'ifcfg', file, method, addresses, dns };
  if (name !== undefined) config.name = name;
  if (mac !== undefined && mac !== '') config.mac = normalizeMac(mac);
  const gateway = kv.get('GATEWAY');
  if (gateway !== undefined && gateway !== '') config.gateway = gateway;
  const onboot = kv.get('ONBOOT') ?? kv.get('STARTMODE');
  if (onboot !== undefined) config.onBoot = /^(yes|auto|onboot|hotplug)$/i.test(onboot);
  const type = kv.get('TYPE');
  if (type !== undefined) config.type = type.toLowerCase();
  return config;
}

/** Minimal INI: [section] then key=value; later duplicate keys win. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section !== null) {
      const name = section[1] as string;
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || current === undefined) continue;
    current.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return sections;
}

export function parseNmKeyfile(text: string, file: string): InterfaceConfig {
  const ini = parseIni(text);
  const connection = ini.get('connection') ?? new Map<string, string>();
  const ipv4 = ini.get('ipv4') ?? new Map<string, string>();
  const ethernet = ini.get('ethernet') ?? ini.get('802-3-ethernet') ?? new Map<string, string>();
  const addresses: string[] = [];
  let gateway = ipv4.get('gateway');
  const keys = [...ipv4.keys()].filter((k) => /^address(es)?\d*$/.test(k)).sort((a, b) => Number(a.replace(/\D/g, '') || 0) - Number(b.replace(/\D/g, '') || 0));
  for (const key of keys) {
    for (const item of (ipv4.get(key) as string).split(';').filter((s) => s !== '')) {
      const [address, gw] = item.split(',');
      if (address !== undefined && address !== '') addresses.push(address);
      if (gateway === undefined && gw !== undefined && gw !== '' && gw !== '0.0.0.0') gateway = gw;
    }
  }
  const rawMethod = ipv4.get('method') ?? 'auto';
  const method: InterfaceConfig['method'] = rawMethod === 'auto' ? 'dhcp' : rawMethod === 'manual' ? 'static' : rawMethod === 'disabled' ? 'disabled' : rawMethod === 'link-local' ? 'other' : 'other';
  const config: InterfaceConfig = { source: 'networkmanager', file, method, addresses, dns: (ipv4.get('dns') ?? '').split(/[;,]/).filter((s) => s !== '') };
  const name = connection.get('interface-name');
  if (name !== undefined && name !== '') config.name = name;
  const mac = ethernet.get('mac-address');
  if (mac !== undefined && mac !== '') config.mac = normalizeMac(mac);
  if (gateway !== undefined && gateway !== '') config.gateway = gateway;
  const type = connection.get('type');
  if (type !== undefined) config.type = type === '802-3-ethernet' ? 'ethernet' : type;
  const autoconnect = connection.get('autoconnect');
  if (autoconnect !== undefined) config.onBoot = autoconnect !== 'false';
  return config;
}

function asRecord(value: YamlValue | undefined): Record<string, YamlValue> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function asStrings(value: YamlValue | undefined): string[] {
  if (Array.isArray(value)) return value.filter((v) => typeof v === 'string' || typeof v === 'number').map(String);
  if (typeof value === 'string') return [value];
  return [];
}

function yamlTrue(value: YamlValue | undefined): boolean {
  return value === true || value === 'yes' || value === 'true' || value === 'on';
}

/** A netplan file's interfaces (every device class that can carry addresses). Throws CorruptError on bad YAML. */
export function parseNetplan(text: string, file: string): InterfaceConfig[] {
  const network = asRecord(asRecord(parseYaml(text, file))?.network);
  if (network === undefined) return [];
  const out: InterfaceConfig[] = [];
  for (const [kind, type] of [
    ['ethernets', 'ethernet'],
    ['bonds', 'bond'],
    ['bridges', 'bridge'],
    ['vlans', 'vlan'],
    ['wifis', 'wifi'],
  ] as const) {
    for (const [id, value] of Object.entries(asRecord(network[kind]) ?? {})) {
      const device = asRecord(value) ?? {};
      const match = asRecord(device.match);
      const addresses = asStrings(device.addresses);
      const dhcp = yamlTrue(device.dhcp4) || yamlTrue(device.dhcp6);
      const config: InterfaceConfig = {
        source: 'netplan',
        file,
        method: dhcp ? 'dhcp' : addresses.length > 0 ? 'static' : 'manual',
        addresses,
        dns: asStrings(asRecord(device.nameservers)?.addresses),
        type,
      };
      // With a match block, the id is only a label; the matched name (a glob) or MAC decides.
      const matchName = match?.name;
      if (match === undefined) config.name = id;
      else if (typeof matchName === 'string') config.name = matchName;
      if (typeof match?.macaddress === 'string') config.mac = normalizeMac(match.macaddress);
      if (typeof device['set-name'] === 'string') config.setName = device['set-name'];
      if (typeof device.gateway4 === 'string') config.gateway = device.gateway4;
      for (const route of Array.isArray(device.routes) ? device.routes : []) {
        const r = asRecord(route);
        if (config.gateway === undefined && r !== undefined && (r.to === 'default' || r.to === '0.0.0.0/0') && typeof r.via === 'string') config.gateway = r.via;
      }
      out.push(config);
    }
  }
  return out;
}

/** /etc/network/interfaces; `source` lines are returned so the caller can follow them. */
export function parseInterfaces(text: string, file: string): { configs: InterfaceConfig[]; sources: string[]; auto: string[] } {
  const configs: InterfaceConfig[] = [];
  const sources: string[] = [];
  const auto: string[] = [];
  let current: InterfaceConfig | undefined;
  let netmask: string | undefined;
  const finish = (): void => {
    if (current !== undefined && netmask !== undefined && current.addresses.length > 0 && !(current.addresses[0] as string).includes('/')) {
      const prefix = netmaskToPrefix(netmask);
      if (prefix !== undefined) current.addresses[0] = `${current.addresses[0] as string}/${prefix}`;
    }
    netmask = undefined;
  };
  // Backslash-newline continues a line (interfaces(5)).
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const key = words[0] as string;
    if (key === 'iface') {
      finish();
      const [, name, family, method] = words;
      if (family !== 'inet' && family !== 'inet6') {
        current = undefined;
        continue;
      }
      current = {
        source: 'ifupdown',
        file,
        ...(name !== undefined ? { name } : {}),
        method: method === 'dhcp' ? 'dhcp' : method === 'static' ? 'static' : method === 'manual' ? 'manual' : method === 'loopback' ? 'loopback' : 'other',
        addresses: [],
        dns: [],
      };
      configs.push(current);
    } else if (key === 'auto' || key.startsWith('allow-')) {
      finish();
      current = undefined;
      auto.push(...words.slice(1));
    } else if (key === 'source' || key === 'source-directory') {
      finish();
      current = undefined;
      sources.push(...words.slice(1).map((w) => (key === 'source-directory' ? `${w}/*` : w)));
    } else if (key === 'mapping') {
      finish();
      current = undefined;
    } else if (current !== undefined) {
      const value = words.slice(1).join(' ');
      if (key === 'address') current.addresses.push(value);
      else if (key === 'netmask') netmask = value;
      else if (key === 'gateway') current.gateway = value;
      else if (key === 'hwaddress') current.mac = normalizeMac(words[words.length - 1] as string);
      else if (key === 'dns-nameservers') current.dns.push(...words.slice(1));
    }
  }
  finish();
  for (const config of configs) if (config.name !== undefined && auto.includes(config.name)) config.onBoot = true;
  return { configs, sources, auto };
}

export function parseNetworkdNetwork(text: string, file: string): InterfaceConfig {
  const ini = parseIni(text);
  const match = ini.get('Match') ?? new Map<string, string>();
  const network = ini.get('Network') ?? new Map<string, string>();
  const addresses = [...(network.get('Address') ?? '').split(/\s+/), ...(ini.get('Address')?.get('Address') ?? '').split(/\s+/)].filter((a) => a !== '');
  const dhcp = (network.get('DHCP') ?? 'no').toLowerCase();
  const config: InterfaceConfig = {
    source: 'networkd',
    file,
    method: ['yes', 'ipv4', 'true', 'both', 'v4'].includes(dhcp) ? 'dhcp' : addresses.length > 0 ? 'static' : 'manual',
    addresses,
    dns: (network.get('DNS') ?? '').split(/\s+/).filter((d) => d !== ''),
  };
  const name = match.get('Name');
  if (name !== undefined && name !== '') config.name = name;
  const mac = match.get('MACAddress') ?? match.get('PermanentMACAddress');
  if (mac !== undefined && mac !== '') config.mac = normalizeMac(mac.split(/\s+/)[0] as string);
  const gateway = network.get('Gateway') ?? ini.get('Route')?.get('Gateway');
  if (gateway !== undefined && gateway !== '') config.gateway = gateway;
  return config;
}

export function parseSystemdLink(text: string, file: string): MacBinding | undefined {
  const ini = parseIni(text);
  const mac = ini.get('Match')?.get('MACAddress') ?? ini.get('Match')?.get('PermanentMACAddress');
  const name = ini.get('Link')?.get('Name');
  if (mac === undefined || name === undefined || mac === '' || name === '') return undefined;
  return { source: 'systemd-link', file, mac: normalizeMac(mac.split(/\s+/)[0] as string), name };
}

/** udev rules that pin a name to a MAC (70-persistent-net.rules and hand-written ones). */
export function parseUdevNetRules(text: string, file: string): MacBinding[] {
  const out: MacBinding[] = [];
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || !/SUBSYSTEM=="net"/.test(line)) continue;
    const mac = /ATTRS?\{address\}=="([^"]+)"/.exec(line)?.[1];
    const name = /(?:^|[\s,])NAME:?="([^"]+)"/.exec(line)?.[1];
    if (mac !== undefined && name !== undefined) out.push({ source: 'udev', file, mac: normalizeMac(mac), name });
  }
  return out;
}

export type NamingScheme = 'kernel' | 'predictable-slot' | 'predictable-path' | 'predictable-onboard' | 'predictable-mac' | 'biosdevname' | 'xen' | 'loopback' | 'wireless' | 'virtual' | 'custom';

/** The naming scheme an interface name belongs to (systemd.net-naming-scheme(7), biosdevname(1)). */
export function namingScheme(name: string): NamingScheme {
  if (name === 'lo') return 'loopback';
  if (/^eth\d+$/.test(name)) return 'kernel';
  if (/^en(P\d+)?p\d+s\d+/.test(name)) return 'predictable-path';
  if (/^en(P\d+)?s\d+/.test(name)) return 'predictable-slot';
  if (/^eno\d+/.test(name)) return 'predictable-onboard';
  if (/^enx[0-9a-f]{12}$/.test(name)) return 'predictable-mac';
  if (/^(em\d+|p\d+p\d+)/.test(name)) return 'biosdevname';
  if (/^(xenbr|vif)\d+/.test(name)) return 'xen';
  if (/^(wl|wlan)/.test(name)) return 'wireless';
  if (/^(bond|br|vlan|virbr|docker|veth|team|tun|tap)/.test(name) || name.includes('.')) return 'virtual';
  return 'custom';
}
