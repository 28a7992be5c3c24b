// Runs the built `rehost` CLI (dist/, made by the test command before vitest starts).

import { spawnSync } from 'node:child_process';

export const REHOST_BIN = new URL('../../dist/cli/main.js', import.meta.url).pathname;

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export function rehost(args: string[], options: { input?: string } = {}): CliResult {
  const result = spawnSync('node', [REHOST_BIN, ...args], { maxBuffer: 1 << 30, input: options.input, env: { ...process.env, FORCE_COLOR: '0' } });
  return {
    status: result.status ?? -1,
    stdout: result.stdout.toString('utf8'),
    stderr: result.stderr.toString('utf8'),
    stdoutBytes: result.stdout,
  };
}

export function rehostJson<T = unknown>(args: string[]): T {
  const result = rehost([...args, '--json']);
  if (result.status !== 0) throw new Error(`rehost ${args.join(' ')} exited ${result.status}: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}
