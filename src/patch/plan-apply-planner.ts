// The planner applyPlan uses in `rehost apply`: the rule packs (built-in plus --rules
// directories) evaluated by src/rules planFor for each operating system of the inspection.

import { platformById, type Catalog } from '../catalog/index.js';
import { loadRulePacks, planFor, type PlanOptions, type RulePack } from '../rules/index.js';
import type { OsPlanner } from './plan-apply.js';
import { windowsDriverCandidates } from './realize/windows-driver-source.js';

/** An OsPlanner over fixed packs and options; Windows guests get the drivers of `drivers` (a directory or ISO). */
export function packPlanner(args: { catalog: Catalog; packs: RulePack[]; options?: PlanOptions; drivers?: string }): OsPlanner {
  return async ({ inspection, os, target }) => {
    let options = args.options;
    if (os.type === 'windows' && args.drivers !== undefined) {
      const drivers = await windowsDriverCandidates({ driverSource: args.drivers, facts: os.facts, target: platformById(args.catalog, target) });
      options = { ...(options ?? {}), windows: { driverSource: args.drivers, drivers } };
    }
    return planFor({ inspection, os: os.root, catalog: args.catalog, target, packs: args.packs, ...(options !== undefined ? { options } : {}) });
  };
}

/** Loads the packs (built-in, then `ruleDirs`) and returns the planner. */
export async function rulesPlanner(args: { catalog: Catalog; ruleDirs?: string[]; controllers?: string[]; macs?: Record<string, string>; vmMacs?: string[]; drivers?: string }): Promise<OsPlanner> {
  const packs = await loadRulePacks({ dirs: args.ruleDirs ?? [] });
  const options: PlanOptions = {
    ...(args.controllers !== undefined && args.controllers.length > 0 ? { controllers: args.controllers } : {}),
    ...(args.macs !== undefined && Object.keys(args.macs).length > 0 ? { macs: args.macs } : {}),
    ...(args.vmMacs !== undefined && args.vmMacs.length > 0 ? { vmMacs: args.vmMacs } : {}),
  };
  return packPlanner({ catalog: args.catalog, packs, options, ...(args.drivers !== undefined ? { drivers: args.drivers } : {}) });
}
