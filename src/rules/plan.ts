// planFor(): one OS of an inspection + a target platform + rule packs → a Plan. Builds the
// evaluation context (linux-context.ts), evaluates every pack, and collects the patches of
// the results that fired, deduplicated (two rules proposing the same change give one patch;
// the first rule is kept as its author), and the 'cannot' results that block applying.
// Pure and deterministic: the same input gives byte-identical JSON.

import { platformById, type Catalog } from '../catalog/index.js';
import { NotFoundError, UnsupportedError } from '../errors.js';
import type { Inspection } from '../inspect/inspect.js';
import { evaluate } from './evaluate.js';
import { linuxContext, type LinuxOs, type PlanOptions } from './linux-context.js';
import type { Plan, PlannedPatch, RulePack, RuleResult } from './types.js';
import { windowsContext } from './windows-context.js';
import { windowsNetworkDerived } from './windows-network-context.js';
import { windowsFirstbootDerived, type FirstbootPlanInput } from './windows-firstboot-context.js';

function patchKey(patch: PlannedPatch): string {
  const { rule: _rule, precondition: _precondition, ...rest } = patch;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

/** A plan from evaluated results: patches deduplicated in order, 'cannot' results as blockers. */
export function assemblePlan(args: { os: string; target: string; results: RuleResult[] }): Plan {
  const seen = new Set<string>();
  const patches: PlannedPatch[] = [];
  for (const result of args.results) {
    for (const patch of result.patches) {
      const key = patchKey(patch);
      if (seen.has(key)) continue;
      seen.add(key);
      patches.push(patch);
    }
  }
  return { os: args.os, target: args.target, results: args.results, patches, blocked: args.results.filter((r) => r.outcome === 'cannot') };
}

/** Picks an OS of the inspection by index or by root volume id (the only one when absent). */
export function pickOs(inspection: Pick<Inspection, 'operatingSystems'>, os?: number | string): Inspection['operatingSystems'][number] {
  const list = inspection.operatingSystems;
  if (os === undefined) {
    if (list.length !== 1) throw new NotFoundError(`the image holds ${list.length} operating systems; say which (${list.map((o) => o.root).join(', ')})`, { kind: 'operating system' });
    return list[0]!;
  }
  const found = typeof os === 'number' ? list[os] : list.find((o) => o.root === os);
  if (found === undefined) throw new NotFoundError(`no operating system ${JSON.stringify(os)} in the image (roots: ${list.map((o) => o.root).join(', ') || 'none'})`, { kind: 'operating system' });
  return found;
}

export interface PlanForArgs {
  inspection: Pick<Inspection, 'operatingSystems' | 'volumes' | 'partitionTable'>;
  /** Index into inspection.operatingSystems or a root volume id; optional when there is one OS. */
  os?: number | string;
  catalog: Catalog;
  /** Target platform id. */
  target: string;
  packs: RulePack[];
  options?: PlanOptions;
  /** Windows: the first-boot inputs (state read from the guest, staged driver files, MACs). */
  firstboot?: FirstbootPlanInput;
}

/** The plan for moving one OS of an inspected image to a target platform. */
export function planFor(args: PlanForArgs): Plan {
  const os = pickOs(args.inspection, args.os);
  const target = platformById(args.catalog, args.target);
  if (os.type === 'windows') {
    const context = windowsContext({
      os,
      target,
      platforms: args.catalog.platforms,
      ...(args.options?.controllers !== undefined ? { controllers: args.options.controllers } : {}),
      ...(args.options?.windows !== undefined ? { windows: args.options.windows } : {}),
    });
    // First boot (windows-firstboot-context.ts): only armed when the caller read the guest's first-boot state.
    const fb = windowsFirstbootDerived({ facts: os.facts, root: os.root, lineage: context.targetLineage, targetAgents: target.guestTools?.windowsServices ?? [], ...(args.firstboot !== undefined ? { input: args.firstboot } : {}) });
    // Staged drivers count for the network once the run that installs them is armed (now or by an earlier apply).
    const armed = fb.firstboot.needed || args.firstboot?.state?.runner === true;
    const network = windowsNetworkDerived({ facts: os.facts, target, staged: args.firstboot?.stagedDevices ?? [], armed });
    context.derived = { ...context.derived, ...fb, ...network };
    return assemblePlan({ os: os.root, target: target.id, results: evaluate({ packs: args.packs, context }) });
  }
  if ((os as { type: string }).type !== 'linux') throw new UnsupportedError(`no rules for ${(os as { type: string }).type} guests yet (root ${os.root})`, { root: os.root });
  const context = linuxContext({
    os: os as LinuxOs,
    volumes: args.inspection.volumes,
    partitioned: args.inspection.partitionTable !== undefined,
    target,
    platforms: args.catalog.platforms,
    ...(args.options !== undefined ? { options: args.options } : {}),
  });
  return assemblePlan({ os: os.root, target: target.id, results: evaluate({ packs: args.packs, context }) });
}
