// Fuzzing the ext side: our superblock decoder (and the write-safety judgement built on it),
// and the whole read path through libext2fs in its bounded worker: mutated real images must
// give a read or a rehost error, within the time limit, never a crash of the test process.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openExt, readExtSuperblock, writeRefusal } from '../../src/fs/ext/index.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { readCorpus, run, tempDir } from '../helpers/tools.js';
import { readFileSync } from 'node:fs';
import { walk } from '../fs/ext/walk.js';

function seeds(): Uint8Array[] {
  const out = [readCorpus('ext/dfvfs-ext2.raw.gz'), readCorpus('ext/dissect-ext4.bin.xz'), readCorpus('ext/dissect-ext4_symlink_test1.bin.xz')];
  const dir = tempDir('rehost-fuzz-ext-');
  const image = join(dir, 'small.img');
  run('sh', ['-c', `mkdir -p "$1/t/d" && echo hi > "$1/t/d/f" && ln -s f "$1/t/d/l" && truncate -s 0 "$2" && mkfs.ext4 -q -F -O inline_data,metadata_csum -d "$1/t" "$2" 2M`, 'sh', dir, image]);
  out.push(new Uint8Array(readFileSync(image)));
  return out;
}

describe('fuzz ext', () => {
  const corpus = seeds();

  it('superblock decoder', async () => {
    const report = await fuzz(
      {
        name: 'ext-superblock',
        seeds: corpus.map((s) => s.slice(0, 4096)),
        async run(input) {
          const sb = readExtSuperblock(input.subarray(1024, 2048));
          return writeRefusal(sb);
        },
      },
      { iterations: defaultIterations(400), focus: 2048 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
  });

  it('libext2fs read path in the worker', async () => {
    const report = await fuzz(
      {
        name: 'ext-libext2fs',
        seeds: corpus,
        async run(input) {
          const fs = await openExt(new MemoryDevice(input), { limits: { operationTimeoutMs: 1500 } });
          try {
            return (await walk(fs, { maxEntries: 2000 })).size;
          } finally {
            await fs.close().catch(() => undefined);
          }
        },
      },
      { iterations: defaultIterations(40), focus: 64 * 1024, timeoutMs: 20_000 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
  });
});
