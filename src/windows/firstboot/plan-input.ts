// Everything the first-boot rules need that is read from disks, gathered in one call for a
// planner: the guest's first-boot state (from its system volume) and, with a driver source,
// the staged driver set (virtioStagingSet for the guest's release and arch, hashed) and the
// guest agent's MSI. The result is plain data (FirstbootPlanInput) for planFor({firstboot}).

import type { Diagnostics } from '../../diagnostics.js';
import type { FileSystem } from '../../fs/types.js';
import type { FirstbootPlanInput } from '../../rules/windows-firstboot-context.js';
import { openDriverSource } from '../drivers/source.js';
import { virtioStagingSet } from '../drivers/staging.js';
import type { InfOs } from '../inf/types.js';
import type { WindowsFacts } from '../types.js';
import { findGuestAgent, stagedDriverFiles } from './staging.js';
import { readFirstbootState } from './state.js';

export async function firstbootPlanInput(args: {
  /** The guest's system volume. */
  fs: FileSystem;
  facts: WindowsFacts;
  /** The guest as INF applicability sees it (undefined: version or arch unknown, nothing is staged). */
  os: InfOs | undefined;
  /** --drivers: a directory or an ISO. */
  driverSource?: string;
  macs?: Record<string, string>;
  /**
   * What the target needs from the source: the Windows services its catalog devices name, and
   * whether the plan installs a boot driver from it. The set is staged only when one of those
   * services ships in it or a driver is installed (a target the guest's inbox drivers serve
   * gains nothing from it). Undefined: always staged.
   */
  target?: { services: string[]; installs: boolean };
  diagnostics?: Diagnostics;
}): Promise<FirstbootPlanInput> {
  const { facts } = args;
  const state = await readFirstbootState({ fs: args.fs, systemRoot: facts.systemRoot, controlSet: facts.controlSet ?? 'ControlSet001', ...(args.diagnostics ? { diagnostics: args.diagnostics } : {}) });
  const input: FirstbootPlanInput = { state, ...(args.macs !== undefined ? { macs: args.macs } : {}) };
  if (args.driverSource === undefined || args.os === undefined) return input;
  const source = await openDriverSource(args.driverSource, args.diagnostics ? { diagnostics: args.diagnostics } : {});
  try {
    const set = await virtioStagingSet({ source, os: args.os, ...(args.diagnostics ? { diagnostics: args.diagnostics } : {}) });
    const target = args.target;
    const shipped = new Set(set.files.map((f) => f.name));
    if (target !== undefined && !target.installs && !target.services.some((s) => shipped.has(`${s.toLowerCase()}.sys`))) return input;
    const drivers = await stagedDriverFiles({ source, set });
    const guestAgent = await findGuestAgent({ source, arch: facts.arch });
    return { ...input, driverSource: args.driverSource, drivers, ...(guestAgent !== undefined ? { guestAgent } : {}) };
  } finally {
    await source.close();
  }
}
