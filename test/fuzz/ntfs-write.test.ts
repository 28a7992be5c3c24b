// Fuzzes the NTFS writer and checker: mutated volumes (bit flips, truncation, extreme length
// fields in the $MFT area) are opened writable through an overlay and changed (overwrite,
// grow, create, mkdir, delete), and checked with checkNtfs. Only rehost errors may escape:
// a corrupt volume must be refused, never written with a crash halfway.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryDevice, OverlayDevice } from '../../src/io/index.js';
import { checkNtfs, openNtfs, openNtfsWritable } from '../../src/fs/ntfs/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { tempDir } from '../helpers/tools.js';

const ITERATIONS = defaultIterations(150);

function seedVolume(): Uint8Array {
  const dir = tempDir();
  const image = join(dir, 'seed.img');
  execFileSync('truncate', ['-s', '4M', image]);
  execFileSync('mkntfs', ['-F', '-Q', '-q', '-s', '512', image], { stdio: 'ignore' });
  for (let i = 0; i < 6; i++) {
    const source = join(dir, `f${i}`);
    writeFileSync(source, 'y'.repeat(50 + i * 4000));
    execFileSync('ntfscp', ['-q', image, source, `file${i}.txt`], { stdio: 'ignore' });
  }
  return new Uint8Array(readFileSync(image));
}

describe('fuzz: NTFS writer and checker', () => {
  const seed = seedVolume();

  it('only rehost errors escape from mutated volumes', async () => {
    // Mutations concentrate where the metadata lives: boot sector and $MFT (first 64 KiB).
    const reader = await openNtfs(new MemoryDevice(seed.slice()));
    const focus = Math.min(seed.length, reader.geometry.mftOffset + 64 * 1024);
    const report = await fuzz(
      {
        name: 'ntfs-write',
        seeds: [seed],
        async run(input) {
          const problems = await checkNtfs(new MemoryDevice(input.slice()));
          const fs = await openNtfsWritable(new OverlayDevice(new MemoryDevice(input)));
          await fs.writeFile('/file1.txt', new Uint8Array(9000).fill(1));
          await fs.writeFile('/new.txt', new Uint8Array(100).fill(2));
          await fs.mkdir('/newdir');
          await fs.writeFile('/newdir/inner.bin', new Uint8Array(20_000).fill(3));
          await fs.unlink('/file2.txt');
          await fs.flush();
          return problems.problems.length;
        },
      },
      { iterations: ITERATIONS, seed: 11, focus },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
    expect(report.succeeded).toBeGreaterThan(0); // some mutants are still writable: the write paths ran
  }, 120_000);
  it('only rehost errors escape from mutated attribute lists, hard links and DOS names', async () => {
    // A seed with a fragmented file (an $ATTRIBUTE_LIST and extension records), a file with
    // hard links and DOS aliases, made by our writer on a memory volume.
    const dir = tempDir();
    const image = join(dir, 'seed-al.img');
    execFileSync('truncate', ['-s', '4M', image]);
    execFileSync('mkntfs', ['-F', '-Q', '-q', '-s', '512', image], { stdio: 'ignore' });
    const device = new MemoryDevice(new Uint8Array(readFileSync(image)));
    const setup = await openNtfsWritable(device, { shortNames: 'always' });
    for (let i = 0; i < 400; i++) await setup.writeFile(`/h${i}`, new Uint8Array(4000).fill(i & 0xff));
    const reader = await setup.reader();
    const free = reader.geometry.totalClusters - (await checkNtfs(device)).clustersInUse;
    await setup.writeFile('/filler', new Uint8Array((free - 4) * reader.geometry.clusterSize));
    for (let i = 0; i < 400; i += 2) await setup.unlink(`/h${i}`);
    await setup.writeFile('/fragmented.bin', new Uint8Array(190 * 4096).fill(7));
    await setup.writeFile('/Linked Target.txt', new Uint8Array(3000).fill(8));
    for (let i = 0; i < 8; i++) await setup.link('/Linked Target.txt', `/Another Link Name ${i}.txt`);
    await setup.flush();
    const fragmented = await (await setup.reader()).mft.loadFile((await setup.stat('/fragmented.bin')).inode!);
    expect(fragmented.attributeList).toBeDefined();
    const seedBytes = await device.read(0, device.size);
    const report = await fuzz(
      {
        name: 'ntfs-write-lists',
        seeds: [seedBytes],
        async run(input) {
          const fs = await openNtfsWritable(new OverlayDevice(new MemoryDevice(input)));
          await fs.writeFile('/fragmented.bin', new Uint8Array(100 * 4096).fill(9));
          await fs.unlink('/Another Link Name 3.txt');
          await fs.link('/Linked Target.txt', '/one more link.txt');
          await fs.unlink('/fragmented.bin');
          await fs.flush();
          return (await checkNtfs(new MemoryDevice(input))).problems.length;
        },
      },
      { iterations: ITERATIONS, seed: 12, focus: Math.min(seedBytes.length, reader.geometry.mftOffset + 512 * 1024) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
    expect(report.succeeded).toBeGreaterThan(0);
  }, 120_000);
});
