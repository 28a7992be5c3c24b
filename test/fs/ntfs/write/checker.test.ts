// checkNtfs: clean on volumes made by mkntfs, ntfs-3g and Windows; each kind of deliberate
// damage reported with its code.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkNtfs } from '../../../../src/fs/ntfs/check/index.js';
import { openNtfsWritable } from '../../../../src/fs/ntfs/index.js';
import { NtfsFileSystem } from '../../../../src/fs/ntfs/filesystem.js';
import { FileDevice, type MemoryDevice } from '../../../../src/io/index.js';
import { encodeFixups, tryApplyFixups } from '../../../../src/fs/ntfs/fixups.js';
import { tempDir } from '../../../helpers/tools.js';
import { bytesOf, corpusVolume, makeVolume, memoryOf, patchRecord } from './helpers.js';

async function codes(device: MemoryDevice): Promise<string[]> {
  return [...new Set((await checkNtfs(device)).problems.map((p) => p.code))].sort();
}

describe('checkNtfs', () => {
  const dir = tempDir();
  const fresh = makeVolume(dir, 'fresh.img', 8);
  const seeded = join(dir, 'seeded.img');
  execFileSync('cp', [fresh, seeded]);
  for (let i = 0; i < 40; i++) {
    const local = join(dir, `f${i}`);
    writeFileSync(local, bytesOf(i % 3 === 0 ? 20_000 : 100, i + 1));
    execFileSync('ntfscp', ['-q', seeded, local, `file-${i}.bin`]);
  }

  it('is clean on a fresh mkntfs volume, an ntfs-3g-filled one and the Windows corpus volume', async () => {
    for (const path of [fresh, seeded, corpusVolume(dir)]) {
      const r = await checkNtfs(await FileDevice.open(path));
      expect(r.problems, path).toEqual([]);
      expect(r.recordsInUse).toBeGreaterThan(15);
      expect(r.indexEntries).toBeGreaterThan(10);
    }
  });

  it('reports a torn record (fixups)', async () => {
    const device = memoryOf(seeded);
    const fs = await NtfsFileSystem.open(device);
    const at = fs.mft.deviceOffset(20);
    device.bytes[at + 1022] = device.bytes[at + 1022]! ^ (0x55);
    expect(await codes(device)).toContain('FIXUP');
  });

  it('reports cluster leaks, unmarked clusters and double allocation', async () => {
    const fs = await NtfsFileSystem.open(memoryOf(seeded));
    const bitmapFile = await fs.mft.loadFile(6);
    const bitmapAt = bitmapFile.attributes.find((a) => a.type === 0x80)!.runs[0]!.lcn * fs.geometry.clusterSize;
    const file = await fs.mft.loadFile((await fs.stat('/file-0.bin')).inode!);
    const run = file.attributes.find((a) => a.type === 0x80)!.runs[0]!;

    const leak = memoryOf(seeded);
    leak.bytes[bitmapAt + Math.floor((fs.geometry.totalClusters - 100) / 8)] = 0xff;
    expect(await codes(leak)).toEqual(['CLUSTER_LEAK']);

    const unmarked = memoryOf(seeded);
    unmarked.bytes[bitmapAt + (run.lcn >>> 3)] = unmarked.bytes[bitmapAt + (run.lcn >>> 3)]! & (~(1 << (run.lcn & 7)));
    expect(await codes(unmarked)).toEqual(['CLUSTER_UNMARKED']);

    // Point file-3's run at file-0's first cluster: both claim it, and file-3's own is leaked.
    const double = memoryOf(seeded);
    const other = (await fs.stat('/file-3.bin')).inode!;
    await patchRecord(double, other, (r) => {
      let at = r[0x14]! | (r[0x15]! << 8);
      while ((r[at]! | (r[at + 1]! << 8)) !== 0x80) at += r[at + 4]! | (r[at + 5]! << 8);
      const pairs = at + (r[at + 0x20]! | (r[at + 0x21]! << 8));
      const header = r[pairs]!;
      const lengthSize = header & 0xf;
      const deltaSize = header >>> 4;
      let v = run.lcn;
      for (let i = 0; i < deltaSize; i++) {
        r[pairs + 1 + lengthSize + i] = v & 0xff;
        v = Math.floor(v / 256);
      }
    });
    expect(await codes(double)).toEqual(['CLUSTER_LEAK', 'DOUBLE_ALLOCATION']);
  });

  it('reports $MFT:$BITMAP disagreement and a stale $MFTMirr', async () => {
    const fs = await NtfsFileSystem.open(memoryOf(seeded));
    const mftFile = await fs.mft.loadFile(0);
    const bitmapAttr = mftFile.attributes.find((a) => a.type === 0xb0)!;
    const inode = (await fs.stat('/file-5.bin')).inode!;
    const device = memoryOf(seeded);
    if (bitmapAttr.resident) {
      await patchRecord(device, 0, (r) => {
        let at = r[0x14]! | (r[0x15]! << 8);
        while ((r[at]! | (r[at + 1]! << 8)) !== 0xb0) at += r[at + 4]! | (r[at + 5]! << 8);
        const value = at + (r[at + 0x14]! | (r[at + 0x15]! << 8));
        r[value + (inode >>> 3)] = r[value + (inode >>> 3)]! & (~(1 << (inode & 7)));
      });
    } else {
      const at = bitmapAttr.runs[0]!.lcn * fs.geometry.clusterSize + (inode >>> 3);
      device.bytes[at] = device.bytes[at]! & (~(1 << (inode & 7)));
    }
    const found = await codes(device);
    expect(found).toContain('MFT_BITMAP');
    const mirror = memoryOf(seeded);
    mirror.bytes[fs.geometry.mftMirrOffset + 2 * 1024 + 0x100] = mirror.bytes[fs.geometry.mftMirrOffset + 2 * 1024 + 0x100]! ^ (1);
    expect(await codes(mirror)).toEqual(['MFTMIRR']);
  });

  it('reports index entries out of order and pointing at the wrong record', async () => {
    const fs = await NtfsFileSystem.open(memoryOf(seeded));
    const a = (await fs.stat('/file-1.bin')).inode!;
    // Rename file-1's $FILE_NAME in its record only: the index key no longer matches it.
    const device = memoryOf(seeded);
    await patchRecord(device, a, (r) => {
      let at = r[0x14]! | (r[0x15]! << 8);
      while ((r[at]! | (r[at + 1]! << 8)) !== 0x30) at += r[at + 4]! | (r[at + 5]! << 8);
      const value = at + (r[at + 0x14]! | (r[at + 0x15]! << 8));
      r[value + 0x42] = 'g'.charCodeAt(0);
    });
    expect(await codes(device)).toEqual(['INDEX_TARGET']);
    // Swap two keys' names inside the root index: the order breaks.
    const order = memoryOf(seeded);
    const dev = memoryOf(seeded);
    const root = await NtfsFileSystem.open(dev);
    const rootFile = await root.mft.loadFile(5);
    const alloc = rootFile.attributes.find((x) => x.type === 0xa0 && x.name === '$I30');
    expect(alloc).toBeDefined(); // 40 files overflow the root into INDX blocks
    const start = alloc!.runs[0]!.lcn * root.geometry.clusterSize;
    const blockSize = root.geometry.indexRecordSize;
    // Edits a name inside the INDX blocks (fixups removed first: a name may straddle a sector end).
    const editName = (device: MemoryDevice, name: string, charIndex: number, char: string): void => {
      for (let at = start; at < start + alloc!.dataSize; at += blockSize) {
        const block = device.bytes.slice(at, at + blockSize);
        expect(tryApplyFixups(block, 0, blockSize)).toBe(true);
        const i = Buffer.from(block.buffer).indexOf(Buffer.from(name, 'utf16le'));
        if (i < 0) continue;
        block[i + 2 * charIndex] = char.charCodeAt(0);
        encodeFixups({ bytes: block, size: blockSize, usn: 0x99 });
        device.bytes.set(block, at);
        return;
      }
      throw new Error(`${name} not found in the index`);
    };
    editName(order, 'file-10.bin', 8, 'a'); // "file-10.ain": no record has that name
    expect(await codes(order)).toEqual(['INDEX_TARGET']);
    const order2 = memoryOf(seeded);
    editName(order2, 'file-11.bin', 5, '9'); // "file-91.bin" sorts after file-12
    expect(await codes(order2)).toContain('INDEX_ORDER');
  });
  it('reports attribute lists that disagree with the records, and wrong link counts', async () => {
    // A file with an $ATTRIBUTE_LIST (made by our writer: many links spill into extension records).
    const device = memoryOf(fresh);
    const fs = await openNtfsWritable(device);
    await fs.writeFile('/t.bin', bytesOf(100, 1));
    for (let i = 0; i < 8; i++) await fs.link('/t.bin', `/a rather long hard link name number ${i}.bin`); // a resident list
    await fs.flush();
    expect(await codes(device)).toEqual([]);
    const reader = await NtfsFileSystem.open(device);
    const n = (await reader.stat('/t.bin')).inode!;
    const list = (await reader.mft.loadFile(n)).attributeList!;
    const ext = list.find((e) => e.recordNumber !== n)!.recordNumber;
    const listValue = (r: Uint8Array): number => {
      let at = r[0x14]! | (r[0x15]! << 8);
      while ((r[at]! | (r[at + 1]! << 8)) !== 0x20) at += r[at + 4]! | (r[at + 5]! << 8);
      return at + (r[at + 0x14]! | (r[at + 0x15]! << 8));
    };
    // An entry's instance that no attribute has.
    const instance = memoryOf(fresh);
    instance.bytes.set(device.bytes);
    await patchRecord(instance, n, (r) => {
      const v = listValue(r) + 0x20; // the second entry
      r[v + 0x18] = 0x77;
    });
    expect(await codes(instance)).toEqual(['ATTRIBUTE_LIST']);
    // An extension record whose base no longer names it.
    const orphan = memoryOf(fresh);
    orphan.bytes.set(device.bytes);
    await patchRecord(orphan, ext, (r) => {
      r[0x20] = 7; // belongs to record 7 ($Boot) now
    });
    expect(await codes(orphan)).toContain('ATTRIBUTE_LIST');
    // A link count that does not match the $FILE_NAMEs.
    const links = memoryOf(fresh);
    links.bytes.set(device.bytes);
    await patchRecord(links, n, (r) => {
      r[0x12] = 5;
    });
    expect(await codes(links)).toEqual(['LINK_COUNT']);
  });
});
