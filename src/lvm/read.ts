// Finding LVM2 on a set of devices (the disks or partitions of one guest): each PV's label and
// metadata areas are read, the newest metadata (highest seqno) of each volume group wins, PVs
// are matched to the VG's records by uuid, and every LV whose segments are all linear/striped
// becomes a BlockDevice. LVs of other types, or on a PV that is not among the devices, are
// listed with the reason they cannot be read.

import type { Diagnostics } from '../diagnostics.js';
import { ignoreDiagnostics } from '../diagnostics.js';
import { CorruptError, NotFoundError, isRehostError } from '../errors.js';
import type { BlockDevice } from '../io/block-device.js';
import { LogicalVolumeDevice, type MappedSegment } from './lv-device.js';
import { LABEL_SCAN_SECTORS, SECTOR, findLabelSector, readPvLabel, type PvLabel } from './label.js';
import { MDA_HEADER_SIZE, decodeMetadataText, metadataRanges, readMdaHeader } from './mda.js';
import { parseLvmText } from './text-format.js';
import { interpretMetadata, type LvRecord, type PvRecord, type VgRecord } from './volume-group.js';

/** Metadata texts larger than this are refused before reading (real ones are kilobytes). */
const MAX_METADATA_BYTES = 64 * 1024 * 1024;

export interface PhysicalVolume {
  uuid: string;
  device: BlockDevice;
  label: PvLabel;
}

export interface LogicalVolume {
  vg: string;
  name: string;
  uuid: string;
  size: number;
  status: string[];
  visible: boolean;
  /** Segment types in order ("striped", "thin", "raid1", …). */
  segmentTypes: string[];
  /** Present when the LV can be read. */
  device?: BlockDevice;
  /** Why it cannot be read although the metadata is fine ("unsupported segment type thin", "missing PV …"). */
  unsupported?: string;
  /** Why it cannot be read because its mapping is wrong (extents past the end of a PV, …). */
  corrupt?: string;
}

export interface VolumeGroup {
  name: string;
  uuid: string;
  seqno: number;
  extentSize: number;
  pvs: Array<PvRecord & { device?: BlockDevice }>;
  lvs: LogicalVolume[];
  /** uuids of PVs the metadata names but no given device carries. */
  missingPvs: string[];
  /** The metadata text that was used. */
  metadata: string;
}

/** True when one of the first four sectors holds an LVM2 label. */
export async function probeLvm(device: BlockDevice): Promise<boolean> {
  const length = Math.min(device.size, LABEL_SCAN_SECTORS * SECTOR);
  if (length < SECTOR) return false;
  return findLabelSector(await device.read(0, length)) >= 0;
}

interface FoundMetadata {
  vg: VgRecord;
  text: string;
  pvUuid: string;
}

async function readMetadataArea(device: BlockDevice, area: { offset: number; size: number }): Promise<{ text: string; origin: number } | undefined> {
  if (area.offset + MDA_HEADER_SIZE > device.size) {
    throw new CorruptError(`metadata area at ${area.offset} lies past the end of the device`, { structure: 'LVM mda header', offset: area.offset });
  }
  const header = readMdaHeader(await device.read(area.offset, MDA_HEADER_SIZE), area.offset);
  if (header.start + header.size > device.size) {
    throw new CorruptError(`metadata area of ${header.size} bytes runs past the end of the device`, { structure: 'LVM mda header', offset: area.offset });
  }
  const location = header.locations.find((l) => !l.ignored && l.size > 0);
  if (location === undefined) return undefined; // an orphan PV, or an area marked ignored
  if (location.size > MAX_METADATA_BYTES) {
    throw new CorruptError(`metadata text of ${location.size} bytes is larger than ${MAX_METADATA_BYTES}`, { structure: 'LVM raw location', offset: area.offset });
  }
  const ranges = metadataRanges(header, location);
  const pieces = await Promise.all(ranges.map((r) => device.read(r.offset, r.length)));
  const origin = (ranges[0] as { offset: number }).offset;
  return { text: decodeMetadataText(pieces, location.checksum, origin), origin };
}

/** Reads one PV: its label and the VG metadata in each of its metadata areas. */
export async function readPhysicalVolume(device: BlockDevice, diagnostics: Diagnostics = ignoreDiagnostics): Promise<{ pv: PhysicalVolume; metadata: FoundMetadata[] } | undefined> {
  const length = Math.min(device.size, LABEL_SCAN_SECTORS * SECTOR);
  if (length < SECTOR) return undefined;
  const head = await device.read(0, length);
  if (findLabelSector(head) < 0) return undefined;
  const label = readPvLabel(head, { deviceSize: device.size });
  if (label.deviceSize !== 0 && label.deviceSize > device.size) {
    diagnostics.report({ severity: 'warning', code: 'LVM_PV_TRUNCATED', message: `PV ${label.uuid} says it is ${label.deviceSize} bytes, the device has ${device.size}`, structure: 'LVM PV header' });
  }
  const metadata: FoundMetadata[] = [];
  for (const area of label.metadataAreas) {
    try {
      const found = await readMetadataArea(device, area);
      if (found === undefined) continue;
      const vg = interpretMetadata(parseLvmText(found.text, found.origin), found.origin);
      metadata.push({ vg, text: found.text, pvUuid: label.uuid });
    } catch (error) {
      // One damaged copy is tolerable when another area (or PV) has a good one.
      if (!isRehostError(error)) throw error;
      diagnostics.report({ severity: 'warning', code: 'LVM_BAD_METADATA_AREA', message: error.message, structure: 'LVM mda header', offset: area.offset });
    }
  }
  return { pv: { uuid: label.uuid, device, label }, metadata };
}

/**
 * Reads LVM2 from the given devices (all the disks/partitions of one guest, so that a VG that
 * spans several disks is whole). Devices without a label are ignored.
 */
export async function readLvm(devices: BlockDevice[], options: { diagnostics?: Diagnostics } = {}): Promise<VolumeGroup[]> {
  const diagnostics = options.diagnostics ?? ignoreDiagnostics;
  const pvsByUuid = new Map<string, PhysicalVolume>();
  const newest = new Map<string, FoundMetadata>();
  const seqnos = new Map<string, Set<number>>();
  const badLabels: unknown[] = [];
  for (const device of devices) {
    let found;
    try {
      found = await readPhysicalVolume(device, diagnostics);
    } catch (error) {
      if (!isRehostError(error)) throw error;
      badLabels.push(error);
      diagnostics.report({ severity: 'warning', code: 'LVM_BAD_LABEL', message: error.message, structure: 'LVM label header' });
      continue;
    }
    if (found === undefined) continue;
    if (pvsByUuid.has(found.pv.uuid)) {
      diagnostics.report({ severity: 'warning', code: 'LVM_DUPLICATE_PV', message: `PV ${found.pv.uuid} appears on two devices; using the first`, structure: 'LVM PV header' });
      continue;
    }
    pvsByUuid.set(found.pv.uuid, found.pv);
    for (const m of found.metadata) {
      const key = m.vg.uuid || m.vg.name;
      let set = seqnos.get(key);
      if (!set) seqnos.set(key, (set = new Set()));
      set.add(m.vg.seqno);
      const best = newest.get(key);
      if (best === undefined || m.vg.seqno > best.vg.seqno) newest.set(key, m);
    }
  }
  if (pvsByUuid.size === 0 && badLabels.length > 0) throw badLabels[0];
  const groups: VolumeGroup[] = [];
  for (const [key, found] of newest) {
    const seen = seqnos.get(key) as Set<number>;
    if (seen.size > 1) {
      diagnostics.report({ severity: 'warning', code: 'LVM_STALE_METADATA', message: `VG ${found.vg.name} has metadata copies with seqno ${[...seen].sort((a, b) => a - b).join(', ')}; using ${found.vg.seqno}` });
    }
    groups.push(buildGroup(found, pvsByUuid));
  }
  return groups.sort((a, b) => a.name.localeCompare(b.name));
}

function buildGroup(found: FoundMetadata, pvsByUuid: Map<string, PhysicalVolume>): VolumeGroup {
  const vg = found.vg;
  const pvs = vg.pvs.map((record) => ({ ...record, device: pvsByUuid.get(record.uuid)?.device }));
  const byKey = new Map(pvs.map((p) => [p.key, p]));
  const missingPvs = pvs.filter((p) => p.device === undefined).map((p) => p.uuid);
  const lvs = vg.lvs.map((lv) => {
    try {
      return buildLv({ lv, vg, byKey });
    } catch (error) {
      // One LV with a bad mapping must not hide the others of its VG.
      if (!isRehostError(error)) throw error;
      return { vg: vg.name, name: lv.name, uuid: lv.uuid, size: lv.size, status: lv.status, visible: lv.visible, segmentTypes: lv.segments.map((s) => s.type), corrupt: error.message };
    }
  });
  return { name: vg.name, uuid: vg.uuid, seqno: vg.seqno, extentSize: vg.extentSize, pvs, lvs, missingPvs, metadata: found.text };
}

function buildLv(args: { lv: LvRecord; vg: VgRecord; byKey: Map<string, PvRecord & { device?: BlockDevice }> }): LogicalVolume {
  const { lv, vg, byKey } = args;
  const base: LogicalVolume = {
    vg: vg.name,
    name: lv.name,
    uuid: lv.uuid,
    size: lv.size,
    status: lv.status,
    visible: lv.visible,
    segmentTypes: lv.segments.map((s) => (s.type === 'striped' && s.stripes?.length === 1 ? 'linear' : s.type)),
  };
  if (lv.unsupportedType !== undefined) return { ...base, unsupported: `unsupported segment type ${lv.unsupportedType}` };
  const segments: MappedSegment[] = [];
  for (const seg of lv.segments) {
    const stripes = [];
    for (const area of seg.stripes ?? []) {
      const pv = byKey.get(area.pvKey);
      if (pv === undefined) throw new CorruptError(`LV ${lv.name} names unknown PV ${area.pvKey}`, { structure: `LVM metadata of VG ${vg.name}` });
      if (pv.device === undefined) return { ...base, unsupported: `missing PV ${pv.uuid} (${pv.key})` };
      const perStripe = seg.extentCount / (seg.stripes?.length ?? 1);
      if (area.extent + perStripe > pv.peCount) {
        throw new CorruptError(`LV ${lv.name} uses extents ${area.extent}+${perStripe} beyond pe_count ${pv.peCount} of ${pv.key}`, { structure: `LVM metadata of VG ${vg.name}` });
      }
      stripes.push({ device: pv.device, start: pv.peStart + area.extent * vg.extentSize });
    }
    const length = seg.extentCount * vg.extentSize;
    segments.push({ offset: seg.startExtent * vg.extentSize, length, stripeSize: seg.stripeSize ?? length, stripes });
  }
  return { ...base, device: new LogicalVolumeDevice(`${vg.name}/${lv.name}`, segments) };
}

/** The LV named "VG/LV" (or "VG-LV" as device-mapper spells it), or NotFoundError. */
export function openLogicalVolume(groups: VolumeGroup[], name: string): LogicalVolume {
  const found = findLogicalVolume(groups, name);
  if (found === undefined) throw new NotFoundError(`no logical volume ${name}`, { kind: 'logical volume', path: name });
  return found;
}

export function findLogicalVolume(groups: VolumeGroup[], name: string): LogicalVolume | undefined {
  for (const vg of groups) {
    for (const lv of vg.lvs) {
      if (`${vg.name}/${lv.name}` === name || `${vg.name.replace(/-/g, '--')}-${lv.name.replace(/-/g, '--')}` === name) return lv;
    }
  }
  return undefined;
}
