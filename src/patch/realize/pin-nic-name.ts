// Realizer for 'pin-nic-name': on new hardware an interface gets a new predictable name
// (ens160 → enp1s0) and a static configuration written for the old name is lost. A MAC→name
// binding keeps the name, either as a systemd.link(5) file ([Match] MACAddress=, [Link] Name=;
// udev's net_setup_link applies it when the device appears) or as a udev rule in the
// 70-persistent-net.rules style (NAME= set by a rule matching ATTR{address}). The interface
// facts parser (src/linux/facts/network-parsers.ts) reads both forms back as MacBindings.
// Precondition: the file is absent, or already holds exactly this content.

import { PreconditionError } from '../../errors.js';
import { sha256Hex } from '../hash.js';
import type { Patch } from '../types.js';
import { locate, stateOf } from './locate.js';
import type { Realizer } from './types.js';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
/** Interface names as the kernel accepts them (dev_valid_name): ≤ 15 bytes, no '/', ':' or whitespace. */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

export function nicPinContent(args: { name: string; mac: string; via: 'systemd-link' | 'udev-rule' }): string {
  const { name, mac, via } = args;
  if (via === 'systemd-link') {
    return `# Written by rehost: keep the name ${name} for the NIC with MAC ${mac} on new hardware.\n[Match]\nMACAddress=${mac}\n\n[Link]\nName=${name}\n`;
  }
  return `# Written by rehost: keep the name ${name} for the NIC with MAC ${mac} on new hardware.\nSUBSYSTEM=="net", ACTION=="add", ATTR{address}=="${mac}", NAME="${name}"\n`;
}

export const realizePinNicName: Realizer<'pin-nic-name'> = async ({ planned, guest }) => {
  const mac = planned.mac.trim().toLowerCase().replace(/-/g, ':');
  if (!MAC.test(mac)) throw new PreconditionError(`not a MAC address: ${JSON.stringify(planned.mac)}`, { kind: 'mac' });
  if (!IFNAME.test(planned.name)) throw new PreconditionError(`not an interface name rehost will write: ${JSON.stringify(planned.name)}`, { kind: 'interface' });
  const at = await locate({ guest, volume: planned.volume, path: planned.path });
  const content = new Uint8Array(Buffer.from(nicPinContent({ name: planned.name, mac, via: planned.via }), 'utf8'));
  const state = await stateOf(at);
  if (state !== 'absent' && state !== sha256Hex(content)) {
    throw new PreconditionError(`${planned.path} exists with other content (${state.slice(0, 19)}…); rehost will not overwrite it`, { path: planned.path, found: state, expected: 'absent' });
  }
  const patch: Patch = {
    kind: 'write-file',
    volume: at.volume,
    path: at.path,
    expect: 'absent',
    content,
    mode: 0o644,
    reason: `pin ${planned.name} to ${mac} (${planned.rule})`,
  };
  return [patch];
};
