// Runs the built `rehost` CLI (dist/, made by the test command before vitest starts).

import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { vi } from 'vitest';

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

/**
 * Runs one command module's commands in this process (no build needed), capturing stdout and
 * stderr and the exit code the command set.
 */
export async function runCommandInProcess(register: (program: Command) => void, args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  const program = new Command().exitOverride();
  register(program);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'rehost', ...args]);
    return { stdout, stderr, exitCode: process.exitCode as number | undefined };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = before;
  }
}
