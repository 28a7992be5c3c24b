import { describe, expect, it } from 'vitest';
import { fuzz } from '../helpers/fuzz.js';
import { CorruptError } from '../../src/errors.js';

// The harness itself must catch what it exists to catch: a non-rehost error, a hang, and a
// runaway allocation, while passing a decoder that only throws rehost errors.
const seed = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('fuzz harness', () => {
  it('passes a decoder that only throws rehost errors', async () => {
    const report = await fuzz({
      name: 'well-behaved',
      seeds: [seed],
      async run(input) {
        if (input.length !== seed.length || input.some((b, i) => b !== seed[i])) throw new CorruptError('changed', { structure: 'seed', offset: 0 });
        return true;
      },
    }, { iterations: 200 });
    expect(report.failures).toEqual([]);
    expect(report.rehostErrors).toBeGreaterThan(150);
  });

  it('reports a plain exception with the input saved', async () => {
    const report = await fuzz({
      name: 'throws-typeerror',
      seeds: [seed],
      async run(input) {
        if (input.length < 200) throw new TypeError('boom');
      },
    }, { iterations: 200 });
    expect(report.failures.length).toBeGreaterThan(0);
    expect(report.failures[0]?.problem).toMatch(/non-rehost error escaped: TypeError: boom/);
  });

  it('reports an input that never finishes', async () => {
    const report = await fuzz({
      name: 'hangs',
      seeds: [seed],
      run: (input) => (input.length < 128 ? new Promise(() => {}) : Promise.resolve()),
    }, { iterations: 40, timeoutMs: 50 });
    expect(report.failures.some((f) => /no result within 50 ms/.test(f.problem))).toBe(true);
  });

  it('reports unbounded memory growth', async () => {
    const kept: Uint8Array[] = [];
    const report = await fuzz({
      name: 'leaks',
      seeds: [seed],
      async run() {
        kept.push(new Uint8Array(8 * 1024 * 1024).fill(1));
      },
    }, { iterations: 20, maxMemoryBytes: 64 * 1024 * 1024 });
    expect(report.failures.some((f) => /memory grew/.test(f.problem))).toBe(true);
    kept.length = 0;
  });
});
