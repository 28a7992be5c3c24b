// VirtualBox machine settings (.vbox, XML in the http://www.virtualbox.org/ namespace):
// <VirtualBox><Machine name OSType> with <MediaRegistry><HardDisks> (nested HardDisk elements
// form differencing chains: a child image's parent is the enclosing element), DVDImages and
// FloppyImages; the current state is Machine/Hardware (Snapshot/Hardware elements hold old
// states and are ignored). Hardware: Memory@RAMSize (MiB), CPU@count, Firmware@type (EFI*;
// under Platform/ in settings 1.20+), Network/Adapter (slot, enabled, MACAddress as 12 hex
// digits, type), StorageControllers/StorageController (name, type) with AttachedDevice (type,
// port, device, Image@uuid). Encryption: a disk carries Property CRYPT/KeyStore; a fully
// encrypted VM (VirtualBox 7) has <MachineEncrypted> instead of <Machine>.

import { CorruptError } from '../errors.js';
import { normaliseMac } from './mac.js';
import type { DiskBus, VmController, VmDescription, VmDisk, VmNic } from './types.js';
import { attr, child, children, integer, parseXml, type XmlNode } from './xml.js';

const ARRAYS = new Set(['HardDisk', 'Image', 'StorageController', 'AttachedDevice', 'Adapter', 'Property', 'Snapshot']);

/** Bound on differencing-chain depth and on the media registry size. */
export const MAX_VBOX_MEDIA = 10_000;
const MAX_CHAIN_DEPTH = 1000;

function controllerBus(type: string | undefined): DiskBus {
  switch ((type ?? '').toLowerCase()) {
    case 'piix3': case 'piix4': case 'ich6': return 'ide';
    case 'ahci': return 'sata';
    case 'lsilogic': case 'lsilogicsas': case 'buslogic': case 'virtioscsi': return 'scsi';
    case 'nvme': return 'nvme';
    case 'usb': return 'usb';
    case 'i82078': return 'fdc';
    default: return 'other';
  }
}

interface Medium { location: string; parent?: string; encrypted: boolean }

function collectMedia(registry: XmlNode | undefined): Map<string, Medium> {
  const media = new Map<string, Medium>();
  const norm = (uuid: string): string => uuid.replace(/[{}]/g, '').toLowerCase();
  // Iterative walk (no recursion on attacker-controlled depth), bounded by MAX_VBOX_MEDIA.
  const stack: { node: XmlNode; parent?: string; depth: number }[] = [];
  for (const group of ['HardDisks', 'DVDImages', 'FloppyImages']) {
    const list = child(registry, group);
    for (const tag of ['HardDisk', 'Image']) for (const node of children(list, tag)) stack.push({ node, depth: 0 });
  }
  while (stack.length > 0) {
    const { node, parent, depth } = stack.pop()!;
    if (media.size >= MAX_VBOX_MEDIA) throw new CorruptError(`VirtualBox media registry holds more than ${MAX_VBOX_MEDIA} images`, { structure: 'vbox MediaRegistry' });
    if (depth > MAX_CHAIN_DEPTH) throw new CorruptError('VirtualBox differencing chain too deep', { structure: 'vbox MediaRegistry' });
    const uuid = attr(node, 'uuid');
    if (uuid === undefined) continue;
    const id = norm(uuid);
    const encrypted = children(node, 'Property').some((p) => /^CRYPT\//.test(attr(p, 'name') ?? ''));
    media.set(id, { location: attr(node, 'location') ?? '', parent, encrypted });
    for (const sub of children(node, 'HardDisk')) stack.push({ node: sub, parent: id, depth: depth + 1 });
  }
  return media;
}

function chainOf(media: Map<string, Medium>, id: string): { chain: string[]; encrypted: boolean } {
  const chain: string[] = [];
  let encrypted = false;
  const seen = new Set<string>();
  for (let at: string | undefined = id; at !== undefined; at = media.get(at)?.parent) {
    if (seen.has(at)) throw new CorruptError('VirtualBox differencing chain loops', { structure: 'vbox MediaRegistry' });
    seen.add(at);
    const m = media.get(at);
    if (!m) break;
    chain.unshift(m.location);
    encrypted ||= m.encrypted;
  }
  return { chain, encrypted };
}

function networkOf(adapter: XmlNode): Pick<VmNic, 'network' | 'networkType'> {
  if (child(adapter, 'NAT') !== undefined) return { networkType: 'nat' };
  const bridged = child(adapter, 'BridgedInterface');
  if (bridged) return { network: attr(bridged, 'name'), networkType: 'bridge' };
  const hostOnly = child(adapter, 'HostOnlyInterface');
  if (hostOnly) return { network: attr(hostOnly, 'name'), networkType: 'host-only' };
  const internal = child(adapter, 'InternalNetwork');
  if (internal) return { network: attr(internal, 'name'), networkType: 'internal' };
  const natNetwork = child(adapter, 'NATNetwork');
  if (natNetwork) return { network: attr(natNetwork, 'name'), networkType: 'nat' };
  return {};
}

export function looksLikeVbox(text: string): boolean {
  return /<VirtualBox[\s>]/.test(text.slice(0, 65536));
}

export function describeVbox(xml: string): VmDescription {
  const doc = parseXml(xml, 'vbox file', ARRAYS);
  const root = child(doc, 'VirtualBox');
  if (!root) throw new CorruptError('VirtualBox settings file has no VirtualBox element', { structure: 'vbox file' });
  const notes: string[] = [];
  const encryptedMachine = child(root, 'MachineEncrypted');
  const machine = child(root, 'Machine');
  if (!machine) {
    if (encryptedMachine) {
      notes.push('fully encrypted VM (MachineEncrypted): the settings are sealed and were not decrypted');
      return { source: 'vbox', name: attr(encryptedMachine, 'name') ?? '', firmware: 'unknown', controllers: [], disks: [], nics: [], encrypted: true, notes };
    }
    throw new CorruptError('VirtualBox settings file has no Machine element', { structure: 'vbox file' });
  }
  const hardware = child(machine, 'Hardware');
  const media = collectMedia(child(machine, 'MediaRegistry'));

  const firmwareType = attr(child(hardware, 'Firmware'), 'type') ?? attr(child(child(hardware, 'Platform'), 'Firmware'), 'type');
  const firmware = /^efi/i.test(firmwareType ?? '') ? 'uefi' : 'bios';
  const secureBoot = firmware === 'uefi' && child(child(hardware, 'NVRAM'), 'SecureBoot') !== undefined
    ? attr(child(child(hardware, 'NVRAM'), 'SecureBoot'), 'enabled') === 'true'
    : undefined;

  const controllers: VmController[] = [];
  const disks: VmDisk[] = [];
  let encrypted = false;
  for (const sc of children(child(hardware, 'StorageControllers'), 'StorageController')) {
    const id = attr(sc, 'name') ?? `controller${controllers.length}`;
    const model = attr(sc, 'type');
    const bus = controllerBus(model);
    controllers.push({ id, bus, model });
    for (const ad of children(sc, 'AttachedDevice')) {
      const rawType = attr(ad, 'type');
      const port = integer(attr(ad, 'port')) ?? 0;
      const device = integer(attr(ad, 'device')) ?? 0;
      const uuid = attr(child(ad, 'Image'), 'uuid');
      const deviceType = rawType === 'HardDisk' ? 'disk' : rawType === 'DVD' ? 'cdrom' : rawType === 'Floppy' ? 'floppy' : 'other';
      const disk: VmDisk = { controller: id, bus, slot: bus === 'ide' ? port * 2 + device : port, unit: bus === 'ide' ? device : port, deviceType, rawType };
      if (uuid !== undefined) {
        const { chain, encrypted: enc } = chainOf(media, uuid.replace(/[{}]/g, '').toLowerCase());
        if (chain.length > 0) {
          disk.file = chain[chain.length - 1];
          if (chain.length > 1) disk.chain = chain;
        } else if (!/^\{?[0-9a-f-]+\}?$/i.test(uuid)) {
          disk.file = uuid;
        } else {
          notes.push(`attached image ${uuid} is not in this file's media registry (it may be in the global VirtualBox.xml)`);
        }
        if (enc) {
          disk.encrypted = true;
          encrypted = true;
        }
      }
      disks.push(disk);
    }
  }
  if (encrypted) notes.push('one or more disks are encrypted (CRYPT/KeyStore): their contents cannot be read without the password');

  const nics: VmNic[] = [];
  const adapters = children(child(hardware, 'Network'), 'Adapter').filter((a) => attr(a, 'enabled') === 'true');
  adapters.sort((a, b) => (integer(attr(a, 'slot')) ?? 0) - (integer(attr(b, 'slot')) ?? 0));
  for (const a of adapters) {
    nics.push({ model: (attr(a, 'type') ?? 'Am79C973').toLowerCase(), mac: normaliseMac(attr(a, 'MACAddress')), ...networkOf(a) });
  }

  return {
    source: 'vbox',
    name: attr(machine, 'name') ?? '',
    guestOs: attr(machine, 'OSType'),
    firmware,
    secureBoot,
    memoryMiB: integer(attr(child(hardware, 'Memory'), 'RAMSize')),
    cpus: integer(attr(child(hardware, 'CPU'), 'count')) ?? 1,
    controllers,
    disks,
    nics,
    encrypted: encrypted || undefined,
    notes,
  };
}
