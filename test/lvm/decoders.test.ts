// Unit tests of the LVM2 decoders on bytes built here, including a failing input for every
// validator: label (sector, crc, type, list overrun), mda header (magic, crc, version, start),
// raw location bounds and wrap-around, text checksum, the text parser and the interpreter.

import { describe, expect, it } from 'vitest';
import { CorruptError } from '../../src/errors.js';
import { MemoryDevice } from '../../src/io/index.js';
import {
  DISK_LOCN,
  LABEL_HEADER,
  LogicalVolumeDevice,
  MDA_HEADER,
  PV_HEADER,
  RAW_LOCN,
  decodeMetadataText,
  interpretMetadata,
  lvmCrc,
  metadataRanges,
  parseLvmText,
  readMdaHeader,
  readPvLabel,
} from '../../src/lvm/index.js';

const enc = (s: string) => new TextEncoder().encode(s);

function buildLabel(options: { sector?: number; type?: string; uuid?: string; lists?: Array<Array<[number, number]>> } = {}): Uint8Array {
  const sector = options.sector ?? 1;
  const head = new Uint8Array(2048);
  const at = sector * 512;
  head.set(enc('LABELONE'), at);
  const view = new DataView(head.buffer);
  view.setBigUint64(at + 8, BigInt(sector), true);
  view.setUint32(at + 0x14, 32, true);
  head.set(enc((options.type ?? 'LVM2 001').padEnd(8, ' ').slice(0, 8)), at + 0x18);
  head.set(enc(options.uuid ?? 'abcdef0123456789ABCDEF0123456789'), at + 32);
  view.setBigUint64(at + 64, 8n * 1024n * 1024n, true);
  let pos = at + 72;
  for (const list of options.lists ?? [[[1048576, 0]], [[4096, 1044480]]]) {
    for (const [offset, size] of list) {
      view.setBigUint64(pos, BigInt(offset), true);
      view.setBigUint64(pos + 8, BigInt(size), true);
      pos += 16;
    }
    pos += 16;
  }
  view.setUint32(at + 0x10, lvmCrc(head.subarray(at + 0x14, at + 512)), true);
  return head;
}

function buildMda(start: number, size: number, locations: Array<[number, number, number, number]>): Uint8Array {
  const header = new Uint8Array(512);
  const view = new DataView(header.buffer);
  header.set(enc(' LVM2 x[5A%r0N*>'), 4);
  view.setUint32(0x14, 1, true);
  view.setBigUint64(0x18, BigInt(start), true);
  view.setBigUint64(0x20, BigInt(size), true);
  let pos = 0x28;
  for (const [offset, length, checksum, flags] of locations) {
    view.setBigUint64(pos, BigInt(offset), true);
    view.setBigUint64(pos + 8, BigInt(length), true);
    view.setUint32(pos + 16, checksum, true);
    view.setUint32(pos + 20, flags, true);
    pos += 24;
  }
  view.setUint32(0, lvmCrc(header.subarray(4)), true);
  return header;
}

describe('LVM label and PV header', () => {
  it('has the spec sizes', () => {
    expect(LABEL_HEADER.size).toBe(32);
    expect(PV_HEADER.size).toBe(40);
    expect(DISK_LOCN.size).toBe(16);
    expect(MDA_HEADER.size).toBe(40);
    expect(RAW_LOCN.size).toBe(24);
    expect(lvmCrc(new Uint8Array(0))).toBe(0xf597a6cf);
  });

  it('decodes a label with its areas and formats the uuid', () => {
    const label = readPvLabel(buildLabel());
    expect(label).toEqual({
      sector: 1,
      uuid: 'abcdef-0123-4567-89AB-CDEF-0123-456789',
      deviceSize: 8 * 1024 * 1024,
      dataAreas: [{ offset: 1048576, size: 0 }],
      metadataAreas: [{ offset: 4096, size: 1044480 }],
    });
  });

  it('rejects a bad crc, type, sector number, uuid and an unterminated list', () => {
    const crc = buildLabel();
    crc[512 + 100] = 1;
    expect(() => readPvLabel(crc)).toThrow(/checksum/);
    expect(() => readPvLabel(buildLabel({ type: 'LVM1 001' }))).toThrow(/LVM2 001/);
    const moved = buildLabel({ sector: 2 });
    new DataView(moved.buffer).setBigUint64(1024 + 8, 3n, true);
    new DataView(moved.buffer).setUint32(1024 + 0x10, lvmCrc(moved.subarray(1024 + 0x14, 1536)), true);
    expect(() => readPvLabel(moved)).toThrow(/sector 3/);
    expect(() => readPvLabel(buildLabel({ uuid: 'short uuid with spaces..........' }))).toThrow(/uuid/);
    const endless = buildLabel({ lists: [Array.from({ length: 40 }, (_, i) => [4096 * (i + 1), 1] as [number, number])] });
    expect(() => readPvLabel(endless)).toThrow(CorruptError);
    expect(() => readPvLabel(new Uint8Array(2048))).toThrow(/LABELONE/);
  });
});

describe('LVM metadata area', () => {
  it('decodes locations and splits wrapped text', () => {
    const mda = readMdaHeader(buildMda(4096, 8192, [[7680, 1024, 0x1234, 0], [512, 10, 1, 1]]), 4096);
    expect(mda.locations).toEqual([
      { offset: 7680, size: 1024, checksum: 0x1234, ignored: false },
      { offset: 512, size: 10, checksum: 1, ignored: true },
    ]);
    expect(metadataRanges(mda, { offset: 7680, size: 1024 })).toEqual([
      { offset: 4096 + 7680, length: 512 },
      { offset: 4096 + 512, length: 512 },
    ]);
    expect(() => metadataRanges(mda, { offset: 100, size: 10 })).toThrow(CorruptError);
    expect(() => metadataRanges(mda, { offset: 512, size: 9000 })).toThrow(CorruptError);
  });

  it('rejects bad magic, checksum, version and a misplaced start', () => {
    const good = buildMda(4096, 8192, []);
    const magic = good.slice();
    magic[5] = 0;
    expect(() => readMdaHeader(magic, 4096)).toThrow(/magic/);
    const crc = good.slice();
    crc[300] = 9;
    expect(() => readMdaHeader(crc, 4096)).toThrow(/checksum/);
    expect(() => readMdaHeader(good, 8192)).toThrow(/starts at/);
    const version = good.slice();
    new DataView(version.buffer).setUint32(0x14, 2, true);
    new DataView(version.buffer).setUint32(0, lvmCrc(version.subarray(4)), true);
    expect(() => readMdaHeader(version, 4096)).toThrow(/version/);
  });

  it('checks the text checksum across the wrap', () => {
    const a = enc('vg {\nseqno = 1\n');
    const b = enc('}\n');
    const whole = new Uint8Array([...a, ...b]);
    expect(decodeMetadataText([a, b], lvmCrc(whole), 0)).toBe('vg {\nseqno = 1\n}\n');
    expect(() => decodeMetadataText([a, b], lvmCrc(whole) ^ 1, 0)).toThrow(/checksum/);
  });
});

describe('LVM text format', () => {
  it('parses sections, arrays, strings with escapes, numbers and comments', () => {
    const parsed = parseLvmText('# head\nvg {\n  id = "a\\"b"  # trailing\n  n = -12\n  f = 1.5\n  list = ["x", 3, "y"]\n  empty = []\n  sub { deeper { k = 1 } }\n}\nversion = 1\n');
    expect(JSON.parse(JSON.stringify(parsed))).toEqual({ vg: { id: 'a"b', n: -12, f: 1.5, list: ['x', 3, 'y'], empty: [], sub: { deeper: { k: 1 } } }, version: 1 });
  });

  it('rejects broken text', () => {
    for (const bad of ['vg {', 'vg { a = "open }', 'a = ', '}', 'a = [1, 2', 'a b', 'a = @', '{'.repeat(0) + 'x {'.repeat(100) + '}'.repeat(100)]) {
      expect(() => parseLvmText(bad), bad).toThrow(CorruptError);
    }
  });

  const vgText = (segments: string, extra = '') =>
    `vg1 {\nid = "v"\nseqno = 3\nextent_size = 8\nphysical_volumes {\npv0 {\nid = "p0"\npe_start = 8\npe_count = 10\n}\npv1 {\nid = "p1"\npe_start = 8\npe_count = 10\n}\n}\nlogical_volumes {\nlv {\nid = "l"\nstatus = ["READ", "VISIBLE"]\n${segments}\n}\n}\n${extra}}\n`;

  it('interprets linear and striped segments and sizes', () => {
    const vg = interpretMetadata(parseLvmText(vgText('segment_count = 2\nsegment1 {\nstart_extent = 0\nextent_count = 2\ntype = "striped"\nstripe_count = 1\nstripes = ["pv0", 1]\n}\nsegment2 {\nstart_extent = 2\nextent_count = 4\ntype = "striped"\nstripe_count = 2\nstripe_size = 2\nstripes = ["pv0", 5, "pv1", 0]\n}')));
    expect(vg.extentSize).toBe(4096);
    expect(vg.lvs[0]?.size).toBe(6 * 4096);
    expect(vg.lvs[0]?.segments[1]).toEqual({ startExtent: 2, extentCount: 4, type: 'striped', stripeSize: 1024, stripes: [{ pvKey: 'pv0', extent: 5 }, { pvKey: 'pv1', extent: 0 }] });
  });

  it('rejects gaps, bad stripes and two VGs in one text', () => {
    expect(() => interpretMetadata(parseLvmText(vgText('segment_count = 1\nsegment1 {\nstart_extent = 1\nextent_count = 2\ntype = "striped"\nstripe_count = 1\nstripes = ["pv0", 0]\n}')))).toThrow(/gap/);
    expect(() => interpretMetadata(parseLvmText(vgText('segment_count = 1\nsegment1 {\nstart_extent = 0\nextent_count = 2\ntype = "striped"\nstripe_count = 2\nstripes = ["pv0", 0]\n}')))).toThrow(/stripe/);
    expect(() => interpretMetadata(parseLvmText(vgText('segment_count = 1\nsegment1 {\nstart_extent = 0\nextent_count = 3\ntype = "striped"\nstripe_count = 2\nstripe_size = 2\nstripes = ["pv0", 0, "pv1", 0]\n}')))).toThrow(/divide/);
    expect(() => interpretMetadata(parseLvmText(vgText('segment_count = 1') + 'vg2 { seqno = 1 }\n'))).toThrow(/2 volume group/);
    expect(() => interpretMetadata(parseLvmText(vgText('segment_count = 2')))).toThrow(/segment1/);
  });
});

describe('LogicalVolumeDevice', () => {
  it('maps striped chunks round-robin and refuses a segment past its PV', async () => {
    const a = new Uint8Array(64).map((_, i) => i);
    const b = new Uint8Array(64).map((_, i) => 100 + i);
    const lv = new LogicalVolumeDevice('vg/lv', [{ offset: 0, length: 32, stripeSize: 4, stripes: [{ device: new MemoryDevice(a), start: 8 }, { device: new MemoryDevice(b), start: 0 }] }]);
    expect([...(await lv.read(0, 12))]).toEqual([8, 9, 10, 11, 100, 101, 102, 103, 12, 13, 14, 15]);
    expect([...(await lv.read(6, 4))]).toEqual([102, 103, 12, 13]);
    await expect(lv.read(30, 4)).rejects.toBeInstanceOf(CorruptError);
    expect(() => new LogicalVolumeDevice('vg/bad', [{ offset: 0, length: 128, stripeSize: 128, stripes: [{ device: new MemoryDevice(a), start: 0 }] }])).toThrow(/past the end/);
  });
});
