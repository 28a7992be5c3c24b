// FAT reader against mtools: FAT12, FAT16 and FAT32 volumes (512- and 4096-byte sectors,
// several cluster sizes) made by mkfs.fat and filled by mtools are listed and read by us and
// compared with mdir's recursive listing and mcopy's extraction, byte for byte; plus label,
// uuid, stat fields, case-insensitive lookups, identify/open wiring.

import { afterAll, describe, expect, it, beforeAll } from 'vitest';
import { join } from 'node:path';
import { scratchDirs } from '../../helpers/tools.js';
import { readFileSync } from 'node:fs';
import { FileDevice, MemoryDevice } from '../../../src/io/index.js';
import { identifyVolume } from '../../../src/fs/identify.js';
import { openFileSystem } from '../../../src/fs/open.js';
import { openFat, type FatFileSystem } from '../../../src/fs/fat/index.js';
import { bytesOf, expectSameAsMtools, makeFat, mtools, ourTree, populate, requireFatTools, type FatSpec } from './fixtures.js';

const scratch = scratchDirs('rehost-fat-');

const SPECS: Array<{ name: string; spec: FatSpec; type: 12 | 16 | 32 }> = [
  { name: 'FAT12 1 MiB-ish', spec: { fat: 12, sizeKiB: 3072, label: 'SMALLESP' }, type: 12 },
  { name: 'FAT12 4096-byte sectors', spec: { fat: 12, sizeKiB: 8192, sectorSize: 4096, sectorsPerCluster: 1 }, type: 12 },
  { name: 'FAT16 1 sector per cluster', spec: { fat: 16, sizeKiB: 16384, sectorsPerCluster: 1 }, type: 16 },
  { name: 'FAT16 default', spec: { fat: 16, sizeKiB: 40960, label: 'FAT16VOL' }, type: 16 },
  { name: 'FAT32 512-byte sectors', spec: { fat: 32, sizeKiB: 40960, label: 'ESP' }, type: 32 },
  { name: 'FAT32 4096-byte sectors', spec: { fat: 32, sizeKiB: 300_000, sectorSize: 4096 }, type: 32 },
  { name: 'FAT32 8 sectors per cluster', spec: { fat: 32, sizeKiB: 280_000, sectorsPerCluster: 8 }, type: 32 },
];

const images = new Map<string, string>();
const opened: FileDevice[] = [];
afterAll(async () => {
  for (const d of opened.splice(0)) await d.close();
});
/** A read-only device on an image, closed after the file's tests. */
async function device(path: string): Promise<FileDevice> {
  const d = await FileDevice.open(path);
  opened.push(d);
  return d;
}

beforeAll(() => {
  requireFatTools();
  for (const { name, spec } of SPECS) {
    const dir = scratch();
    const image = makeFat({ path: join(dir, 'fat.img'), spec });
    populate({ image, work: dir, many: spec.fat === 12 ? 60 : 200 });
    images.set(name, image);
  }
});

describe('FAT volumes read like mtools reads them', () => {
  let compared = 0;
  for (const { name, spec, type } of SPECS) {
    it(name, async () => {
      const image = images.get(name) as string;
      const fs = await openFat(await device(image));
      expect(fs.kind).toBe('vfat');
      expect(fs.geometry.type).toBe(type);
      expect(fs.uuid).toBe('ABCD-1234');
      expect(fs.label).toBe(spec.label);
      compared += expectSameAsMtools({ image, ours: await ourTree(fs), work: join(scratch(), 'x') });
      // mdir prints the serial and label the same way.
      const header = mtools('mdir', ['-i', image, '::/EFI']);
      expect(header).toContain(`Volume Serial Number is ${fs.uuid}`);
    });
  }
  it('compared files (sanity)', () => {
    expect(compared).toBeGreaterThan(SPECS.length * 50);
  });
});

describe('lookups, stat and wiring', () => {
  let fs: FatFileSystem;
  let image: string;
  beforeAll(async () => {
    image = images.get('FAT32 512-byte sectors') as string;
    fs = await openFat(await device(image));
  });

  it('matches names case-insensitively, by long name or 8.3 alias', async () => {
    const want = bytesOf('bootmgfw', 150_000);
    for (const p of ['/efi/boot/bootx64.efi', '/EFI/BOOT/BOOTX64.EFI', '\\EFI\\Microsoft\\Boot\\BOOTMGFW.EFI', '/efi/microsoft/boot/bootmgfw.efi']) {
      expect(Buffer.from(await fs.readFile(p)).equals(Buffer.from(want)), p).toBe(true);
    }
    expect(await fs.exists('/a LONG file name WITH spaces.TXT')).toBe(true);
    const alias = (await fs.stat('/A long file name with spaces.txt')).extra?.shortName as string;
    expect(alias).toMatch(/^ALONGF~\d\.TXT$/);
    expect(await fs.exists(`/${alias.toLowerCase()}`)).toBe(true);
    expect(await fs.exists('/ÜNÏCÖDÉ LONG NAME.DAT')).toBe(true);
    expect(await fs.exists('/nope')).toBe(false);
    expect(await fs.exists('/doomed.txt')).toBe(false);
    expect(await fs.exists('/frag-a.bin')).toBe(false);
  });

  it('stat gives size, type, times and attributes; errors carry errno', async () => {
    const s = await fs.stat('/EFI/Microsoft/Boot/BCD');
    expect(s.type).toBe('file');
    expect(s.size).toBe(28_672);
    expect(s.mtime).toBeInstanceOf(Date);
    expect(s.ctime).toBeInstanceOf(Date);
    expect(typeof s.extra?.attributes).toBe('number');
    expect((await fs.stat('/EFI')).type).toBe('directory');
    expect((await fs.stat('/')).type).toBe('directory');
    await expect(fs.readFile('/EFI')).rejects.toMatchObject({ errno: 'EISDIR' });
    await expect(fs.readdir('/UPPER.TXT')).rejects.toMatchObject({ errno: 'ENOTDIR' });
    await expect(fs.stat('/UPPER.TXT/x')).rejects.toMatchObject({ errno: 'ENOTDIR' });
    await expect(fs.stat('/missing')).rejects.toMatchObject({ errno: 'ENOENT' });
    const names = (await fs.readdir('/EFI')).map((e) => e.name);
    expect(names).not.toContain('.');
    expect(names).not.toContain('..');
    // The lower-case 8.3 name mtools stored with NTRes case bits reads back lower-case.
    expect((await fs.readdir('/')).map((e) => e.name)).toContain('lower.txt');
  });

  it('open() reads ranges of a fragmented file', async () => {
    const dev = await fs.open('/fragmented.bin');
    const want = bytesOf('fragmented', 20_000);
    expect(dev.size).toBe(20_000);
    expect(Buffer.from(await dev.read(1000, 15_000)).equals(Buffer.from(want.subarray(1000, 16_000)))).toBe(true);
  });

  it('identify and openFileSystem know vfat (FAT12/16/32)', async () => {
    for (const { name } of SPECS) {
      const dev = await device(images.get(name) as string);
      const id = await identifyVolume(dev);
      expect(id).toEqual({ kind: 'vfat', readable: true, uuid: 'ABCD-1234' });
      const reader = await openFileSystem(dev);
      expect(reader.kind).toBe('vfat');
      expect(await reader.exists('/EFI/Boot/BOOTX64.EFI')).toBe(true);
    }
  });

  it('identify: FAT12/16 named "FAT     " or with a blank type string, by a BPB that validates', async () => {
    const bytes = new Uint8Array(readFileSync(images.get('FAT16 default') as string));
    for (const type of ['FAT     ', '        ', '\0\0\0\0\0\0\0\0']) {
      for (let i = 0; i < 8; i++) bytes[54 + i] = type.charCodeAt(i);
      expect(await identifyVolume(new MemoryDevice(bytes))).toEqual({ kind: 'vfat', readable: true, uuid: 'ABCD-1234' });
    }
    // A blank type string and a BPB that does not validate is not FAT.
    bytes[13] = 3;
    expect((await identifyVolume(new MemoryDevice(bytes))).kind).toBe('unknown');
  });
});
