// Output helpers for commands: JSON to stdout, plain tables, and one way to report errors.

import { isRehostError } from '../errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}

export function printTable(rows: string[][], options: { header?: string[] } = {}): void {
  const all = options.header ? [options.header, ...rows] : rows;
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  for (const row of all) {
    process.stdout.write(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd() + '\n');
  }
}

/** Prints an error for a person (or as JSON) and returns the exit code. */
export function reportError(error: unknown, options: { json?: boolean } = {}): number {
  if (isRehostError(error)) {
    if (options.json) process.stdout.write(JSON.stringify({ error: error.toJSON() }, null, 2) + '\n');
    else process.stderr.write(`rehost: ${error.code.toLowerCase().replace(/_/g, ' ')}: ${error.message}\n`);
    return 2;
  }
  process.stderr.write(`rehost: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
  return 70;
}
