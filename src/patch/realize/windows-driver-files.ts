// Realizer for the file half of 'windows-install-driver': each file the INF copies is read
// from the driver source (a host directory or an ISO 9660 image, src/windows/drivers
// openDriverSource), checked against the hash the plan recorded, and becomes a write-file
// patch into the guest (System32\drivers\<svc>.sys) expecting 'absent'. A destination that
// already holds the same bytes needs nothing; one holding other bytes is refused (rehost
// does not replace a driver the guest already has: it may be the one it boots from).

import { PreconditionError } from '../../errors.js';
import { openDriverSource, type DriverSource } from '../../windows/drivers/index.js';
import type { PlannedPatch } from '../../rules/types.js';
import type { Patch } from '../types.js';
import { locate, stateOf } from './locate.js';
import type { GuestView } from './types.js';
import { sha256Hex } from '../hash.js';

type Install = Extract<PlannedPatch, { kind: 'windows-install-driver' }>;

/** Opens each driver source once for a batch of installs. */
export class DriverSourceCache {
  private readonly opened = new Map<string, Promise<DriverSource>>();

  open(path: string): Promise<DriverSource> {
    let source = this.opened.get(path);
    if (source === undefined) {
      source = openDriverSource(path);
      this.opened.set(path, source);
    }
    return source;
  }

  async close(): Promise<void> {
    for (const source of this.opened.values()) await (await source).close();
    this.opened.clear();
  }
}

export async function realizeDriverFiles(args: { planned: Install; guest: GuestView; sources: DriverSourceCache }): Promise<Patch[]> {
  const { planned, guest } = args;
  const out: Patch[] = [];
  const source = await args.sources.open(planned.driverSource);
  for (const file of planned.files) {
    let bytes: Uint8Array;
    try {
      bytes = await source.fs.readFile(file.source);
    } catch (error) {
      throw new PreconditionError(`${planned.driverSource}: ${file.source} cannot be read (${(error as Error).message})`, { path: file.source });
    }
    const sha = sha256Hex(bytes);
    if (sha !== file.sha256 || bytes.length !== file.size) {
      throw new PreconditionError(`${planned.driverSource}: ${file.source} changed since the plan (sha256 ${sha}, planned ${file.sha256})`, { path: file.source });
    }
    const at = await locate({ guest, volume: planned.volume, path: file.dest });
    const state = await stateOf(at);
    if (state === sha) continue;
    if (state !== 'absent') {
      throw new PreconditionError(`${at.volume}:${file.dest} exists (${state}); rehost does not replace a driver file the guest already has`, { path: file.dest, found: state });
    }
    out.push({ kind: 'write-file', volume: at.volume, path: at.path, expect: 'absent', content: bytes, reason: `${planned.service}: ${file.source} from ${planned.driverSource} (${planned.rule})` });
  }
  return out;
}
