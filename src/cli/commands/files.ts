// `rehost ls` and `rehost cat`: read a guest's files straight from the image, like virt-ls and
// virt-cat, on any filesystem rehost reads.

import type { Command } from 'commander';
import { openImage } from '../../image/open.js';
import { DiagnosticLog } from '../../diagnostics.js';
import { discoverVolumes } from '../../fs/discover.js';
import { chooseVolume, openFileSystem } from '../../fs/open.js';
import { fromWindowsPath, joinPath } from '../../fs/path.js';
import type { FileSystem, Stat } from '../../fs/types.js';
import { printJson, reportError } from '../output.js';

interface VolumeOptions {
  partition?: string;
  lv?: string;
  format?: string;
  disk?: number;
}

function addVolumeOptions(command: Command): Command {
  return command
    .option('-p, --partition <n>', 'partition number (as in `rehost info`)')
    .option('--lv <vg/lv>', 'LVM logical volume')
    .option('-f, --format <name>', 'image format (default: probed)')
    .option('--disk <n>', 'which disk of an OVA (0-based)', (v) => Number.parseInt(v, 10));
}

async function withFileSystem<T>(imagePath: string, options: VolumeOptions, body: (fs: FileSystem) => Promise<T>): Promise<T> {
  const diagnostics = new DiagnosticLog();
  const image = await openImage(imagePath, { format: options.format, diagnostics, disk: options.disk });
  try {
    const { volumes } = await discoverVolumes(image.device, { diagnostics });
    const volume = await chooseVolume(volumes, { select: options.lv ?? options.partition, diagnostics });
    const fs = await openFileSystem(volume.device, { diagnostics, kind: volume.filesystem.kind });
    try {
      return await body(fs);
    } finally {
      await fs.close?.();
    }
  } finally {
    await image.close();
  }
}

const guestPath = (path: string): string => (/^[A-Za-z]:/.test(path) || path.includes('\\') ? fromWindowsPath(path) : joinPath(path));

export function registerFileCommands(program: Command): void {
  addVolumeOptions(
    program
      .command('ls')
      .description('list a directory inside the guest, like virt-ls')
      .argument('<image>', 'disk image')
      .argument('[path]', 'guest path (/Windows/System32 or C:\\Windows\\System32)', '/')
      .option('-R, --recursive', 'list everything below the path')
      .option('-l, --long', 'type, mode, size, time and path')
      .option('--json', 'machine-readable output'),
  ).action(async (imagePath: string, path: string, options: VolumeOptions & { recursive?: boolean; long?: boolean; json?: boolean }) => {
    try {
      await withFileSystem(imagePath, options, async (fs) => {
        const root = guestPath(path);
        const rows: Array<{ path: string; stat: Stat }> = [];
        const emit = options.json ? (p: string, s: Stat) => rows.push({ path: p, stat: s }) : (p: string, s: Stat) => printEntry(p, s, options.long === true);
        await listTree({ fs, path: root, recursive: options.recursive === true, emit, relativeTo: options.recursive ? undefined : root });
        if (options.json) printJson(rows.map(({ path: p, stat: s }) => ({ path: p, type: s.type, size: s.size, mode: s.mode, uid: s.uid, gid: s.gid, mtime: s.mtime?.toISOString(), target: s.target, inode: s.inode })));
      });
    } catch (error) {
      process.exitCode = reportError(error, options);
    }
  });

  addVolumeOptions(
    program.command('cat').description('write a guest file to stdout, like virt-cat').argument('<image>', 'disk image').argument('<path>', 'guest path'),
  ).action(async (imagePath: string, path: string, options: VolumeOptions) => {
    try {
      await withFileSystem(imagePath, options, async (fs) => {
        const target = guestPath(path);
        if (!fs.open) {
          await writeOut(await fs.readFile(target));
          return;
        }
        // Stream through the file's device: no whole-file buffer for multi-GiB files.
        const content = await fs.open(target);
        const chunk = 4 * 1024 * 1024;
        for (let offset = 0; offset < content.size; offset += chunk) {
          await writeOut(await content.read(offset, Math.min(chunk, content.size - offset)));
        }
      });
    } catch (error) {
      process.exitCode = reportError(error);
    }
  });
}

function writeOut(data: Uint8Array): Promise<void> {
  return new Promise<void>((resolve, reject) => process.stdout.write(data, (e) => (e ? reject(e) : resolve())));
}

async function listTree(args: { fs: FileSystem; path: string; recursive: boolean; emit: (path: string, stat: Stat) => void; relativeTo: string | undefined }): Promise<void> {
  const { fs, recursive, emit } = args;
  const top = await fs.stat(args.path);
  if (top.type !== 'directory') {
    emit(args.path, top);
    return;
  }
  if (recursive && fs.walkEach) {
    await walkFast(fs, args.path, emit);
    return;
  }
  const pending = [args.path];
  while (pending.length > 0) {
    const dir = pending.shift() as string;
    const entries = await fs.readdir(dir);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
      const stat = await fs.stat(full);
      emit(args.relativeTo !== undefined ? entry.name : full, stat);
      if (recursive && stat.type === 'directory') pending.push(full);
    }
  }
}

/** The recursive listing through the filesystem's own walk: a stat only for symlinks (targets). */
async function walkFast(fs: FileSystem, root: string, emit: (path: string, stat: Stat) => void): Promise<void> {
  const rows: Array<{ path: string; stat: Stat }> = [];
  let dir = root;
  await fs.walkEach!(root, {
    directory(path) {
      dir = path === '/' ? '' : path;
    },
    entry(name, type, size, inode, mtimeMs) {
      rows.push({ path: `${dir}/${name}`, stat: { name, type, size, inode, mtime: new Date(mtimeMs) } });
    },
  });
  for (const row of rows) {
    if (row.stat.type === 'symlink') {
      const full = await fs.stat(row.path);
      if (full.target !== undefined) row.stat.target = full.target;
    }
    emit(row.path, row.stat);
  }
}

const TYPE_CHAR: Record<string, string> = { file: '-', directory: 'd', symlink: 'l', other: '?' };

function printEntry(path: string, stat: Stat, long: boolean): void {
  if (!long) {
    process.stdout.write(path + '\n');
    return;
  }
  const mode = stat.mode !== undefined ? (stat.mode & 0o7777).toString(8).padStart(4, '0') : '----';
  const time = stat.mtime ? stat.mtime.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '') : '-';
  const link = stat.type === 'symlink' && stat.target !== undefined ? ` -> ${stat.target}` : '';
  process.stdout.write(`${TYPE_CHAR[stat.type] ?? '?'}${mode} ${String(stat.size).padStart(12)} ${time} ${path}${link}\n`);
}
