// Mutation fuzzing of every decompressor's framing and data path, seeded with small streams
// written by the real tools. The output bound is small so a mutated length field cannot
// make a test allocate much; only rehost errors may escape, within the harness's time bound.

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decompressAll, decompressStream } from '../../src/compress/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';

const text = new TextEncoder().encode(Array.from({ length: 400 }, (_, i) => `line ${i} ${(i * 7919) % 1000}\n`).join(''));
const TOOLS: Record<string, string[]> = {
  gzip: ['gzip', '-c'],
  xz: ['xz', '--check=crc32', '-c'],
  lzma: ['lzma', '-c'],
  zstd: ['zstd', '-q', '-c'],
  lz4: ['lz4', '-q', '-l', '-c'],
  bzip2: ['bzip2', '-c'],
};

describe.each(Object.keys(TOOLS))('fuzz %s', (name) => {
  const [tool, ...args] = TOOLS[name] as string[];
  const seed = new Uint8Array(execFileSync(tool as string, args, { input: text }));
  it('only rehost errors escape', async () => {
    const report = await fuzz(
      {
        name: `compress-${name}`,
        seeds: [seed, new Uint8Array([...seed, ...seed])],
        async run(input) {
          decompressStream(input, { maxOutput: 1 << 20 });
          decompressAll(input, { maxOutput: 1 << 20 });
        },
      },
      { iterations: defaultIterations(150) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  });
});
