// $ATTRIBUTE_LIST (0x20): when a file's attributes do not fit its base record, this list
// names every attribute (type, name, lowest VCN) and the record that holds it, so one
// attribute may span several extension records. Spec: libyal libfsntfs "The attribute list
// attribute"; ntfs-3g ATTR_LIST_ENTRY. Quirk relied on: entries are 8-aligned and ordered by
// type, name, lowest VCN; the list itself may be non-resident.

import { struct, u8, u16le, u32le, u64le, u64leBig, type Decoded } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';
import { readUtf16 } from './file-name.js';

export const ATTRIBUTE_LIST_ENTRY = struct('NTFS $ATTRIBUTE_LIST entry', {
  type: u32le, //            0x00
  length: u16le, //          0x04
  name_length: u8, //        0x06
  name_offset: u8, //        0x07
  lowest_vcn: u64le, //      0x08
  mft_reference: u64leBig, // 0x10
  instance: u16le, //        0x18
});
export type AttributeListHeader = Decoded<typeof ATTRIBUTE_LIST_ENTRY.fields>;

export interface AttributeListEntry {
  type: number;
  name: string;
  lowestVcn: number;
  recordNumber: number;
  sequence: number;
  instance: number;
}

export function decodeAttributeList(value: Uint8Array, origin: number): AttributeListEntry[] {
  const structure = ATTRIBUTE_LIST_ENTRY.name;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const entries: AttributeListEntry[] = [];
  let at = 0;
  while (at + 0x1a <= value.length) {
    const type = view.getUint32(at, true);
    const length = view.getUint16(at + 4, true);
    if (type === 0xffffffff || (type === 0 && length === 0)) break;
    if (length < 0x1a || at + length > value.length) throw new CorruptError(`entry length ${length} is invalid`, { structure, offset: origin + at + 4 });
    const nameLength = value[at + 6]!;
    const nameOffset = value[at + 7]!;
    if (nameLength > 0 && nameOffset + nameLength * 2 > length) throw new CorruptError('entry name lies outside the entry', { structure, offset: origin + at + 6 });
    const vcnHigh = view.getUint32(at + 12, true);
    if (vcnHigh > 0x1fffff) throw new CorruptError('lowest VCN does not fit 2^53', { structure, offset: origin + at + 8 });
    entries.push({
      type,
      name: readUtf16(value, at + nameOffset, nameLength),
      lowestVcn: vcnHigh * 0x100000000 + view.getUint32(at + 8, true),
      recordNumber: view.getUint16(at + 0x14, true) * 0x100000000 + view.getUint32(at + 0x10, true),
      sequence: view.getUint16(at + 0x16, true),
      instance: view.getUint16(at + 0x18, true),
    });
    at += length;
  }
  return entries;
}

export function encodeAttributeListEntry(entry: AttributeListEntry): Uint8Array {
  const length = (0x1a + entry.name.length * 2 + 7) & ~7;
  const out = new Uint8Array(length);
  ATTRIBUTE_LIST_ENTRY.encode(
    {
      type: entry.type,
      length,
      name_length: entry.name.length,
      name_offset: 0x1a,
      lowest_vcn: entry.lowestVcn,
      mft_reference: (BigInt(entry.sequence) << 48n) | BigInt(entry.recordNumber),
      instance: entry.instance,
    },
    out,
  );
  for (let i = 0; i < entry.name.length; i++) {
    out[0x1a + 2 * i] = entry.name.charCodeAt(i) & 0xff;
    out[0x1b + 2 * i] = entry.name.charCodeAt(i) >>> 8;
  }
  return out;
}
