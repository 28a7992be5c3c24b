// VHDX log replay on logs written in the test from the specification ([MS-VHDX] 2.3): data and
// zero descriptors, a sequence that wraps around the end of the circular log, stale and foreign
// entries that must be ignored, and a damaged entry that ends the sequence early. The base is a
// small qemu-img image; qemu-img itself is the oracle for the one log qemu writes (vhdx.test.ts).

import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vhdxFormat, HEADER_OFFSETS, vhdxChecksum, activeSequence } from '../../src/image/vhdx/index.js';
import { MemoryDevice } from '../../src/io/index.js';
import { CorruptError, NotFoundError } from '../../src/errors.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { crc32c } from '../../src/binary/index.js';
import { requireTool, run, scratchDirs } from '../helpers/tools.js';

/** A temp dir removed after this file's tests. */
const scratch = scratchDirs();

const MIB = 1024 * 1024;
const SECTOR = 4096;
const GUID = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const OTHER_GUID = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);

type Write = { kind: 'data'; fileOffset: number; sector: Uint8Array } | { kind: 'zero'; fileOffset: number; length: number };

function buildEntry(e: { sequence: bigint; tail: number; guid?: Uint8Array; flushed: number; last: number; writes: Write[] }): Uint8Array {
  const descriptorSectors = Math.ceil((64 + 32 * e.writes.length) / SECTOR);
  const dataSectors = e.writes.filter((w) => w.kind === 'data').length;
  const entry = new Uint8Array((descriptorSectors + dataSectors) * SECTOR);
  const v = new DataView(entry.buffer);
  entry.set([0x6c, 0x6f, 0x67, 0x65], 0); // "loge"
  v.setUint32(8, entry.length, true);
  v.setUint32(12, e.tail, true);
  v.setBigUint64(16, e.sequence, true);
  v.setUint32(24, e.writes.length, true);
  entry.set(e.guid ?? GUID, 32);
  v.setBigUint64(48, BigInt(e.flushed), true);
  v.setBigUint64(56, BigInt(e.last), true);
  let dataSector = descriptorSectors;
  e.writes.forEach((w, i) => {
    const d = 64 + i * 32;
    if (w.kind === 'zero') {
      entry.set([0x7a, 0x65, 0x72, 0x6f], d); // "zero"
      v.setBigUint64(d + 8, BigInt(w.length), true);
    } else {
      entry.set([0x64, 0x65, 0x73, 0x63], d); // "desc"
      entry.set(w.sector.subarray(4092, 4096), d + 4); // TrailingBytes
      entry.set(w.sector.subarray(0, 8), d + 8); // LeadingBytes
      const s = dataSector++ * SECTOR;
      entry.set([0x64, 0x61, 0x74, 0x61], s); // "data"
      v.setUint32(s + 4, Number(e.sequence >> 32n), true);
      entry.set(w.sector.subarray(8, 4092), s + 8);
      v.setUint32(s + 4092, Number(e.sequence & 0xffffffffn), true);
    }
    v.setBigUint64(d + 16, BigInt(w.fileOffset), true);
    v.setBigUint64(d + 24, e.sequence, true);
  });
  v.setUint32(4, crc32c(entry), true);
  return entry;
}

/** Writes `entry` into the circular log at `at`, wrapping at its end. */
function place(log: Uint8Array, at: number, entry: Uint8Array): void {
  for (let i = 0; i < entry.length; i++) log[(at + i) % log.length] = entry[i] as number;
}

interface Base {
  bytes: Uint8Array;
  logOffset: number;
  logLength: number;
  bat: number;
  blockOffsets: number[];
}

describe('VHDX log replay (spec-built logs)', () => {
  let base: Base;
  beforeAll(() => {
    requireTool('qemu-img');
    const dir = scratch();
    const path = join(dir, 'b.vhdx');
    run('qemu-img', ['create', '-q', '-f', 'vhdx', '-o', 'block_size=1M', path, '4M']);
    run('qemu-io', ['-f', 'vhdx', '-c', 'write -P 0x11 0 1M', '-c', 'write -P 0x22 2M 1M', path]);
    const bytes = new Uint8Array(readFileSync(path));
    const view = new DataView(bytes.buffer);
    const header = HEADER_OFFSETS[0];
    const logLength = view.getUint32(header + 68, true);
    const logOffset = Number(view.getBigUint64(header + 72, true));
    let bat = 0;
    for (let i = 0; i < view.getUint32(192 * 1024 + 8, true); i++) {
      const e = 192 * 1024 + 16 + i * 32;
      if (view.getUint32(e, true) === 0x2dc27766) bat = Number(view.getBigUint64(e + 16, true));
    }
    const blockOffsets = [0, 1, 2, 3].map((b) => Number(view.getBigUint64(bat + b * 8, true) >> 20n) * MIB);
    base = { bytes, logOffset, logLength, bat, blockOffsets };
  });

  /** The base image with `entries` placed in its log and both headers naming GUID. */
  function dirty(entries: Array<{ at: number; entry: Uint8Array }>): Uint8Array {
    const bytes = base.bytes.slice();
    const log = bytes.subarray(base.logOffset, base.logOffset + base.logLength);
    log.fill(0);
    for (const { at, entry } of entries) place(log, at, entry);
    for (const at of HEADER_OFFSETS) {
      const header = bytes.subarray(at, at + 4096);
      header.set(GUID, 48);
      new DataView(header.buffer, header.byteOffset).setUint32(4, vhdxChecksum(header, 4), true);
    }
    return bytes;
  }

  /** The BAT's first sector with payload block 1 mapped to block 2's data. */
  function batSectorMappingBlock1(): Uint8Array {
    const sector = base.bytes.slice(base.bat, base.bat + SECTOR);
    new DataView(sector.buffer).setBigUint64(8, (BigInt(base.blockOffsets[2]! / MIB) << 20n) | 6n, true);
    return sector;
  }

  const open = (bytes: Uint8Array) => vhdxFormat.open(new MemoryDevice(bytes), {
    filename: 'log.vhdx', diagnostics: new DiagnosticLog(),
    openFile: () => Promise.reject(new Error('no')), openBacking: () => Promise.reject(new NotFoundError('none')),
  });

  it('the base image reads as written', async () => {
    const image = await open(base.bytes.slice());
    expect((await image.device.read(0, 1))[0]).toBe(0x11);
    expect((await image.device.read(MIB, 1))[0]).toBe(0);
    expect(base.blockOffsets[0]).toBeGreaterThan(0);
  });

  it('replays a wrapping sequence of data and zero descriptors, ignoring stale and foreign entries', async () => {
    const size = base.bytes.length;
    const { logLength } = base;
    // A starts one sector before the end of the log, so its data sector wraps to offset 0.
    const aAt = logLength - SECTOR;
    const a = buildEntry({ sequence: 41n, tail: aAt, flushed: size, last: size, writes: [{ kind: 'data', fileOffset: base.bat, sector: batSectorMappingBlock1() }] });
    const b = buildEntry({ sequence: 42n, tail: aAt, flushed: size, last: size, writes: [{ kind: 'zero', fileOffset: base.blockOffsets[0]!, length: SECTOR }] });
    const stale = buildEntry({ sequence: 7n, tail: 64 * SECTOR, flushed: size, last: size, writes: [{ kind: 'zero', fileOffset: base.blockOffsets[2]!, length: MIB }] });
    const foreign = buildEntry({ sequence: 43n, tail: SECTOR, guid: OTHER_GUID, flushed: size, last: size, writes: [{ kind: 'zero', fileOffset: base.blockOffsets[2]!, length: MIB }] });
    const bytes = dirty([{ at: aAt, entry: a }, { at: SECTOR, entry: b }, { at: 2 * SECTOR, entry: foreign }, { at: 64 * SECTOR, entry: stale }]);
    const log = bytes.slice(base.logOffset, base.logOffset + logLength);
    expect(activeSequence(log, GUID).map((e) => e.sequenceNumber)).toEqual([41n, 42n]);
    const image = await open(bytes);
    expect(image.details['logReplayedEntries']).toBe(2);
    const disk = await image.device.read(0, 4 * MIB);
    expect(disk.subarray(0, SECTOR).every((x) => x === 0)).toBe(true);
    expect(disk.subarray(SECTOR, MIB).every((x) => x === 0x11)).toBe(true);
    expect(disk.subarray(MIB, 2 * MIB).every((x) => x === 0x22)).toBe(true);
    expect(disk.subarray(2 * MIB, 3 * MIB).every((x) => x === 0x22)).toBe(true);
    // The bytes themselves are unchanged: the replay lives in memory.
    expect(bytes.subarray(base.bat + 8, base.bat + 16).every((x, i) => x === base.bytes[base.bat + 8 + i])).toBe(true);
  });

  it('a damaged entry ends the sequence: only what precedes it is replayed', async () => {
    const size = base.bytes.length;
    const a = buildEntry({ sequence: 3n, tail: 0, flushed: size, last: size, writes: [{ kind: 'data', fileOffset: base.bat, sector: batSectorMappingBlock1() }] });
    const b = buildEntry({ sequence: 4n, tail: 0, flushed: size, last: size, writes: [{ kind: 'zero', fileOffset: base.blockOffsets[0]!, length: SECTOR }] });
    b[100] = (b[100] as number) ^ 1; // checksum no longer matches
    const image = await open(dirty([{ at: 0, entry: a }, { at: a.length, entry: b }]));
    expect(image.details['logReplayedEntries']).toBe(1);
    expect((await image.device.read(0, 1))[0]).toBe(0x11);
    expect((await image.device.read(MIB, 1))[0]).toBe(0x22);
  });

  it('a sequence whose head points at a tail outside it is not active', async () => {
    const size = base.bytes.length;
    const a = buildEntry({ sequence: 9n, tail: 200 * SECTOR, flushed: size, last: size, writes: [] });
    await expect(open(dirty([{ at: 0, entry: a }]))).rejects.toThrow(/holds no valid sequence/);
  });

  it('a log that needs a longer file than there is: CorruptError', async () => {
    const size = base.bytes.length;
    const a = buildEntry({ sequence: 1n, tail: 0, flushed: size, last: size + 8 * MIB, writes: [] });
    await expect(open(dirty([{ at: 0, entry: a }]))).rejects.toThrow(CorruptError);
  });

  it('a file that grew in the log reads as zeros up to FlushedFileOffset', async () => {
    const size = base.bytes.length;
    const sector = batSectorMappingBlock1();
    // Map block 3 to a new MiB past the end of the file, zeroed by the log.
    new DataView(sector.buffer).setBigUint64(24, (BigInt(size / MIB) << 20n) | 6n, true);
    const a = buildEntry({ sequence: 1n, tail: 0, flushed: size + MIB, last: size, writes: [{ kind: 'data', fileOffset: base.bat, sector }, { kind: 'zero', fileOffset: size, length: MIB }] });
    const image = await open(dirty([{ at: 0, entry: a }]));
    const block3 = await image.device.read(3 * MIB, MIB);
    expect(block3.every((x) => x === 0)).toBe(true);
    expect((await image.device.allocation!(3 * MIB, MIB))[0]?.kind).toBe('data');
  });
});
