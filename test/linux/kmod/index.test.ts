// The kmod index reader and writer on bytes built in the test: round trips over many keys,
// fnmatch semantics, and every validator given input that must fail it.

import { describe, expect, it } from 'vitest';
import { CorruptError } from '../../../src/errors.js';
import { ElfFile, KmodIndex, fnmatch, normalizeAlias, parseModinfo, parseModulesDep, writeKmodIndex } from '../../../src/linux/kmod/index.js';

describe('index round trip', () => {
  it('every key reads back with its values in priority order', () => {
    const keys = Array.from({ length: 500 }, (_, i) => `k${(i * 7919) % 1000}_${'x'.repeat(i % 7)}${i % 3 === 0 ? '' : 'tail'}`);
    const entries = keys.flatMap((key, i) => [
      { key, value: `v${i}`, priority: 5 },
      { key, value: `w${i}`, priority: i % 2 === 0 ? 1 : 9 },
    ]);
    const index = new KmodIndex(writeKmodIndex(entries));
    for (const [i, key] of keys.entries()) {
      const values = index.lookup(key).map((v) => v.value);
      expect(values).toContain(`v${i}`);
      expect(values).toContain(`w${i}`);
      const priorities = index.lookup(key).map((v) => v.priority);
      expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
    }
    expect(index.lookup('k')).toEqual([]);
    expect(index.lookup('nope')).toEqual([]);
    expect(new Set(index.entries().map((e) => e.key))).toEqual(new Set(keys));
  });

  it('a key that is a prefix of another, and the empty key', () => {
    const index = new KmodIndex(writeKmodIndex([{ key: 'virtio', value: 'a', priority: 0 }, { key: 'virtio_blk', value: 'b', priority: 1 }, { key: '', value: 'root', priority: 0 }]));
    expect(index.lookup('virtio')).toEqual([{ priority: 0, value: 'a' }]);
    expect(index.lookup('virtio_blk')).toEqual([{ priority: 1, value: 'b' }]);
    expect(index.lookup('')).toEqual([{ priority: 0, value: 'root' }]);
    expect(index.lookup('virtio_')).toEqual([]);
  });

  it('wildcard lookup as modprobe does it', () => {
    const index = new KmodIndex(
      writeKmodIndex([
        { key: 'pci:v00001AF4d00001001sv*sd*bc*sc*i*', value: 'virtio_pci', priority: 3 },
        { key: 'pci:v00001AF4d*sv*sd*bc*sc*i*', value: 'virtio_pci_any', priority: 1 },
        { key: 'block_major_8_*', value: 'sd_mod', priority: 2 },
        { key: 'fs_ext4', value: 'ext4', priority: 0 },
      ]),
    );
    expect(index.lookupWildcard('pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00').map((v) => v.value)).toEqual(['virtio_pci_any', 'virtio_pci']);
    expect(index.lookupWildcard('block-major-8-0').map((v) => v.value)).toEqual(['sd_mod']);
    expect(index.lookupWildcard('fs-ext4').map((v) => v.value)).toEqual(['ext4']);
    expect(index.lookupWildcard('pci:v00008086d00001001')).toEqual([]);
  });

  it('rejects keys the format cannot hold', () => {
    expect(() => writeKmodIndex([{ key: 'caf\u00e9', value: 'x', priority: 0 }])).toThrow(RangeError);
  });
});

describe('index validators', () => {
  const good = writeKmodIndex([
    { key: 'alpha', value: 'a', priority: 0 },
    { key: 'alps', value: 'b', priority: 1 },
  ]);
  const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  it('bad magic', () => {
    const bad = good.slice();
    bad[0] = 0;
    expect(() => new KmodIndex(bad)).toThrow(/magic/);
  });
  it('unsupported version', () => {
    const bad = good.slice();
    view(bad).setUint32(4, 0x00030000);
    expect(() => new KmodIndex(bad)).toThrow(/version/);
  });
  it('truncated header', () => {
    expect(() => new KmodIndex(good.subarray(0, 8))).toThrow(CorruptError);
  });
  it('root offset outside the file', () => {
    const bad = good.slice();
    view(bad).setUint32(8, 0x80000000 | 0x0ffffff0);
    expect(() => new KmodIndex(bad).lookup('alpha')).toThrow(/outside/);
  });
  it('a child pointing back at its parent is a loop', () => {
    // Root node: prefix "al", children 'p'..'p' -> itself.
    const bytes = new Uint8Array(12 + 3 + 2 + 4);
    const v = view(bytes);
    v.setUint32(0, 0xb007f457);
    v.setUint32(4, 0x00020001);
    const root = (12 | 0x80000000 | 0x20000000) >>> 0;
    v.setUint32(8, root);
    bytes.set([0x61, 0x6c, 0], 12);
    bytes.set([0x70, 0x70], 15);
    v.setUint32(17, root);
    const index = new KmodIndex(bytes);
    expect(() => index.entries()).toThrow(/loop/);
    expect(() => index.lookup('alpalpalp')).toThrow(/loop/);
  });
  it('value count larger than the file', () => {
    const bytes = new Uint8Array(12 + 8);
    const v = view(bytes);
    v.setUint32(0, 0xb007f457);
    v.setUint32(4, 0x00020001);
    v.setUint32(8, (12 | 0x40000000) >>> 0);
    v.setUint32(12, 0x7fffffff);
    expect(() => new KmodIndex(bytes).lookup('')).toThrow(/value count/);
  });
});

describe('fnmatch', () => {
  it.each([
    ['*', 'anything', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['pci:v*d*', 'pci:v1d2', true],
    ['[abc]x', 'bx', true],
    ['[!abc]x', 'bx', false],
    ['[a-f]1', 'e1', true],
    ['[a-f]1', 'g1', false],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['*a*b*c', 'xxaxxbxxc', true],
    ['*a*b*c', 'xxaxxcxxb', false],
    ['[', '[', true],
  ])('%s vs %s → %s', (pattern, text, expected) => {
    expect(fnmatch(pattern, text)).toBe(expected);
  });
});

describe('helpers', () => {
  it('alias normalisation keeps bracket sets', () => {
    expect(normalizeAlias('block-major-8-*')).toBe('block_major_8_*');
    expect(normalizeAlias('acpi*:PNP0A0[38]-x')).toBe('acpi*:PNP0A0[38]_x');
    expect(normalizeAlias('bad]')).toBeUndefined();
    expect(normalizeAlias('bad[')).toBeUndefined();
  });
  it('modinfo and modules.dep parsing', () => {
    expect(parseModinfo(new TextEncoder().encode('alias=virtio:d00000002v*\0depends=virtio,virtio_ring\0\0intree=Y\0'))).toEqual([
      { key: 'alias', value: 'virtio:d00000002v*' },
      { key: 'depends', value: 'virtio,virtio_ring' },
      { key: 'intree', value: 'Y' },
    ]);
    expect(parseModulesDep('kernel/a.ko: kernel/b.ko kernel/c.ko\nkernel/b.ko:\n')).toEqual([
      { path: 'kernel/a.ko', deps: ['kernel/b.ko', 'kernel/c.ko'] },
      { path: 'kernel/b.ko', deps: [] },
    ]);
  });
  it('ELF validators', () => {
    expect(() => new ElfFile(new Uint8Array(100))).toThrow(/not an ELF/);
    const header = new Uint8Array(64);
    header.set([0x7f, 0x45, 0x4c, 0x46, 3, 1]);
    expect(() => new ElfFile(header)).toThrow(/class/);
    header[4] = 2;
    const v = new DataView(header.buffer);
    v.setBigUint64(0x28, 1000n, true); // shoff past the end
    v.setUint16(0x3a, 64, true);
    v.setUint16(0x3c, 3, true);
    expect(() => new ElfFile(header)).toThrow(/past the end/);
  });
});
