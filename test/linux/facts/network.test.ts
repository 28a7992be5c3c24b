import { describe, expect, it } from 'vitest';
import { CorruptError } from '../../../src/errors.js';
import { DiagnosticLog } from '../../../src/diagnostics.js';
import { MemoryFileSystem } from '../../../src/fs/memory/index.js';
import {
  GuestFs,
  inspectNetwork,
  namingScheme,
  netmaskToPrefix,
  parseIfcfg,
  parseInterfaces,
  parseNetplan,
  parseNetworkdNetwork,
  parseNmKeyfile,
  parseSystemdLink,
  parseUdevNetRules,
  parseYaml,
} from '../../../src/linux/facts/index.js';

describe('YAML subset', () => {
  it('reads block and flow collections and scalars', () => {
    expect(
      parseYaml(`---
# comment
network:
  version: 2
  ethernets:
    ens192:
      addresses: [192.168.1.10/24, "10.0.0.1/8"]
      dhcp4: no
      nameservers: {addresses: [1.1.1.1, 8.8.8.8], search: []}
      routes:
        - to: default
          via: 192.168.1.1
        -
          to: 10.0.0.0/8
      'quoted key': 'it''s'
    list:
    - a
    - b # trailing
  empty:
  t: true
  n: ~
`),
    ).toEqual({
      network: {
        version: 2,
        ethernets: {
          ens192: {
            addresses: ['192.168.1.10/24', '10.0.0.1/8'],
            dhcp4: 'no',
            nameservers: { addresses: ['1.1.1.1', '8.8.8.8'], search: [] },
            routes: [{ to: 'default', via: '192.168.1.1' }, { to: '10.0.0.0/8' }],
            'quoted key': "it's",
          },
          list: ['a', 'b'],
        },
        empty: null,
        t: true,
        n: null,
      },
    });
    expect(parseYaml('')).toBeNull();
  });
  it('handles escapes, quoted comment marks, CRLF and tab separators', () => {
    expect(parseYaml('a: "x\\"y\\\\z\\n"\nb: "p # q" # c\r\nc:\t1\n')).toEqual({ a: 'x"y\\z\n', b: 'p # q', c: 1 });
  });
  it('rejects what it does not support or cannot read', () => {
    const bad = [
      'a: &anchor 1\nb: *anchor\n',
      'a: |\n  text\n',
      'a:\n\tb: 1\n',
      'a: 1\na: 2\n',
      'a: [1, 2\n',
      'a: 1\n   b: 2\n',
      '---\na: 1\n---\nb: 2\n',
      'just a scalar line\nand another\n',
      'a: "unterminated\n',
    ];
    for (const text of bad) expect(() => parseYaml(text), text).toThrow(CorruptError);
  });
  it('bounds nesting depth', () => {
    const deep = Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + '\n';
    expect(() => parseYaml(deep)).toThrow(/too deep/);
  });
});

describe('network formats', () => {
  it('netmask to prefix', () => {
    expect(netmaskToPrefix('255.255.255.0')).toBe(24);
    expect(netmaskToPrefix('255.255.254.0')).toBe(23);
    expect(netmaskToPrefix('0.0.0.0')).toBe(0);
    expect(netmaskToPrefix('255.0.255.0')).toBeUndefined();
    expect(netmaskToPrefix('300.0.0.0')).toBeUndefined();
  });
  it('ifcfg', () => {
    expect(parseIfcfg('TYPE=Ethernet\nBOOTPROTO=none\nDEVICE=ens192\nONBOOT=yes\nHWADDR=00:50:56:AB:CD:EF\nIPADDR=192.168.1.10\nNETMASK=255.255.255.0\nIPADDR1=10.1.1.1\nPREFIX1=8\nGATEWAY=192.168.1.1\nDNS1=1.1.1.1\n', '/etc/sysconfig/network-scripts/ifcfg-ens192')).toEqual({
      source: 'ifcfg',
      file: '/etc/sysconfig/network-scripts/ifcfg-ens192',
      name: 'ens192',
      mac: '00:50:56:ab:cd:ef',
      method: 'static',
      addresses: ['192.168.1.10/24', '10.1.1.1/8'],
      gateway: '192.168.1.1',
      dns: ['1.1.1.1'],
      onBoot: true,
      type: 'ethernet',
    });
    expect(parseIfcfg('BOOTPROTO=dhcp\n', '/x/ifcfg-eth0')).toMatchObject({ name: 'eth0', method: 'dhcp', addresses: [] });
  });
  it('NetworkManager keyfile', () => {
    const c = parseNmKeyfile('[connection]\nid=Wired\ntype=ethernet\ninterface-name=enp1s0\n\n[ethernet]\nmac-address=52:54:00:12:34:56\n\n[ipv4]\naddress1=192.168.122.10/24,192.168.122.1\ndns=8.8.8.8;1.1.1.1;\nmethod=manual\n', '/etc/NetworkManager/system-connections/Wired.nmconnection');
    expect(c).toMatchObject({ name: 'enp1s0', mac: '52:54:00:12:34:56', method: 'static', addresses: ['192.168.122.10/24'], gateway: '192.168.122.1', dns: ['8.8.8.8', '1.1.1.1'], type: 'ethernet' });
    expect(parseNmKeyfile('[connection]\nid=x\n[ipv4]\nmethod=auto\n', 'f').method).toBe('dhcp');
  });
  it('netplan', () => {
    const configs = parseNetplan('network:\n  version: 2\n  ethernets:\n    id0:\n      match:\n        macaddress: "00:50:56:01:02:03"\n      set-name: eth0\n      addresses:\n      - 10.0.0.5/24\n      routes:\n      - to: default\n        via: 10.0.0.1\n    ens33:\n      dhcp4: true\n', '/etc/netplan/50-cloud-init.yaml');
    expect(configs).toEqual([
      { source: 'netplan', file: '/etc/netplan/50-cloud-init.yaml', method: 'static', addresses: ['10.0.0.5/24'], dns: [], type: 'ethernet', mac: '00:50:56:01:02:03', setName: 'eth0', gateway: '10.0.0.1' },
      { source: 'netplan', file: '/etc/netplan/50-cloud-init.yaml', method: 'dhcp', addresses: [], dns: [], type: 'ethernet', name: 'ens33' },
    ]);
    expect(parseNetplan('something: else\n', 'f')).toEqual([]);
    expect(() => parseNetplan('network:\n  ethernets: &x\n', 'f')).toThrow(CorruptError);
  });
  it('/etc/network/interfaces', () => {
    const parsed = parseInterfaces('auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n\nallow-hotplug ens192\niface ens192 inet static\n    address 192.168.1.20\n    netmask 255.255.255.0\n    gateway 192.168.1.1\n    hwaddress ether 00:50:56:aa:bb:cc\n    dns-nameservers 1.1.1.1 9.9.9.9\niface ens192 inet6 auto\niface eth1 inet dhcp\n', '/etc/network/interfaces');
    expect(parsed.sources).toEqual(['/etc/network/interfaces.d/*']);
    expect(parsed.configs.map((c) => [c.name, c.method])).toEqual([
      ['lo', 'loopback'],
      ['ens192', 'static'],
      ['ens192', 'other'],
      ['eth1', 'dhcp'],
    ]);
    expect(parsed.configs[1]).toMatchObject({ addresses: ['192.168.1.20/24'], gateway: '192.168.1.1', mac: '00:50:56:aa:bb:cc', dns: ['1.1.1.1', '9.9.9.9'], onBoot: true });
  });
  it('systemd-networkd and .link files', () => {
    expect(parseNetworkdNetwork('[Match]\nName=ens*\n\n[Network]\nDHCP=ipv4\n', 'a.network')).toMatchObject({ name: 'ens*', method: 'dhcp' });
    expect(parseNetworkdNetwork('[Match]\nMACAddress=00:15:5d:00:00:01\n[Network]\nAddress=10.0.0.2/24\nGateway=10.0.0.1\nDNS=10.0.0.1\n[Address]\nAddress=10.0.1.2/24\n', 'b.network')).toMatchObject({
      mac: '00:15:5d:00:00:01',
      method: 'static',
      addresses: ['10.0.0.2/24', '10.0.1.2/24'],
      gateway: '10.0.0.1',
      dns: ['10.0.0.1'],
    });
    expect(parseSystemdLink('[Match]\nMACAddress=00:50:56:AA:BB:CC\n[Link]\nName=lan0\n', '10-lan.link')).toEqual({ source: 'systemd-link', file: '10-lan.link', mac: '00:50:56:aa:bb:cc', name: 'lan0' });
    expect(parseSystemdLink('[Link]\nNamePolicy=kernel\n', 'x.link')).toBeUndefined();
  });
  it('udev persistent-net rules', () => {
    const rules = parseUdevNetRules('# PCI device 0x15ad:0x07b0 (vmxnet3)\nSUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:50:56:9a:00:01", ATTR{dev_id}=="0x0", ATTR{type}=="1", KERNEL=="eth*", NAME="eth0"\nSUBSYSTEM=="block", NAME="x"\n', '/etc/udev/rules.d/70-persistent-net.rules');
    expect(rules).toEqual([{ source: 'udev', file: '/etc/udev/rules.d/70-persistent-net.rules', mac: '00:50:56:9a:00:01', name: 'eth0' }]);
  });
  it('naming schemes', () => {
    const cases: Record<string, string> = { eth0: 'kernel', ens192: 'predictable-slot', enp1s0: 'predictable-path', enP1p2s0: 'predictable-path', eno1: 'predictable-onboard', enx005056aabbcc: 'predictable-mac', em1: 'biosdevname', p1p1: 'biosdevname', lo: 'loopback', wlan0: 'wireless', bond0: 'virtual', 'eth0.100': 'virtual', lan0: 'custom' };
    for (const [name, scheme] of Object.entries(cases)) expect(namingScheme(name), name).toBe(scheme);
  });
});

describe('inspectNetwork over a guest tree', () => {
  it('collects every source, follows ifupdown includes, and reports bad files', async () => {
    const fs = await MemoryFileSystem.from({
      etc: {
        network: { interfaces: 'auto lo\niface lo inet loopback\nsource-directory interfaces.d\n', 'interfaces.d': { ens192: 'iface ens192 inet dhcp\n', 'bad.name': 'iface skipped inet dhcp\n' } },
        netplan: { '01.yaml': 'network:\n  ethernets:\n    eth0: {dhcp4: true}\n', '99-broken.yaml': 'network: [\n' },
        sysconfig: { 'network-scripts': { 'ifcfg-ens224': 'DEVICE=ens224\nBOOTPROTO=dhcp\n', 'ifcfg-lo': 'DEVICE=lo\n' } },
        udev: { 'rules.d': { '70-persistent-net.rules': 'SUBSYSTEM=="net", ATTR{address}=="00:0c:29:00:00:01", NAME="eth1"\n' } },
        systemd: { network: { '10-x.link': '[Match]\nMACAddress=00:0c:29:00:00:02\n[Link]\nName=lan9\n' } },
      },
    });
    const diagnostics = new DiagnosticLog();
    const facts = await inspectNetwork({ guest: new GuestFs({ root: fs }), diagnostics });
    expect(facts.configs.map((c) => `${c.source}:${c.name}`).sort()).toEqual(['ifcfg:ens224', 'ifupdown:ens192', 'netplan:eth0']);
    expect(facts.interfaces).toEqual([
      { name: 'ens192', scheme: 'predictable-slot' },
      { name: 'ens224', scheme: 'predictable-slot' },
      { name: 'eth0', scheme: 'kernel' },
      { name: 'eth1', scheme: 'kernel' },
      { name: 'lan9', scheme: 'custom' },
    ]);
    expect(facts.macBindings.map((b) => b.name)).toEqual(['lan9', 'eth1']);
    expect(facts.managers).toEqual(['ifupdown', 'initscripts', 'netplan']);
    expect(diagnostics.warnings().map((d) => d.path)).toEqual(['/etc/netplan/99-broken.yaml']);
  });
});
