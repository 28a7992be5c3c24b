// The fleet summary's `extensions.fingerprint` section: per target platform, how many VMs
// boot, boot after a patch, cannot boot, or are unknown; the same per OS; activation risk per
// target; findings by id; and the VMs that need a patch or cannot move. Built from the
// records' fingerprints alone (targets taken from the records, first seen first), so a merge
// of shards gives the same section as a single run.
//
// A VM's verdict for a platform is the worst over its OSes of the boot-storage and network
// verdicts (display always has a fallback adapter and never stops a move). Worst first:
// cannot-boot, unknown, boots-after-patch, boots. A VM with no fingerprinted OS counts as
// 'error' (it failed) or 'no-os' (nothing bootable found, e.g. BitLocker).

import type { VerdictKind } from '../fingerprint/index.js';
import { sortRecords, type SummaryExtension } from './summary.js';
import { vmFacts } from './facts.js';
import type { VmRecord } from './types.js';

export type VmVerdict = VerdictKind | 'no-os' | 'error';

const WORST_FIRST: readonly VerdictKind[] = ['cannot-boot', 'unknown', 'boots-after-patch', 'boots'];
const MOVE_FUNCTIONS = new Set(['boot-storage', 'network']);

export interface FleetVerdicts {
  targets: string[];
  /** platform → verdict → VMs. */
  byTarget: Record<string, Record<string, number>>;
  /** os → platform → verdict → VMs. */
  byOs: Record<string, Record<string, Record<string, number>>>;
  /** platform → activation risk → Windows VMs. */
  activationRisk: Record<string, Record<string, number>>;
  /** finding id → VMs that have it (any target). */
  findings: Record<string, number>;
  risks: { hibernated: number; fastStartup: number; bitlocker: number; encryptedVolumes: number; staticIps: number; activationHigh: number };
  needsPatch: Array<{ id: string; key: string; targets: string[] }>;
  cannotMove: Array<{ id: string; key: string; targets: string[] }>;
}

export function recordTargets(vms: readonly VmRecord[]): string[] {
  const seen: string[] = [];
  for (const vm of vms) for (const t of vm.targets ?? []) if (!seen.includes(t)) seen.push(t);
  return seen;
}

/** The VM's verdict per target (see the header for the rule). */
export function vmVerdicts(vm: VmRecord, targets: readonly string[]): Record<string, VmVerdict> {
  const prints = vm.disks.flatMap((d) => d.fingerprint ?? []);
  const out: Record<string, VmVerdict> = {};
  for (const target of targets) {
    if (prints.length === 0) {
      out[target] = vm.error ? 'error' : 'no-os';
      continue;
    }
    const kinds = new Set(prints.flatMap((p) => p.verdicts.filter((v) => v.platform === target && MOVE_FUNCTIONS.has(v.function)).map((v) => v.verdict)));
    out[target] = WORST_FIRST.find((k) => kinds.has(k)) ?? 'unknown';
  }
  return out;
}

/** The worst activation risk per target over the VM's Windows installations. */
export function vmActivationRisk(vm: VmRecord, targets: readonly string[]): Record<string, string> {
  const order = ['high', 'medium', 'low', 'info'];
  const out: Record<string, string> = {};
  for (const target of targets) {
    const risks = vm.disks.flatMap((d) => d.fingerprint ?? []).flatMap((p) => p.activation?.targets.filter((t) => t.platform === target).map((t) => t.risk) ?? []);
    const worst = order.find((r) => risks.includes(r as never));
    if (worst) out[target] = worst;
  }
  return out;
}

function bump(table: Record<string, number>, key: string): void {
  table[key] = (table[key] ?? 0) + 1;
}

export function fleetVerdicts(records: readonly VmRecord[]): FleetVerdicts {
  const vms = sortRecords(records);
  const targets = recordTargets(vms);
  const result: FleetVerdicts = { targets, byTarget: {}, byOs: {}, activationRisk: {}, findings: {}, risks: { hibernated: 0, fastStartup: 0, bitlocker: 0, encryptedVolumes: 0, staticIps: 0, activationHigh: 0 }, needsPatch: [], cannotMove: [] };
  for (const t of targets) {
    result.byTarget[t] = {};
    result.activationRisk[t] = {};
  }
  for (const vm of vms) {
    const facts = vmFacts(vm);
    const verdicts = vmVerdicts(vm, targets);
    const osTable = (result.byOs[facts.os] ??= {});
    for (const t of targets) {
      const verdict = verdicts[t] ?? 'unknown';
      bump(result.byTarget[t] as Record<string, number>, verdict);
      bump((osTable[t] ??= {}), verdict);
    }
    const activation = vmActivationRisk(vm, targets);
    for (const [t, risk] of Object.entries(activation)) bump(result.activationRisk[t] as Record<string, number>, risk);
    if (Object.values(activation).includes('high')) result.risks.activationHigh++;
    if (facts.hibernated) result.risks.hibernated++;
    if (facts.fastStartup) result.risks.fastStartup++;
    if (facts.bitlocker) result.risks.bitlocker++;
    if (facts.encryptedVolumes) result.risks.encryptedVolumes++;
    if (facts.staticIps.length > 0) result.risks.staticIps++;
    for (const id of new Set(vm.disks.flatMap((d) => d.fingerprint ?? []).flatMap((p) => p.findings.map((f) => f.id)))) bump(result.findings, id);
    const patch = targets.filter((t) => verdicts[t] === 'boots-after-patch');
    const blocked = targets.filter((t) => verdicts[t] === 'cannot-boot');
    if (patch.length > 0) result.needsPatch.push({ id: vm.id, key: vm.key, targets: patch });
    if (blocked.length > 0) result.cannotMove.push({ id: vm.id, key: vm.key, targets: blocked });
  }
  result.byOs = Object.fromEntries(Object.entries(result.byOs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  result.findings = Object.fromEntries(Object.entries(result.findings).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return result;
}

/** The SummaryExtension that writes `extensions.fingerprint`. */
export const FINGERPRINT_EXTENSION: SummaryExtension = { name: 'fingerprint', summarise: fleetVerdicts };
