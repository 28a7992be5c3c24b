// The fuzz harness every decoder reuses: mutate real seed files (bit flips, truncation, length
// fields set to extremes, spliced chunks) with a seeded PRNG and assert that only rehost's own
// errors escape, each input within a time bound and the process within a memory bound. A
// failing input is saved under test-artifacts/fuzz/ so it can be replayed.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRehostError } from '../../src/errors.js';
import { MIB, writePatternDisk } from './pattern.js';
import { requireTool, run, tempDir } from './tools.js';

export interface FuzzTarget {
  name: string;
  seeds: Uint8Array[];
  /** Decodes one input; may return anything, may throw only RehostError. */
  run(input: Uint8Array): Promise<unknown>;
}

export interface FuzzOptions {
  iterations?: number;
  /** PRNG seed, so a failure is reproducible. */
  seed?: number;
  timeoutMs?: number;
  /** Growth of heap + ArrayBuffer memory above the start that counts as unbounded. */
  maxMemoryBytes?: number;
  /** Where mutations concentrate (e.g. the first 64 KiB holding headers); default whole input. */
  focus?: number;
}

export interface FuzzFailure {
  iteration: number;
  mutation: string;
  problem: string;
  artifact: string;
}

export interface FuzzReport {
  iterations: number;
  rehostErrors: number;
  succeeded: number;
  failures: FuzzFailure[];
}

export function defaultIterations(fallback: number): number {
  const fromEnv = Number(process.env.FUZZ_ITERATIONS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}

class Prng {
  constructor(private state: number) {}
  next(): number {
    // mulberry32
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

const EXTREMES_32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

function mutate(seed: Uint8Array, rng: Prng, focus: number): { bytes: Uint8Array; mutation: string } {
  const span = Math.max(1, Math.min(seed.length, focus));
  const kind = rng.int(6);
  const bytes = seed.slice();
  if (bytes.length === 0) return { bytes, mutation: 'empty' };
  switch (kind) {
    case 0: {
      const flips = 1 + rng.int(8);
      const at: number[] = [];
      for (let i = 0; i < flips; i++) {
        const pos = rng.int(span);
        bytes[pos] = (bytes[pos] as number) ^ (1 << rng.int(8));
        at.push(pos);
      }
      return { bytes, mutation: `bitflip@${at.join(',')}` };
    }
    case 1: {
      const cut = rng.int(seed.length);
      return { bytes: seed.slice(0, cut), mutation: `truncate@${cut}` };
    }
    case 2: {
      const width = [2, 4, 8][rng.int(3)] as number;
      const pos = Math.max(0, Math.min(bytes.length - width, rng.int(span) & ~(width - 1)));
      const value = EXTREMES_32[rng.int(EXTREMES_32.length)] as number;
      const view = new DataView(bytes.buffer);
      if (width === 2) view.setUint16(pos, value & 0xffff, rng.int(2) === 0);
      else if (width === 4) view.setUint32(pos, value >>> 0, rng.int(2) === 0);
      else if (pos + 8 <= bytes.length) view.setBigUint64(pos, rng.int(2) ? 0xffffffffffffffffn : BigInt(value) << 20n, rng.int(2) === 0);
      return { bytes, mutation: `extreme${width * 8}@${pos}=${value}` };
    }
    case 3: {
      const pos = rng.int(span);
      const len = 1 + rng.int(64);
      const value = [0, 0xff][rng.int(2)] as number;
      bytes.fill(value, pos, Math.min(bytes.length, pos + len));
      return { bytes, mutation: `fill${value}@${pos}+${len}` };
    }
    case 4: {
      const from = rng.int(seed.length);
      const to = rng.int(span);
      const len = 1 + rng.int(512);
      bytes.set(seed.subarray(from, Math.min(seed.length, from + len)).subarray(0, Math.max(0, bytes.length - to)), to);
      return { bytes, mutation: `splice${from}->${to}+${len}` };
    }
    default: {
      const pos = rng.int(span);
      bytes[pos] = rng.int(256);
      return { bytes, mutation: `byte@${pos}` };
    }
  }
}

function memoryNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export async function fuzz(target: FuzzTarget, options: FuzzOptions = {}): Promise<FuzzReport> {
  const iterations = options.iterations ?? defaultIterations(100);
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxMemory = options.maxMemoryBytes ?? 1024 * 1024 * 1024;
  const rng = new Prng(options.seed ?? 0x5eed);
  const report: FuzzReport = { iterations, rehostErrors: 0, succeeded: 0, failures: [] };
  if (target.seeds.length === 0) throw new Error(`fuzz target ${target.name} has no seeds`);
  const baseline = memoryNow();
  for (let i = 0; i < iterations; i++) {
    const seed = target.seeds[i % target.seeds.length] as Uint8Array;
    const { bytes, mutation } = mutate(seed, rng, options.focus ?? seed.length);
    let problem: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        target.run(bytes),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new HangError(`no result within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      report.succeeded++;
    } catch (error) {
      if (error instanceof HangError) problem = error.message;
      else if (isRehostError(error)) report.rehostErrors++;
      else problem = `non-rehost error escaped: ${(error as Error)?.stack ?? String(error)}`;
    } finally {
      clearTimeout(timer);
    }
    if (problem === undefined && memoryNow() - baseline > maxMemory) {
      globalThis.gc?.();
      if (memoryNow() - baseline > maxMemory) problem = `memory grew by ${memoryNow() - baseline} bytes`;
    }
    if (problem !== undefined) {
      const dir = join('test-artifacts', 'fuzz');
      mkdirSync(dir, { recursive: true });
      const artifact = join(dir, `${target.name.replace(/[^\w.-]+/g, '_')}-${i}.bin`);
      writeFileSync(artifact, bytes);
      report.failures.push({ iteration: i, mutation, problem, artifact });
      if (report.failures.length >= 5) break;
    }
  }
  return report;
}

class HangError extends Error {}

/**
 * Small qcow2 seeds made by qemu-img: the pattern disk of `mib` MiB converted once per option
 * list of `converts` (in that order), then a 2 MiB extended-L2 image with a few qemu-io writes
 * (data, a zeroed subcluster, an unaligned write). Needs qemu-img and qemu-io.
 */
export function qemuQcow2Seeds(args: { tempPrefix: string; mib: number; converts: string[][] }): Uint8Array[] {
  requireTool('qemu-img');
  requireTool('qemu-io');
  const seeds: Uint8Array[] = [];
  const dir = tempDir(args.tempPrefix);
  try {
    const raw = join(dir, 'p.raw');
    writePatternDisk(raw, { size: args.mib * MIB });
    args.converts.forEach((options, i) => {
      const out = join(dir, `seed-${i}.qcow2`);
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', ...options, raw, out]);
      seeds.push(new Uint8Array(readFileSync(out)));
    });
    const ext = join(dir, 'ext.qcow2');
    run('qemu-img', ['create', '-f', 'qcow2', '-o', 'extended_l2=on,cluster_size=16384', ext, '2M']);
    run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 7 0 1k', '-c', 'write -z 16384 1k', '-c', 'write -P 9 40000 3000', ext]);
    seeds.push(new Uint8Array(readFileSync(ext)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return seeds;
}
