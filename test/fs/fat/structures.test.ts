// FAT structures on bytes built in the test: FAT12 packing of odd and even entries, FAT32's
// reserved top 4 bits kept on write, LFN encode/decode round trips (checksum, ordinals,
// padding), orphaned and mismatching LFN runs falling back to the short name, 0x05 and 0xE5
// first bytes, volume labels and dot entries, date/time fields, and basis-name generation.

import { describe, expect, it } from 'vitest';
import { MemoryDevice } from '../../../src/io/index.js';
import {
  ATTR_ARCHIVE,
  ATTR_VOLUME_ID,
  decodeDateTime,
  decodeDirectory,
  encodeDateTime,
  encodeLongName,
  encodeShortEntry,
  FatTable,
  generateShortName,
  plainShortName,
  shortNameChecksum,
  type FatGeometry,
} from '../../../src/fs/fat/index.js';

function geometry(type: 12 | 16 | 32): FatGeometry {
  return {
    type,
    bytesPerSector: 512,
    sectorsPerCluster: 1,
    clusterSize: 512,
    reservedSectors: 1,
    numFats: 2,
    rootEntryCount: type === 32 ? 0 : 16,
    totalSectors: 100,
    fatSectors: 1,
    fatOffset: 512,
    fatBytes: 512,
    rootDirOffset: 1536,
    rootDirBytes: 512,
    dataOffset: 2048,
    clusterCount: 60,
    rootCluster: 2,
    fsInfoSector: 0,
    extFlags: 0,
    media: 0xf8,
    volumeLabel: '',
    fileSystemType: '',
    reserved1Offset: 37,
    reserved1: 0,
  };
}

const key = (raw: Uint8Array): string => String.fromCharCode(...raw);

describe('FAT tables', () => {
  it('FAT12 packs two entries in three bytes; both copies are written', async () => {
    const device = new MemoryDevice(new Uint8Array(51200));
    const fat = new FatTable({ device, geometry: geometry(12) });
    await fat.set(2, 0xabc);
    await fat.set(3, 0x123);
    await fat.flush(device);
    // Entries 2 and 3 share bytes 3..5: 0xBC, 0x3A, 0x12.
    expect([...device.bytes.subarray(512 + 3, 512 + 6)]).toEqual([0xbc, 0x3a, 0x12]);
    expect([...device.bytes.subarray(1024 + 3, 1024 + 6)]).toEqual([0xbc, 0x3a, 0x12]);
    expect(await fat.get(2)).toBe(0xabc);
    expect(await fat.get(3)).toBe(0x123);
  });

  it('FAT32 keeps the top 4 bits of an entry', async () => {
    const device = new MemoryDevice(new Uint8Array(51200));
    device.bytes[512 + 4 * 5 + 3] = 0xf0;
    const fat = new FatTable({ device, geometry: geometry(32) });
    expect(await fat.get(5)).toBe(0);
    await fat.set(5, 0x0ffffff8);
    await fat.flush(device);
    expect(device.bytes[512 + 4 * 5 + 3]).toBe(0xff);
    await fat.set(5, 7);
    await fat.flush(device);
    expect([...device.bytes.subarray(512 + 20, 512 + 24)]).toEqual([7, 0, 0, 0xf0]);
  });

  it('links: free, next, end, bad, reserved', () => {
    const fat = new FatTable({ device: new MemoryDevice(new Uint8Array(51200)), geometry: geometry(16) });
    expect(fat.link(0)).toEqual({ kind: 'free' });
    expect(fat.link(5)).toEqual({ kind: 'next', cluster: 5 });
    expect(fat.link(0xfff8)).toEqual({ kind: 'end' });
    expect(fat.link(0xfff7)).toEqual({ kind: 'bad' });
    expect(fat.link(1)).toEqual({ kind: 'reserved', value: 1 });
    expect(fat.link(100)).toEqual({ kind: 'reserved', value: 100 });
  });
});

describe('directory entries', () => {
  const mtime = new Date(Date.UTC(2023, 11, 31, 23, 59, 58));

  it('LFN runs round-trip; a wrong checksum or a broken run falls back to the short name', () => {
    const raw = generateShortName('A rather long file name.json', new Set());
    expect(key(raw)).toBe('ARATHE~1JSO');
    const slots = encodeLongName('A rather long file name.json', raw);
    expect(slots.length).toBe(3);
    expect(slots[0]?.[0]).toBe(0x43);
    const short = encodeShortEntry({ raw, attributes: ATTR_ARCHIVE, ntRes: 0, firstCluster: 0x12345, size: 99, mtime });
    const good = decodeDirectory(concat([...slots, short]));
    expect(good.entries.map((e) => [e.name, e.shortName, e.firstCluster, e.size, e.firstSlot, e.slot])).toEqual([['A rather long file name.json', 'ARATHE~1.JSO', 0x12345, 99, 0, 3]]);
    expect(good.entries[0]?.mtime).toEqual(mtime);

    const badSum = slots.map((s) => s.slice());
    const middle = badSum[1] as Uint8Array;
    middle[13] = (middle[13] as number) ^ 1;
    const bad = decodeDirectory(concat([...badSum, short]));
    expect(bad.entries.map((e) => e.name)).toEqual(['ARATHE~1.JSO']);
    expect(bad.orphanLfns).toBeGreaterThan(0);

    const gap = decodeDirectory(concat([slots[0] as Uint8Array, slots[2] as Uint8Array, short]));
    expect(gap.entries.map((e) => e.name)).toEqual(['ARATHE~1.JSO']);

    const otherShort = encodeShortEntry({ raw: generateShortName('other.txt', new Set()), attributes: ATTR_ARCHIVE, ntRes: 0, firstCluster: 0, size: 0, mtime });
    expect(decodeDirectory(concat([...slots, otherShort])).entries.map((e) => e.name)).toEqual(['OTHER.TXT']);
  });

  it('a name filling its last slot exactly has no NUL; 13·k + 1 gets NUL then 0xFFFF', () => {
    for (const name of ['x'.repeat(13), 'y'.repeat(14), 'z'.repeat(255)]) {
      const raw = generateShortName(name, new Set());
      const d = decodeDirectory(concat([...encodeLongName(name, raw), encodeShortEntry({ raw, attributes: ATTR_ARCHIVE, ntRes: 0, firstCluster: 0, size: 0, mtime })]));
      expect(d.entries[0]?.name).toBe(name);
    }
  });

  it('0x00 ends, 0xE5 deleted, 0x05 means 0xE5, labels and dot entries are set aside, NTRes case bits', () => {
    const entry = (name: string, attributes = ATTR_ARCHIVE, ntRes = 0): Uint8Array => {
      const raw = new Uint8Array(11).fill(0x20);
      for (let i = 0; i < name.length; i++) raw[i] = name.charCodeAt(i);
      return encodeShortEntry({ raw, attributes, ntRes, firstCluster: 0, size: 0, mtime });
    };
    const deleted = entry('GONE    TXT');
    deleted[0] = 0xe5;
    const kanji = entry('XABC    TXT');
    kanji[0] = 0x05;
    const d = decodeDirectory(concat([entry('.'), entry('..'), entry('MYLABEL    ', ATTR_VOLUME_ID), deleted, kanji, entry('LOWER   TXT', ATTR_ARCHIVE, 0x18), entry('BASE    EXT', ATTR_ARCHIVE, 0x08), new Uint8Array(32), entry('AFTER   END')]));
    expect(d.volumeLabel).toBe('MYLABEL');
    expect(d.dots.map((e) => e.shortName)).toEqual(['.', '..']);
    expect(d.entries.map((e) => e.name)).toEqual(['\u00e5ABC.TXT', 'lower.txt', 'base.EXT']);
    expect(d.entries[0]?.rawName[0]).toBe(0xe5);
    expect(d.endSlot).toBe(7);
  });

  it('dates: FAT fields read as UTC; invalid ones are undefined', () => {
    const when = new Date(Date.UTC(2010, 6, 4, 13, 7, 31, 560));
    const f = encodeDateTime(when);
    expect(decodeDateTime(f)).toEqual(new Date(Date.UTC(2010, 6, 4, 13, 7, 31, 560)));
    expect(decodeDateTime({ date: f.date, time: f.time })).toEqual(new Date(Date.UTC(2010, 6, 4, 13, 7, 30)));
    expect(decodeDateTime({ date: 0, time: 0 })).toBeUndefined();
    expect(decodeDateTime({ date: (30 << 9) | (13 << 5) | 1, time: 0 })).toBeUndefined();
  });
});

describe('short names', () => {
  it("the spec's basis name and numeric tail", () => {
    const taken = new Set<string>();
    const add = (name: string): string => {
      const raw = generateShortName(name, taken);
      taken.add(key(raw));
      return key(raw);
    };
    expect(add('LONGNAME1.txt')).toBe('LONGNA~1TXT');
    expect(add('LONGNAME2.txt')).toBe('LONGNA~2TXT');
    expect(add('Mixed.Txt')).toBe('MIXED   TXT');
    expect(add('mixed.txt')).toBe('MIXED~1 TXT');
    expect(add('.bashrc')).toBe('BASHRC~1   ');
    expect(add('a b.c')).toBe('AB~1    C  ');
    expect(add('über.txt')).toBe('_BER~1  TXT');
    expect(add('x.toolong')).toBe('X~1     TOO');
    for (let i = 0; i < 10; i++) add('LONGNAME3.txt');
    expect(taken.has('LONGN~10TXT')).toBe(true);
  });

  it('8.3 names need no LFN: upper case as is, one-case parts through NTRes', () => {
    expect(plainShortName('README.TXT')).toMatchObject({ ntRes: 0 });
    expect(plainShortName('readme.txt')).toMatchObject({ ntRes: 0x18 });
    expect(plainShortName('readme.TXT')).toMatchObject({ ntRes: 0x08 });
    expect(plainShortName('README.txt')).toMatchObject({ ntRes: 0x10 });
    expect(plainShortName('ReadMe.txt')).toBeUndefined();
    expect(plainShortName('toolongname.txt')).toBeUndefined();
    expect(plainShortName('a+b.txt')).toBeUndefined();
    expect(shortNameChecksum(new Uint8Array(11).fill(0x20))).toBe(shortNameChecksum(new Uint8Array(11).fill(0x20)));
  });
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
