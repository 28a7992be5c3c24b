// `rehost copy-in`, `rehost mkdir` and `rehost rm`: change a guest's files like virt-copy-in and
// guestfish, on every filesystem rehost writes (NTFS, ext2/3/4). Every change is a patch
// (write-file, make-directory, make-symlink, remove-path) applied through the same Transaction
// as `rehost apply`: overlay, verify, then commit to `-o OUT.qcow2` (backed by the untouched
// source), `-o OUT -O FMT --standalone`, or `--in-place` with an undo journal. Without an
// output choice the command refuses: the source is never written implicitly.
//
// The planning (every read that can refuse runs before the first write) lives in
// src/patch/guest-write.ts; this file parses arguments, picks the volume, shows progress and
// formats the result.

import { extname } from 'node:path';
import type { Command } from 'commander';
import { DiagnosticLog } from '../../diagnostics.js';
import { PreconditionError } from '../../errors.js';
import type { Volume } from '../../fs/discover.js';
import { chooseVolume } from '../../fs/open.js';
import { fromWindowsPath, joinPath } from '../../fs/path.js';
import type { WritableFileSystem } from '../../fs/types.js';
import { applyCopyIn, planCopyIn, planMakeDirectories, planRemovePath, summarizeJournal } from '../../patch/guest-write.js';
import { openTransaction, type ChangeJournal, type Transaction } from '../../patch/transaction.js';
import type { CommitMode } from '../../patch/commit.js';
import { createProgress, formatBytes } from '../progress.js';
import { printJson, reportError } from '../output.js';

interface WriteOptions {
  output?: string;
  outputFormat?: string;
  subformat?: string;
  standalone?: boolean;
  inPlace?: boolean;
  volume?: string;
  format?: string;
  json?: boolean;
}

const FORMAT_BY_EXTENSION: Record<string, string> = { '.qcow2': 'qcow2', '.vmdk': 'vmdk', '.vhd': 'vhd', '.vhdx': 'vhdx', '.raw': 'raw', '.img': 'raw' };

function addWriteOptions(command: Command): Command {
  return command
    .option('-o, --output <path>', 'write the result here (a qcow2 backed by the untouched source, unless --standalone)')
    .option('-O, --output-format <name>', 'with --standalone: raw | qcow2 | vmdk | vhd | vhdx (default: from the extension)')
    .option('--subformat <name>', 'with --standalone: the writer subformat (vmdk: monolithicSparse | streamOptimized …)')
    .option('--standalone', 'write a full image instead of a backed qcow2')
    .option('--in-place', 'change the source image itself, keeping an undo journal next to it')
    .option('--volume <id>', 'the guest volume (p1, p2, vg/lv, disk … as `rehost info` names them; or write VOLUME:/path)')
    .option('-f, --format <name>', 'source image format (default: probed)')
    .option('--json', 'print the change journal as JSON, no progress');
}

/** How the result is written, from -o / -O / --standalone / --in-place; refuses when none is chosen. */
export function commitModeOf(options: WriteOptions): CommitMode {
  if (options.inPlace && options.output !== undefined) throw new PreconditionError('choose either -o OUTPUT or --in-place, not both', { kind: 'usage' });
  if (options.inPlace) return { mode: 'in-place' };
  if (options.output === undefined) {
    throw new PreconditionError(
      'no output chosen: add -o OUT.qcow2 (a new image backed by the untouched source), -o OUT -O FORMAT --standalone, or --in-place (changes the source, with an undo journal)',
      { kind: 'usage' },
    );
  }
  if (options.standalone) {
    const format = options.outputFormat ?? FORMAT_BY_EXTENSION[extname(options.output).toLowerCase()];
    if (format === undefined) throw new PreconditionError(`cannot tell the output format from ${options.output}; add -O FORMAT`, { kind: 'usage' });
    return { mode: 'standalone', output: options.output, format, ...(options.subformat !== undefined ? { subformat: options.subformat } : {}) };
  }
  if (options.outputFormat !== undefined && options.outputFormat !== 'qcow2') {
    throw new PreconditionError(`a backed output is always qcow2; add --standalone to write a full ${options.outputFormat} image`, { kind: 'usage' });
  }
  return { mode: 'backed', output: options.output };
}

/** 'p2:/Windows/Temp' → volume p2, path /Windows/Temp; 'C:\\Temp' and '/etc' → path only. */
export function parseGuestTarget(spec: string): { volume?: string; path: string } {
  const match = /^([^/\\:][^:]+):(\/.*)$/.exec(spec);
  if (match) return { volume: match[1] as string, path: joinPath(match[2] as string) };
  return { path: /^[A-Za-z]:/.test(spec) || spec.includes('\\') ? fromWindowsPath(spec) : joinPath(spec) };
}

function volumeOf(specs: string[], options: WriteOptions): string | undefined {
  let volume = options.volume;
  for (const spec of specs) {
    const named = parseGuestTarget(spec).volume;
    if (named === undefined) continue;
    if (volume !== undefined && named.toLowerCase() !== volume.toLowerCase()) {
      throw new PreconditionError(`two volumes named (${volume} and ${named}); one command writes one volume`, { kind: 'usage' });
    }
    volume = named;
  }
  return volume;
}

interface Session {
  tx: Transaction;
  volume: Volume;
  fs: WritableFileSystem;
}

/** Opens the transaction and the writable filesystem of the chosen volume, runs `body`, commits, closes. */
async function withGuestWrite(args: {
  imagePath: string;
  volume: string | undefined;
  options: WriteOptions;
  body: (session: Session) => Promise<string>;
}): Promise<void> {
  const { options } = args;
  const mode = commitModeOf(options);
  const diagnostics = new DiagnosticLog();
  const tx = await openTransaction({ imagePath: args.imagePath, diagnostics, ...(options.format !== undefined ? { format: options.format } : {}) });
  try {
    const volume = await chooseVolume(await tx.volumes(), { select: args.volume, diagnostics });
    const fs = await tx.writableFileSystem(volume.id);
    const what = await args.body({ tx, volume, fs });
    const progress = createProgress({ label: 'writing', json: options.json });
    const journal = await tx.commit(mode, { onProgress: (d, t) => progress.update(d, t) });
    progress.finish();
    report({ journal, what, json: options.json === true });
  } finally {
    await tx.close();
  }
}

function report(args: { journal: ChangeJournal; what: string; json: boolean }): void {
  const { journal } = args;
  const counts = summarizeJournal(journal.patches);
  if (args.json) {
    printJson({ ...journal, summary: counts });
    return;
  }
  const commit = journal.commit;
  let where = '';
  if (commit?.mode === 'backed') where = `wrote ${commit.output} (qcow2 backed by ${commit.backing?.filename ?? journal.image})`;
  else if (commit?.mode === 'standalone') where = `wrote ${commit.output} (${commit.format})`;
  else if (commit) where = `changed ${commit.output} in place; undo with: rehost undo ${commit.journalPath ?? ''}`;
  process.stdout.write(`${args.what}: ${counts.applied} change(s), ${counts.already} already in place; verified ${journal.verified?.files ?? 0} path(s); ${where}\n`);
}

// ---- copy-in -------------------------------------------------------------------------------

async function copyIn(args: { session: Session; sources: string[]; guestDir: string; json: boolean }): Promise<string> {
  const { tx, volume, fs } = args.session;
  // Every read first (preconditions), then every write: nothing is refused halfway.
  const plan = await planCopyIn({ fs, volume: volume.id, sources: args.sources, guestDir: args.guestDir });
  const progress = createProgress({ label: 'copying', json: args.json });
  await applyCopyIn({ tx, plan, onProgress: (done, total) => progress.update(done, total) });
  progress.finish();
  return `copy-in to ${volume.id}:${args.guestDir}: ${plan.files} file(s), ${plan.directories} directory(ies), ${formatBytes(plan.bytes)}`;
}

// ---- mkdir ---------------------------------------------------------------------------------

async function makeDirectories(args: { session: Session; path: string; parents: boolean }): Promise<string> {
  const { tx, volume, fs } = args.session;
  await tx.apply(await planMakeDirectories({ fs, volume: volume.id, path: args.path, parents: args.parents }));
  return `mkdir ${volume.id}:${joinPath(args.path)}`;
}

// ---- rm ------------------------------------------------------------------------------------

async function removePath(args: { session: Session; path: string; recursive: boolean }): Promise<string> {
  const { tx, volume, fs } = args.session;
  const patch = await planRemovePath({ fs, volume: volume.id, path: args.path, recursive: args.recursive });
  await tx.apply([patch]);
  return `rm ${args.recursive ? '-r ' : ''}${volume.id}:${patch.path}`;
}

// ---- registration --------------------------------------------------------------------------

export function registerGuestWriteCommands(program: Command): void {
  addWriteOptions(
    program
      .command('copy-in')
      .description('copy local files and directories (recursively) into a guest directory, like virt-copy-in')
      .argument('<image>', 'disk image')
      .argument('<paths...>', 'LOCAL... GUEST_DIR (GUEST_DIR may be VOLUME:/path)'),
  ).action(async (imagePath: string, paths: string[], options: WriteOptions) => {
    try {
      if (paths.length < 2) throw new PreconditionError('copy-in needs at least one local path and the guest directory', { kind: 'usage' });
      const guestSpec = paths[paths.length - 1] as string;
      const sources = paths.slice(0, -1);
      const guestDir = parseGuestTarget(guestSpec).path;
      await withGuestWrite({
        imagePath,
        volume: volumeOf([guestSpec], options),
        options,
        body: (session) => copyIn({ session, sources, guestDir, json: options.json === true }),
      });
    } catch (error) {
      process.exitCode = reportError(error, options);
    }
  });

  addWriteOptions(
    program
      .command('mkdir')
      .description('make a directory in the guest')
      .argument('<image>', 'disk image')
      .argument('<path>', 'guest directory (or VOLUME:/path)')
      .option('-p, --parents', 'make missing parent directories too'),
  ).action(async (imagePath: string, spec: string, options: WriteOptions & { parents?: boolean }) => {
    try {
      const { path } = parseGuestTarget(spec);
      await withGuestWrite({ imagePath, volume: volumeOf([spec], options), options, body: (session) => makeDirectories({ session, path, parents: options.parents === true }) });
    } catch (error) {
      process.exitCode = reportError(error, options);
    }
  });

  addWriteOptions(
    program
      .command('rm')
      .description('remove a file, symlink or empty directory from the guest (-r: a whole directory tree)')
      .argument('<image>', 'disk image')
      .argument('<path>', 'guest path (or VOLUME:/path)')
      .option('-r, --recursive', 'remove a directory and everything below it'),
  ).action(async (imagePath: string, spec: string, options: WriteOptions & { recursive?: boolean }) => {
    try {
      const { path } = parseGuestTarget(spec);
      await withGuestWrite({ imagePath, volume: volumeOf([spec], options), options, body: (session) => removePath({ session, path, recursive: options.recursive === true }) });
    } catch (error) {
      process.exitCode = reportError(error, options);
    }
  });
}
