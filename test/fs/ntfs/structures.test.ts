// Byte-level tests of every NTFS structure decoder, built with the matching encoders: sizes
// as the spec gives them, round trips, and for every validator an input that must fail it.

import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTE_HEADER, ATTRIBUTE_LIST_ENTRY, BOOT_SECTOR, FILE_NAME_HEADER, FILE_RECORD_HEADER, INDEX_BLOCK_HEADER, INDEX_ENTRY_HEADER,
  INDEX_HEADER, INDEX_ROOT_HEADER, NON_RESIDENT_HEADER, REPARSE_HEADER, RESIDENT_HEADER, STANDARD_INFORMATION, VOLUME_INFORMATION,
  SPARSE_LCN, UpcaseTable, applyFixups, decodeAttributeList, decodeBootSector, decodeFileName, decodeFileRecord, decodeIndexEntries,
  decodeReparsePoint, decodeRuns, decompressLznt1, encodeAttributeHeader, encodeAttributeListEntry, encodeBootSector,
  encodeClustersPerRecord, encodeFileName, encodeFixups, encodeIndexEntry, encodeReparsePoint, encodeRuns, encodeSectorsPerCluster,
  mergeExtents, type BootSector, type DataRun,
} from '../../../src/fs/ntfs/index.js';
import { CorruptError } from '../../../src/errors.js';

function bootSector(overrides: Partial<BootSector> = {}): Uint8Array {
  const boot: BootSector = {
    jump: Uint8Array.from([0xeb, 0x52, 0x90]), oem_id: new Uint8Array(8), bytes_per_sector: 512, sectors_per_cluster: 8, reserved_sectors: 0,
    number_of_fats: 0, root_entries: 0, sectors16: 0, media_descriptor: 0xf8, sectors_per_fat: 0, sectors_per_track: 63, number_of_heads: 255,
    hidden_sectors: 0, sectors32: 0, physical_drive: 0x80, current_head: 0, extended_boot_signature: 0x80, reserved1: 0,
    number_of_sectors: 2 * 1024 * 1024, mft_lcn: 4, mftmirr_lcn: 1000, clusters_per_mft_record: -10, reserved2: new Uint8Array(3),
    clusters_per_index_record: 1, reserved3: new Uint8Array(3), volume_serial_number: 0x1122334455667788n, checksum: 0,
    bootstrap: new Uint8Array(426), end_of_sector_marker: 0xaa55, ...overrides,
  };
  return encodeBootSector(boot);
}

const corrupt = (fn: () => unknown): void => {
  expect(fn).toThrow(CorruptError);
};

describe('structure sizes match the spec', () => {
  it.each([
    [BOOT_SECTOR, 512], [FILE_RECORD_HEADER, 0x30], [ATTRIBUTE_HEADER, 0x10], [RESIDENT_HEADER, 0x08], [NON_RESIDENT_HEADER, 0x30],
    [ATTRIBUTE_LIST_ENTRY, 0x1a], [FILE_NAME_HEADER, 0x42], [STANDARD_INFORMATION, 0x48], [VOLUME_INFORMATION, 0x0c],
    [REPARSE_HEADER, 0x08], [INDEX_ROOT_HEADER, 0x10], [INDEX_HEADER, 0x10], [INDEX_BLOCK_HEADER, 0x18], [INDEX_ENTRY_HEADER, 0x10],
  ].map(([schema, size]) => [(schema as { name: string }).name, schema as { size: number }, size as number] as const))('%s', (_name, schema, size) => {
    expect(schema.size).toBe(size);
  });
  it('puts fields at their spec offsets', () => {
    expect(BOOT_SECTOR.offsetOf('mft_lcn')).toBe(0x30);
    expect(BOOT_SECTOR.offsetOf('clusters_per_mft_record')).toBe(0x40);
    expect(BOOT_SECTOR.offsetOf('volume_serial_number')).toBe(0x48);
    expect(BOOT_SECTOR.offsetOf('end_of_sector_marker')).toBe(0x1fe);
    expect(FILE_RECORD_HEADER.offsetOf('base_mft_record')).toBe(0x20);
    expect(FILE_RECORD_HEADER.offsetOf('mft_record_number')).toBe(0x2c);
    expect(STANDARD_INFORMATION.offsetOf('security_id')).toBe(0x34);
  });
});

describe('boot sector', () => {
  it('decodes negative record sizes and encodes them back', () => {
    const { geometry } = decodeBootSector(bootSector());
    expect(geometry).toMatchObject({ clusterSize: 4096, mftRecordSize: 1024, indexRecordSize: 4096, mftOffset: 4 * 4096, serial: 0x1122334455667788n });
    expect(encodeClustersPerRecord(1024, 4096)).toBe(-10);
    expect(encodeClustersPerRecord(4096, 4096)).toBe(1);
  });
  it('decodes 0xF4 sectors per cluster as 2 MiB clusters', () => {
    const { geometry } = decodeBootSector(bootSector({ sectors_per_cluster: 0xf4, number_of_sectors: 1 << 24, clusters_per_index_record: -12 }));
    expect(geometry.clusterSize).toBe(2 * 1024 * 1024);
    expect(encodeSectorsPerCluster(2 * 1024 * 1024, 512)).toBe(0xf4);
  });
  it('rejects a wrong OEM id, sector size, cluster size, record size and $MFT position', () => {
    const bad = bootSector();
    bad[3] = 0x46; // "FTFS"
    corrupt(() => decodeBootSector(bad));
    corrupt(() => decodeBootSector(bootSector({ bytes_per_sector: 500 })));
    corrupt(() => decodeBootSector(bootSector({ sectors_per_cluster: 0 })));
    corrupt(() => decodeBootSector(bootSector({ sectors_per_cluster: 3 })));
    corrupt(() => decodeBootSector(bootSector({ clusters_per_mft_record: 0 })));
    corrupt(() => decodeBootSector(bootSector({ clusters_per_mft_record: -40 })));
    corrupt(() => decodeBootSector(bootSector({ clusters_per_index_record: -8 })));
    corrupt(() => decodeBootSector(bootSector({ mft_lcn: 1 << 30 })));
    corrupt(() => decodeBootSector(new Uint8Array(100)));
  });
});

describe('data runs', () => {
  const runs: DataRun[] = [
    { vcn: 0, lcn: 1000, length: 16 },
    { vcn: 16, lcn: SPARSE_LCN, length: 100 },
    { vcn: 116, lcn: 40, length: 300 }, // backwards: negative delta
    { vcn: 416, lcn: 0x123456, length: 1 },
  ];
  it('round-trips sparse runs and negative deltas', () => {
    const bytes = encodeRuns(runs);
    expect(decodeRuns({ bytes, at: 0, end: bytes.length, startVcn: 0, origin: 0, maxCluster: 1 << 30 })).toEqual(runs);
  });
  it('decodes the classic example (0x21 0x18 0x34 0x56: 24 clusters at 0x5634)', () => {
    expect(decodeRuns({ bytes: Uint8Array.from([0x21, 0x18, 0x34, 0x56, 0x00]), at: 0, end: 5, startVcn: 7, origin: 0, maxCluster: 1 << 20 })).toEqual([
      { vcn: 7, lcn: 0x5634, length: 0x18 },
    ]);
  });
  it('rejects zero lengths, oversized fields, negative LCNs, runs past the volume and missing terminators', () => {
    const decode = (bytes: number[], maxCluster = 1 << 20) => decodeRuns({ bytes: Uint8Array.from(bytes), at: 0, end: bytes.length, startVcn: 0, origin: 0, maxCluster });
    corrupt(() => decode([0x11, 0x00, 0x10, 0x00]));
    corrupt(() => decode([0x19, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]));
    corrupt(() => decode([0x11, 0x04, 0xf0, 0x00]));
    corrupt(() => decode([0x11, 0x04, 0x70, 0x00], 0x50));
    corrupt(() => decode([0x11, 0x04, 0x10]));
    corrupt(() => decode([0x11, 0x04, 0x10, 0x11]));
    corrupt(() => decode([0x11, 0x84, 0x10, 0x00]));
  });
});

function record(attributes: Uint8Array[], options: { size?: number; base?: bigint } = {}): Uint8Array {
  const size = options.size ?? 1024;
  const bytes = new Uint8Array(size);
  let at = 0x38;
  for (const a of attributes) {
    bytes.set(a, at);
    at += a.length;
  }
  new DataView(bytes.buffer).setUint32(at, 0xffffffff, true);
  at += 8;
  FILE_RECORD_HEADER.encode(
    { magic: new Uint8Array(4), usa_ofs: 0x30, usa_count: size / 512 + 1, lsn: 0n, sequence_number: 1, link_count: 1, attrs_offset: 0x38,
      flags: 1, bytes_in_use: at, bytes_allocated: size, base_mft_record: 0, next_attr_instance: attributes.length, reserved: 0, mft_record_number: 42 },
    bytes,
  );
  if (options.base !== undefined) new DataView(bytes.buffer).setBigUint64(0x20, options.base, true);
  encodeFixups({ bytes, size, usn: 7 });
  return bytes;
}

function residentAttribute(type: number, value: Uint8Array, name = ''): Uint8Array {
  const valueOffset = 0x18 + name.length * 2;
  const length = (valueOffset + value.length + 7) & ~7;
  const out = encodeAttributeHeader({
    header: { type, length, non_resident: 0, name_length: name.length, name_offset: 0x18, flags: 0, instance: 0 },
    resident: { value_length: value.length, value_offset: valueOffset, resident_flags: 0, reserved: 0 },
  });
  for (let i = 0; i < name.length; i++) out[0x18 + 2 * i] = name.charCodeAt(i);
  out.set(value, valueOffset);
  return out;
}

function nonResidentAttribute(type: number, runs: DataRun[], lowestVcn = 0): Uint8Array {
  const pairs = encodeRuns(runs);
  const length = (0x40 + pairs.length + 7) & ~7;
  const last = runs[runs.length - 1]!;
  const out = encodeAttributeHeader({
    header: { type, length, non_resident: 1, name_length: 0, name_offset: 0x40, flags: 0, instance: 1 },
    nonResident: { lowest_vcn: lowestVcn, highest_vcn: last.vcn + last.length - 1, mapping_pairs_offset: 0x40, compression_unit: 0,
      reserved: new Uint8Array(5), allocated_size: 4096 * 10, data_size: 40000, initialized_size: 40000 },
  });
  out.set(pairs, 0x40);
  return out;
}

describe('FILE records and attributes', () => {
  it('round-trips fixups and decodes resident and non-resident attributes', () => {
    const bytes = record([residentAttribute(0x80, Uint8Array.from([1, 2, 3]), 'ads'), nonResidentAttribute(0x80, [{ vcn: 0, lcn: 100, length: 10 }])]);
    expect(bytes[510]).toBe(7);
    const decoded = decodeFileRecord({ bytes, size: 1024, origin: 0, recordNumber: 42, maxCluster: 1000 });
    expect(decoded).toMatchObject({ recordNumber: 42, sequence: 1, flags: 1, isExtension: false });
    expect(decoded.attributes[0]).toMatchObject({ type: 0x80, name: 'ads', resident: true, dataSize: 3 });
    expect(Array.from(decoded.attributes[0]!.value!)).toEqual([1, 2, 3]);
    expect(decoded.attributes[1]).toMatchObject({ resident: false, dataSize: 40000, runs: [{ vcn: 0, lcn: 100, length: 10 }] });
  });
  it('merges the extents of one attribute in VCN order', () => {
    const a = decodeFileRecord({ bytes: record([nonResidentAttribute(0x80, [{ vcn: 10, lcn: 500, length: 5 }], 10)]), size: 1024, origin: 0, recordNumber: 1, maxCluster: 1000 });
    const b = decodeFileRecord({ bytes: record([nonResidentAttribute(0x80, [{ vcn: 0, lcn: 100, length: 10 }])]), size: 1024, origin: 0, recordNumber: 2, maxCluster: 1000 });
    const [merged] = mergeExtents([...a.attributes, ...b.attributes]);
    expect(merged!.runs.map((r) => r.lcn)).toEqual([100, 500]);
    expect(merged!.highestVcn).toBe(14);
  });
  it('marks extension records by their base reference', () => {
    const ext = decodeFileRecord({ bytes: record([], { base: 1n << 48n }), size: 1024, origin: 0, recordNumber: 16, maxCluster: 10 });
    expect([ext.isExtension, ext.baseRecord]).toEqual([true, 0]);
  });
  it('rejects a torn record, a bad fixup array, a bad signature and bad attribute lengths', () => {
    const decode = (bytes: Uint8Array) => decodeFileRecord({ bytes, size: 1024, origin: 0, recordNumber: 1, maxCluster: 1000 });
    const torn = record([]);
    torn[1022] = 0x99;
    expect(() => decode(torn)).toThrow(/torn/);
    const badCount = record([]);
    badCount[6] = 9;
    corrupt(() => decode(badCount));
    const badMagic = record([]);
    badMagic[0] = 0x42;
    corrupt(() => decode(badMagic));
    const badLength = record([residentAttribute(0x10, new Uint8Array(0x48))]);
    applyFixups({ bytes: badLength, size: 1024, origin: 0, structure: 'test' });
    new DataView(badLength.buffer).setUint32(0x38 + 4, 0x900, true);
    encodeFixups({ bytes: badLength, size: 1024, usn: 8 });
    corrupt(() => decode(badLength));
    const noEnd = record([]);
    applyFixups({ bytes: noEnd, size: 1024, origin: 0, structure: 'test' });
    new DataView(noEnd.buffer).setUint32(0x38, 0x10, true);
    encodeFixups({ bytes: noEnd, size: 1024, usn: 8 });
    corrupt(() => decode(noEnd));
    const valuePast = record([residentAttribute(0x80, new Uint8Array(8))]);
    applyFixups({ bytes: valuePast, size: 1024, origin: 0, structure: 'test' });
    new DataView(valuePast.buffer).setUint32(0x38 + 0x10, 4000, true);
    encodeFixups({ bytes: valuePast, size: 1024, usn: 8 });
    corrupt(() => decode(valuePast));
  });
});

describe('attribute values', () => {
  it('round-trips $FILE_NAME and rejects a name past its value', () => {
    const name = { parentRecord: 5, parentSequence: 5, creationTime: 1n, modificationTime: 2n, mftChangeTime: 3n, accessTime: 4n,
      allocatedSize: 4096, dataSize: 100, fileAttributes: 0x20, reparseTag: 0, namespace: 1, name: 'Ærøskøbing.txt' };
    expect(decodeFileName(encodeFileName(name), 0)).toEqual(name);
    const cut = encodeFileName(name).subarray(0, 0x48);
    corrupt(() => decodeFileName(cut, 0));
    corrupt(() => decodeFileName(new Uint8Array(10), 0));
  });
  it('round-trips $ATTRIBUTE_LIST entries and rejects a bad entry length', () => {
    const entries = [
      { type: 0x80, name: '', lowestVcn: 0, recordNumber: 20, sequence: 2, instance: 3 },
      { type: 0x80, name: 'stream', lowestVcn: 1000, recordNumber: 21, sequence: 2, instance: 0 },
    ];
    const bytes = new Uint8Array([...encodeAttributeListEntry(entries[0]!), ...encodeAttributeListEntry(entries[1]!)]);
    expect(decodeAttributeList(bytes, 0)).toEqual(entries);
    const bad = bytes.slice();
    bad[4] = 0x08;
    corrupt(() => decodeAttributeList(bad, 0));
    bad[4] = 0xf0;
    corrupt(() => decodeAttributeList(bad, 0));
  });
  it('decodes symlink and junction reparse points and rejects names past the data', () => {
    const text = (s: string) => Uint8Array.from([...s].flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8]));
    const sub = text('\\??\\C:\\target');
    const print = text('C:\\target');
    const data = new Uint8Array(12 + sub.length + print.length);
    const view = new DataView(data.buffer);
    view.setUint16(0, 0, true);
    view.setUint16(2, sub.length, true);
    view.setUint16(4, sub.length, true);
    view.setUint16(6, print.length, true);
    view.setUint32(8, 0, true);
    data.set(sub, 12);
    data.set(print, 12 + sub.length);
    const point = decodeReparsePoint(encodeReparsePoint(0xa000000c, data), 0);
    expect([point.target, point.substituteName, point.relative]).toEqual(['C:\\target', '\\??\\C:\\target', false]);
    view.setUint16(6, 400, true);
    corrupt(() => decodeReparsePoint(encodeReparsePoint(0xa000000c, data), 0));
    corrupt(() => decodeReparsePoint(Uint8Array.from([0x0c, 0, 0, 0xa0, 0xff, 0x00, 0, 0]), 0));
  });
});

describe('index entries', () => {
  const key = (name: string) => encodeFileName({ parentRecord: 5, parentSequence: 5, creationTime: 0n, modificationTime: 0n, mftChangeTime: 0n,
    accessTime: 0n, allocatedSize: 0, dataSize: 0, fileAttributes: 0, reparseTag: 0, namespace: 1, name });
  function node(entries: Uint8Array[]): Uint8Array {
    const body = entries.reduce((n, e) => n + e.length, 0);
    const out = new Uint8Array(INDEX_HEADER.size + body);
    INDEX_HEADER.encode({ entries_offset: INDEX_HEADER.size, index_length: out.length, allocated_size: out.length, flags: 1, reserved: new Uint8Array(3) }, out);
    let at = INDEX_HEADER.size;
    for (const e of entries) {
      out.set(e, at);
      at += e.length;
    }
    return out;
  }
  it('round-trips entries with and without children', () => {
    const bytes = node([
      encodeIndexEntry({ recordNumber: 64, sequence: 1, flags: 1, key: key('alpha'), childVcn: 3 }),
      encodeIndexEntry({ recordNumber: 0, sequence: 0, flags: 3, key: new Uint8Array(0), childVcn: 9 }),
    ]);
    const decoded = decodeIndexEntries({ bytes, headerAt: 0, limit: bytes.length, origin: 0, structure: 'test' });
    expect(decoded.hasChildren).toBe(true);
    expect(decoded.entries.map((e) => [e.recordNumber, e.childVcn])).toEqual([[64, 3], [0, 9]]);
  });
  it('rejects a node without an end entry, an oversized key and a bad entry length', () => {
    const noEnd = node([encodeIndexEntry({ recordNumber: 64, sequence: 1, flags: 0, key: key('a'), childVcn: -1 })]);
    corrupt(() => decodeIndexEntries({ bytes: noEnd, headerAt: 0, limit: noEnd.length, origin: 0, structure: 'test' }));
    const bigKey = node([encodeIndexEntry({ recordNumber: 64, sequence: 1, flags: 2, key: key('a'), childVcn: -1 })]);
    new DataView(bigKey.buffer).setUint16(INDEX_HEADER.size + 10, 0x400, true);
    corrupt(() => decodeIndexEntries({ bytes: bigKey, headerAt: 0, limit: bigKey.length, origin: 0, structure: 'test' }));
    const badLength = node([encodeIndexEntry({ recordNumber: 64, sequence: 1, flags: 2, key: key('a'), childVcn: -1 })]);
    new DataView(badLength.buffer).setUint16(INDEX_HEADER.size + 8, 3, true);
    corrupt(() => decodeIndexEntries({ bytes: badLength, headerAt: 0, limit: badLength.length, origin: 0, structure: 'test' }));
  });
});

describe('LZNT1', () => {
  it('decodes literals, back-references and uncompressed chunks', () => {
    // "abcabcabcabc": 3 literals then a back-reference (distance 3, length 9).
    // At position 3 the token has 12 length bits: ((3-1) << 12) | (9-3).
    const chunk = [0x08, 0x61, 0x62, 0x63, 0x06, 0x20];
    const header = (chunk.length - 1) | 0xb000;
    const input = Uint8Array.from([header & 0xff, header >> 8, ...chunk, 0, 0]);
    const out = new Uint8Array(4096);
    expect(decompressLznt1(input, out)).toBe(12);
    expect(new TextDecoder().decode(out.subarray(0, 12))).toBe('abcabcabcabc');
    const raw = new Uint8Array(2 + 4096);
    raw[0] = 0xff;
    raw[1] = 0x3f;
    raw.fill(0x41, 2);
    expect(decompressLznt1(raw, new Uint8Array(4096))).toBe(4096);
  });
  it('rejects a back-reference before the chunk start and a chunk past the unit', () => {
    const bad = Uint8Array.from([0x03, 0xb0, 0x01, 0x00, 0x50, 0, 0]);
    corrupt(() => decompressLznt1(bad, new Uint8Array(4096)));
    corrupt(() => decompressLznt1(Uint8Array.from([0xff, 0xbf, 1, 2]), new Uint8Array(4096)));
  });
});

describe('$UpCase', () => {
  it('folds and collates through the table', () => {
    const table = UpcaseTable.ascii();
    expect(table.fold('File.txt')).toBe('FILE.TXT');
    expect(table.compare('abc', 'ABD')).toBeLessThan(0);
    expect(table.compare('abc', 'ABC')).toBe(0);
    const encoded = table.encode();
    encoded[2 * 0xe6] = 0xc6; // æ → Æ
    const full = UpcaseTable.decode(encoded, 0);
    expect(full.fold('ærø')).toBe('ÆRø'); // only æ was given an upper case
    corrupt(() => UpcaseTable.decode(new Uint8Array(10), 0));
  });
});
