// Every decompressor against the real compressor tool: the tool compresses a generated input,
// we decompress it and compare bytes; the stream length we report must let the data that
// follows be found; bombs, truncation and flipped bytes must give CorruptError.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decompressAll, decompressStream, detectCompression, type Compression } from '../../src/compress/index.js';
import { CorruptError, UnsupportedError } from '../../src/errors.js';
import { requireTool, tempDir } from '../helpers/tools.js';

const dir = tempDir('rehost-compress-');

/** Compressible but not trivial: text lines mixed with random runs. */
function sample(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  let i = 0;
  while (i < size) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    if (x % 3 === 0) {
      const line = new TextEncoder().encode(`line ${i} value ${x % 1000} /usr/lib/modules/6.1.0/kernel/drivers\n`);
      out.set(line.subarray(0, Math.min(line.length, size - i)), i);
      i += line.length;
    } else {
      const n = Math.min(1 + (x % 40), size - i);
      out.set(randomBytes(n), i);
      i += n;
    }
  }
  return out;
}

const TOOLS: Record<Compression, { tool: string; args: string[] }> = {
  gzip: { tool: 'gzip', args: ['-9', '-c'] },
  xz: { tool: 'xz', args: ['--check=crc32', '-c'] },
  lzma: { tool: 'lzma', args: ['-c'] },
  zstd: { tool: 'zstd', args: ['-q', '-c'] },
  'lz4-legacy': { tool: 'lz4', args: ['-q', '-l', '-c'] },
  bzip2: { tool: 'bzip2', args: ['-c'] },
};

function compressWithTool(format: Compression, input: Uint8Array, extra: string[] = []): Uint8Array {
  const { tool, args } = TOOLS[format];
  requireTool(tool);
  const path = join(dir, `in-${format}`);
  writeFileSync(path, input);
  return new Uint8Array(execFileSync(tool, [...args, ...extra, path], { maxBuffer: 1 << 30 }));
}

const input = sample(1024 * 1024 + 1234);
const FORMATS = Object.keys(TOOLS) as Compression[];

describe.each(FORMATS)('%s', (format) => {
  const compressed = compressWithTool(format, input);

  it('detects and decompresses what the real tool wrote', () => {
    expect(detectCompression(compressed)).toBe(format);
    const result = decompressStream(compressed, { maxOutput: 64 << 20 });
    expect(result.format).toBe(format);
    expect(Buffer.from(result.output).equals(Buffer.from(input))).toBe(true);
    expect(result.consumed).toBe(compressed.length);
  });

  it('reports the exact stream length when other data follows', () => {
    const tail = new TextEncoder().encode('070701TRAILING');
    const padded = new Uint8Array(7 + compressed.length + 4 + tail.length);
    padded.set(compressed, 7);
    padded.set(tail, 7 + compressed.length + 4);
    const result = decompressStream(padded, { start: 7, maxOutput: 64 << 20 });
    expect(result.consumed).toBe(compressed.length);
    expect(result.output.length).toBe(input.length);
  });

  it('stops a decompression bomb at the output bound', () => {
    const zeros = new Uint8Array(4 << 20);
    const bomb = compressWithTool(format, zeros);
    expect(() => decompressStream(bomb, { maxOutput: 256 << 10 })).toThrow(CorruptError);
    expect(() => decompressStream(bomb, { maxOutput: 256 << 10 })).toThrow(/bound/);
  });

  it('refuses truncated data with a CorruptError', () => {
    for (const cut of [1, 13, Math.floor(compressed.length / 2), compressed.length - 1]) {
      let error: unknown;
      let output: Uint8Array | undefined;
      try {
        output = decompressStream(compressed.subarray(0, cut), { maxOutput: 64 << 20 }).output;
      } catch (e) {
        error = e;
      }
      // lz4's legacy frame has no end marker: a cut between blocks is a shorter valid frame.
      if (error === undefined) {
        expect(format).toBe('lz4-legacy');
        expect(output!.length).toBeLessThan(input.length);
      } else expect(error, `cut at ${cut}`).toBeInstanceOf(CorruptError);
    }
  });

  it('never lets a library error escape on damaged data', () => {
    for (let i = 0; i < 16; i++) {
      const damaged = compressed.slice();
      const at = 4 + ((i * 7919) % (damaged.length - 4));
      damaged[at] = (damaged[at] as number) ^ (1 << i % 8);
      try {
        decompressStream(damaged, { maxOutput: 64 << 20 });
      } catch (error) {
        expect(error, `flip at ${at}`).toBeInstanceOf(CorruptError);
      }
    }
  });
});

describe('multi-stream files', () => {
  it('gzip: concatenated members decode like gzip -dc', () => {
    const a = compressWithTool('gzip', input.subarray(0, 1000));
    const b = compressWithTool('gzip', input.subarray(1000, 5000));
    const joined = new Uint8Array([...a, ...b]);
    const path = join(dir, 'multi.gz');
    writeFileSync(path, joined);
    const expected = execFileSync('gzip', ['-dc', path]);
    expect(Buffer.from(decompressAll(joined, { maxOutput: 1 << 20 }).output).equals(expected)).toBe(true);
  });

  it('zstd: several frames decode like zstd -dc', () => {
    const a = compressWithTool('zstd', input.subarray(0, 70000));
    const b = compressWithTool('zstd', input.subarray(70000, 90000));
    const joined = new Uint8Array([...a, ...b]);
    const path = join(dir, 'multi.zst');
    writeFileSync(path, joined);
    const expected = execFileSync('zstd', ['-q', '-dc', path]);
    expect(Buffer.from(decompressAll(joined, { maxOutput: 1 << 20 }).output).equals(expected)).toBe(true);
  });

  it('xz: streams with stream padding decode like xz -dc', () => {
    const a = compressWithTool('xz', input.subarray(0, 7000));
    const b = compressWithTool('xz', input.subarray(7000, 9000));
    const joined = new Uint8Array([...a, 0, 0, 0, 0, ...b]);
    const path = join(dir, 'multi.xz');
    writeFileSync(path, joined);
    const expected = execFileSync('xz', ['-dc', path]);
    expect(Buffer.from(decompressAll(joined, { maxOutput: 1 << 20 }).output).equals(expected)).toBe(true);
  });

  it('xz with the default CRC64 check and zstd with a content checksum', () => {
    const xz64 = compressWithTool('xz', input, ['--check=crc64']);
    expect(decompressStream(xz64, { maxOutput: 64 << 20 }).output.length).toBe(input.length);
    const zst = compressWithTool('zstd', input, ['--check']);
    expect(decompressStream(zst, { maxOutput: 64 << 20 }).output.length).toBe(input.length);
  });

  it('lzo is recognised and refused; unknown magic is corrupt', () => {
    expect(() => decompressStream(new Uint8Array([0x89, 0x4c, 0x5a, 0x4f, 0, 0]), { maxOutput: 100 })).toThrow(UnsupportedError);
    expect(() => decompressStream(new Uint8Array([1, 2, 3, 4]), { maxOutput: 100 })).toThrow(CorruptError);
  });

  it('a gzip CRC mismatch is corrupt', () => {
    const gz = compressWithTool('gzip', input.subarray(0, 5000));
    gz[gz.length - 6] = (gz[gz.length - 6] as number) ^ 1;
    expect(() => decompressStream(gz, { maxOutput: 1 << 20 })).toThrow(/CRC/);
  });
});


