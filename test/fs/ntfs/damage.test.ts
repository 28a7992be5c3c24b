// Damaged volumes: a torn $MFT record 0 is read from $MFTMirr (with a warning), a torn file
// record is a CorruptError for that file and a skipped entry (with a warning) in the walk,
// and an index block pointing at itself ends in a CorruptError instead of a hang.

import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDevice } from '../../../src/io/index.js';
import { DiagnosticLog } from '../../../src/diagnostics.js';
import { decodeBootSector, openNtfs } from '../../../src/fs/ntfs/index.js';
import { readCorpus, requireTool, tempDir } from '../../helpers/tools.js';

let volume: Uint8Array;

beforeAll(() => {
  requireTool('mkntfs');
  const dir = tempDir();
  const image = join(dir, 'v.img');
  execFileSync('truncate', ['-s', '8M', image]);
  execFileSync('mkntfs', ['-F', '-Q', '-q', image], { stdio: 'ignore' });
  for (const name of ['a.txt', 'b.txt']) {
    writeFileSync(join(dir, name), `content of ${name}\n`);
    execFileSync('ntfscp', [image, join(dir, name), name], { stdio: 'ignore' });
  }
  volume = new Uint8Array(readFileSync(image));
});

describe('damaged NTFS volumes', () => {
  it('bootstraps from $MFTMirr when $MFT record 0 is torn', async () => {
    const bytes = volume.slice();
    const { geometry } = decodeBootSector(bytes);
    bytes[geometry.mftOffset + 510] = bytes[geometry.mftOffset + 510]! ^ 0xff;
    const log = new DiagnosticLog();
    const fs = await openNtfs(new MemoryDevice(bytes), { diagnostics: log });
    expect(log.warnings().map((w) => w.code)).toContain('NTFS_MFT_FROM_MIRROR');
    expect(new TextDecoder().decode(await fs.readFile('/a.txt'))).toBe('content of a.txt\n');
  });

  it('reports a torn file record as corrupt and skips it in the walk', async () => {
    const clean = await openNtfs(new MemoryDevice(volume.slice()));
    const inode = (await clean.stat('/b.txt')).inode!;
    const bytes = volume.slice();
    const at = clean.mft.deviceOffset(inode);
    bytes[at + 1022] = bytes[at + 1022]! ^ 0xff; // the second sector's update sequence number
    const log = new DiagnosticLog();
    const fs = await openNtfs(new MemoryDevice(bytes), { diagnostics: log });
    await expect(fs.readFile('/b.txt')).rejects.toThrow(/torn record/);
    const names = (await fs.walk('/')).map((e) => e.name);
    expect(names).toContain('a.txt');
    expect(names).not.toContain('b.txt');
    expect(log.warnings().map((w) => w.code)).toContain('NTFS_BAD_RECORD');
  });

  it('stops on an index whose node points back at itself (a loop)', async () => {
    const corpus = readCorpus('ntfs/dissect-ntfs.bin.gz');
    const fs = await openNtfs(new MemoryDevice(corpus));
    const large = await fs.mft.loadFile(45);
    const root = large.attributes.find((a) => a.type === 0x90)!;
    const allocation = large.attributes.find((a) => a.type === 0xa0)!;
    const view = new DataView(corpus.buffer, corpus.byteOffset);
    // The root's last entry leads to the top INDX block; make that block's children point at it.
    const valueAt = root.offset + view.getUint16(root.offset + 0x14, true);
    let at = valueAt + 0x10 + view.getUint32(valueAt + 0x10, true);
    while ((view.getUint16(at + 12, true) & 2) === 0) at += view.getUint16(at + 8, true);
    const top = Number(view.getBigUint64(at + view.getUint16(at + 8, true) - 8, true));
    const run = allocation.runs.find((r) => top >= r.vcn && top < r.vcn + r.length)!;
    const blockAt = (run.lcn + top - run.vcn) * 4096;
    const bytes = corpus.slice();
    const out = new DataView(bytes.buffer);
    let entry = blockAt + 0x18 + out.getUint32(blockAt + 0x18, true);
    let changed = 0;
    for (let i = 0; i < 500; i++) {
      const length = out.getUint16(entry + 8, true);
      const flags = out.getUint16(entry + 12, true);
      const vcnAt = entry + length - 8;
      if ((flags & 1) !== 0 && (vcnAt - blockAt) % 512 < 502) {
        out.setBigUint64(vcnAt, BigInt(top), true);
        changed++;
      }
      if ((flags & 2) !== 0 || length === 0) break;
      entry += length;
    }
    expect(changed).toBeGreaterThan(0);
    const damaged = await openNtfs(new MemoryDevice(bytes));
    await expect(damaged.readdir('/Large Directory')).rejects.toThrow(/referenced twice/);
  });
});
