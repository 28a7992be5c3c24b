// The meaning of a parsed VG metadata text: the volume group (name, id, seqno, extent size), its
// physical volumes (uuid, pe_start, pe_count) and logical volumes with their segments. Only
// linear and striped segments ("striped", stripe_count 1 being linear) map to bytes here; every
// other segment type (thin, thin-pool, raid*, mirror, snapshot, cache, vdo, …) is kept by name
// so the LV can be reported as unsupported with its type. Semantics: LVM2 lib/format_text/
// import_vsn1.c and lib/metadata/segtype.h.

import { CorruptError } from '../errors.js';
import { isSection, type ConfigSection, type ConfigValue } from './text-format.js';

const SECTOR = 512;

export interface PvRecord {
  /** Key in the metadata ("pv0"). */
  key: string;
  uuid: string;
  /** Last device path LVM saw it on (a hint only). */
  deviceHint?: string;
  peStart: number;
  peCount: number;
  status: string[];
}

export interface StripeArea {
  pvKey: string;
  /** First physical extent on that PV. */
  extent: number;
}

export interface SegmentRecord {
  startExtent: number;
  extentCount: number;
  type: string;
  /** striped only */
  stripeSize?: number;
  stripes?: StripeArea[];
}

export interface LvRecord {
  name: string;
  uuid: string;
  status: string[];
  visible: boolean;
  segments: SegmentRecord[];
  /** Size in bytes (sum of segment extents). */
  size: number;
  /** The first segment type that is not linear/striped, or undefined when all are. */
  unsupportedType?: string;
}

export interface VgRecord {
  name: string;
  uuid: string;
  seqno: number;
  /** Extent size in bytes. */
  extentSize: number;
  status: string[];
  pvs: PvRecord[];
  lvs: LvRecord[];
}

function where(vg: string): { structure: string; offset?: number } {
  return { structure: `LVM metadata of VG ${vg}` };
}

function num(section: ConfigSection, key: string, vg: string, origin: number): number {
  const value = section[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CorruptError(`${key} is missing or not a non-negative integer`, { ...where(vg), offset: origin });
  }
  return value;
}

function str(section: ConfigSection, key: string): string | undefined {
  const value = section[key];
  return typeof value === 'string' ? value : undefined;
}

function strings(value: ConfigValue | ConfigSection | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Interprets a parsed metadata text (the top level holding one VG section). */
export function interpretMetadata(config: ConfigSection, origin = 0): VgRecord {
  const vgNames = Object.keys(config).filter((k) => isSection(config[k]));
  if (vgNames.length !== 1) {
    throw new CorruptError(`metadata holds ${vgNames.length} volume group sections, expected 1`, { structure: 'LVM metadata text', offset: origin });
  }
  const name = vgNames[0] as string;
  const vg = config[name] as ConfigSection;
  const extentSectors = num(vg, 'extent_size', name, origin);
  if (extentSectors === 0) throw new CorruptError('extent_size is 0', { ...where(name), offset: origin });
  const extentSize = extentSectors * SECTOR;
  const pvs: PvRecord[] = [];
  const pvSection = vg['physical_volumes'];
  if (isSection(pvSection)) {
    for (const key of Object.keys(pvSection)) {
      const pv = pvSection[key];
      if (!isSection(pv)) continue;
      const uuid = str(pv, 'id');
      if (uuid === undefined) throw new CorruptError(`PV ${key} has no id`, { ...where(name), offset: origin });
      pvs.push({ key, uuid, deviceHint: str(pv, 'device'), peStart: num(pv, 'pe_start', name, origin) * SECTOR, peCount: num(pv, 'pe_count', name, origin), status: strings(pv['status']) });
    }
  }
  const lvs: LvRecord[] = [];
  const lvSection = vg['logical_volumes'];
  if (isSection(lvSection)) {
    for (const lvName of Object.keys(lvSection)) {
      const lv = lvSection[lvName];
      if (!isSection(lv)) continue;
      lvs.push(interpretLv({ lvName, lv, vgName: name, extentSize, origin }));
    }
  }
  return { name, uuid: str(vg, 'id') ?? '', seqno: num(vg, 'seqno', name, origin), extentSize, status: strings(vg['status']), pvs, lvs };
}

function interpretLv(args: { lvName: string; lv: ConfigSection; vgName: string; extentSize: number; origin: number }): LvRecord {
  const { lvName, lv, vgName, extentSize, origin } = args;
  const segments: SegmentRecord[] = [];
  let unsupportedType: string | undefined;
  const segmentCount = typeof lv['segment_count'] === 'number' ? lv['segment_count'] : 0;
  for (let i = 1; i <= segmentCount; i++) {
    const seg = lv[`segment${i}`];
    if (!isSection(seg)) throw new CorruptError(`LV ${lvName} lacks segment${i}`, { ...where(vgName), offset: origin });
    const type = str(seg, 'type') ?? 'unknown';
    const record: SegmentRecord = { startExtent: num(seg, 'start_extent', vgName, origin), extentCount: num(seg, 'extent_count', vgName, origin), type };
    if (type === 'striped') {
      const stripeCount = num(seg, 'stripe_count', vgName, origin);
      const list = seg['stripes'];
      if (!Array.isArray(list) || stripeCount === 0 || list.length !== stripeCount * 2) {
        throw new CorruptError(`LV ${lvName} segment${i}: stripes do not match stripe_count ${stripeCount}`, { ...where(vgName), offset: origin });
      }
      const stripes: StripeArea[] = [];
      for (let s = 0; s < stripeCount; s++) {
        const pvKey = list[2 * s];
        const extent = list[2 * s + 1];
        if (typeof pvKey !== 'string' || typeof extent !== 'number' || !Number.isSafeInteger(extent) || extent < 0) {
          throw new CorruptError(`LV ${lvName} segment${i}: bad stripe ${s}`, { ...where(vgName), offset: origin });
        }
        stripes.push({ pvKey, extent });
      }
      if (stripeCount > 1) {
        const stripeSectors = num(seg, 'stripe_size', vgName, origin);
        if (stripeSectors === 0 || record.extentCount % stripeCount !== 0 || extentSize % (stripeSectors * SECTOR) !== 0) {
          throw new CorruptError(`LV ${lvName} segment${i}: stripe geometry does not divide the extents`, { ...where(vgName), offset: origin });
        }
        record.stripeSize = stripeSectors * SECTOR;
      }
      record.stripes = stripes;
    } else {
      unsupportedType ??= type;
    }
    segments.push(record);
  }
  segments.sort((a, b) => a.startExtent - b.startExtent);
  let expected = 0;
  for (const seg of segments) {
    if (seg.startExtent !== expected) throw new CorruptError(`LV ${lvName}: segments leave a gap or overlap at extent ${expected}`, { ...where(vgName), offset: origin });
    expected += seg.extentCount;
  }
  const status = strings(lv['status']);
  return { name: lvName, uuid: str(lv, 'id') ?? '', status, visible: status.includes('VISIBLE'), segments, size: expected * extentSize, unsupportedType };
}
