// The Windows realizers as one step: every Windows planned patch of an OS (driver installs,
// service start fixes, registry values) → the driver files to copy, then ONE write-file per
// hive carrying all of that hive's edits. Windows patches must be realized together because
// each hive is written whole: realized one by one, the second edit of SYSTEM would expect the
// hash of the hive before the first (dispatch.ts realizeAll groups them here).

import type { Patch } from '../types.js';
import type { GuestView } from './types.js';
import { DriverSourceCache, realizeDriverFiles } from './windows-driver-files.js';
import { isWindowsHivePlanned, realizeWindowsHives, type WindowsHivePlanned } from './windows-hive.js';

export async function realizeWindowsPlan(args: { planned: readonly WindowsHivePlanned[]; guest: GuestView }): Promise<Patch[]> {
  const sources = new DriverSourceCache();
  try {
    const out: Patch[] = [];
    for (const planned of args.planned) {
      if (planned.kind === 'windows-install-driver') out.push(...(await realizeDriverFiles({ planned, guest: args.guest, sources })));
    }
    out.push(...(await realizeWindowsHives({ planned: args.planned, guest: args.guest })));
    return out;
  } finally {
    await sources.close();
  }
}

/** One Windows planned patch on its own (realize()); realizeAll batches them instead. */
export function realizeWindowsOne(args: { planned: WindowsHivePlanned; guest: GuestView }): Promise<Patch[]> {
  return realizeWindowsPlan({ planned: [args.planned], guest: args.guest });
}

export { isWindowsHivePlanned, type WindowsHivePlanned };
