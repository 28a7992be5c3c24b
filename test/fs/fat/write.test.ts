// FAT writer against mtools and fsck.fat: on FAT12, FAT16 and FAT32 volumes made by mkfs.fat
// and filled by mtools, we create, replace (bigger and smaller), mkdir nested, unlink and rmdir
// through an OverlayDevice, grow a directory past one cluster, put 300 files in one directory;
// the overlay's changes are applied to a copy, then mtools must read back exactly the tree
// we expect and fsck.fat -n must be clean, with FSInfo's free count equal to fsck's count.
// The source image is never modified. Also: short-name collisions, the dirty-bit refusal, the
// full fixed root, FAT32 with mirroring off, and the transaction's writer table.

import { describe, expect, it, beforeAll } from 'vitest';
import { copyFileSync, openSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDirs, sha256File } from '../../helpers/tools.js';
import { FileDevice, MemoryDevice, OverlayDevice, WritableFileDevice } from '../../../src/io/index.js';
import { UnsafeStateError, UnsupportedError } from '../../../src/errors.js';
import { decodeFsInfo, openFat, openFatWritable, type FatWritableFileSystem } from '../../../src/fs/fat/index.js';
import { bytesOf, expectSameAsMtools, fsck, fsckClusters, makeFat, mdirList, mtools, ourTree, populate, requireFatTools, type FatSpec } from './fixtures.js';

const scratch = scratchDirs('rehost-fatw-');

beforeAll(() => requireFatTools());

async function applyOverlay(overlay: OverlayDevice, to: string): Promise<void> {
  const out = await WritableFileDevice.openExisting(to);
  for (const change of overlay.changes()) await out.write(change.offset, change.data);
  await out.close();
}

function expectFsckClean(image: string): { used: number; total: number } {
  const r = fsck(image);
  expect(r.output).not.toMatch(/wrong|differ|dirty|invalid|orphan|delet|truncat|marking|reclaim|lost|contains|has no|should|\? /i);
  expect(r.code, r.output).toBe(0);
  return fsckClusters(r.output);
}

const KINDS: Array<{ name: string; spec: FatSpec }> = [
  { name: 'FAT12', spec: { fat: 12, sizeKiB: 4096 } },
  { name: 'FAT16 (512-byte clusters)', spec: { fat: 16, sizeKiB: 16384, sectorsPerCluster: 1 } },
  { name: 'FAT32', spec: { fat: 32, sizeKiB: 40960 } },
  { name: 'FAT32 4096-byte sectors', spec: { fat: 32, sizeKiB: 300_000, sectorSize: 4096 } },
];

describe('writes read back by mtools, fsck.fat clean, source untouched', () => {
  for (const { name, spec } of KINDS) {
    it(name, async () => {
      const dir = scratch();
      const source = makeFat({ path: join(dir, 'src.img'), spec });
      populate({ image: source, work: dir, many: 20 });
      const before = await sha256File(source);
      const base = await FileDevice.open(source);
      const overlay = new OverlayDevice(base);
      const fs = await openFatWritable(overlay);
      const mtime = new Date(Date.UTC(2024, 4, 17, 10, 30, 42));
      const boot = await fs.readFile('/EFI/Microsoft/Boot/bootmgfw.efi');
      // The ESP repair: copy bootmgfw.efi to \EFI\Boot\bootx64.efi (replacing), in a new dir too.
      await fs.mkdir('/EFI/NewBoot', { mtime });
      await fs.writeFile('/EFI/NewBoot/bootx64.efi', boot, { mtime });
      await fs.writeFile('/EFI/Boot/BOOTX64.EFI', bytesOf('replaced', 170_000));
      // BCD rewritten: same size, then bigger, then smaller.
      await fs.writeFile('/EFI/Microsoft/Boot/BCD', bytesOf('bcd2', 28_672));
      await fs.writeFile('/EFI/Microsoft/Boot/BCD', bytesOf('bcd3', 65_536));
      await fs.writeFile('/EFI/Microsoft/Boot/BCD', bytesOf('bcd4', 8_192));
      await fs.mkdir('/a');
      await fs.mkdir('/a/b');
      await fs.mkdir('/a/b/Nested Long Directory Name');
      await fs.writeFile('/a/b/Nested Long Directory Name/leaf file.txt', bytesOf('leaf2', 3333));
      await fs.writeFile('/empty.bin', new Uint8Array(0));
      await fs.writeFile('/lower case.txt', bytesOf('lc', 5));
      await fs.writeFile('/short.txt', bytesOf('short', 10));
      await fs.writeFile('/UPPER2.TXT', bytesOf('u2', 10));
      await fs.writeFile('/日本語の新しいファイル.txt', bytesOf('jp', 99));
      await fs.unlink('/UPPER.TXT');
      await fs.unlink('/Many/file number 3.txt');
      await fs.unlink('/Deep/Er/Still/leaf.bin');
      await fs.rmdir('/Deep/Er/Still');
      await expect(fs.rmdir('/Deep')).rejects.toBeInstanceOf(UnsupportedError);
      await expect(fs.symlink('x', '/link')).rejects.toBeInstanceOf(UnsupportedError);
      await expect(fs.mkdir('/a')).rejects.toBeInstanceOf(UnsupportedError);
      await expect(fs.writeFile('/bad:name', new Uint8Array(1))).rejects.toBeInstanceOf(UnsupportedError);
      await expect(fs.unlink('/a')).rejects.toMatchObject({ errno: 'EISDIR' });
      // A directory grown past one cluster.
      for (let i = 0; i < 40; i++) await fs.writeFile(`/a/b/grown entry with a long name number ${i}.dat`, bytesOf(`g${i}`, 10 + i));
      // Reads through the same object see the writes.
      expect(Buffer.from(await fs.readFile('/efi/newboot/BOOTX64.EFI')).equals(Buffer.from(boot))).toBe(true);
      expect(await fs.exists('/UPPER.TXT')).toBe(false);
      await fs.flush();
      expect(await sha256File(source)).toBe(before);

      const out = join(dir, 'out.img');
      copyFileSync(source, out);
      await applyOverlay(overlay, out);
      const counted = expectFsckClean(out);
      // FSInfo's free count is what fsck.fat computes.
      if (spec.fat === 32) {
        const g = fs.geometry;
        const info = decodeFsInfo(readFileSync(out).subarray(g.fsInfoSector * g.bytesPerSector, g.fsInfoSector * g.bytesPerSector + 512));
        expect(info?.FSI_Free_Count).toBe(counted.total - counted.used);
      }
      expect(fs.freeClusters).toBe(counted.total - counted.used);
      // mtools reads back exactly what our reader (fresh, from the written image) sees.
      const outDevice = await FileDevice.open(out);
      const reread = await openFat(outDevice);
      expectSameAsMtools({ image: out, ours: await ourTree(reread), work: join(dir, 'x') });
      const list = mdirList(out);
      expect(list).toContain('/EFI/NewBoot/bootx64.efi');
      expect(list).toContain('/a/b/Nested Long Directory Name/leaf file.txt');
      expect(list).toContain('/lower case.txt');
      expect(list).toContain('/日本語の新しいファイル.txt');
      expect(list).not.toContain('/UPPER.TXT');
      expect(list).not.toContain('/Deep/Er/Still/');
      expect(Buffer.from(mtools('mtype', ['-i', out, '::/EFI/NewBoot/BOOTX64.EFI']), 'latin1').length).toBeGreaterThan(0);
      expect(Buffer.from(await reread.readFile('/EFI/Microsoft/Boot/BCD')).equals(Buffer.from(bytesOf('bcd4', 8_192)))).toBe(true);
      expect((await reread.stat('/EFI/NewBoot/bootx64.efi')).mtime).toEqual(new Date(Date.UTC(2024, 4, 17, 10, 30, 42)));
      expect((await reread.directoryAt('/a/b')).clusters.length).toBeGreaterThan(1);
      await outDevice.close();
      await base.close();
    });
  }
});

describe('300 files in one directory (FAT32 and FAT16 subdirectory)', () => {
  for (const spec of [
    { fat: 32, sizeKiB: 40960 },
    { fat: 16, sizeKiB: 16384 },
  ] as FatSpec[]) {
    it(`FAT${spec.fat}`, async () => {
      const dir = scratch();
      const image = makeFat({ path: join(dir, 'fat.img'), spec });
      const device = await WritableFileDevice.openExisting(image);
      const fs = await openFatWritable(device);
      await fs.mkdir('/Big');
      for (let i = 0; i < 300; i++) await fs.writeFile(`/Big/Some long file name ${i}.txt`, bytesOf(`b${i}`, i * 7));
      // The FAT32 root is a cluster chain and grows too; the FAT16 root is fixed (512 entries).
      for (let i = 0; i < 60; i++) await fs.writeFile(`/root level file with a long name ${i}.bin`, bytesOf(`r${i}`, 3));
      if (spec.fat === 32) expect((await fs.directoryAt('/')).clusters.length).toBeGreaterThan(1);
      expect((await fs.directoryAt('/Big')).clusters.length).toBeGreaterThan(1);
      await fs.flush();
      await device.close();
      expectFsckClean(image);
      const list = mdirList(image).filter((p) => p.startsWith('/Big/') && p !== '/Big/');
      expect(list.length).toBe(300);
      const rd = await FileDevice.open(image);
      expectSameAsMtools({ image, ours: await ourTree(await openFat(rd)), work: join(dir, 'x') });
      await rd.close();
    });
  }
});

describe('short names', () => {
  it('LONGNAME1.txt, LONGNAME2.txt → LONGNA~1.TXT, LONGNA~2.TXT; 8.3 names get no LFN', async () => {
    const dir = scratch();
    const image = makeFat({ path: join(dir, 'fat.img'), spec: { fat: 16, sizeKiB: 16384 } });
    const device = await WritableFileDevice.openExisting(image);
    const fs = await openFatWritable(device);
    await fs.writeFile('/LONGNAME1.txt', bytesOf('1', 1));
    await fs.writeFile('/LONGNAME2.txt', bytesOf('2', 2));
    await fs.writeFile('/README.TXT', bytesOf('3', 3));
    await fs.writeFile('/readme2.txt', bytesOf('4', 4));
    await fs.writeFile('/Mixed.Txt', bytesOf('5', 5));
    await fs.writeFile('/a+b=c.txt', bytesOf('6', 6));
    await fs.flush();
    expect((await fs.stat('/LONGNAME1.txt')).extra?.shortName).toBe('LONGNA~1.TXT');
    expect((await fs.stat('/LONGNAME2.txt')).extra?.shortName).toBe('LONGNA~2.TXT');
    expect((await fs.stat('/Mixed.Txt')).extra?.shortName).toBe('MIXED.TXT');
    expect((await fs.stat('/a+b=c.txt')).extra?.shortName).toBe('A_B_C~1.TXT');
    await device.close();
    expectFsckClean(image);
    // mdir's non-bare listing shows the 8.3 name, then the long name when there is one.
    const listing = mtools('mdir', ['-i', image, '::']);
    expect(listing).toMatch(/LONGNA~1 TXT\s+1 .*LONGNAME1\.txt/);
    expect(listing).toMatch(/LONGNA~2 TXT\s+2 .*LONGNAME2\.txt/);
    expect(listing).toMatch(/README +TXT +3 +\S+ +\S+ *\n/);
    expect(listing).toMatch(/readme2 +txt +4 +\S+ +\S+ *\n/);
    expect(mdirList(image)).toEqual(['/LONGNAME1.txt', '/LONGNAME2.txt', '/Mixed.Txt', '/README.TXT', '/a+b=c.txt', '/readme2.txt']);
  });
});

describe('refusals and edge cases', () => {
  it('refuses a dirty volume (FAT16 bit 15, FAT32 bit 27 of FAT[1]) and says why', async () => {
    for (const spec of [
      { fat: 16, sizeKiB: 16384 },
      { fat: 32, sizeKiB: 40960 },
    ] as FatSpec[]) {
      const dir = scratch();
      const image = makeFat({ path: join(dir, 'fat.img'), spec });
      const rd = await FileDevice.open(image);
      const at = (await openFat(rd)).fat.entryOffset(1);
      await rd.close();
      // Clear the clean-shutdown bit: byte 1 bit 7 on FAT16, byte 3 bit 3 on FAT32.
      const bytes = new Uint8Array(readFileSync(image));
      const device = new MemoryDevice(bytes);
      if (spec.fat === 16) bytes[at + 1] = (bytes[at + 1] as number) & 0x7f;
      else bytes[at + 3] = (bytes[at + 3] as number) & ~0x08;
      const error = await openFatWritable(device).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsafeStateError);
      expect((error as Error).message).toMatch(/dirty.*clean-shutdown bit/);
      // Reading is still fine.
      expect(await (await openFat(device)).exists('/')).toBe(true);
    }
  });

  it('refuses BS_Reserved1 dirty (Linux / NT) too', async () => {
    const dir = scratch();
    const image = makeFat({ path: join(dir, 'fat.img'), spec: { fat: 32, sizeKiB: 40960 } });
    const fd = openSync(image, 'r+');
    writeSync(fd, Uint8Array.of(1), 0, 1, 65);
    closeSync(fd);
    const r = fsck(image);
    expect(r.output).toMatch(/[Dd]irty/);
    const wd = await WritableFileDevice.openExisting(image);
    await expect(openFatWritable(wd)).rejects.toBeInstanceOf(UnsafeStateError);
    await wd.close();
  });

  it('a full FAT12/16 root directory is an error; nothing is leaked', async () => {
    const dir = scratch();
    const image = makeFat({ path: join(dir, 'fat.img'), spec: { fat: 12, sizeKiB: 2048 } });
    const device = await WritableFileDevice.openExisting(image);
    const fs: FatWritableFileSystem = await openFatWritable(device);
    const capacity = fs.geometry.rootEntryCount;
    let written = 0;
    let error: unknown;
    for (let i = 0; i < capacity + 5; i++) {
      try {
        await fs.writeFile(`/F${i}.BIN`, bytesOf(`r${i}`, 600));
        written++;
      } catch (e) {
        error = e;
        break;
      }
    }
    expect(written).toBe(capacity);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toMatch(/root directory is full/);
    await fs.flush();
    await device.close();
    const counted = expectFsckClean(image);
    expect(counted.used).toBe(capacity * Math.ceil(600 / fs.geometry.clusterSize));
  });

  it('FAT32 with mirroring off writes only the active FAT', async () => {
    const dir = scratch();
    const image = makeFat({ path: join(dir, 'fat.img'), spec: { fat: 32, sizeKiB: 40960 } });
    // BPB_ExtFlags = 0x80: mirroring off, FAT 0 active.
    const fd = openSync(image, 'r+');
    writeSync(fd, Uint8Array.of(0x80, 0), 0, 2, 40);
    closeSync(fd);
    const device = new MemoryDevice(new Uint8Array(readFileSync(image)));
    const fs = await openFatWritable(device);
    expect(fs.fat.mirrored).toBe(false);
    const g = fs.geometry;
    const fat1Before = device.bytes.slice(g.fatOffset + g.fatBytes, g.fatOffset + 2 * g.fatBytes);
    await fs.writeFile('/x.bin', bytesOf('x', 10_000));
    await fs.flush();
    expect(Buffer.from(device.bytes.subarray(g.fatOffset + g.fatBytes, g.fatOffset + 2 * g.fatBytes)).equals(Buffer.from(fat1Before))).toBe(true);
    expect(Buffer.from(device.bytes.subarray(g.fatOffset, g.fatOffset + g.fatBytes)).equals(Buffer.from(fat1Before))).toBe(false);
    expect(Buffer.from(await (await openFat(device)).readFile('/X.BIN')).equals(Buffer.from(bytesOf('x', 10_000)))).toBe(true);
  });
});
