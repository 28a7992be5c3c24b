// Damaged hives: every validator rejects bad input with a CorruptError naming the structure
// and the absolute offset; corpus hives that hivex refuses are refused by us too.

import { describe, expect, it } from 'vitest';
import { CorruptError, NotFoundError } from '../../src/errors.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { Hive, HiveEditor, exportReg, baseBlockChecksum, REGF_BASE_BLOCK } from '../../src/registry/index.js';
import { DB, HBIN_HEADER, NK, SK, VK } from '../../src/registry/cells.js';
import { readCorpus } from '../helpers/tools.js';

function expectCorrupt(fn: () => unknown, structure: RegExp): CorruptError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptError);
    const corrupt = error as CorruptError;
    expect(corrupt.detail.structure).toMatch(structure);
    expect(typeof corrupt.detail.offset).toBe('number');
    return corrupt;
  }
  throw new Error('expected a CorruptError');
}

/** A minimal valid hive built here: base block, one hbin, a root nk with one subkey and one value. */
function buildHive(): Uint8Array {
  const bytes = new Uint8Array(8192);
  const view = new DataView(bytes.buffer);
  bytes.set([0x72, 0x65, 0x67, 0x66]); // regf
  view.setUint32(4, 1, true);
  view.setUint32(8, 1, true);
  view.setUint32(0x14, 1, true);
  view.setUint32(0x18, 5, true);
  view.setUint32(0x20, 1, true);
  view.setUint32(0x24, 0x20, true);
  view.setUint32(0x28, 4096, true);
  view.setUint32(0x2c, 1, true);
  bytes.set([0x68, 0x62, 0x69, 0x6e], 4096); // hbin
  view.setUint32(4096 + 8, 4096, true);
  const nk = (at: number, name: string, parent: number, subkeys: number, list: number, values: number, valueList: number) => {
    view.setInt32(at, -(0x50 + 8), true);
    view.setUint16(at + 4, 0x6b6e, true);
    view.setUint16(at + 6, 0x20 | (parent === 0 ? 4 : 0), true);
    view.setUint32(at + 4 + 0x10, parent, true);
    view.setUint32(at + 4 + 0x14, subkeys, true);
    view.setUint32(at + 4 + 0x1c, list, true);
    view.setUint32(at + 4 + 0x24, values, true);
    view.setUint32(at + 4 + 0x28, valueList, true);
    view.setUint32(at + 4 + 0x2c, 0xffffffff, true);
    view.setUint32(at + 4 + 0x30, 0xffffffff, true);
    view.setUint16(at + 4 + 0x48, name.length, true);
    for (let i = 0; i < name.length; i++) bytes[at + 4 + 0x4c + i] = name.charCodeAt(i);
  };
  // Two nk cells of 0x58 bytes: the root at 0x20 and its child at 0x78.
  nk(4096 + 0x20, 'ROOT', 0, 1, 0xd0, 1, 0xe0);
  nk(4096 + 0x78, 'Child', 0x20, 0, 0xffffffff, 0, 0xffffffff);
  return fix(bytes);
}

// Lay out the remaining cells after the two nk cells (0x20..0xd0): lf (0xd0, 16 bytes),
// value list (0xe0, 8 bytes), vk (0xe8, 32 bytes), then one free cell to the end of the hbin.
function fix(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer);
  const lf = 4096 + 0xd0;
  view.setInt32(lf, -16, true);
  view.setUint16(lf + 4, 0x666c, true);
  view.setUint16(lf + 6, 1, true);
  view.setUint32(lf + 8, 0x78, true);
  view.setUint32(lf + 12, 0x6c696843, true);
  const vlist = 4096 + 0xe0;
  view.setInt32(vlist, -8, true);
  view.setUint32(vlist + 4, 0xe8, true);
  const vk = 4096 + 0xe8;
  view.setInt32(vk, -32, true);
  view.setUint16(vk + 4, 0x6b76, true);
  view.setUint16(vk + 6, 1, true);
  view.setUint32(vk + 8, 0x80000004, true);
  view.setUint32(vk + 12, 0x12345678, true);
  view.setUint32(vk + 16, 4, true);
  view.setUint16(vk + 20, 1, true);
  bytes[vk + 24] = 0x76; // 'v'
  const free = 4096 + 0x108;
  view.setInt32(free, 8192 - free, true);
  view.setUint32(0x1fc, baseBlockChecksum(bytes), true);
  return bytes;
}

function withChecksum(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer).setUint32(0x1fc, baseBlockChecksum(bytes), true);
  return bytes;
}

describe('structure sizes (as hivex asserts sizeof)', () => {
  it('matches the spec', () => {
    expect(REGF_BASE_BLOCK.size).toBe(0x200);
    expect(HBIN_HEADER.size).toBe(0x20);
    expect(NK.size).toBe(0x4c);
    expect(VK.size).toBe(0x14);
    expect(SK.size).toBe(0x14);
    expect(DB.size).toBe(8);
    expect(REGF_BASE_BLOCK.offsetOf('checksum')).toBe(0x1fc);
  });
});

describe('a hive built in the test', () => {
  it('reads', () => {
    const hive = new Hive(buildHive());
    expect(hive.root().name).toBe('ROOT');
    expect(hive.open('child').name).toBe('Child');
    expect(hive.root().value('V').asNumber()).toBe(0x12345678);
    expect(() => hive.open('missing')).toThrow(NotFoundError);
    expect(hive.find('missing')).toBeUndefined();
    expect(new TextDecoder().decode(exportReg(hive))).toBe('Windows Registry Editor Version 5.00\n\n[\\]\n"v"=dword:12345678\n\n[\\Child]\n\n');
  });

  const cases: [string, (b: Uint8Array, v: DataView) => void, RegExp][] = [
    ['bad signature', (b) => (b[0] = 0x78), /regf base block/],
    ['bad checksum', (_b, v) => v.setUint32(0x1fc, 1, true), /checksum/],
    ['unknown version', (_b, v) => v.setUint32(0x18, 9, true), /version/],
    ['hive bins size not a multiple of 4096', (_b, v) => v.setUint32(0x28, 100, true), /regf base block/],
    ['hive bins beyond the file', (_b, v) => v.setUint32(0x28, 1 << 30, true), /hive bins/],
    ['bad hbin signature', (b) => (b[4096] = 0), /hbin header/],
    ['absurd hbin size', (_b, v) => v.setUint32(4096 + 8, 0x7ffff000, true), /hbin header/],
    ['cell size not a multiple of 8', (_b, v) => v.setInt32(4096 + 0x20, -0x55, true), /hbin cell/],
    ['cell running past its hbin', (_b, v) => v.setInt32(4096 + 0x108, 99999992, true), /hbin cell/],
    ['root pointing into a cell', (_b, v) => v.setUint32(0x24, 0x24, true), /root key/],
    ['root not an nk', (_b, v) => v.setUint32(0x24, 0xd0, true), /root key/],
  ];
  for (const [name, damage, structure] of cases) {
    it(`rejects: ${name}`, () => {
      const bytes = buildHive();
      damage(bytes, new DataView(bytes.buffer));
      if (name !== 'bad checksum') withChecksum(bytes);
      expectCorrupt(() => new Hive(bytes), structure);
    });
  }

  const lazyCases: [string, (b: Uint8Array, v: DataView) => void, RegExp, (h: Hive) => unknown][] = [
    ['subkey list outside the hbins', (_b, v) => v.setUint32(4096 + 0x20 + 4 + 0x1c, 0x7fff0000, true), /subkeys list/, (h) => h.root().subkeys()],
    ['subkey list of a wrong kind', (_b, v) => v.setUint32(4096 + 0x20 + 4 + 0x1c, 0xe0, true), /subkeys list/, (h) => h.root().subkeys()],
    ['subkey entry not an nk', (_b, v) => v.setUint32(4096 + 0xd0 + 8, 0xe8, true), /subkeys list entry/, (h) => h.root().subkeys()],
    ['absurd subkey count in the list', (_b, v) => v.setUint16(4096 + 0xd0 + 6, 0xffff, true), /lf subkeys list/, (h) => h.root().subkeys()],
    ['absurd value count', (_b, v) => v.setUint32(4096 + 0x20 + 4 + 0x24, 0x7fffffff, true), /values list/, (h) => h.root().values()],
    ['value entry into a cell', (_b, v) => v.setUint32(4096 + 0xe0 + 4, 0xec, true), /values list entry/, (h) => h.root().values()],
    ['key name past its cell', (_b, v) => v.setUint16(4096 + 0x78 + 4 + 0x48, 0x7fff, true), /nk cell/, (h) => h.root().subkeys()[0]!.name],
    ['inline data longer than 4', (_b, v) => v.setUint32(4096 + 0xe8 + 8, 0x80000010, true), /vk cell/, (h) => h.root().values()[0]!.data],
    ['data larger than its cell, not db', (_b, v) => (v.setUint32(4096 + 0xe8 + 8, 4000, true), v.setUint32(4096 + 0xe8 + 12, 0xd0, true)), /value data cell/, (h) => h.root().values()[0]!.data],
    ['subkey list looping to an ancestor', (_b, v) => v.setUint32(4096 + 0xd0 + 8, 0x20, true), /nk cell/, (h) => exportReg(h)],
  ];
  for (const [name, damage, structure, read] of lazyCases) {
    it(`rejects on read: ${name}`, () => {
      const bytes = buildHive();
      damage(bytes, new DataView(bytes.buffer));
      const hive = new Hive(withChecksum(bytes), { diagnostics: new DiagnosticLog() });
      expectCorrupt(() => read(hive), structure);
    });
  }
});

describe('validators on real cells', () => {
  const bigValue = () => {
    const bytes = readCorpus('registry/special/yarp-BigDataHive');
    const hive = new Hive(bytes);
    const value = hive.root().subkeys().flatMap((k) => k.values()).find((v) => v.size > 16344)!;
    const db = hive.view.getUint32(value.offset + 4 + 8, true) + 4096;
    return { bytes, hive, value, db };
  };

  it('big data: too many segments for the list', () => {
    const { bytes, db } = bigValue();
    new DataView(bytes.buffer).setUint16(db + 6, 0xfff0, true);
    expectCorrupt(() => new Hive(bytes).root().subkeys().flatMap((k) => k.values()).map((v) => v.data), /db segments list/);
  });

  it('big data: declared size beyond the segments', () => {
    const { bytes, value } = bigValue();
    new DataView(bytes.buffer).setUint32(value.offset + 4 + 4, 0x7ffffff0, true);
    expectCorrupt(() => new Hive(bytes).root().subkeys().flatMap((k) => k.values()).map((v) => v.data), /db cell/);
  });

  it('security descriptor larger than its sk cell', () => {
    const bytes = readCorpus('registry/special/hivex-minimal');
    const hive = new Hive(bytes);
    const sk = hive.root().security()!;
    new DataView(bytes.buffer).setUint32(sk.offset + 4 + 0x10, 0x10000, true);
    expectCorrupt(() => new Hive(bytes).root().security(), /sk cell/);
  });

  it('class name longer than its cell', () => {
    const bytes = readCorpus('registry/system/winxp-sp3-x86-iecompatvhd/SYSTEM.xz');
    const hive = new Hive(bytes);
    let key = hive.root().subkeys().find((k) => k.className !== undefined);
    for (const k of hive.open('ControlSet001\\Control\\Lsa').subkeys()) if (k.className !== undefined) key = k;
    expect(key).toBeDefined();
    new DataView(bytes.buffer).setUint16(key!.offset + 4 + 0x4a, 0xfff0, true);
    expectCorrupt(() => new Hive(bytes).open(key!.path).className, /class name cell/);
  });
});

describe('corrupt corpus hives', () => {
  const refused: [string, RegExp][] = [
    ['corrupt/regf/yarp-GarbageHive', /checksum/],
    ['corrupt/regf/yarp-TruncatedHive', /hive bins/],
    ['corrupt/regf/yarp-TruncatedDirtyHive', /hive bins/],
    ['corrupt/regf/corrupted_system_hive.xz', /hbin header/],
    ['corrupt/regf/yarp-BadBaseBlockHive/BadBaseBlockHive', /checksum/],
  ];
  for (const [relative, structure] of refused) {
    it(`${relative} (hivex refuses it too)`, () => {
      const error = expectCorrupt(() => new Hive(readCorpus(relative)), structure);
      expect(error.message).toMatch(/offset \d+ \(0x[0-9a-f]+\)/);
    });
  }

  it('a damaged but readable hive (duplicate list entries) can still be edited', () => {
    const hive = new Hive(readCorpus('corrupt/regf/yarp-BadListHive'), { diagnostics: new DiagnosticLog() });
    expect(() => new HiveEditor(hive)).not.toThrow();
  });
});
