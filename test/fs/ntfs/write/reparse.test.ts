// Deleting reparse points keeps $Extend/$Reparse in step: ntfs-3g makes two junctions (setfattr
// system.ntfs_reparse_data), we remove one (checkNtfs checks $R against the records too); ntfsinfo counts one $R entry less, ntfs-3g still
// resolves the other, ntfsfix -n and checkNtfs stay clean.

import { execFileSync, spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNtfsWritable, checkNtfs, openNtfs } from '../../../../src/fs/ntfs/index.js';
import { FileDevice } from '../../../../src/io/index.js';
import { requireTool, tempDir } from '../../../helpers/tools.js';
import { materialize, makeVolume, memoryOf, ntfsfixClean, overlayOf, patchRecord } from './helpers.js';
import { withNtfs3g } from './oracles.js';

/** A mount-point (junction) reparse buffer pointing at `target` (a Windows path). */
function junction(target: string): string {
  const sub = Buffer.from(`\\??\\${target}`, 'utf16le');
  const print = Buffer.from(target, 'utf16le');
  const paths = Buffer.concat([sub, Buffer.alloc(2), print, Buffer.alloc(2)]);
  const data = Buffer.alloc(8 + paths.length);
  data.writeUInt16LE(0, 0);
  data.writeUInt16LE(sub.length, 2);
  data.writeUInt16LE(sub.length + 2, 4);
  data.writeUInt16LE(print.length, 6);
  paths.copy(data, 8);
  const header = Buffer.alloc(8);
  header.writeUInt32LE(0xa0000003, 0);
  header.writeUInt16LE(data.length, 4);
  return '0x' + Buffer.concat([header, data]).toString('hex');
}

function reparseEntries(image: string): number {
  const text = execFileSync('ntfsinfo', ['-F', '/$Extend/$Reparse', image], { encoding: 'utf8' });
  return Number(/Index entries total:\s+(\d+)/.exec(text)![1]);
}

describe('NTFS writer: reparse points', () => {
  for (const tool of ['mkntfs', 'ntfsinfo', 'ntfsfix', 'ntfs-3g', 'setfattr']) requireTool(tool);
  const dir = tempDir();

  it('removes the $R entry with the reparse point', async () => {
    const image = makeVolume(dir, 'rp.img', 8);
    await withNtfs3g({ image, dir }, (mnt) => {
      for (const name of ['j1', 'j2']) {
        execFileSync('mkdir', [join(mnt, name)]);
        execFileSync('setfattr', ['-n', 'system.ntfs_reparse_data', '-v', junction('C:\\Windows'), join(mnt, name)]);
      }
    });
    expect(reparseEntries(image)).toBe(3); // two junctions and the end entry
    expect((await checkNtfs(await FileDevice.open(image))).problems).toEqual([]);
    // checkNtfs sees a tag that disagrees with $R.
    const damaged = memoryOf(image);
    const j1 = (await (await openNtfs(damaged)).stat('/j1')).inode!;
    await patchRecord(damaged, j1, (r) => {
      let at = r[0x14]! | (r[0x15]! << 8);
      while ((r[at]! | (r[at + 1]! << 8)) !== 0xc0) at += r[at + 4]! | (r[at + 5]! << 8);
      r[at + (r[at + 0x14]! | (r[at + 0x15]! << 8))] = 0x0c; // 0xA0000003 -> 0xA000000C
    });
    expect([...new Set((await checkNtfs(damaged)).problems.map((p) => p.code))]).toEqual(['REPARSE_INDEX']);
    const overlay = await overlayOf(image);
    const fs = await openNtfsWritable(overlay);
    await expect(fs.writeFile('/j2', new Uint8Array(3))).rejects.toThrow(/directory|EISDIR/i);
    await fs.rmdir('/j1');
    await fs.flush();
    const out = await materialize({ source: image, overlay, out: join(dir, 'rp-out.img') });
    expect(reparseEntries(out)).toBe(2);
    const fix = ntfsfixClean(out);
    expect(fix.ok, fix.output).toBe(true);
    expect((await checkNtfs(await FileDevice.open(out))).problems).toEqual([]);
    await withNtfs3g({ image: out, dir, readOnly: true }, (mnt) => {
      expect(spawnSync('ls', [join(mnt, 'j1')]).status).not.toBe(0);
      expect(readlinkSync(join(mnt, 'j2'))).toMatch(/Windows/i);
    });
  });
});
