// Hostile and broken VMDK input: every validator of the reader gets an input that must fail
// it, with a CorruptError naming the structure and the absolute offset (or a NotFoundError
// naming the missing file), never a crash, a hang or a silent zero. The files are qemu-img
// output damaged at known offsets, or hand-made descriptors.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { requireTool, run, tempDir } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';
import { openImage } from '../../src/image/open.js';
import { sha256Device } from '../helpers/tools.js';
import { CorruptError, NotFoundError, RehostError } from '../../src/errors.js';
import { DiagnosticLog } from '../../src/diagnostics.js';

let dir: string;
let sparse: Buffer;
let stream: Buffer;

beforeAll(() => {
  requireTool('qemu-img');
  dir = tempDir('rehost-vmdk-hostile-');
  const pattern = join(dir, 'pattern.raw');
  writePatternDisk(pattern, { size: 8 * MIB });
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', pattern, join(dir, 'good.vmdk')]);
  sparse = readFileSync(join(dir, 'good.vmdk'));
  // rehost's own writer makes the stream with the footer (qemu keeps the GD at the front).
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', pattern, join(dir, 'qstream.vmdk')]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `bytes` as a file, opens it with rehost and reads the whole disk; returns the error. */
async function failure(name: string, bytes: Uint8Array | string): Promise<RehostError> {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  try {
    const image = await openImage(path);
    try {
      await sha256Device(image.device);
    } finally {
      await image.close();
    }
  } catch (error) {
    expect(error).toBeInstanceOf(RehostError);
    return error as RehostError;
  }
  throw new Error(`${name} opened and read without an error`);
}

function patched(base: Buffer, edit: (copy: Buffer) => void): Buffer {
  const copy = Buffer.from(base);
  edit(copy);
  return copy;
}

const gdOffset = () => Number(sparse.readBigUInt64LE(0x38)) * 512;

describe('hostile sparse extents', () => {
  test('a grain directory entry pointing outside the file', async () => {
    const error = await failure('gd-out.vmdk', patched(sparse, (b) => b.writeUInt32LE(0x7fffffff, gdOffset())));
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail.structure).toMatch(/grain directory entry 0/);
    expect(error.detail.offset).toBe(gdOffset());
  });

  test('a grain table entry pointing outside the file', async () => {
    const gt = sparse.readUInt32LE(gdOffset()) * 512;
    const error = await failure('gte-out.vmdk', patched(sparse, (b) => b.writeUInt32LE(0x00ffffff, gt + 4)));
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail.structure).toMatch(/grain table entry/);
    expect(error.detail.offset).toBe(gt + 4);
  });

  test('the grain directory itself outside the file', async () => {
    const error = await failure('gd-far.vmdk', patched(sparse, (b) => b.writeBigUInt64LE(0xffffffn, 0x38)));
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'VMDK sparse extent header', offset: 0x38 });
  });

  test('a truncated file', async () => {
    const error = await failure('truncated.vmdk', sparse.subarray(0, sparse.length - 100_000));
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.message).toMatch(/outside the file/);
    await expect(failure('tiny.vmdk', sparse.subarray(0, 300))).resolves.toBeInstanceOf(CorruptError);
  });

  test('an absurd capacity', async () => {
    const error = await failure('capacity.vmdk', patched(sparse, (b) => b.writeBigUInt64LE(1n << 50n, 0x0c)));
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail).toMatchObject({ structure: 'VMDK sparse extent header', offset: 0x0c });
  });

  test('a grain size that is not a power of two, and too many entries per grain table', async () => {
    expect((await failure('grain.vmdk', patched(sparse, (b) => b.writeBigUInt64LE(100n, 0x14)))).detail.offset).toBe(0x14);
    expect((await failure('gtes.vmdk', patched(sparse, (b) => b.writeUInt32LE(1 << 20, 0x2c)))).detail.offset).toBe(0x2c);
  });

  test('an embedded descriptor larger than the bound or outside the file', async () => {
    const huge = await failure('desc-size.vmdk', patched(sparse, (b) => b.writeBigUInt64LE(1n << 30n, 0x24)));
    expect(huge.message).toMatch(/exceeds/);
    const outside = await failure('desc-out.vmdk', patched(sparse, (b) => b.writeBigUInt64LE(1n << 20n, 0x1c)));
    expect(outside.message).toMatch(/outside the file/);
  });

  test('a stream-optimized file whose footer is missing or whose grain is not deflate data', async () => {
    const qstream = readFileSync(join(dir, 'qstream.vmdk'));
    // Claim GD_AT_END without a footer.
    const noFooter = await failure('nofooter.vmdk', patched(qstream, (b) => b.writeBigUInt64LE(0xffffffffffffffffn, 0x38)));
    expect(noFooter.detail.structure).toBe('VMDK footer');
    // Damage the first compressed grain (at the first grain table's first used entry).
    const gd = Number(qstream.readBigUInt64LE(0x38)) * 512;
    const gt = qstream.readUInt32LE(gd) * 512;
    const grain = qstream.readUInt32LE(gt) * 512;
    const error = await failure('badgrain.vmdk', patched(qstream, (b) => b.fill(0x55, grain + 12, grain + 40)));
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.detail.offset).toBe(grain);
    const size = await failure('grainsize.vmdk', patched(qstream, (b) => b.writeUInt32LE(0x7fffffff, grain + 8)));
    expect(size.message).toMatch(/compressed grain of/);
  });
});

describe('tolerated oddities', () => {
  test('an unclean-shutdown flag is a warning, and the disk still reads', async () => {
    const path = join(dir, 'unclean.vmdk');
    writeFileSync(path, patched(sparse, (b) => b.writeUInt8(1, 0x48)));
    const log = new DiagnosticLog();
    const image = await openImage(path, { diagnostics: log });
    expect(log.warnings().map((w) => [w.code, w.offset])).toEqual([['vmdk-unclean-shutdown', 0x48]]);
    expect(image.details.extents).toMatchObject([{ uncleanShutdown: true }]);
    await image.close();
  });

  test('a descriptor with CRLF line ends', async () => {
    writeFileSync(join(dir, 'crlf-flat.bin'), new Uint8Array(MIB).fill(7));
    const path = join(dir, 'crlf.vmdk');
    writeFileSync(path, '# Disk DescriptorFile\r\nversion=1\r\nCID=1\r\nparentCID=ffffffff\r\ncreateType="monolithicFlat"\r\nRW 2048 FLAT "crlf-flat.bin" 0\r\n');
    const image = await openImage(path);
    expect(image.virtualSize).toBe(MIB);
    expect((await image.device.read(0, 512)).every((b) => b === 7)).toBe(true);
    await image.close();
  });
});

describe('hostile descriptors and chains', () => {
  const descriptor = (body: string) => `# Disk DescriptorFile\nversion=1\nCID=11111111\nparentCID=ffffffff\ncreateType="monolithicFlat"\n${body}\n`;

  test('a missing parent is a NotFoundError naming it', async () => {
    writeFileSync(join(dir, 'base.vmdk'), sparse);
    run('qemu-img', ['create', '-f', 'vmdk', '-b', 'base.vmdk', '-F', 'vmdk', join(dir, 'orphan.vmdk')]);
    rmSync(join(dir, 'base.vmdk'));
    const error = await openImage(join(dir, 'orphan.vmdk')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toContain('base.vmdk');
  });

  test('a descriptor whose parent is itself', async () => {
    writeFileSync(join(dir, 'flat.bin'), new Uint8Array(MIB));
    const text = descriptor('parentFileNameHint="loop.vmdk"\nRW 2048 FLAT "flat.bin" 0').replace('parentCID=ffffffff', 'parentCID=11111111');
    const error = await failure('loop.vmdk', text);
    expect(error).toBeInstanceOf(CorruptError);
    expect(error.message).toMatch(/loops/);
  });

  test('a missing extent file is a NotFoundError', async () => {
    const error = await failure('noextent.vmdk', descriptor('RW 2048 FLAT "nowhere-flat.vmdk" 0'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain('nowhere-flat.vmdk');
  });

  test('a flat extent larger than its file', async () => {
    writeFileSync(join(dir, 'small-flat.bin'), new Uint8Array(MIB));
    const error = await failure('bigflat.vmdk', descriptor('RW 4096 FLAT "small-flat.bin" 0'));
    expect(error).toBeInstanceOf(CorruptError);
  });

  test('malformed extent lines, no extents, no createType, a bad CID, absurd sizes, too many extents', async () => {
    expect(await failure('badline.vmdk', descriptor('RW x FLAT "f" 0'))).toBeInstanceOf(CorruptError);
    expect(await failure('badtype.vmdk', descriptor('RW 10 FLOPPY "f" 0'))).toBeInstanceOf(CorruptError);
    expect(await failure('noextents.vmdk', descriptor(''))).toBeInstanceOf(CorruptError);
    expect((await failure('nocreate.vmdk', '# Disk DescriptorFile\nversion=1\nRW 10 ZERO\n')).message).toMatch(/createType/);
    expect((await failure('cid.vmdk', descriptor('RW 10 ZERO').replace('CID=11111111', 'CID=zz'))).message).toMatch(/CID/);
    expect((await failure('absurd.vmdk', descriptor('RW 99999999999999999 ZERO'))).message).toMatch(/absurd/);
    const many = descriptor(Array.from({ length: 40_001 }, () => 'RW 1 ZERO').join('\n'));
    expect((await failure('many.vmdk', many)).message).toMatch(/more than 40000 extents/);
  });

  test('thousands of extent lines naming one file open it once and read correctly', async () => {
    const flat = new Uint8Array(2 * MIB);
    for (let i = 0; i < flat.length; i += 512) flat[i] = (i / 512) & 0xff;
    writeFileSync(join(dir, 'pieces.bin'), flat);
    // 4096 one-sector extents over the first 2 MiB of the file, in reverse order of sectors.
    const lines = Array.from({ length: 4096 }, (_, i) => `RW 1 FLAT "pieces.bin" ${4095 - i}`);
    const path = join(dir, 'pieces.vmdk');
    writeFileSync(path, descriptor(lines.join('\n')));
    const image = await openImage(path);
    try {
      expect(image.files).toEqual([path, join(dir, 'pieces.bin')]);
      const disk = await image.device.read(0, 2 * MIB);
      for (let s = 0; s < 4096; s++) expect(disk[s * 512]).toBe((4095 - s) & 0xff);
    } finally {
      await image.close();
    }
  });

  test('a descriptor of ZERO extents reads as zeros and unknown lines are skipped with a warning', async () => {
    const path = join(dir, 'zero.vmdk');
    writeFileSync(path, descriptor('RW 2048 ZERO\nRW 2048 ZERO\nsomething odd'));
    const image = await openImage(path);
    expect(image.virtualSize).toBe(2 * MIB);
    expect((await image.device.read(0, 2 * MIB)).every((b) => b === 0)).toBe(true);
    expect(await image.device.allocation!(0, 2 * MIB)).toEqual([{ offset: 0, length: 2 * MIB, kind: 'zero' }]);
    await image.close();
  });
});
