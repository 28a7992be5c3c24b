// Running the trusted peer tools the tests compare against. The test command installs them
// (scripts/setup-tools.sh), so a missing tool is a failure, not a skip.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { BlockDevice } from '../../src/io/block-device.js';

export function haveTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

export function requireTool(name: string): void {
  if (!haveTool(name)) throw new Error(`${name} is not installed: run scripts/setup-tools.sh`);
}

/** Runs a tool and returns stdout; throws with stderr on a non-zero exit. */
export function run(command: string, args: string[], options: { input?: Uint8Array | string; cwd?: string } = {}): string {
  return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 30, input: options.input, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function runBytes(command: string, args: string[]): Buffer {
  return execFileSync(command, args, { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Runs a process, collecting its stdout lines; SIGKILLs it when it prints the line `killAt`
 * (never, when undefined). Resolves when it has closed: the lines seen, whether it was killed,
 * its exit code and its stderr.
 */
export function runKilledAt(command: string, args: string[], killAt?: string): Promise<{ lines: string[]; killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buffer = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (line === killAt && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ lines, killed, code, stderr }));
  });
}

const created: string[] = [];

/** A fresh directory under the system temp dir, removed after the test file (test/helpers/setup.ts). */
export function tempDir(prefix = 'rehost-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every tempDir() of this test file; REHOST_KEEP_TMP=1 keeps them for a post-mortem. */
export function removeTempDirs(): void {
  if (process.env.REHOST_KEEP_TMP === '1') return;
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function sha256Device(device: BlockDevice, chunkSize = 8 * 1024 * 1024): Promise<string> {
  const hash = createHash('sha256');
  for (let offset = 0; offset < device.size; offset += chunkSize) {
    hash.update(await device.read(offset, Math.min(chunkSize, device.size - offset)));
  }
  return hash.digest('hex');
}

export const CORPUS = new URL('../../../shared/corpus/', import.meta.url).pathname;

/** Reads a corpus file, decompressing .gz and .xz, into memory. */
export function readCorpus(relative: string): Uint8Array {
  const path = join(CORPUS, relative);
  if (path.endsWith('.gz')) return new Uint8Array(gunzipSync(readFileSync(path)));
  if (path.endsWith('.xz')) return new Uint8Array(runBytes('xz', ['-dc', path]));
  return new Uint8Array(readFileSync(path));
}

/** Decompresses a corpus file into `dir` (under its own base name without .gz/.xz) and returns the path. */
export function extractCorpus(relative: string, dir: string, name?: string): string {
  const base = name ?? relative.split('/').pop()!.replace(/\.(gz|xz)$/, '');
  const out = join(dir, base);
  execFileSync('sh', ['-c', `${relative.endsWith('.gz') ? 'gzip -dc' : relative.endsWith('.xz') ? 'xz -dc' : 'cat'} "$1" > "$2"`, 'sh', join(CORPUS, relative), out]);
  return out;
}

/** A temp-dir factory whose directories are removed after the calling test file's tests. */
export function scratchDirs(prefix = 'rehost-test-'): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = tempDir(prefix);
    dirs.push(dir);
    return dir;
  };
}
