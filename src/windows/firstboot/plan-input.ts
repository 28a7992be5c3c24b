// Everything the first-boot rules need that is read from disks, gathered in one call for a
// planner: the guest's first-boot state (from its system volume) and, with a driver source,
// the staged driver set (virtioStagingSet for the guest's release and arch, plus the vendor
// packages — ENA, gVNIC, … — that drive one of the target's devices, hashed), which target
// devices it covers, and the guest agent's MSI. The result is plain data
// (FirstbootPlanInput) for planFor({firstboot}).

import type { Diagnostics } from '../../diagnostics.js';
import type { FileSystem } from '../../fs/types.js';
import type { FirstbootPlanInput } from '../../rules/windows-firstboot-context.js';
import type { PlatformDevice } from '../../catalog/index.js';
import { driversForDevices, vendorPackageFiles, type SourceDeviceDriver } from '../drivers/device-packages.js';
import { findDrivers, type DriverMatch } from '../drivers/find.js';
import { openDriverSource } from '../drivers/source.js';
import { virtioStagingSet, type StagedFile } from '../drivers/staging.js';
import type { InfOs } from '../inf/types.js';
import { hasDriverService } from '../service-facts.js';
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
   * What the target needs from the source: its catalog devices, and whether the plan installs
   * a boot driver from it. The set is staged only when a driver is installed or the source has
   * a driver for a target device whose service the guest lacks (a target the guest's own
   * drivers serve gains nothing from it).
   */
  target: { devices: readonly PlatformDevice[]; installs: boolean };
  diagnostics?: Diagnostics;
}): Promise<FirstbootPlanInput> {
  const { facts } = args;
  const diagnostics = args.diagnostics !== undefined ? { diagnostics: args.diagnostics } : {};
  const state = await readFirstbootState({ fs: args.fs, systemRoot: facts.systemRoot, controlSet: facts.controlSet ?? 'ControlSet001', ...diagnostics });
  const input: FirstbootPlanInput = { state, ...(args.macs !== undefined ? { macs: args.macs } : {}) };
  if (args.driverSource === undefined || args.os === undefined) return input;
  const source = await openDriverSource(args.driverSource, diagnostics);
  try {
    const set = await virtioStagingSet({ source, os: args.os, ...diagnostics });
    const matches = await findDrivers({ source, os: args.os, systemRoot: facts.systemRoot, ...diagnostics });
    const devices = args.target.devices.flatMap((d) => (d.pci !== undefined && d.pci.length > 0 ? [{ id: d.id, pci: d.pci }] : []));
    const inSet = new Set(set.files.map((f) => f.name));
    const vendorFiles: StagedFile[] = [];
    const staged: SourceDeviceDriver[] = [];
    for (const driver of driversForDevices({ devices, matches })) {
      if (driver.convention) {
        if (inSet.has((driver.inf.split('/').pop() ?? '').toLowerCase())) staged.push(driver);
        continue;
      }
      const match = matches.find((m) => m.infPath === driver.inf) as DriverMatch;
      if (!staged.some((s) => s.inf === driver.inf)) vendorFiles.push(...(await vendorPackageFiles({ source, match, ...diagnostics })));
      staged.push(driver);
    }
    const lacking = staged.filter((d) => !hasDriverService(facts, d.service));
    if (!args.target.installs && lacking.length === 0) return input;
    const drivers = await stagedDriverFiles({ source, set: { ...set, files: [...set.files, ...vendorFiles] } });
    const guestAgent = await findGuestAgent({ source, arch: facts.arch });
    return { ...input, driverSource: args.driverSource, drivers, stagedDevices: staged, ...(guestAgent !== undefined ? { guestAgent } : {}) };
  } finally {
    await source.close();
  }
}
