import { describe, expect, it, beforeAll } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openImage } from '../../src/image/index.js';
import { vhdFormat, vhdWriter } from '../../src/image/vhd/index.js';
import { FileDevice, MemoryDevice, WritableFileDevice, allocationOf } from '../../src/io/index.js';
import { CorruptError, NotFoundError } from '../../src/errors.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { onesComplementByteSum } from '../../src/binary/index.js';
import { CORPUS, extractCorpus, requireTool, run, scratchDirs, sha256Device, sha256File } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';
import { generateVhd } from './vhd-generator.js';

/** A temp dir removed after this file's tests. */
const scratch = scratchDirs();

const ORACLE = join(CORPUS, 'oracle/images/vhd');
const oracleJson = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(ORACLE, name), 'utf8')) as Record<string, unknown>;
const vhdiinfo = (name: string): string => readFileSync(join(ORACLE, `${name}.vhdiinfo.txt`), 'utf8');

function qemuRawSha(dir: string, path: string, format: string): Promise<string> {
  const out = join(dir, `qemu-${Math.random().toString(36).slice(2)}.raw`);
  run('qemu-img', ['convert', '-f', format, '-O', 'raw', path, out]);
  return sha256File(out);
}

function qemuInfo(path: string, format: string): { 'virtual-size': number } {
  return JSON.parse(run('qemu-img', ['info', '--output=json', '-f', format, path])) as { 'virtual-size': number };
}

/** Rewrites footer fields in both copies of a dynamic VHD and fixes their checksums. */
function patchFooters(path: string, patch: (footer: Uint8Array) => void): void {
  const bytes = new Uint8Array(readFileSync(path));
  for (const at of [0, bytes.length - 512]) {
    const footer = bytes.subarray(at, at + 512);
    patch(footer);
    const view = new DataView(footer.buffer, footer.byteOffset);
    view.setUint32(64, 0);
    view.setUint32(64, onesComplementByteSum(footer));
  }
  writeFileSync(path, bytes);
}

describe('VHD reader: corpus', () => {
  let dir: string;
  beforeAll(() => {
    dir = scratch();
  });

  for (const name of ['dissect-fixed.vhd', 'dissect-dynamic.vhd']) {
    it(`${name} reads like qemu-img convert -f vpc`, async () => {
      const path = extractCorpus(`images/vhd/${name}.gz`, dir);
      const oracle = oracleJson(`${name}.raw.json`);
      const image = await openImage(path);
      try {
        expect(image.format).toBe('vpc');
        expect(image.subformat).toBe(name.includes('fixed') ? 'fixed' : 'dynamic');
        expect(image.virtualSize).toBe(oracle['raw_size']);
        expect(await sha256Device(image.device)).toBe(oracle['raw_sha256']);
        expect(vhdiinfo(name)).toContain(`Identifier\t\t: ${String(image.details['uniqueId'])}`);
      } finally {
        await image.close();
      }
    });
  }

  it('dfvfs-image.vhd (both footer checksums stale, copies agree) opens with a warning like libvhdi', async () => {
    const diagnostics = new DiagnosticLog();
    const image = await openImage(join(CORPUS, 'images/vhd/dfvfs-image.vhd'), { diagnostics });
    try {
      expect(image.subformat).toBe('dynamic');
      expect(image.virtualSize).toBe(104448);
      expect(vhdiinfo('dfvfs-image.vhd')).toContain('Media size\t\t: 102 KiB (104448 bytes)');
      expect(vhdiinfo('dfvfs-image.vhd')).toContain(`Identifier\t\t: ${String(image.details['uniqueId'])}`);
      expect(diagnostics.warnings().map((d) => d.code)).toContain('vhd-footer-checksum');
      await sha256Device(image.device);
    } finally {
      await image.close();
    }
  });

  it('dfvfs-image-differential.vhd finds its parent by name and checks its id', async () => {
    const chain = scratch();
    copyFileSync(join(CORPUS, 'images/vhd/dfvfs-image.vhd'), join(chain, 'image.vhd'));
    copyFileSync(join(CORPUS, 'images/vhd/dfvfs-image-differential.vhd'), join(chain, 'child.vhd'));
    const diagnostics = new DiagnosticLog();
    const image = await openImage(join(chain, 'child.vhd'), { diagnostics });
    try {
      const info = vhdiinfo('dfvfs-image-differential.vhd');
      expect(image.subformat).toBe('differencing');
      expect(info).toContain(`Parent identifier\t: ${String(image.details['parentUniqueId'])}`);
      expect(info).toContain(`Parent filename\t\t: ${String(image.details['parentName'])}`);
      expect(image.backing?.details['uniqueId']).toBe(image.details['parentUniqueId']);
      expect(diagnostics.entries.map((d) => d.code)).not.toContain('vhd-parent-id-mismatch');
      expect(image.virtualSize).toBe(104448);
      await sha256Device(image.device);
    } finally {
      await image.close();
    }
  });

  it('the dfvfs chain reads like libvhdi (vhdimount): child and parent', async () => {
    requireTool('vhdimount');
    const chain = scratch();
    const mount = join(chain, 'mnt');
    mkdirSync(mount);
    copyFileSync(join(CORPUS, 'images/vhd/dfvfs-image.vhd'), join(chain, 'image.vhd'));
    copyFileSync(join(CORPUS, 'images/vhd/dfvfs-image-differential.vhd'), join(chain, 'child.vhd'));
    run('vhdimount', [join(chain, 'child.vhd'), mount], { cwd: chain });
    try {
      // vhdimount lists the chain base first: vhdi1 is the parent, vhdi2 the child.
      const parent = await sha256File(join(mount, 'vhdi1'));
      const child = await sha256File(join(mount, 'vhdi2'));
      const image = await openImage(join(chain, 'child.vhd'));
      try {
        expect(await sha256Device(image.device)).toBe(child);
        expect(await sha256Device(image.backing!.device)).toBe(parent);
      } finally {
        await image.close();
      }
    } finally {
      run('fusermount', ['-u', mount]);
    }
  });

  it('a differencing VHD without its parent says which parent is missing', async () => {
    const lone = scratch();
    copyFileSync(join(CORPUS, 'images/vhd/dfvfs-image-differential.vhd'), join(lone, 'child.vhd'));
    const error = await openImage(join(lone, 'child.vhd')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(String((error as Error).message)).toContain('image.vhd');
    expect(String((error as Error).message)).toContain('d49c5c80-350a-4a89-898a-5ad6d10f6578');
  });
});

describe('VHD reader: images made by qemu-img', () => {
  let dir: string;
  let pattern: string;
  let patternSha: string;
  beforeAll(async () => {
    requireTool('qemu-img');
    dir = scratch();
    pattern = join(dir, 'pattern.raw');
    writePatternDisk(pattern, { size: 20 * MIB + 512 });
    patternSha = await sha256File(pattern);
  });

  const cases: Array<[string, string[]]> = [
    ['fixed', ['-o', 'subformat=fixed']],
    ['dynamic', ['-o', 'subformat=dynamic']],
    ['fixed-force', ['-o', 'subformat=fixed,force_size=on']],
    ['dynamic-force', ['-o', 'subformat=dynamic,force_size=on']],
  ];
  for (const [label, args] of cases) {
    it(`${label}: rehost read == qemu-img convert -O raw, size == qemu-img info`, async () => {
      const path = join(dir, `${label}.vhd`);
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', ...args, pattern, path]);
      const image = await openImage(path);
      try {
        expect(image.format).toBe('vpc');
        expect(image.virtualSize).toBe(qemuInfo(path, 'vpc')['virtual-size']);
        expect(await sha256Device(image.device)).toBe(await qemuRawSha(dir, path, 'vpc'));
        if (label === 'dynamic') {
          // Data runs match qemu-img map's allocated ranges exactly.
          const map = JSON.parse(run('qemu-img', ['map', '--output=json', '-f', 'vpc', path])) as Array<{ start: number; length: number; data: boolean }>;
          const expected = map.filter((m) => m.data).map((m) => ({ offset: m.start, length: m.length }));
          const ours = (await allocationOf(image.device)).filter((r) => r.kind === 'data').map((r) => ({ offset: r.offset, length: r.length }));
          expect(ours).toEqual(mergeRanges(expected));
        }
      } finally {
        await image.close();
      }
    });
  }

  it('virtual size follows qemu: CHS for unknown creators, current_size for Hyper-V', async () => {
    for (const creator of ['vpc ', 'win ', 'abcd', 'd2v ']) {
      const path = join(dir, `creator-${creator.trim()}.vhd`);
      run('qemu-img', ['create', '-q', '-f', 'vpc', '-o', 'subformat=dynamic,force_size=on', path, '10000000']);
      patchFooters(path, (footer) => {
        for (let i = 0; i < 4; i++) footer[28 + i] = creator.charCodeAt(i);
      });
      const image = await openImage(path);
      try {
        expect(image.virtualSize, creator).toBe(qemuInfo(path, 'vpc')['virtual-size']);
      } finally {
        await image.close();
      }
    }
  });

  it('CHS geometry matches the one qemu-img writes (VHD specification appendix)', async () => {
    const { geometryFor } = await import('../../src/image/vhd/index.js');
    for (const size of ['10M', '100M', '1G', '40G', '100G']) {
      const path = join(dir, `geometry-${size}.vhd`);
      // Without force_size qemu rounds the size to whole cylinders and records that geometry.
      run('qemu-img', ['create', '-q', '-f', 'vpc', '-o', 'subformat=dynamic', path, size]);
      const footer = readFileSync(path).subarray(0, 512);
      const current = Number(footer.readBigUInt64BE(48));
      expect(geometryFor(current / 512), size).toEqual({ cylinders: footer.readUInt16BE(56), heads: footer[58], sectorsPerTrack: footer[59] });
    }
  });

  it('rehost writer: dynamic and fixed VHDs read back by qemu-img to the same bytes', async () => {
    const source = await FileDevice.open(pattern);
    try {
      for (const subformat of ['dynamic', 'fixed']) {
        const path = join(dir, `ours-${subformat}.vhd`);
        const output = await WritableFileDevice.create(path);
        await vhdWriter.write({ source, output, subformat });
        await output.close();
        const info = qemuInfo(path, 'vpc');
        const expectedSize = subformat === 'fixed' ? Math.ceil(source.size / MIB) * MIB : source.size;
        expect(info['virtual-size']).toBe(expectedSize);
        const raw = join(dir, `ours-${subformat}.raw`);
        run('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', path, raw]);
        const back = readFileSync(raw);
        const original = readFileSync(pattern);
        expect(Buffer.compare(back.subarray(0, original.length), original)).toBe(0);
        expect(back.subarray(original.length).every((b) => b === 0)).toBe(true);
        const image = await openImage(path);
        try {
          expect(image.subformat).toBe(subformat);
          expect(await sha256Device(image.device)).toBe(subformat === 'fixed' ? await sha256File(raw) : patternSha);
        } finally {
          await image.close();
        }
        if (subformat === 'dynamic') {
          // Holes stay unallocated: MiB 2 of every 4 is a hole, so the 2 MiB blocks 1, 3, 5 … hold data
          // only in their first MiB while the file stays smaller than the disk.
          expect(readFileSync(path).length).toBeLessThan(source.size + 4 * MIB);
        }
      }
    } finally {
      await source.close();
    }
  });
});

function mergeRanges(ranges: Array<{ offset: number; length: number }>): Array<{ offset: number; length: number }> {
  const out: Array<{ offset: number; length: number }> = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && last.offset + last.length === r.offset) last.length += r.length;
    else out.push({ ...r });
  }
  return out;
}

describe('VHD reader: differencing disks from the generator', () => {
  const BLOCK = 2 * MIB;
  const parentId = new Uint8Array(16).fill(0x42);

  function setup(): { dir: string; parentBytes: Uint8Array } {
    const dir = scratch();
    const parentData = new Uint8Array(BLOCK).fill(0x33);
    const parentBytes = generateVhd({ size: 3 * BLOCK, blocks: [{ index: 0, data: parentData }, { index: 2, data: parentData, present: [5, 6, 7] }], uniqueId: parentId });
    writeFileSync(join(dir, 'parent.vhd'), parentBytes);
    return { dir, parentBytes };
  }

  function child(locators: Array<{ code: string; text: string }>, id = parentId, name = 'parent.vhd'): Uint8Array {
    const data = new Uint8Array(BLOCK).fill(0x77);
    return generateVhd({
      size: 3 * BLOCK,
      uniqueId: new Uint8Array(16).fill(0x99),
      blocks: [{ index: 0, data, present: [1, 2, 9, 4095] }, { index: 1, data, present: [0] }],
      parent: { uniqueId: id, name, locators },
    });
  }

  function expected(): Uint8Array {
    const out = new Uint8Array(3 * BLOCK);
    out.fill(0x33, 0, BLOCK); // parent block 0 fully present
    out.fill(0x33, 2 * BLOCK + 5 * 512, 2 * BLOCK + 8 * 512); // parent block 2: sectors 5..7
    for (const s of [1, 2, 9, 4095]) out.fill(0x77, s * 512, s * 512 + 512);
    out.fill(0x77, BLOCK, BLOCK + 512);
    return out;
  }

  it('reads sectors from the child where the bitmap says so, from the parent elsewhere (W2ru first)', async () => {
    const { dir } = setup();
    writeFileSync(join(dir, 'child.vhd'), child([{ code: 'W2ku', text: 'C:\\elsewhere\\nothing.vhd' }, { code: 'W2ru', text: '.\\parent.vhd' }]));
    const diagnostics = new DiagnosticLog();
    const image = await openImage(join(dir, 'child.vhd'), { diagnostics });
    try {
      const bytes = await image.device.read(0, image.virtualSize);
      expect(Buffer.compare(Buffer.from(bytes), Buffer.from(expected()))).toBe(0);
      expect(image.backingFilename).toContain('parent.vhd');
      expect(diagnostics.warnings()).toEqual([]);
      const runs = await allocationOf(image.device);
      expect(runs.filter((r) => r.kind === 'data')).toEqual([
        { offset: 0, length: BLOCK + 512, kind: 'data' },
        { offset: 2 * BLOCK + 5 * 512, length: 3 * 512, kind: 'data' },
      ]);
    } finally {
      await image.close();
    }
  });

  it('libvhdi (vhdimount) reads a generated chain the same way: bitmaps are most-significant-bit first', async () => {
    requireTool('vhdimount');
    const { dir } = setup();
    // Each bitmap byte used here is a run of ones that ends at its lowest bit (0x0f, 0x01, 0x03,
    // 0x3f): in MSB-first order those are the byte's last sectors, in LSB-first its first ones,
    // so the bit order shows. (libvhdi 20210425 takes a byte's sectors from its first set bit to
    // the byte's end, so bytes with a zero after a one would measure that quirk instead.)
    const data = new Uint8Array(BLOCK).fill(0x77);
    writeFileSync(join(dir, 'child.vhd'), generateVhd({
      size: 3 * BLOCK,
      uniqueId: new Uint8Array(16).fill(0x99),
      blocks: [{ index: 0, data, present: [4, 5, 6, 7, 15, 4094, 4095] }, { index: 1, data, present: [2, 3, 4, 5, 6, 7] }],
      parent: { uniqueId: parentId, name: 'parent.vhd', locators: [{ code: 'W2ru', text: '.\\parent.vhd' }] },
    }));
    const mount = join(dir, 'mnt');
    mkdirSync(mount);
    run('vhdimount', [join(dir, 'child.vhd'), mount], { cwd: dir });
    try {
      // vhdimount lists the chain base first: vhdi1 is the parent, vhdi2 the child.
      const parent = await sha256File(join(mount, 'vhdi1'));
      const libvhdi = await sha256File(join(mount, 'vhdi2'));
      const image = await openImage(join(dir, 'child.vhd'));
      try {
        expect(await sha256Device(image.device)).toBe(libvhdi);
        expect(await sha256Device(image.backing!.device)).toBe(parent);
        expect((await image.device.read(4 * 512, 1))[0]).toBe(0x77);
        expect((await image.device.read(0, 1))[0]).toBe(0x33);
      } finally {
        await image.close();
      }
    } finally {
      run('fusermount', ['-u', mount]);
    }
  });

  it('falls back to the absolute locator, then to the parent name; warns on a parent id mismatch', async () => {
    const { dir } = setup();
    writeFileSync(join(dir, 'abs.vhd'), child([{ code: 'W2ku', text: join(dir, 'parent.vhd') }], new Uint8Array(16).fill(0x43)));
    const diagnostics = new DiagnosticLog();
    const image = await openImage(join(dir, 'abs.vhd'), { diagnostics });
    await image.close();
    expect(diagnostics.warnings().map((d) => d.code)).toEqual(['vhd-parent-id-mismatch']);
    writeFileSync(join(dir, 'byname.vhd'), child([{ code: 'W2ru', text: '.\\missing.vhd' }], parentId, 'parent.vhd'));
    const byName = await openImage(join(dir, 'byname.vhd'));
    expect(byName.backingFilename).toContain('parent.vhd');
    await byName.close();
  });

  it('a missing grandparent is reported as such, not as a missing parent', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'a.vhd'), child([{ code: 'W2ru', text: '.\\b.vhd' }], parentId, 'b.vhd'));
    writeFileSync(join(dir, 'b.vhd'), child([{ code: 'W2ru', text: '.\\grandparent.vhd' }], parentId, 'grandparent.vhd'));
    const error = await openImage(join(dir, 'a.vhd')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(String((error as Error).message)).toContain('grandparent.vhd');
    expect(String((error as Error).message)).toContain(join(dir, 'b.vhd'));
  });

  it('a parent cycle is a CorruptError', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'a.vhd'), child([{ code: 'W2ru', text: '.\\b.vhd' }], parentId, 'b.vhd'));
    writeFileSync(join(dir, 'b.vhd'), child([{ code: 'W2ru', text: '.\\a.vhd' }], parentId, 'a.vhd'));
    await expect(openImage(join(dir, 'a.vhd'))).rejects.toThrow(CorruptError);
  });
});

function flip(bytes: Uint8Array, at: number): void {
  bytes[at] = (bytes[at] as number) ^ 1;
}

describe('VHD reader: hostile input', () => {
  const dynamic = (): Uint8Array => generateVhd({ size: 4 * MIB, blocks: [{ index: 1, data: new Uint8Array(2 * MIB).fill(5) }] });
  const open = (bytes: Uint8Array, diagnostics = new DiagnosticLog()) =>
    vhdFormat.open(new MemoryDevice(bytes), { filename: 'x.vhd', diagnostics, openFile: () => Promise.reject(new Error('no')), openBacking: () => Promise.reject(new NotFoundError('none')) });

  it('opens the generated dynamic disk', async () => {
    const image = await open(dynamic());
    expect((await image.device.read(2 * MIB, 4))[0]).toBe(5);
    expect((await image.device.read(0, 4))[0]).toBe(0);
  });

  it('uses the copy at offset 0 when the trailing footer is damaged, with a warning', async () => {
    const bytes = dynamic();
    flip(bytes, bytes.length - 512 + 40);
    const diagnostics = new DiagnosticLog();
    await open(bytes, diagnostics);
    expect(diagnostics.warnings().map((d) => d.code)).toContain('vhd-footer-copy-used');
  });

  it('bad checksums on both (different) footers are a CorruptError', async () => {
    const bytes = dynamic();
    flip(bytes, 40);
    flip(bytes, bytes.length - 512 + 41);
    await expect(open(bytes)).rejects.toThrow(/bad checksum on both footer copies/);
  });

  it('a fixed disk with a bad footer checksum is a CorruptError', async () => {
    const bytes = new Uint8Array(1024 * 1024 + 512);
    const footer = dynamic().subarray(0, 512).slice();
    footer[60 + 3] = 2; // disk type fixed, checksum now stale
    bytes.set(footer, 1024 * 1024);
    expect(await vhdFormat.probe(new MemoryDevice(bytes))).toBe(true);
    await expect(open(bytes)).rejects.toThrow(CorruptError);
  });

  it('a 511-byte footer of an old fixed disk is found', async () => {
    const dir = scratch();
    const path = join(dir, 'f.vhd');
    run('qemu-img', ['create', '-q', '-f', 'vpc', '-o', 'subformat=fixed,force_size=on', path, '1M']);
    const bytes = new Uint8Array(readFileSync(path));
    const short = bytes.subarray(0, bytes.length - 1);
    expect(await vhdFormat.probe(new MemoryDevice(short))).toBe(true);
    const image = await open(short);
    expect(image.virtualSize).toBe(1024 * 1024);
  });

  it('a BAT entry past the end of the file is a CorruptError naming the BAT', async () => {
    const bytes = dynamic();
    new DataView(bytes.buffer).setUint32(1536, 0x00ffffff, false);
    await expect(open(bytes)).rejects.toThrow(/VHD BAT at offset 1536/);
  });

  it('a truncated file is a CorruptError', async () => {
    const bytes = dynamic();
    await expect(open(bytes.subarray(0, bytes.length - 512 - MIB))).rejects.toThrow(CorruptError);
    await expect(open(bytes.subarray(0, 300))).rejects.toThrow(CorruptError);
  });

  it('a block size that is not a power of two is a CorruptError', async () => {
    const bytes = dynamic();
    new DataView(bytes.buffer).setUint32(512 + 32, 3000, false);
    await expect(open(bytes)).rejects.toThrow(/invalid block size/);
  });
});

describe('VHD structures and validators', () => {
  it('structure sizes match the specification', async () => {
    const { VhdFooter, VhdDynamicHeader, VhdParentLocatorEntry } = await import('../../src/image/vhd/index.js');
    expect(VhdFooter.size).toBe(512);
    expect(VhdFooter.offsetOf('checksum')).toBe(0x40);
    expect(VhdFooter.offsetOf('savedState')).toBe(0x54);
    expect(VhdDynamicHeader.size).toBe(1024);
    expect(VhdDynamicHeader.offsetOf('parentUnicodeName')).toBe(0x40);
    expect(VhdDynamicHeader.offsetOf('parentLocatorEntries')).toBe(0x240);
    expect(VhdParentLocatorEntry.size).toBe(24);
  });

  const base = (): Uint8Array => generateVhd({ size: 4 * MIB, blocks: [{ index: 0, data: new Uint8Array(2 * MIB).fill(9) }] });
  /** Applies `patch` to both footer copies and fixes their checksums. */
  const patchBoth = (bytes: Uint8Array, patch: (footer: DataView) => void): Uint8Array => {
    for (const at of [0, bytes.length - 512]) {
      const footer = bytes.subarray(at, at + 512);
      const view = new DataView(footer.buffer, footer.byteOffset, 512);
      patch(view);
      view.setUint32(64, 0);
      view.setUint32(64, onesComplementByteSum(footer));
    }
    return bytes;
  };
  const context = { filename: 'x.vhd', diagnostics: new DiagnosticLog(), openFile: () => Promise.reject(new Error('no')), openBacking: () => Promise.reject(new NotFoundError('none')) };
  const cases: Array<[string, () => Uint8Array, RegExp]> = [
    ['unknown disk type', () => patchBoth(base(), (f) => f.setUint32(60, 5)), /disk type 5/],
    ['dynamic header offset outside the file', () => patchBoth(base(), (f) => f.setBigUint64(16, 1n << 40n)), /VHD footer data offset/],
    ['dynamic header offset above 2^53', () => patchBoth(base(), (f) => f.setBigUint64(16, 0xfffffffffffffff0n)), /VHD footer data offset/],
    ['BAT too small for the size', () => patchBoth(base(), (f) => f.setBigUint64(48, 64n * BigInt(MIB))), /cannot map/],
    ['bad dynamic header cookie', () => { const b = base(); b[512] = 0x41; return b; }, /bad signature/],
    ['fixed disk shorter than its size', () => {
      const b = new Uint8Array(MIB + 512);
      b.set(patchBoth(base(), (f) => { f.setUint32(60, 2); f.setBigUint64(48, 2n * BigInt(MIB)); }).subarray(0, 512), MIB);
      return b;
    }, /fixed VHD holds/],
    ['locator data past the end of the file', () => {
      const b = generateVhd({
        size: 2 * MIB, blocks: [],
        parent: { uniqueId: new Uint8Array(16), name: 'p.vhd', locators: [{ code: 'W2ru', text: '.\\p.vhd' }] },
      });
      new DataView(b.buffer).setBigUint64(512 + 0x240 + 16, 1n << 40n, false); // PlatformDataOffset
      return b;
    }, /VHD parent locator data/],
  ];
  for (const [name, make, message] of cases) {
    it(`rejects: ${name}`, async () => {
      const error = await vhdFormat.open(new MemoryDevice(make()), context).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toMatch(/CorruptError|UnsupportedError/);
      expect(String((error as Error).message)).toMatch(message);
    });
  }

  it('a stale dynamic header checksum is a warning, as qemu ignores it', async () => {
    const bytes = base();
    bytes[512 + 36] = (bytes[512 + 36] as number) ^ 0xff;
    const diagnostics = new DiagnosticLog();
    await vhdFormat.open(new MemoryDevice(bytes), { ...context, diagnostics });
    expect(diagnostics.warnings().map((d) => d.code)).toEqual(['vhd-dynamic-header-checksum']);
  });
});
