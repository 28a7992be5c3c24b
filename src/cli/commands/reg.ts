// `rehost reg export` and `rehost reg get`: registry hives from the command line.
// `export` writes the .reg text `hivexregedit --export` writes; `get` prints like `hivexget`.
// Where hives come from is a hook: `openHive(source, options)`. The default opens a hive
// file and the transaction logs next to it (NAME.LOG, NAME.LOG1, NAME.LOG2, any case) and
// replays them in memory; the lead extends it to find hives inside disk images.

import type { Command } from 'commander';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DiagnosticLog, type Diagnostics } from '../../diagnostics.js';
import { exportReg, formatKeyValues, formatValue, loadHive, type Hive } from '../../registry/index.js';
import { reportError } from '../output.js';

export interface OpenHiveOptions {
  /** Which hive inside an image (system, software, sam, security, default, ntuser…); unused for a hive file. */
  hive?: string;
  /** Replay transaction logs found next to the hive (default true). */
  replayLogs: boolean;
  diagnostics: Diagnostics;
}

export type OpenHive = (source: string, options: OpenHiveOptions) => Promise<Hive>;

/** Opens a hive file, replaying its sibling logs when it is dirty. */
export async function openHiveFile(source: string, options: OpenHiveOptions): Promise<Hive> {
  const primary = new Uint8Array(await readFile(source));
  const logs: { label: string; bytes: Uint8Array }[] = [];
  if (options.replayLogs) {
    const dir = dirname(source);
    const base = basename(source).toUpperCase();
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const suffix of ['.LOG', '.LOG1', '.LOG2']) {
      const name = entries.find((entry) => entry.toUpperCase() === base + suffix);
      if (name !== undefined) logs.push({ label: name, bytes: new Uint8Array(await readFile(join(dir, name))) });
    }
  }
  return loadHive({ primary, logs, diagnostics: options.diagnostics, label: basename(source) }).hive;
}

function printWarnings(log: DiagnosticLog): void {
  for (const warning of log.warnings()) process.stderr.write(`rehost: warning: ${warning.message}\n`);
}

export function registerRegCommands(program: Command, hooks: { openHive?: OpenHive } = {}): void {
  const openHive = hooks.openHive ?? openHiveFile;
  const reg = program.command('reg').description('read Windows registry hives (regf)');

  reg
    .command('export')
    .description('export a hive (or one key and below) as .reg text, as hivexregedit --export does')
    .argument('<hive>', 'hive file')
    .argument('[key]', 'key path below the root (default: the whole hive)', '\\')
    .option('--hive <name>', 'which hive, when the source is a disk image (system, software, …)')
    .option('--prefix <prefix>', 'prefix for key names, e.g. HKEY_LOCAL_MACHINE\\SYSTEM')
    .option('--no-logs', 'do not replay transaction logs found next to the hive')
    .action(async (source: string, key: string, options: { hive?: string; prefix?: string; logs: boolean }) => {
      const diagnostics = new DiagnosticLog();
      try {
        const hive = await openHive(source, { hive: options.hive, replayLogs: options.logs, diagnostics });
        const text = exportReg(hive, { key, prefix: options.prefix });
        printWarnings(diagnostics);
        await writeStdout(text);
      } catch (error) {
        process.exitCode = reportError(error);
      }
    });

  reg
    .command('get')
    .description('print the values of a key, or one value, as hivexget does')
    .argument('<hive>', 'hive file')
    .argument('<key>', 'key path below the root, e.g. \\ControlSet001\\Services\\Disk')
    .argument('[value]', 'value name ("@" or "" for the default value)')
    .option('--hive <name>', 'which hive, when the source is a disk image (system, software, …)')
    .option('--no-logs', 'do not replay transaction logs found next to the hive')
    .action(async (source: string, keyPath: string, valueName: string | undefined, options: { hive?: string; logs: boolean }) => {
      const diagnostics = new DiagnosticLog();
      try {
        const hive = await openHive(source, { hive: options.hive, replayLogs: options.logs, diagnostics });
        const key = hive.open(keyPath);
        const out = valueName === undefined ? formatKeyValues(key) : formatValue(key.value(valueName === '@' ? '' : valueName));
        printWarnings(diagnostics);
        await writeStdout(out);
      } catch (error) {
        process.exitCode = reportError(error);
      }
    });
}

function writeStdout(data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(data, (error) => (error ? reject(error) : resolve()));
  });
}
