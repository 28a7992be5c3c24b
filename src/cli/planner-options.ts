// The planner options `rehost plan` and `rehost apply` share (--rules, --controller, --vm,
// --drivers, with the catalog and the --mac pairs each command reads itself): both build the
// same rulesPlanner from them, so what plan shows is what apply does.

import type { Catalog } from '../catalog/index.js';
import { readVmDescription } from '../descriptors/index.js';
import type { Diagnostics } from '../diagnostics.js';
import { PreconditionError } from '../errors.js';
import type { OsPlanner } from '../patch/plan-apply.js';
import { rulesPlanner } from '../patch/plan-apply-planner.js';

/** Commander's collector of a repeatable option. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--mac NAME=MAC` pairs as a name → MAC record. */
export function parseMacs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const mac = pair.slice(eq + 1).toLowerCase().replace(/-/g, ':');
    if (eq <= 0 || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) throw new PreconditionError(`--mac wants NAME=MAC (e.g. ens160=00:0c:29:12:34:56), got ${JSON.stringify(pair)}`);
    out[name] = mac;
  }
  return out;
}

export interface PlannerCliOptions {
  rules?: string[];
  controller?: string[];
  vm?: string;
  drivers?: string;
}

/** The rules planner for these options: built-in packs plus --rules, the --controller choice, the NIC MACs of --mac and of --vm's descriptor, --drivers. */
export async function plannerFromOptions(options: PlannerCliOptions, args: { catalog: Catalog; macs: Record<string, string>; diagnostics?: Diagnostics }): Promise<OsPlanner> {
  return rulesPlanner({
    catalog: args.catalog,
    ruleDirs: options.rules ?? [],
    ...(options.controller !== undefined ? { controllers: options.controller } : {}),
    macs: args.macs,
    ...(options.vm !== undefined ? { vmMacs: (await readVmDescription(options.vm)).nics.flatMap((n) => (n.mac !== undefined ? [n.mac] : [])) } : {}),
    ...(options.drivers !== undefined ? { drivers: options.drivers } : {}),
    ...(args.diagnostics !== undefined ? { diagnostics: args.diagnostics } : {}),
  });
}
