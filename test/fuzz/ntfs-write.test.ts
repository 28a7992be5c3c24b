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
});
