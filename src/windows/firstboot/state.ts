// What of rehost's first boot is already in a guest, read from its system volume: the
// registry values (registry.ts) and which of our files exist. The rules context takes this as
// data (so a re-plan after apply proposes nothing), and the realizer reads it again to
// re-check the plan's precondition.

import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import type { FileSystem } from '../../fs/types.js';
import { openWindowsHive } from '../locate.js';
import { FIRSTBOOT_DIR, FIRSTBOOT_RUNNER, FIRSTBOOT_SCRIPTS } from './paths.js';
import { readFirstbootRegistry, type FirstbootRegistry } from './registry.js';

export interface FirstbootState {
  registry: FirstbootRegistry;
  /** Whether the SYSTEM hive can be written (clean, or dirty with its logs replayed). */
  systemWritable: boolean;
  /** C:\Program Files\rehost\firstboot.cmd exists. */
  runner: boolean;
  /** Names of files in the scripts folder. */
  scripts: string[];
}

async function exists(fs: FileSystem, path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function readFirstbootState(args: { fs: FileSystem; systemRoot: string; controlSet: string; diagnostics?: Diagnostics }): Promise<FirstbootState> {
  const diagnostics = args.diagnostics ?? ignoreDiagnostics;
  const system = await openWindowsHive({ fs: args.fs, systemRoot: args.systemRoot, name: 'SYSTEM', diagnostics });
  const software = await openWindowsHive({ fs: args.fs, systemRoot: args.systemRoot, name: 'SOFTWARE', diagnostics });
  const registry: FirstbootRegistry =
    system === undefined
      ? { setupKey: false, crashControlKey: false }
      : readFirstbootRegistry({ system: system.hive, ...(software !== undefined ? { software: software.hive } : {}), controlSet: args.controlSet });
  let scripts: string[] = [];
  const dir = `${FIRSTBOOT_DIR}/${FIRSTBOOT_SCRIPTS}`;
  if (await exists(args.fs, dir)) scripts = (await args.fs.readdir(dir)).filter((e) => e.type === 'file').map((e) => e.name).sort();
  return {
    registry,
    systemWritable: system !== undefined && system.hive.logState !== 'unreplayed',
    runner: await exists(args.fs, `${FIRSTBOOT_DIR}/${FIRSTBOOT_RUNNER}`),
    scripts,
  };
}
