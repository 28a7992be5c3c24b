// `rehost copy-in`, `rehost mkdir` and `rehost rm`: change a guest's files like virt-copy-in and
// guestfish, on every filesystem rehost writes (NTFS, ext2/3/4). Every change is a patch
// (write-file, make-directory, make-symlink, remove-path) applied through the same Transaction
// as `rehost apply`: overlay, verify, then commit to `-o OUT.qcow2` (backed by the untouched
// source), `-o OUT -O FMT --standalone`, or `--in-place` with an undo journal. Without an
// output choice the command refuses: the source is never written implicitly.
//
// copy-in plans first and writes second: every local path is scanned and every guest target's
// state read (the preconditions) before the first write, so whatever can be refused (symlinks
// on NTFS, special files, names that collide on NTFS, a missing guest directory, a file in
// the way of a directory) is refused with nothing written. Each local file is read only when
// its patch is applied, so memory holds one file plus the overlay's changed blocks. Patches go
// straight to the writer: its reads between writes are cheap (the NTFS writer answers them
// from its staged directories without rebuilding an index).

// Synchronous local reads: thousands of small files cost far less than through the thread pool.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import { DiagnosticLog } from '../../diagnostics.js';
import { NotFoundError, PreconditionError, UnsupportedError } from '../../errors.js';
import type { Volume } from '../../fs/discover.js';
import { chooseVolume } from '../../fs/open.js';
import { dirnamePath, fromWindowsPath, joinPath, splitPath } from '../../fs/path.js';
import type { FileSystem, WritableFileSystem } from '../../fs/types.js';
import { pathState, statOrAbsent, treeState } from '../../patch/state.js';
import { openTransaction, type ChangeJournal, type JournalEntry, type Transaction } from '../../patch/transaction.js';
import type { CommitMode } from '../../patch/commit.js';
import type { Expect, Patch, RemoveExpect } from '../../patch/types.js';
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

const childPath = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

/** The counts a person reads after a write. */
function summarize(entries: JournalEntry[]): { applied: number; already: number } {
  return { applied: entries.filter((e) => e.outcome === 'applied').length, already: entries.filter((e) => e.outcome === 'already').length };
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
  const counts = summarize(journal.patches);
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

/** One local thing to copy, found by the scan that runs before any write. */
type CopyItem =
  | { type: 'directory'; local: string; guest: string; mode: number }
  | { type: 'file'; local: string; guest: string; mode: number; size: number }
  | { type: 'symlink'; local: string; guest: string; target: string };

/** Every local path below the sources, parents first, refusing what the guest cannot hold. */
async function scanLocal(sources: string[], guestDir: string): Promise<CopyItem[]> {
  const items: CopyItem[] = [];
  const visit = async (local: string, guest: string): Promise<void> => {
    const st = lstatSync(local);
    if (st.isDirectory()) {
      items.push({ type: 'directory', local, guest, mode: st.mode & 0o7777 });
      const names = readdirSync(local).sort();
      for (const name of names) await visit(join(local, name), childPath(guest, name));
    } else if (st.isFile()) {
      items.push({ type: 'file', local, guest, mode: st.mode & 0o7777, size: st.size });
    } else if (st.isSymbolicLink()) {
      items.push({ type: 'symlink', local, guest, target: readlinkSync(local) });
    } else {
      throw new UnsupportedError(`${local} is a device, FIFO or socket; copy-in copies files, directories and symlinks`, { path: local });
    }
  };
  for (const source of sources) {
    const name = basename(source.replace(/\/+$/, '')) || basename(source);
    if (name === '' || name === '.' || name === '..') throw new PreconditionError(`cannot tell the name to give ${source} in the guest`, { path: source });
    await visit(source, childPath(guestDir, name));
  }
  return items;
}

/** The precondition for writing `path`: absent, or the content found there (copy-in overwrites files, as cp does). */
async function expectAt(fs: FileSystem, path: string): Promise<{ expect: Expect; type?: string }> {
  const state = await pathState(fs, path);
  if (state === 'absent') return { expect: 'absent' };
  if (state === 'directory' || state === 'other') return { expect: 'absent', type: state };
  if (state.startsWith('symlink:')) return { expect: 'absent', type: 'symlink' };
  return { expect: { sha256: state }, type: 'file' };
}

/** The patch that puts one local item at its guest path (a write-file's content is read when it is applied). */
async function planCopy(args: { fs: FileSystem; volume: string; item: CopyItem }): Promise<Patch> {
  const { fs, volume, item } = args;
  const reason = `copy-in ${item.local}`;
  if (item.type === 'directory') {
    const stat = await statOrAbsent(fs, item.guest);
    if (stat && stat.type !== 'directory') throw new PreconditionError(`${volume}:${item.guest} exists and is not a directory`, { path: item.guest });
    return { kind: 'make-directory', volume, path: item.guest, expect: stat ? 'directory' : 'absent', mode: item.mode, reason };
  }
  const { expect, type } = await expectAt(fs, item.guest);
  if (item.type === 'symlink') {
    if (type === 'directory') throw new PreconditionError(`${volume}:${item.guest} is a directory; cannot put the symlink ${item.local} there`, { path: item.guest });
    if (type === 'symlink') {
      // Only the same link counts as there already; another link is not replaced silently.
      const current = await fs.stat(item.guest);
      if (current.target !== item.target) throw new PreconditionError(`${volume}:${item.guest} is a symlink to ${current.target ?? '?'}, not ${item.target}`, { path: item.guest });
    }
    return { kind: 'make-symlink', volume, path: item.guest, target: item.target, expect, reason };
  }
  if (type !== undefined && type !== 'file') throw new PreconditionError(`${volume}:${item.guest} is a ${type}; cannot copy the file ${item.local} over it`, { path: item.guest });
  return { kind: 'write-file', volume, path: item.guest, expect, content: new Uint8Array(0), mode: item.mode, reason };
}

async function copyIn(args: { session: Session; sources: string[]; guestDir: string; json: boolean }): Promise<string> {
  const { tx, volume, fs } = args.session;
  const dirStat = await statOrAbsent(fs, args.guestDir);
  if (dirStat?.type !== 'directory') {
    throw new NotFoundError(`${volume.id}:${args.guestDir} is not a directory in the guest (make it with rehost mkdir -p)`, { path: args.guestDir, errno: dirStat ? 'ENOTDIR' : 'ENOENT' });
  }
  const items = await scanLocal(args.sources, args.guestDir);
  if (fs.kind === 'ntfs') {
    const link = items.find((i) => i.type === 'symlink');
    if (link) throw new UnsupportedError(`${link.local} is a symlink; rehost does not create symlinks on NTFS (copy the target instead)`, { path: link.local });
  }
  // Every read first (preconditions), then every write: nothing is refused halfway.
  const seen = new Map<string, string>();
  const planned: { item: CopyItem; patch: Patch }[] = [];
  for (const item of items) {
    if (fs.kind === 'ntfs') {
      // NTFS names are case-insensitive: two local names may land on one guest file.
      const key = item.guest.toUpperCase();
      const other = seen.get(key);
      if (other !== undefined) throw new PreconditionError(`${other} and ${item.local} would be the same file on NTFS (names differ only in case)`, { path: item.guest });
      seen.set(key, item.local);
    }
    planned.push({ item, patch: await planCopy({ fs, volume: volume.id, item }) });
  }
  const total = items.reduce((sum, i) => sum + (i.type === 'file' ? i.size : 0), 0);
  const progress = createProgress({ label: 'copying', json: args.json });
  let done = 0;
  for (const { item, patch } of planned) {
    if (patch.kind === 'write-file') {
      // Read now, apply, drop: one file in memory at a time.
      const read = readFileSync(item.local);
      if (read.length !== (item.type === 'file' ? item.size : -1)) throw new PreconditionError(`${item.local} changed size while being copied`, { path: item.local });
      // A plain Uint8Array view of the same bytes, not a Buffer: Buffer#slice shares memory, and
      // the ext engine transfers each slice's ArrayBuffer to its worker, which would detach the
      // whole file after its first chunk.
      await tx.apply([{ ...patch, content: new Uint8Array(read.buffer, read.byteOffset, read.byteLength) }]);
      done += read.length;
    } else await tx.apply([patch]);
    progress.update(done, total);
  }
  progress.finish();
  const files = items.filter((i) => i.type === 'file').length;
  const dirs = items.filter((i) => i.type === 'directory').length;
  return `copy-in to ${volume.id}:${args.guestDir}: ${files} file(s), ${dirs} directory(ies), ${formatBytes(total)}`;
}

// ---- mkdir ---------------------------------------------------------------------------------

async function makeDirectories(args: { session: Session; path: string; parents: boolean }): Promise<string> {
  const { tx, volume, fs } = args.session;
  const parts = splitPath(args.path);
  if (parts.length === 0) throw new PreconditionError('the root directory always exists', { path: '/' });
  const levels = args.parents ? parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`) : [`/${parts.join('/')}`];
  if (!args.parents) {
    const parent = await statOrAbsent(fs, dirnamePath(args.path));
    if (parent?.type !== 'directory') {
      throw new NotFoundError(`${volume.id}:${dirnamePath(args.path)} is not a directory (use -p to make the missing parents)`, { path: dirnamePath(args.path), errno: parent ? 'ENOTDIR' : 'ENOENT' });
    }
  }
  const patches: Patch[] = [];
  for (const level of levels) {
    const stat = await statOrAbsent(fs, level);
    if (stat && stat.type !== 'directory') throw new PreconditionError(`${volume.id}:${level} exists and is not a directory`, { path: level });
    patches.push({ kind: 'make-directory', volume: volume.id, path: level, expect: stat ? 'directory' : 'absent', reason: 'rehost mkdir' });
  }
  await tx.apply(patches);
  return `mkdir ${volume.id}:${joinPath(args.path)}`;
}

// ---- rm ------------------------------------------------------------------------------------

async function removePath(args: { session: Session; path: string; recursive: boolean }): Promise<string> {
  const { tx, volume, fs } = args.session;
  const path = joinPath(args.path);
  if (path === '/') throw new PreconditionError('refusing to remove the root directory of a volume', { path });
  const stat = await statOrAbsent(fs, path);
  if (!stat) throw new NotFoundError(`${volume.id}:${path} does not exist`, { path, errno: 'ENOENT' });
  let expect: RemoveExpect;
  if (stat.type === 'directory') {
    const empty = (await fs.readdir(path)).length === 0;
    if (!empty && !args.recursive) throw new PreconditionError(`${volume.id}:${path} is a directory that is not empty; use -r to remove it with everything below it`, { path });
    expect = empty ? 'directory' : { tree: (await treeState(fs, path)).slice('tree:'.length) };
  } else if (stat.type === 'symlink') expect = { symlink: stat.target ?? '' };
  else if (stat.type === 'file') expect = { sha256: await pathState(fs, path) };
  else throw new UnsupportedError(`${volume.id}:${path} is a special file; rehost rm removes files, symlinks and directories`, { path });
  await tx.apply([{ kind: 'remove-path', volume: volume.id, path, expect, reason: 'rehost rm' }]);
  return `rm ${args.recursive ? '-r ' : ''}${volume.id}:${path}`;
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
