// VMDK structures on bytes built in the test: struct sizes against the spec, the descriptor
// parser and writer, an ESX "COWD" sparse extent built by hand (qemu-img cannot write one),
// and the probe's refusal of data that only resembles a descriptor.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tools.js';
import { openImage } from '../../src/image/open.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { CorruptError } from '../../src/errors.js';
import { referenceCandidates } from '../../src/image/vmdk/host-path.js';
import {
  CowdHeader,
  GrainMarker,
  MetadataMarker,
  SeSparseConstHeader,
  SparseExtentHeader,
  formatDescriptor,
  looksLikeDescriptor,
  parseDescriptor,
  vmdkFormat,
} from '../../src/image/vmdk/index.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('rehost-vmdk-struct-');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('structure sizes and offsets (as in the VMDK spec)', () => {
  test('hosted sparse header is one sector with fields at the spec offsets', () => {
    expect(SparseExtentHeader.size).toBe(512);
    expect(SparseExtentHeader.offsetOf('capacity')).toBe(0x0c);
    expect(SparseExtentHeader.offsetOf('numGTEsPerGT')).toBe(0x2c);
    expect(SparseExtentHeader.offsetOf('gdOffset')).toBe(0x38);
    expect(SparseExtentHeader.offsetOf('compressAlgorithm')).toBe(0x4d);
  });
  test('COWD, seSparse and markers', () => {
    expect(CowdHeader.size).toBe(0x20);
    expect(SeSparseConstHeader.offsetOf('grainDirOffset')).toBe(0x80);
    expect(SeSparseConstHeader.size).toBe(0xd0);
    expect(GrainMarker.size).toBe(12);
    expect(MetadataMarker.size).toBe(16);
  });
});

describe('descriptor', () => {
  const qemuStyle = [
    '# Disk DescriptorFile',
    'version=1',
    'CID=20f16127',
    'parentCID=ffffffff',
    'createType="twoGbMaxExtentSparse"',
    'parentFileNameHint="../base image.vmdk"',
    '',
    '# Extent description',
    'RW 4192256 SPARSE "disk-s001.vmdk"',
    'RDONLY 8192 FLAT "disk flat.vmdk" 2048',
    'NOACCESS 100 ZERO',
    '',
    '#DDB',
    'ddb.virtualHWVersion = "4"',
    'ddb.adapterType = "lsilogic"',
    'ddb.geometry.cylinders = "261"',
    'changeTrackPath="disk-ctk.vmdk"',
  ].join('\n');

  test('parses header entries, extents and the disk database', () => {
    const bytes = new TextEncoder().encode(`${qemuStyle}\n\0\0\0garbage after the NUL`);
    const d = parseDescriptor(bytes, 512);
    expect(d).toMatchObject({
      version: 1,
      cid: 0x20f16127,
      parentCid: 0xffffffff,
      createType: 'twoGbMaxExtentSparse',
      parentFileNameHint: '../base image.vmdk',
      ddb: { virtualHWVersion: '4', adapterType: 'lsilogic', 'geometry.cylinders': '261' },
      entries: { changeTrackPath: 'disk-ctk.vmdk' },
    });
    expect(d.extents.map(({ lineOffset: _, ...e }) => e)).toEqual([
      { access: 'RW', sectors: 4192256, type: 'SPARSE', filename: 'disk-s001.vmdk', offset: 0 },
      { access: 'RDONLY', sectors: 8192, type: 'FLAT', filename: 'disk flat.vmdk', offset: 2048 },
      { access: 'NOACCESS', sectors: 100, type: 'ZERO', offset: 0 },
    ]);
    expect(d.extents[0]?.lineOffset).toBe(512 + qemuStyle.indexOf('RW 4192256'));
  });

  test('formatDescriptor output parses back to the same facts', () => {
    const text = formatDescriptor({
      cid: 0xabc,
      parentCid: 0xffffffff,
      createType: 'monolithicSparse',
      extents: [{ access: 'RW', sectors: 2048, type: 'SPARSE', filename: 'x.vmdk' }],
      ddb: { adapterType: 'ide' },
    });
    expect(text).toContain('CID=00000abc');
    const d = parseDescriptor(new TextEncoder().encode(text));
    expect(d).toMatchObject({ cid: 0xabc, createType: 'monolithicSparse', ddb: { adapterType: 'ide' } });
    expect(d.extents[0]).toMatchObject({ sectors: 2048, type: 'SPARSE', filename: 'x.vmdk' });
  });

  test('errors name the offending line by absolute offset', () => {
    const text = 'createType="x"\nRW 10 FLAT\n';
    const error = (() => {
      try {
        parseDescriptor(new TextEncoder().encode(text), 1000);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CorruptError);
    expect((error as CorruptError).detail).toMatchObject({ structure: 'VMDK descriptor extent line', offset: 1015 });
  });

  test('probe: descriptors with and without the comment line; not binary or other text', async () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(looksLikeDescriptor(enc(qemuStyle))).toBe(true);
    expect(looksLikeDescriptor(enc('version=1\ncreateType="monolithicFlat"\nRW 10 ZERO\n'))).toBe(true);
    expect(looksLikeDescriptor(enc('version=1\nname=foo\n'))).toBe(false);
    expect(looksLikeDescriptor(new Uint8Array([0xeb, 0x63, 0x90, 0x10, 0x8e]))).toBe(false);
    expect(await vmdkFormat.probe(new MemoryDevice(new Uint8Array(4096)))).toBe(false);
    expect(await vmdkFormat.probe(new MemoryDevice(enc('KDMV')))).toBe(true);
  });
});

describe('host paths in references', () => {
  test('Windows spellings are retried with slashes, then by base name', () => {
    expect(referenceCandidates('base.vmdk')).toEqual(['base.vmdk']);
    expect(referenceCandidates('..\\base\\b.vmdk')).toEqual(['..\\base\\b.vmdk', '../base/b.vmdk', 'b.vmdk']);
    expect(referenceCandidates('C:\\VMs\\b.vmdk')).toEqual(['C:\\VMs\\b.vmdk', 'b.vmdk']);
  });
});

describe('ESX sparse extent (COWD) built by hand', () => {
  test('reads grains through its 4096-entry grain table and maps the rest as zeros', async () => {
    const sectors = 2048; // 1 MiB
    const grain = 16; // 8 KiB grains
    const gtSector = 5;
    const firstGrain = gtSector + (4096 * 4) / 512;
    const bytes = new Uint8Array((firstGrain + 2 * grain) * 512);
    const view = new DataView(bytes.buffer);
    CowdHeader.encode({ magicNumber: new Uint8Array([0x43, 0x4f, 0x57, 0x44]), version: 1, flags: 3, numSectors: sectors, grainSize: grain, gdOffset: 4, numGDEntries: 1, freeSector: firstGrain + 2 * grain }, bytes);
    view.setUint32(4 * 512, gtSector, true);
    view.setUint32(gtSector * 512 + 0 * 4, firstGrain, true);
    view.setUint32(gtSector * 512 + 3 * 4, firstGrain + grain, true);
    bytes.fill(0x11, firstGrain * 512, (firstGrain + grain) * 512);
    bytes.fill(0x33, (firstGrain + grain) * 512, (firstGrain + 2 * grain) * 512);
    const path = join(dir, 'esx.vmdk');
    writeFileSync(path, bytes);

    const image = await openImage(path);
    try {
      expect(image.format).toBe('vmdk');
      expect(image.subformat).toBe('vmfsSparse');
      expect(image.virtualSize).toBe(sectors * 512);
      const disk = await image.device.read(0, sectors * 512);
      const expected = new Uint8Array(sectors * 512);
      expected.fill(0x11, 0, 8192);
      expected.fill(0x33, 3 * 8192, 4 * 8192);
      expect(Buffer.from(disk).equals(Buffer.from(expected))).toBe(true);
      expect(await image.device.allocation!(0, sectors * 512)).toEqual([
        { offset: 0, length: 8192, kind: 'data' },
        { offset: 8192, length: 2 * 8192, kind: 'zero' },
        { offset: 3 * 8192, length: 8192, kind: 'data' },
        { offset: 4 * 8192, length: sectors * 512 - 4 * 8192, kind: 'zero' },
      ]);
    } finally {
      await image.close();
    }
  });

  test('a COWD header whose grain directory is too short or lies outside the file is corrupt', async () => {
    const bytes = new Uint8Array(8 * 512);
    const header = { magicNumber: new Uint8Array([0x43, 0x4f, 0x57, 0x44]), version: 1, flags: 3, numSectors: 1 << 20, grainSize: 16, gdOffset: 4, numGDEntries: 1, freeSector: 8 };
    writeFileSync(join(dir, 'short.vmdk'), CowdHeader.encode(header, bytes.slice()));
    const short = await openImage(join(dir, 'short.vmdk')).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(CorruptError);
    expect((short as CorruptError).detail).toMatchObject({ structure: 'VMDK COWD header', offset: 0x18 });
    writeFileSync(join(dir, 'far.vmdk'), CowdHeader.encode({ ...header, numSectors: 2048, gdOffset: 1000 }, bytes.slice()));
    const far = await openImage(join(dir, 'far.vmdk')).catch((e: unknown) => e);
    expect(far).toBeInstanceOf(CorruptError);
    expect((far as CorruptError).detail.structure).toMatch(/grain directory/);
  });
});
