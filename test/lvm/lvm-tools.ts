// Test helpers around the real lvm2 tools, run on loop devices with a private LVM_SYSTEM_DIR so
// nothing touches the host's LVM configuration. Device-mapper is not available in this
// sandbox, so LVs are created inactive (`--driverloaded n -an -Zn`); lvm2 can then make linear
// and striped LVs only. Other segment types are written by `writeMetadata`, a scripted
// metadata writer (new text, higher seqno, raw_locn and checksums updated), and lvm2's own
// `lvs` is asked to read the result back, so the scripted metadata is proven valid.

import { spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lvmCrc } from '../../src/lvm/crc.js';
import { readPvLabel } from '../../src/lvm/label.js';
import { MDA_HEADER_SIZE } from '../../src/lvm/mda.js';

export function lvmEnv(dir: string): NodeJS.ProcessEnv {
  const system = join(dir, 'lvm-system');
  mkdirSync(system, { recursive: true });
  writeFileSync(
    join(system, 'lvm.conf'),
    [
      'devices { obtain_device_list_from_udev = 0 use_devicesfile = 0 filter = [ "a|^/dev/loop[0-9]+$|", "r|.*|" ] }',
      'global { locking_type = 0 }',
      'backup { backup = 0 archive = 0 }',
      'activation { udev_sync = 0 udev_rules = 0 }',
    ].join('\n') + '\n',
  );
  return { ...process.env, LVM_SYSTEM_DIR: system };
}

export function lvm(env: NodeJS.ProcessEnv, args: string[]): string {
  const result = spawnSync(args[0] as string, args.slice(1), { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** Attaches files to loop devices for the duration of `fn`, always detaching them. */
export async function withLoops<T>(files: string[], fn: (loops: string[]) => Promise<T>): Promise<T> {
  const loops: string[] = [];
  try {
    for (const file of files) {
      const result = spawnSync('losetup', ['-f', '--show', file], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`losetup failed: ${result.stderr}`);
      loops.push(result.stdout.trim());
    }
    return await fn(loops);
  } finally {
    for (const loop of loops) spawnSync('losetup', ['-d', loop]);
  }
}

function readAt(path: string, offset: number, length: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const out = new Uint8Array(length);
    readSync(fd, out, 0, length, offset);
    return out;
  } finally {
    closeSync(fd);
  }
}

function writeAt(path: string, offset: number, data: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
}

/** Replaces the VG metadata in the first metadata area of a PV file with `text`. */
export function writeMetadata(pvFile: string, text: string): void {
  const label = readPvLabel(readAt(pvFile, 0, 2048));
  const area = label.metadataAreas[0];
  if (!area) throw new Error('PV has no metadata area');
  const header = readAt(pvFile, area.offset, MDA_HEADER_SIZE);
  const view = new DataView(header.buffer);
  const body = new TextEncoder().encode(text + '\0');
  // Put the new text right after the header (no wrap), as a fresh circular buffer would.
  view.setBigUint64(0x28, BigInt(MDA_HEADER_SIZE), true);
  view.setBigUint64(0x30, BigInt(body.length), true);
  view.setUint32(0x38, lvmCrc(body), true);
  view.setUint32(0x3c, 0, true);
  header.fill(0, 0x40, 0x58); // terminate the raw_locn list after the first entry
  view.setUint32(0, lvmCrc(header.subarray(4)), true);
  writeAt(pvFile, area.offset + MDA_HEADER_SIZE, body);
  writeAt(pvFile, area.offset, header);
}

export { readAt, writeAt };
