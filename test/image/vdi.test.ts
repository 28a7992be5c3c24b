import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openImage } from '../../src/image/open.js';
import { vdiFormat, decodeVdiHeader, VDI_HEADER } from '../../src/image/vdi/index.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { allocationOf } from '../../src/io/block-device.js';
import { CorruptError, UnsupportedError } from '../../src/errors.js';
import { DiagnosticLog, ignoreDiagnostics } from '../../src/diagnostics.js';
import type { OpenContext } from '../../src/image/types.js';
import { CORPUS, extractCorpus, requireTool, run, sha256Device, sha256File, tempDir } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';

interface MapEntry {
  start: number;
  length: number;
  data: boolean;
}

/** qemu-img map's data ranges, coalesced. */
function qemuDataRuns(path: string): Array<{ offset: number; length: number; kind: 'data' | 'zero' }> {
  const entries = JSON.parse(run('qemu-img', ['map', '--output=json', path])) as MapEntry[];
  const out: Array<{ offset: number; length: number; kind: 'data' | 'zero' }> = [];
  for (const e of entries) {
    const kind = e.data ? 'data' : 'zero';
    const last = out[out.length - 1];
    if (last && last.kind === kind && last.offset + last.length === e.start) last.length += e.length;
    else out.push({ offset: e.start, length: e.length, kind });
  }
  return out;
}

const context = (name: string, diagnostics = ignoreDiagnostics): OpenContext => ({
  filename: name,
  diagnostics,
  openFile: async () => {
    throw new Error('no files');
  },
  openBacking: async () => {
    throw new Error('no backing');
  },
});

function makeVdi(options: string[] = []): { dir: string; vdi: string; raw: string } {
  requireTool('qemu-img');
  const dir = tempDir();
  const pattern = join(dir, 'pattern.raw');
  writePatternDisk(pattern, { size: 12 * MIB + 512 });
  const vdi = join(dir, 'disk.vdi');
  run('qemu-img', ['convert', '-O', 'vdi', ...options, pattern, vdi]);
  const raw = join(dir, 'back.raw');
  run('qemu-img', ['convert', '-O', 'raw', vdi, raw]);
  return { dir, vdi, raw };
}

describe('VDI', () => {
  for (const [label, options, subformat] of [
    ['dynamic', [], 'dynamic'],
    ['static', ['-o', 'static=on'], 'static'],
  ] as const) {
    it(`reads a ${label} image made by qemu-img to the same bytes and allocation as qemu-img`, async () => {
      const { vdi, raw } = makeVdi([...options]);
      const image = await openImage(vdi);
      try {
        expect(image.format).toBe('vdi');
        expect(image.subformat).toBe(subformat);
        const info = JSON.parse(run('qemu-img', ['info', '--output=json', vdi]));
        expect(image.virtualSize).toBe(info['virtual-size']);
        expect(image.details.blockSize).toBe(info['cluster-size']);
        expect(await sha256Device(image.device)).toBe(await sha256File(raw));
        expect(await allocationOf(image.device)).toEqual(qemuDataRuns(vdi));
        // Unaligned reads across block boundaries.
        const across = await image.device.read(MIB - 3, 6);
        expect(Array.from(across.subarray(0, 3))).toEqual([0xa5, 0xa5, 0xa5]);
        expect(Array.from(across.subarray(3))).toEqual([1, 0, 0]);
        await expect(image.device.read(image.virtualSize - 1, 2)).rejects.toThrow(CorruptError);
      } finally {
        await image.close();
      }
    });
  }

  it('reads the dissect corpus image as qemu-img did', async () => {
    const dir = tempDir();
    const path = extractCorpus('images/vdi/dissect-basic.vdi.gz', dir);
    const oracle = JSON.parse(readFileSync(join(CORPUS, 'oracle/images/vdi/dissect-basic.vdi.raw.json'), 'utf8'));
    const info = JSON.parse(readFileSync(join(CORPUS, 'oracle/images/vdi/dissect-basic.vdi.qemu-img-info.json'), 'utf8'));
    const image = await openImage(path);
    try {
      expect(image.format).toBe('vdi');
      expect(image.virtualSize).toBe(oracle.raw_size);
      expect(image.details.blockSize).toBe(info['cluster-size']);
      expect(await sha256Device(image.device)).toBe(oracle.raw_sha256);
    } finally {
      await image.close();
    }
  });

  describe('rejects bad headers and maps', () => {
    async function sample(): Promise<Uint8Array> {
      const { vdi } = makeVdi();
      return new Uint8Array(readFileSync(vdi));
    }
    const set32 = (bytes: Uint8Array, at: number, value: number): Uint8Array => {
      const copy = bytes.slice();
      new DataView(copy.buffer).setUint32(at, value, true);
      return copy;
    };
    const open = (bytes: Uint8Array, diagnostics = ignoreDiagnostics) => vdiFormat.open(new MemoryDevice(bytes), context('x.vdi', diagnostics));

    it('probes by signature only', async () => {
      const bytes = await sample();
      expect(await vdiFormat.probe(new MemoryDevice(bytes))).toBe(true);
      const bad = set32(bytes, 0x40, 0xbeda1070);
      expect(await vdiFormat.probe(new MemoryDevice(bad))).toBe(false);
      await expect(open(bad)).rejects.toThrow(CorruptError);
      expect(await vdiFormat.probe(new MemoryDevice(new Uint8Array(10)))).toBe(false);
    });

    it('refuses diff and undo images and other versions as unsupported', async () => {
      const bytes = await sample();
      await expect(open(set32(bytes, 0x4c, 4))).rejects.toThrow(UnsupportedError);
      await expect(open(set32(bytes, 0x4c, 4))).rejects.toThrow(/diff/);
      await expect(open(set32(bytes, 0x4c, 3))).rejects.toThrow(/undo/);
      await expect(open(set32(bytes, 0x44, 0x00000001))).rejects.toThrow(UnsupportedError);
      await expect(open(set32(bytes, 0x4c, 9))).rejects.toThrow(CorruptError);
    });

    it('checks block size, counts, map position and every map entry against the file', async () => {
      const bytes = await sample();
      const layout = decodeVdiHeader(bytes, bytes.length);
      const { offBlocks } = layout.header;
      await expect(open(set32(bytes, 0x178, 3 * MIB))).rejects.toThrow(/block size/);
      await expect(open(set32(bytes, 0x180, 2))).rejects.toThrow(/do not cover/);
      await expect(open(set32(bytes, 0x180, 0x7fffffff))).rejects.toThrow(CorruptError);
      await expect(open(set32(bytes, 0x154, bytes.length - 4))).rejects.toThrow(/block map/);
      await expect(open(set32(bytes, 0x158, 0x10))).rejects.toThrow(/overlaps/);
      await expect(open(set32(bytes, offBlocks + 4, 5000))).rejects.toThrow(/past the end/);
      await expect(open(bytes.slice(0, bytes.length - 100))).rejects.toThrow(CorruptError);
      await expect(open(bytes.slice(0, VDI_HEADER.size - 1))).rejects.toThrow(CorruptError);
      // A discarded block reads as zeros; a wrong allocated count is only a warning.
      const log = new DiagnosticLog();
      const image = await open(set32(bytes, offBlocks, 0xfffffffe), log);
      expect(Array.from(await image.device.read(0, 4))).toEqual([0, 0, 0, 0]);
      expect((await allocationOf(image.device, 0, MIB))[0]!.kind).toBe('zero');
      expect(log.warnings().map((w) => w.code)).toEqual(['vdi-allocated-count']);
      // Two virtual blocks sharing one file block are readable but reported.
      const shared = set32(bytes, offBlocks + 4, new DataView(bytes.buffer, bytes.byteOffset).getUint32(offBlocks, true));
      const log2 = new DiagnosticLog();
      await open(shared, log2);
      expect(log2.warnings().map((w) => w.code)).toContain('vdi-shared-blocks');
    });

    it('header struct has the v1.1 size', () => {
      expect(VDI_HEADER.size).toBe(0x1c8);
      expect(VDI_HEADER.offsetOf('cbDisk')).toBe(0x170);
      expect(VDI_HEADER.offsetOf('uuidCreate')).toBe(0x188);
    });
  });

  it('a file written to disk can be reopened by openImage with format vdi', async () => {
    const { dir, vdi } = makeVdi();
    const copy = join(dir, 'copy.bin');
    writeFileSync(copy, readFileSync(vdi));
    const image = await openImage(copy, { format: 'vdi' });
    expect(image.details.imageType).toBe('dynamic');
    expect(typeof image.details.uuid).toBe('string');
    await image.close();
  });
});
