// Finding Windows on a volume and opening its hives. The system root is the first of
// /Windows, /WINNT, /Win32, /Win, /ReactOS (matched case-insensitively by the filesystem)
// that holds System32/config — the libguestfs rule, minus its cmd.exe requirement (cmd.exe is
// read for the arch when present). Hives are opened with their transaction logs (.LOG,
// .LOG1, .LOG2) and replayed onto a copy by the registry layer; a dirty hive without logs is
// read as is, with a warning from the registry.

import type { Diagnostics } from '../diagnostics.js';
import { NotFoundError, isRehostError } from '../errors.js';
import type { FileSystem } from '../fs/types.js';
import { loadHive, type Hive, type LoadedHive } from '../registry/index.js';
import { decodePeHeader } from './pe.js';

export const SYSTEM_ROOT_CANDIDATES = ['/Windows', '/WINNT', '/Win32', '/Win', '/ReactOS'];

export interface WindowsLocation {
  systemRoot: string;
  /** Path of System32 as stored on the volume (its case). */
  system32: string;
  arch?: string;
  archSource?: string;
}

async function existsQuietly(fs: FileSystem, path: string): Promise<boolean> {
  try {
    return await fs.exists(path);
  } catch (error) {
    if (isRehostError(error)) return false;
    throw error;
  }
}

/** The system root, or undefined when the volume holds no Windows. */
export async function findWindows(fs: FileSystem, options: { diagnostics?: Diagnostics } = {}): Promise<WindowsLocation | undefined> {
  for (const candidate of SYSTEM_ROOT_CANDIDATES) {
    if (!(await existsQuietly(fs, `${candidate}/System32/config`))) continue;
    const location: WindowsLocation = { systemRoot: candidate, system32: `${candidate}/System32` };
    for (const binary of ['cmd.exe', 'ntoskrnl.exe']) {
      const path = `${candidate}/System32/${binary}`;
      if (!(await existsQuietly(fs, path))) continue;
      try {
        const head = await readHead(fs, path, 4096);
        location.arch = decodePeHeader(head).arch;
        location.archSource = path;
        break;
      } catch (error) {
        if (!isRehostError(error)) throw error;
        options.diagnostics?.report({ severity: 'warning', code: 'WINDOWS_PE', message: `${path}: ${error.message}`, path });
      }
    }
    return location;
  }
  return undefined;
}

async function readHead(fs: FileSystem, path: string, length: number): Promise<Uint8Array> {
  const bytes = await fs.readFile(path);
  return bytes.subarray(0, Math.min(length, bytes.length));
}

export interface OpenedHive extends LoadedHive {
  path: string;
  logs: string[];
}

/** Opens System32/config/<name> with whichever of its logs exist; undefined when the hive is absent. */
export async function openWindowsHive(input: { fs: FileSystem; systemRoot: string; name: string; diagnostics: Diagnostics }): Promise<OpenedHive | undefined> {
  const path = `${input.systemRoot}/System32/config/${input.name}`;
  if (!(await existsQuietly(input.fs, path))) return undefined;
  const primary = await input.fs.readFile(path);
  const logs: { label: string; bytes: Uint8Array }[] = [];
  for (const suffix of ['.LOG', '.LOG1', '.LOG2']) {
    const logPath = path + suffix;
    if (!(await existsQuietly(input.fs, logPath))) continue;
    const bytes = await input.fs.readFile(logPath);
    if (bytes.length > 0) logs.push({ label: input.name + suffix, bytes });
  }
  const loaded = loadHive({ primary, logs, diagnostics: input.diagnostics, label: input.name });
  return { ...loaded, path, logs: logs.map((l) => l.label) };
}

export function requireHive(hive: OpenedHive | undefined, name: string): Hive {
  if (hive === undefined) throw new NotFoundError(`the ${name} hive is missing`, { kind: 'file', path: `System32/config/${name}` });
  return hive.hive;
}
