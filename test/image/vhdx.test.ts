import { describe, expect, it, beforeAll } from 'vitest';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openImage } from '../../src/image/index.js';
import { vhdxFormat, vhdxWriter, HEADER_OFFSETS, vhdxChecksum } from '../../src/image/vhdx/index.js';
import { FileDevice, MemoryDevice, WritableFileDevice, allocationOf } from '../../src/io/index.js';
import { CorruptError, NotFoundError, UnsupportedError } from '../../src/errors.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { encodeGuid } from '../../src/binary/index.js';
import { CORPUS, extractCorpus, requireTool, run, scratchDirs, sha256Device, sha256File } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';

/** A temp dir removed after this file's tests. */
const scratch = scratchDirs();

const ORACLE = join(CORPUS, 'oracle/images/vhdx');
const oracleJson = (name: string): Record<string, unknown> => JSON.parse(readFileSync(join(ORACLE, name), 'utf8')) as Record<string, unknown>;
const vhdiinfo = (name: string): string => readFileSync(join(ORACLE, `${name}.vhdiinfo.txt`), 'utf8');

async function qemuRawSha(dir: string, path: string): Promise<string> {
  const out = join(dir, `qemu-${Math.random().toString(36).slice(2)}.raw`);
  run('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', path, out]);
  return sha256File(out);
}

function mergeRanges(ranges: Array<{ offset: number; length: number }>): Array<{ offset: number; length: number }> {
  const out: Array<{ offset: number; length: number }> = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && last.offset + last.length === r.offset) last.length += r.length;
    else out.push({ ...r });
  }
  return out;
}

async function dataRuns(device: Parameters<typeof allocationOf>[0]): Promise<Array<{ offset: number; length: number }>> {
  return (await allocationOf(device)).filter((r) => r.kind === 'data').map((r) => ({ offset: r.offset, length: r.length }));
}

/**
 * Data runs read straight from the BAT of a non-differencing VHDX: the FULLY_PRESENT blocks.
 * (qemu-img 7.2's vhdx driver has no block-status call, so `qemu-img map` reports every byte as
 * data and cannot serve as the oracle here.)
 */
function batDataRuns(path: string): Array<{ offset: number; length: number }> {
  const bytes = new Uint8Array(readFileSync(path));
  const view = new DataView(bytes.buffer);
  const regions = new Map<number, number>();
  const count = view.getUint32(192 * 1024 + 8, true);
  for (let i = 0; i < count; i++) {
    const e = 192 * 1024 + 16 + i * 32;
    regions.set(view.getUint32(e, true), Number(view.getBigUint64(e + 16, true)));
  }
  const metadata = regions.get(0x8b7ca206)!;
  let blockSize = 0;
  let size = 0;
  const items = view.getUint16(metadata + 10, true);
  for (let i = 0; i < items; i++) {
    const e = metadata + 32 + i * 32;
    const id = view.getUint32(e, true);
    const at = metadata + view.getUint32(e + 16, true);
    if (id === 0xcaa16737) blockSize = view.getUint32(at, true);
    if (id === 0x2fa54224) size = Number(view.getBigUint64(at, true));
  }
  const chunkRatio = (2 ** 23 * 512) / blockSize;
  const bat = regions.get(0x2dc27766)!;
  const runs: Array<{ offset: number; length: number }> = [];
  for (let block = 0; block * blockSize < size; block++) {
    const state = Number(view.getBigUint64(bat + (block + Math.floor(block / chunkRatio)) * 8, true) & 7n);
    if (state === 6) runs.push({ offset: block * blockSize, length: Math.min(blockSize, size - block * blockSize) });
  }
  return mergeRanges(runs);
}

const PARENT_NAME = 'Generation 1_49C4BAF3-4B25-4406-8C4B-D39E65C32385.avhdx';
const PARENT_ID = 'ff34003b-11ed-4cf8-a166-b2be05e20b80';

describe('VHDX reader: corpus', () => {
  let dir: string;
  let avhdx: string;
  beforeAll(() => {
    requireTool('qemu-img');
    dir = scratch();
    avhdx = extractCorpus('images/vhdx/dissect-differencing.avhdx.gz', dir);
  });
  /** The 73 MB checkpoint, hard-linked under `name` into `into` (extracted once). */
  const linkAvhdx = (into: string, name: string): string => {
    linkSync(avhdx, join(into, name));
    return join(into, name);
  };

  for (const name of ['dissect-fixed.vhdx', 'dissect-dynamic.vhdx']) {
    it(`${name} reads like qemu-img convert`, async () => {
      const path = extractCorpus(`images/vhdx/${name}.gz`, dir);
      const oracle = oracleJson(`${name}.raw.json`);
      const image = await openImage(path);
      try {
        expect(image.format).toBe('vhdx');
        expect(image.virtualSize).toBe(oracle['raw_size']);
        expect(await sha256Device(image.device)).toBe(oracle['raw_sha256']);
        expect(vhdiinfo(name)).toContain(`Identifier\t\t: ${String(image.details['dataWriteGuid'])}`);
        expect(vhdiinfo(name)).toContain(`Disk type\t\t: ${name.includes('fixed') ? 'Fixed' : 'Dynamic'}`);
        expect(image.subformat).toBe(name.includes('fixed') ? 'fixed' : 'dynamic');
        expect(await dataRuns(image.device)).toEqual(batDataRuns(path));
      } finally {
        await image.close();
      }
    });
  }

  it('the differencing avhdx without its parent: NotFoundError naming the parent path and id', async () => {
    const error = await openImage(avhdx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    const message = String((error as Error).message);
    expect(message).toContain(`C:\\Users\\Public\\Documents\\Hyper-V\\Virtual hard disks\\${PARENT_NAME}`);
    expect(message).toContain(PARENT_ID);
    const info = vhdiinfo('dissect-differencing.avhdx');
    expect(info).toContain(`Parent identifier\t: ${PARENT_ID}`);
  });

  it('a differencing avhdx that names itself as its parent is a CorruptError (cycle)', async () => {
    const loop = scratch();
    await expect(openImage(linkAvhdx(loop, PARENT_NAME))).rejects.toThrow(/loops back/);
  });

  it('the differencing avhdx over a stand-in parent: partially present blocks mix child sectors and parent data, as libvhdi reads them', async () => {
    requireTool('vhdimount');
    const chain = scratch();
    const child = join(chain, 'child.avhdx');
    const bytes = new Uint8Array(readFileSync(avhdx));
    // Block 0's sectors 2048-2055 are present (bitmap byte 256 of the chunk's bitmap at 7 MiB is
    // 0xff). 0xfc keeps 2050-2055 only: bit 0 of byte 0 is the first sector, so this tells the
    // bit order (sectors 2050-2051 hold data, 2052-2055 zeros).
    expect(bytes[7 * MIB + 256]).toBe(0xff);
    bytes[7 * MIB + 256] = 0xfc;
    writeFileSync(child, bytes);
    const parent = join(chain, PARENT_NAME);
    run('qemu-img', ['create', '-q', '-f', 'vhdx', '-o', 'block_size=2M', parent, '8G']);
    run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0xab 0 6M', parent]);
    // Give the stand-in the DataWriteGuid the child was made against, so libvhdi accepts it.
    const parentBytes = new Uint8Array(readFileSync(parent));
    for (const at of HEADER_OFFSETS) {
      const header = parentBytes.subarray(at, at + 4096);
      encodeGuid(PARENT_ID, header, 32);
      new DataView(header.buffer, header.byteOffset).setUint32(4, vhdxChecksum(header, 4), true);
    }
    writeFileSync(parent, parentBytes);

    const diagnostics = new DiagnosticLog();
    const image = await openImage(child, { diagnostics });
    try {
      const info = vhdiinfo('dissect-differencing.avhdx');
      expect(info).toContain(`Identifier\t\t: ${String(image.details['dataWriteGuid'])}`);
      expect(info).toContain('Media size\t\t: 8.0 GiB (8589934592 bytes)');
      expect(image.subformat).toBe('differencing');
      expect(diagnostics.warnings()).toEqual([]);
      const expected = new Uint8Array(6 * MIB).fill(0xab);
      expected.set(bytes.subarray(26 * MIB + 2050 * 512, 26 * MIB + 2056 * 512), 2050 * 512);
      const got = await image.device.read(0, 6 * MIB);
      expect(Buffer.compare(Buffer.from(got), Buffer.from(expected))).toBe(0);
      expect(got.subarray(2052 * 512, 2056 * 512).every((b) => b === 0)).toBe(true);
      expect((await dataRuns(image.device))[0]).toEqual({ offset: 0, length: 6 * MIB });

      const mount = join(chain, 'mnt');
      mkdirSync(mount);
      run('vhdimount', [child, mount], { cwd: chain });
      try {
        // vhdimount lists the chain base first: vhdi2 is the child.
        const fd = openSync(join(mount, 'vhdi2'), 'r');
        const libvhdi = Buffer.alloc(6 * MIB);
        readSync(fd, libvhdi, 0, libvhdi.length, 0);
        closeSync(fd);
        expect(Buffer.compare(Buffer.from(got), libvhdi)).toBe(0);
      } finally {
        run('fusermount', ['-u', mount]);
      }
    } finally {
      await image.close();
    }
  });
});

describe('VHDX reader and writer against qemu-img', () => {
  let dir: string;
  let pattern: string;
  beforeAll(() => {
    requireTool('qemu-img');
    dir = scratch();
    pattern = join(dir, 'pattern.raw');
    writePatternDisk(pattern, { size: 40 * MIB + 512 });
  });

  const cases: Array<[string, string]> = [
    ['dynamic', 'subformat=dynamic'],
    ['fixed', 'subformat=fixed'],
    ['dynamic-1M', 'subformat=dynamic,block_size=1M,log_size=1M'],
  ];
  for (const [label, options] of cases) {
    it(`qemu ${label}: rehost read == qemu-img convert -O raw; data runs == the BAT's present blocks`, async () => {
      const path = join(dir, `${label}.vhdx`);
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'vhdx', '-o', options, pattern, path]);
      const image = await openImage(path);
      try {
        expect(image.format).toBe('vhdx');
        expect(await sha256Device(image.device)).toBe(await qemuRawSha(dir, path));
        expect(await dataRuns(image.device)).toEqual(batDataRuns(path));
      } finally {
        await image.close();
      }
    });
  }

  it('blocks allocated later by qemu-io writes', async () => {
    const path = join(dir, 'later.vhdx');
    run('qemu-img', ['create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', path, '12M']);
    run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x12 1M 3M', path]);
    const image = await openImage(path);
    try {
      expect(await sha256Device(image.device)).toBe(await qemuRawSha(dir, path));
    } finally {
      await image.close();
    }
  });

  for (const subformat of ['dynamic', 'fixed']) {
    it(`rehost writer (${subformat}): qemu-img check clean, converts back to the same bytes`, async () => {
      const source = await FileDevice.open(pattern);
      const path = join(dir, `ours-${subformat}.vhdx`);
      try {
        const output = await WritableFileDevice.create(path);
        await vhdxWriter.write({ source, output, subformat });
        await output.close();
      } finally {
        await source.close();
      }
      run('qemu-img', ['check', '-f', 'vhdx', path]);
      const info = JSON.parse(run('qemu-img', ['info', '--output=json', path])) as { 'virtual-size': number; format: string };
      expect(info.format).toBe('vhdx');
      expect(info['virtual-size']).toBe(40 * MIB + 512);
      const back = join(dir, `ours-${subformat}.raw`);
      run('qemu-img', ['convert', '-f', 'vhdx', '-O', 'raw', path, back]);
      expect(await sha256File(back)).toBe(await sha256File(pattern));
      const image = await openImage(path);
      try {
        expect(image.subformat).toBe(subformat);
        expect(await sha256Device(image.device)).toBe(await sha256File(pattern));
        expect(await dataRuns(image.device)).toEqual(batDataRuns(path));
      } finally {
        await image.close();
      }
    });
  }

  it('replays the log in memory like qemu-img check -r all does on disk', async () => {
    const path = join(dir, 'dirty.vhdx');
    run('qemu-img', ['create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', path, '8M']);
    // qemu-io's abort leaves the log entries of the BAT updates behind.
    try {
      run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x55 0 1M', '-c', 'write -P 0x66 3M 512k', '-c', 'abort', path]);
    } catch {
      // abort() kills qemu-io by design
    }
    const bytes = new Uint8Array(readFileSync(path));
    // qemu starts a new log (a new LogGuid) for every metadata update; take the newest entry's.
    const logStart = MIB;
    let newest = -1;
    for (let at = logStart; at < 2 * MIB; at += 4096) {
      if (String.fromCharCode(...bytes.subarray(at, at + 4)) === 'loge') newest = at;
    }
    expect(newest).toBeGreaterThan(logStart);
    const entryGuid = bytes.slice(newest + 32, newest + 48);
    // Make the image dirty: name the log in both headers and undo the BAT updates in place, as a
    // crash before the metadata writes would have left them.
    for (const at of HEADER_OFFSETS) {
      const header = bytes.subarray(at, at + 4096);
      header.set(entryGuid, 48);
      new DataView(header.buffer, header.byteOffset).setUint32(4, vhdxChecksum(header, 4), true);
    }
    const bat = batRegionOffset(bytes);
    expect(new DataView(bytes.buffer).getBigUint64(bat, true) & 7n).toBe(6n);
    bytes.fill(0, bat, bat + 4096);
    const dirty = join(dir, 'dirty-copy.vhdx');
    writeFileSync(dirty, bytes);
    const repaired = join(dir, 'repaired.vhdx');
    writeFileSync(repaired, bytes);
    run('qemu-img', ['check', '-r', 'all', '-f', 'vhdx', repaired]);
    const diagnostics = new DiagnosticLog();
    const image = await openImage(dirty, { diagnostics });
    try {
      expect(image.details['logReplayedEntries']).toBeGreaterThan(0);
      expect(await sha256Device(image.device)).toBe(await qemuRawSha(dir, repaired));
      expect((await image.device.read(3 * MIB, 1))[0]).toBe(0x66);
      expect((await image.device.read(0, 1))[0]).toBe(0x55);
    } finally {
      await image.close();
    }
    // The file itself is untouched.
    expect(Buffer.compare(readFileSync(dirty), Buffer.from(bytes))).toBe(0);
    // A header naming a log that holds none of its entries cannot be made consistent.
    const empty = bytes.slice();
    empty.fill(0, MIB, 2 * MIB);
    await expect(openBytes(empty)).rejects.toThrow(/holds no valid sequence/);
  });
});

/** The BAT region's file offset, from the first region table. */
function batRegionOffset(bytes: Uint8Array): number {
  const table = new DataView(bytes.buffer, bytes.byteOffset + 192 * 1024, 64 * 1024);
  const count = table.getUint32(8, true);
  for (let i = 0; i < count; i++) {
    const e = 16 + i * 32;
    // The BAT region GUID 2DC27766-… starts with the byte 0x66 in its mixed-endian form.
    if (table.getUint32(e, true) === 0x2dc27766) return Number(table.getBigUint64(e + 16, true));
  }
  throw new Error('no BAT region');
}

function openBytes(bytes: Uint8Array, diagnostics = new DiagnosticLog()) {
  return vhdxFormat.open(new MemoryDevice(bytes), { filename: 'x.vhdx', diagnostics, openFile: () => Promise.reject(new Error('no')), openBacking: () => Promise.reject(new NotFoundError('none')) });
}

describe('VHDX reader: hostile input', () => {
  let base: Uint8Array;
  beforeAll(async () => {
    const dir = scratch();
    const path = join(dir, 'small.vhdx');
    run('qemu-img', ['create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', path, '8M']);
    run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x21 0 2M', path]);
    base = new Uint8Array(readFileSync(path));
  });

  it('opens the untouched image', async () => {
    const image = await openBytes(base.slice());
    expect((await image.device.read(MIB, 1))[0]).toBe(0x21);
  });

  it('one damaged header: the other is used, with a warning', async () => {
    const bytes = base.slice();
    bytes[HEADER_OFFSETS[1] + 100] = 0xee;
    const diagnostics = new DiagnosticLog();
    await openBytes(bytes, diagnostics);
    expect(diagnostics.warnings().map((d) => d.code)).toContain('vhdx-header-invalid');
  });

  it('bad CRC on both headers is a CorruptError', async () => {
    const bytes = base.slice();
    bytes[HEADER_OFFSETS[0] + 100] = 0xee;
    bytes[HEADER_OFFSETS[1] + 100] = 0xee;
    await expect(openBytes(bytes)).rejects.toThrow(/neither VHDX header/);
  });

  it('a BAT entry past the end of the file is a CorruptError naming the BAT', async () => {
    const bytes = base.slice();
    const batOffset = batRegionOffset(bytes);
    new DataView(bytes.buffer).setBigUint64(batOffset, (4000n << 20n) | 6n, true);
    await expect(openBytes(bytes)).rejects.toThrow(/VHDX BAT at offset/);
  });

  it('a truncated file is a CorruptError', async () => {
    await expect(openBytes(base.slice(0, base.length - 1024 * 1024))).rejects.toThrow(CorruptError);
    await expect(openBytes(base.slice(0, 100 * 1024))).rejects.toThrow(CorruptError);
  });

  it('an unknown required region is an UnsupportedError', async () => {
    const bytes = base.slice();
    for (const at of [192 * 1024, 256 * 1024]) {
      const table = bytes.subarray(at, at + 64 * 1024);
      const view = new DataView(table.buffer, table.byteOffset);
      const count = view.getUint32(8, true);
      const e = 16 + count * 32;
      table.fill(0x5a, e, e + 16);
      view.setBigUint64(e + 16, 8n * 1024n * 1024n, true);
      view.setUint32(e + 24, 1024 * 1024, true);
      view.setUint32(e + 28, 1, true);
      view.setUint32(8, count + 1, true);
      view.setUint32(4, vhdxChecksum(table, 4), true);
    }
    await expect(openBytes(bytes)).rejects.toThrow(UnsupportedError);
  });
});


function flip(bytes: Uint8Array, at: number): void {
  bytes[at] = (bytes[at] as number) ^ 1;
}

describe('VHDX structures and validators', () => {
  let base: Uint8Array;
  beforeAll(() => {
    const dir = scratch();
    const path = join(dir, 'v.vhdx');
    run('qemu-img', ['create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', path, '4M']);
    run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x21 0 1M', path]);
    base = new Uint8Array(readFileSync(path));
  });

  it('structure sizes match the specification', async () => {
    const s = await import('../../src/image/vhdx/index.js');
    const { VhdxLogEntryHeader } = await import('../../src/image/vhdx/log.js');
    expect(s.VhdxHeader.size).toBe(4096);
    expect(s.VhdxHeader.offsetOf('logGuid')).toBe(0x30);
    expect(s.VhdxHeader.offsetOf('logOffset')).toBe(0x48);
    expect(s.VhdxRegionTableHeader.size).toBe(16);
    expect(s.VhdxRegionTableEntry.size).toBe(32);
    expect(s.VhdxMetadataTableHeader.size).toBe(32);
    expect(s.VhdxMetadataTableEntry.size).toBe(32);
    expect(s.VhdxFileParameters.size).toBe(8);
    expect(s.VhdxParentLocatorHeader.size).toBe(20);
    expect(s.VhdxParentLocatorEntry.size).toBe(12);
    expect(VhdxLogEntryHeader.size).toBe(64);
  });

  const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const regionOffset = (b: Uint8Array, prefix: number): number => {
    const v = view(b);
    for (let i = 0; i < v.getUint32(192 * 1024 + 8, true); i++) {
      const e = 192 * 1024 + 16 + i * 32;
      if (v.getUint32(e, true) === prefix) return Number(v.getBigUint64(e + 16, true));
    }
    throw new Error('no region');
  };
  /** Patches both region tables and fixes their CRCs. */
  const patchRegions = (b: Uint8Array, patch: (table: DataView) => void): Uint8Array => {
    for (const at of [192 * 1024, 256 * 1024]) {
      const table = b.subarray(at, at + 64 * 1024);
      patch(view(table));
      view(table).setUint32(4, vhdxChecksum(table, 4), true);
    }
    return b;
  };
  const patchHeaders = (b: Uint8Array, patch: (header: DataView) => void): Uint8Array => {
    for (const at of HEADER_OFFSETS) {
      const header = b.subarray(at, at + 4096);
      patch(view(header));
      view(header).setUint32(4, vhdxChecksum(header, 4), true);
    }
    return b;
  };
  /** Runs `patch` on the metadata item whose GUID starts with `prefix` (its table entry and value). */
  const patchItem = (b: Uint8Array, prefix: number, patch: (entry: DataView, value: DataView) => void): Uint8Array => {
    const metadata = regionOffset(b, 0x8b7ca206);
    const v = view(b);
    for (let i = 0; i < v.getUint16(metadata + 10, true); i++) {
      const e = metadata + 32 + i * 32;
      if (v.getUint32(e, true) !== prefix) continue;
      patch(new DataView(b.buffer, b.byteOffset + e, 32), new DataView(b.buffer, b.byteOffset + metadata + v.getUint32(e + 16, true), v.getUint32(e + 20, true)));
    }
    return b;
  };
  const setBat = (b: Uint8Array, index: number, value: bigint): Uint8Array => {
    view(b).setBigUint64(regionOffset(b, 0x2dc27766) + index * 8, value, true);
    return b;
  };

  const cases: Array<[string, (b: Uint8Array) => Uint8Array, RegExp, 'CorruptError' | 'UnsupportedError']> = [
    ['header version 2', (b) => patchHeaders(b, (h) => h.setUint16(66, 2, true)), /VHDX version 2/, 'UnsupportedError'],
    ['log version 1 on a dirty header', (b) => patchHeaders(b, (h) => { h.setUint8(48, 1); h.setUint16(64, 1, true); }), /log version 1/, 'UnsupportedError'],
    ['both region tables damaged', (b) => { flip(b, 192 * 1024 + 40); flip(b, 256 * 1024 + 40); return b; }, /region table has a bad signature or CRC-32C/, 'CorruptError'],
    ['no metadata region', (b) => patchRegions(b, (t) => {
      for (let i = 0; i < 2; i++) if (t.getUint32(16 + i * 32, true) === 0x8b7ca206) t.setUint32(16 + i * 32, 0x12345678, true);
    }), /lacks the metadata region/, 'CorruptError'],
    ['BAT region too small', (b) => patchRegions(b, (t) => {
      for (let i = 0; i < 2; i++) if (t.getUint32(16 + i * 32, true) === 0x2dc27766) t.setUint32(16 + i * 32 + 24, 8, true);
    }), /cannot hold/, 'CorruptError'],
    ['block size of 3 MiB', (b) => patchItem(b, 0xcaa16737, (_, v) => v.setUint32(0, 3 * MIB, true)), /block size/, 'CorruptError'],
    ['logical sector size 1000', (b) => patchItem(b, 0x8141bf1d, (_, v) => v.setUint32(0, 1000, true)), /logical sector size 1000/, 'CorruptError'],
    ['virtual size not a multiple of the sector', (b) => patchItem(b, 0x2fa54224, (_, v) => v.setBigUint64(0, 4n * BigInt(MIB) + 100n, true)), /virtual disk size/, 'CorruptError'],
    ['virtual disk size item missing', (b) => patchItem(b, 0x2fa54224, (e) => { e.setUint32(0, 0x01020304, true); e.setUint32(24, 0, true); }), /virtual disk size is missing/, 'CorruptError'],
    ['unknown required metadata item', (b) => patchItem(b, 0x2fa54224, (e) => { e.setUint32(0, 0x01020304, true); e.setUint32(24, 4, true); }), /required metadata item/, 'UnsupportedError'],
    ['metadata item overlapping the table', (b) => patchItem(b, 0x2fa54224, (e) => e.setUint32(16, 100, true)), /overlaps the table/, 'CorruptError'],
    ['payload block in the undefined state 4', (b) => setBat(b, 1, 4n), /undefined state 4/, 'CorruptError'],
    ['partially present block without a parent', (b) => setBat(b, 0, (view(b).getBigUint64(regionOffset(b, 0x2dc27766), true) & ~7n) | 7n), /without a parent/, 'CorruptError'],
    ['sector bitmap entry in state 3 (differencing)', (b) => setBat(patchItem(b, 0xcaa16737, (_, v) => v.setUint32(4, 2, true)), 4096, 3n), /sector bitmap entry 4096 has state 3/, 'CorruptError'],
    ['payload block at offset 0', (b) => setBat(b, 1, 6n), /payload block 1/, 'CorruptError'],
  ];
  for (const [name, mutate, message, kind] of cases) {
    it(`rejects: ${name}`, async () => {
      const error = await openBytes(mutate(base.slice())).catch((e: unknown) => e);
      expect((error as Error).name).toBe(kind);
      expect(String((error as Error).message)).toMatch(message);
    });
  }

  it('a damaged first region table: the copy is used, with a warning', async () => {
    const bytes = base.slice();
    flip(bytes, 192 * 1024 + 40);
    const diagnostics = new DiagnosticLog();
    await openBytes(bytes, diagnostics);
    expect(diagnostics.warnings().map((d) => d.code)).toContain('vhdx-region-table-copy-used');
  });
});
