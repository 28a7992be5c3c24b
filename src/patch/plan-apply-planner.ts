// The planner applyPlan uses in `rehost apply` and `rehost plan`: the rule packs (built-in plus
// --rules directories) evaluated by src/rules planFor for each operating system of the
// inspection. Windows guests also get what is read from disks: the boot-storage driver
// candidates of --drivers, and the first-boot input (the guest's first-boot state read from its
// system volume through readVolume, and the staged driver set of --drivers), so the
// windows-firstboot patches are planned the same way by both commands and in the re-plan
// after apply (which then sees the runner in place and proposes nothing).

import { platformById, type Catalog } from '../catalog/index.js';
import type { Diagnostics } from '../diagnostics.js';
import { loadRulePacks, planFor, windowsContext, type FirstbootPlanInput, type PlanOptions, type RulePack } from '../rules/index.js';
import { firstbootPlanInput } from '../windows/firstboot/index.js';
import type { OsPlanner } from './plan-apply.js';
import { infOsOf, windowsDriverCandidates } from './realize/windows-driver-source.js';

/** An OsPlanner over fixed packs and options; Windows guests get the drivers of `drivers` (a directory or ISO). */
export function packPlanner(args: { catalog: Catalog; packs: RulePack[]; options?: PlanOptions; drivers?: string; diagnostics?: Diagnostics }): OsPlanner {
  const diagnostics = args.diagnostics !== undefined ? { diagnostics: args.diagnostics } : {};
  return async ({ inspection, os, target, readVolume }) => {
    let options = args.options;
    let firstboot: FirstbootPlanInput | undefined;
    if (os.type === 'windows') {
      const platform = platformById(args.catalog, target);
      let installs = false;
      if (args.drivers !== undefined) {
        const drivers = await windowsDriverCandidates({ driverSource: args.drivers, facts: os.facts, target: platform, ...diagnostics });
        const windows = { driverSource: args.drivers, drivers };
        options = { ...(options ?? {}), windows };
        // Whether the plan installs a boot driver from the source (what decides the staging below).
        const derived = windowsContext({ os, target: platform, platforms: args.catalog.platforms, windows, ...(options.controllers !== undefined ? { controllers: options.controllers } : {}) }).derived;
        installs = Array.isArray(derived['installs']) && derived['installs'].length > 0;
      }
      const macs = args.options?.macs;
      firstboot = await firstbootPlanInput({
        fs: await readVolume(os.root),
        facts: os.facts,
        os: infOsOf(os.facts),
        ...(args.drivers !== undefined ? { driverSource: args.drivers } : {}),
        ...(macs !== undefined ? { macs } : {}),
        target: { devices: platform.devices, installs },
        ...diagnostics,
      });
    }
    return planFor({
      inspection,
      os: os.root,
      catalog: args.catalog,
      target,
      packs: args.packs,
      ...(options !== undefined ? { options } : {}),
      ...(firstboot !== undefined ? { firstboot } : {}),
    });
  };
}

/** Loads the packs (built-in, then `ruleDirs`) and returns the planner. */
export async function rulesPlanner(args: {
  catalog: Catalog;
  ruleDirs?: string[];
  controllers?: string[];
  macs?: Record<string, string>;
  vmMacs?: string[];
  drivers?: string;
  diagnostics?: Diagnostics;
}): Promise<OsPlanner> {
  const packs = await loadRulePacks({ dirs: args.ruleDirs ?? [] });
  const options: PlanOptions = {
    ...(args.controllers !== undefined && args.controllers.length > 0 ? { controllers: args.controllers } : {}),
    ...(args.macs !== undefined && Object.keys(args.macs).length > 0 ? { macs: args.macs } : {}),
    ...(args.vmMacs !== undefined && args.vmMacs.length > 0 ? { vmMacs: args.vmMacs } : {}),
  };
  return packPlanner({
    catalog: args.catalog,
    packs,
    options,
    ...(args.drivers !== undefined ? { drivers: args.drivers } : {}),
    ...(args.diagnostics !== undefined ? { diagnostics: args.diagnostics } : {}),
  });
}
