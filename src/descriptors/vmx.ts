// VMware .vmx configuration files: `key = "value"` lines (keys case-insensitive, `#` comments,
// values in double quotes with `|XX` hex escapes for special characters). Device naming:
// scsiN / sataN / nvmeN / ideN controllers with `.present` and `.virtualDev`; disks at
// `<ctl>N:M.fileName` with `.deviceType` (scsi-hardDisk, ata-hardDisk, cdrom-image, cdrom-raw…)
// and `.present`; NICs at ethernetN with virtualDev, generatedAddress / address (addressType
// static), networkName and connectionType. `firmware = "efi"` selects UEFI and
// `uefi.secureBoot.enabled` Secure Boot. An encrypted VM keeps its real configuration in
// `encryption.data` (sealed by `encryption.keySafe`); only a few keys stay in the clear.
// The VM Generation ID is split over vm.genid (low 64 bits) and vm.genidX (high), signed
// decimal, and is assembled into a UUID in the byte order virt-v2v documents
// (docs/vm-generation-id-across-hypervisors.txt).

import { CorruptError } from '../errors.js';
import { normaliseMac } from './mac.js';
import { MAX_DESCRIPTOR_BYTES, type DiskBus, type VmController, type VmDescription, type VmDisk, type VmNic } from './types.js';

/** Bound on the number of lines, so a hostile file cannot make an enormous map. */
export const MAX_VMX_LINES = 200_000;

/** Parses .vmx text into a map keyed by the lower-cased key. Later duplicates win, as in VMware. */
export function parseVmx(text: string): Map<string, string> {
  if (text.length > MAX_DESCRIPTOR_BYTES) throw new CorruptError(`vmx file of ${text.length} characters is too large`, { structure: 'vmx file' });
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_VMX_LINES) throw new CorruptError(`vmx file has ${lines.length} lines (limit ${MAX_VMX_LINES})`, { structure: 'vmx file' });
  const out = new Map<string, string>();
  let offset = 0;
  for (const raw of lines) {
    const lineOffset = offset;
    offset += raw.length + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new CorruptError(`vmx line without "key = value": ${JSON.stringify(line.slice(0, 60))}`, { structure: 'vmx line', offset: lineOffset });
    const key = line.slice(0, eq).trim().toLowerCase();
    if (!/^[a-z0-9_.:\-[\]]+$/i.test(key)) throw new CorruptError(`vmx key ${JSON.stringify(key.slice(0, 60))} has unexpected characters`, { structure: 'vmx line', offset: lineOffset });
    let value = line.slice(eq + 1).trim();
    if (value.startsWith('"')) {
      const end = value.lastIndexOf('"');
      if (end <= 0) throw new CorruptError('vmx value has no closing quote', { structure: 'vmx line', offset: lineOffset });
      value = value.slice(1, end);
    }
    out.set(key, value.replace(/\|([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))));
  }
  return out;
}

/** True when the text looks like a .vmx file (used by descriptor detection). */
export function looksLikeVmx(text: string): boolean {
  const head = text.slice(0, 65536);
  return /^\s*(\.encoding|config\.version|virtualhw\.version|displayname|guestos|memsize|encryption\.keysafe)\s*=\s*"/im.test(head);
}

const isTrue = (v: string | undefined): boolean => v !== undefined && /^(true|yes|1)$/i.test(v);
const isFalse = (v: string | undefined): boolean => v !== undefined && /^(false|no|0)$/i.test(v);

function int(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d{1,15}$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

function int64Hex(v: string | undefined): string | undefined {
  if (v === undefined || !/^-?\d{1,20}$/.test(v.trim())) return undefined;
  const n = BigInt(v.trim());
  if (n < -(1n << 63n) || n >= 1n << 64n) return undefined;
  return BigInt.asUintN(64, n).toString(16).padStart(16, '0');
}

/** The VM Generation ID UUID from vm.genid (low) and vm.genidX (high), or undefined. */
export function vmxGenid(low: string | undefined, high: string | undefined): string | undefined {
  const lo = int64Hex(low);
  const hi = int64Hex(high);
  if (lo === undefined || hi === undefined) return undefined;
  const s = lo + hi;
  const sub = (at: number, len: number): string => s.slice(at, at + len);
  return `${sub(8, 8)}-${sub(4, 4)}-${sub(0, 4)}-${sub(30, 2)}${sub(28, 2)}-${sub(26, 2)}${sub(24, 2)}${sub(22, 2)}${sub(20, 2)}${sub(18, 2)}${sub(16, 2)}`;
}

const BUS_ORDER: DiskBus[] = ['scsi', 'sata', 'ide', 'nvme'];

function diskKind(bus: DiskBus, deviceType: string | undefined, file: string | undefined): VmDisk['deviceType'] {
  const t = deviceType?.toLowerCase();
  if (t === undefined) {
    // No deviceType: SCSI/SATA/NVMe default to a hard disk; for IDE guess from the file.
    if (bus === 'ide' && file !== undefined && /\.iso$/i.test(file)) return 'cdrom';
    return 'disk';
  }
  if (['disk', 'plaindisk', 'rawdisk', 'scsi-harddisk', 'ata-harddisk', 'sata-harddisk', 'nvme-harddisk'].includes(t)) return 'disk';
  if (t.startsWith('cdrom') || t === 'atapi-cdrom') return 'cdrom';
  return 'other';
}

/** Describes a parsed .vmx. `fileName` names the VM when displayName is missing. */
export function describeVmx(text: string, options: { fileName?: string } = {}): VmDescription {
  const vmx = parseVmx(text);
  const get = (key: string): string | undefined => vmx.get(key.toLowerCase());
  const notes: string[] = [];
  const fallbackName = options.fileName?.replace(/^.*[\\/]/, '').replace(/\.vmx$/i, '') ?? '';
  const name = get('displayName') ?? fallbackName;
  if (get('displayName') === undefined) notes.push('no displayName; the name comes from the file name');

  if (get('encryption.keySafe') !== undefined || get('encryption.data') !== undefined) {
    notes.push('encrypted VM: the hardware configuration is sealed in encryption.data (keySafe) and was not decrypted');
    return { source: 'vmx', name, guestOs: get('guestOS'), firmware: 'unknown', controllers: [], disks: [], nics: [], encrypted: true, notes };
  }

  const fw = get('firmware')?.toLowerCase();
  const firmware = fw === 'efi' ? 'uefi' : 'bios';
  if (fw !== undefined && fw !== 'efi' && fw !== 'bios') notes.push(`unknown firmware value "${fw}", taken as BIOS`);
  const secureBoot = firmware === 'uefi' ? isTrue(get('uefi.secureBoot.enabled')) : false;

  const controllers: VmController[] = [];
  const disks: (VmDisk & { order: number })[] = [];
  const nics: (VmNic & { port: number })[] = [];
  const seenControllers = new Set<string>();
  const addController = (id: string, bus: DiskBus): void => {
    if (seenControllers.has(id)) return;
    seenControllers.add(id);
    controllers.push({ id, bus, model: get(`${id}.virtualDev`) ?? (bus === 'sata' ? 'ahci' : bus === 'nvme' ? 'nvme' : bus === 'ide' ? 'ide' : undefined) });
  };

  for (const key of vmx.keys()) {
    const ctl = /^(scsi|sata|nvme|ide)(\d{1,3})\.present$/.exec(key);
    if (ctl && isTrue(vmx.get(key))) addController(`${ctl[1]}${ctl[2]}`, ctl[1] as DiskBus);
  }
  const slotKeys = new Set<string>();
  for (const key of vmx.keys()) {
    const m = /^(scsi|sata|nvme|ide)(\d{1,3}):(\d{1,3})\./.exec(key);
    if (m) slotKeys.add(`${m[1]}${m[2]}:${m[3]}`);
  }
  for (const ns of slotKeys) {
    const m = /^(scsi|sata|nvme|ide)(\d+):(\d+)$/.exec(ns)!;
    const bus = m[1] as DiskBus;
    const controllerIndex = Number(m[2]);
    const target = Number(m[3]);
    if (isFalse(get(`${ns}.present`))) continue;
    const file = get(`${ns}.fileName`);
    const rawType = get(`${ns}.deviceType`);
    if (file === undefined && rawType === undefined) continue;
    const deviceType = diskKind(bus, rawType, file);
    const controller = `${bus}${controllerIndex}`;
    addController(controller, bus);
    const clientDevice = isTrue(get(`${ns}.clientDevice`)) || file === 'emptyBackingString';
    disks.push({
      controller, bus, controllerIndex,
      slot: bus === 'ide' ? controllerIndex * 2 + target : target,
      unit: target,
      file: clientDevice ? undefined : file,
      deviceType, rawType,
      order: BUS_ORDER.indexOf(bus) * 1e6 + controllerIndex * 1e3 + target,
    });
  }
  for (const key of vmx.keys()) {
    const f = /^floppy(\d{1,2})\.present$/.exec(key);
    if (!f || !isTrue(vmx.get(key))) continue;
    const file = get(`floppy${f[1]}.fileName`);
    if (isTrue(get(`floppy${f[1]}.clientDevice`)) || file === undefined) continue;
    addController('floppy', 'fdc');
    disks.push({ controller: 'floppy', bus: 'fdc', slot: Number(f[1]), unit: Number(f[1]), file, deviceType: 'floppy', order: 9e6 + Number(f[1]) });
  }
  disks.sort((a, b) => a.order - b.order);

  const ports = new Set<number>();
  for (const key of vmx.keys()) {
    const e = /^ethernet(\d{1,3})\./.exec(key);
    if (e) ports.add(Number(e[1]));
  }
  for (const port of ports) {
    const ns = `ethernet${port}`;
    if (isFalse(get(`${ns}.present`))) continue;
    const addressType = get(`${ns}.addressType`)?.toLowerCase();
    const mac = normaliseMac(addressType === 'static' ? get(`${ns}.address`) ?? get(`${ns}.generatedAddress`) : get(`${ns}.generatedAddress`) ?? get(`${ns}.address`));
    const connection = get(`${ns}.connectionType`)?.toLowerCase();
    nics.push({
      port,
      model: get(`${ns}.virtualDev`)?.toLowerCase(),
      mac,
      network: get(`${ns}.networkName`) ?? ns,
      networkType: connection === 'bridged' ? 'bridge' : connection === 'nat' ? 'nat' : connection === 'hostonly' ? 'host-only' : 'network',
    });
  }
  nics.sort((a, b) => a.port - b.port);

  const memoryMiB = int(get('memSize'));
  const cpus = int(get('numvcpus')) ?? 1;
  if (get('numvcpus') === undefined) notes.push('numvcpus absent: VMware default of 1 vCPU assumed');
  return {
    source: 'vmx',
    name,
    guestOs: get('guestOS'),
    firmware,
    secureBoot,
    memoryMiB,
    cpus,
    genid: vmxGenid(get('vm.genid'), get('vm.genidX')),
    controllers,
    disks: disks.map(({ order: _order, ...d }) => d),
    nics: nics.map(({ port: _port, ...n }) => n),
    notes,
  };
}
