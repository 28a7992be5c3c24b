// The files the first boot needs from a driver source, with the hashes the plan records and
// the realizer re-checks: the staged driver set (virtioStagingSet: everything virt-v2v copies
// to Drivers\VirtIO, flattened) and a guest agent's MSI when the source has one (virtio-win's
// guest-agent folder: qemu-ga-x86_64.msi / qemu-ga-i386.msi). The driver source is read
// here (async, at the edge); the rules context only sees the result as data.

import { createHash } from 'node:crypto';
import { UnsupportedError } from '../../errors.js';
import type { WindowsDriverFile } from '../../rules/types.js';
import type { DriverSource } from '../drivers/source.js';
import type { StagingSet } from '../drivers/staging.js';
import { FIRSTBOOT_AGENT, FIRSTBOOT_DIR, FIRSTBOOT_DRIVERS } from './paths.js';

/** Larger files are refused: nothing in a driver set is near this. */
export const MAX_STAGED_FILE = 256 * 1024 * 1024;

async function hashOf(source: DriverSource, path: string): Promise<{ sha256: string; size: number }> {
  const stat = await source.fs.stat(path);
  if (stat.size > MAX_STAGED_FILE) throw new UnsupportedError(`${path} is ${stat.size} bytes; staged files are at most ${MAX_STAGED_FILE}`, { path });
  const bytes = await source.fs.readFile(path);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}

/** The staged driver set as files to copy into C:\Program Files\rehost\drivers. */
export async function stagedDriverFiles(args: { source: DriverSource; set: StagingSet }): Promise<WindowsDriverFile[]> {
  const out: WindowsDriverFile[] = [];
  for (const file of args.set.files) {
    const { sha256, size } = await hashOf(args.source, file.source);
    out.push({ source: file.source, dest: `${FIRSTBOOT_DIR}/${FIRSTBOOT_DRIVERS}/${file.name}`, sha256, size });
  }
  return out;
}

const AGENT_NAMES: Record<string, string[]> = {
  x86_64: ['qemu-ga-x86_64.msi', 'qemu-ga-x64.msi'],
  i386: ['qemu-ga-i386.msi', 'qemu-ga-x86.msi'],
};

/** virtio-win's guest agent MSI for the arch (/guest-agent/<name>), or undefined. */
export async function findGuestAgent(args: { source: DriverSource; arch: string | undefined }): Promise<WindowsDriverFile | undefined> {
  const names = AGENT_NAMES[args.arch ?? ''] ?? [];
  let entries;
  try {
    entries = await args.source.fs.readdir('/guest-agent');
  } catch {
    return undefined;
  }
  for (const wanted of names) {
    const entry = entries.find((e) => e.type === 'file' && e.name.toLowerCase() === wanted);
    if (entry === undefined) continue;
    const path = `/guest-agent/${entry.name}`;
    const { sha256, size } = await hashOf(args.source, path);
    return { source: path, dest: `${FIRSTBOOT_DIR}/${FIRSTBOOT_AGENT}/${wanted}`, sha256, size };
  }
  return undefined;
}
