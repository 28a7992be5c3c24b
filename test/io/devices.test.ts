import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDevice, SliceDevice, OverlayDevice, CachedDevice, FileDevice, WritableFileDevice, ZeroDevice, allocationOf } from '../../src/io/index.js';
import { CorruptError, NotFoundError } from '../../src/errors.js';
import { tempDir } from '../helpers/tools.js';

const ramp = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);

describe('devices', () => {
  it('memory and slice devices read exactly and refuse reads past the end', async () => {
    const mem = new MemoryDevice(ramp(1000));
    expect(await mem.read(10, 3)).toEqual(new Uint8Array([10, 11, 12]));
    await expect(mem.read(999, 2)).rejects.toThrow(CorruptError);
    const slice = new SliceDevice({ base: mem, start: 100, size: 50 });
    expect((await slice.read(0, 2))[0]).toBe(100);
    await expect(slice.read(49, 2)).rejects.toThrow(CorruptError);
    expect(() => new SliceDevice({ base: mem, start: 990, size: 20 })).toThrow(CorruptError);
  });

  it('file devices read positionally and report missing files', async () => {
    const dir = tempDir();
    const path = join(dir, 'f.bin');
    writeFileSync(path, ramp(70000));
    const file = await FileDevice.open(path);
    expect(file.size).toBe(70000);
    expect((await file.read(65536, 4))[0]).toBe(0);
    expect((await file.read(300, 1))[0]).toBe(300 & 0xff);
    await expect(file.read(69999, 2)).rejects.toThrow(CorruptError);
    await file.close();
    await expect(FileDevice.open(join(dir, 'nope'))).rejects.toThrow(NotFoundError);
    const out = await WritableFileDevice.create(join(dir, 'w.bin'));
    await out.write(10, new Uint8Array([1, 2]));
    await out.truncate(100);
    expect(out.size).toBe(100);
    expect(await out.read(9, 4)).toEqual(new Uint8Array([0, 1, 2, 0]));
    await out.close();
  });

  it('the overlay keeps the base untouched and merges writes', async () => {
    const base = new MemoryDevice(ramp(20000));
    const before = base.bytes.slice();
    const overlay = new OverlayDevice(base, { chunkSize: 4096 });
    await overlay.write(4000, new Uint8Array(200).fill(0xee));
    expect(base.bytes).toEqual(before);
    const merged = await overlay.read(3990, 220);
    expect(merged[0]).toBe(before[3990]);
    expect(merged[10]).toBe(0xee);
    expect(merged[209]).toBe(0xee);
    expect(merged[210]).toBe(before[4200]);
    expect(overlay.changes().map((c) => c.offset)).toEqual([0, 4096]);
    const runs = await allocationOf(overlay);
    expect(runs).toEqual([{ offset: 0, length: 20000, kind: 'data' }]);
  });

  it('the overlay over a zero device reports written chunks as data', async () => {
    const overlay = new OverlayDevice(new ZeroDevice(16384), { chunkSize: 4096 });
    await overlay.write(8192, new Uint8Array([1]));
    expect(await allocationOf(overlay)).toEqual([
      { offset: 0, length: 8192, kind: 'zero' },
      { offset: 8192, length: 4096, kind: 'data' },
      { offset: 12288, length: 4096, kind: 'zero' },
    ]);
  });

  it('the cache returns the same bytes as the base', async () => {
    const base = new MemoryDevice(ramp(300000));
    const cached = CachedDevice.wrap(base, { blockSize: 4096, maxBytes: 64 * 4096 });
    for (const [o, l] of [[0, 10], [4090, 20], [100000, 50000], [299990, 10]] as const) {
      expect(await cached.read(o, l)).toEqual(await base.read(o, l));
    }
    await expect(cached.read(299999, 2)).rejects.toThrow(CorruptError);
  });
});
