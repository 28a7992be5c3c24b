// The fleet summary (fleet.json): counts per OS, per distribution/version, per error code and
// per risk an inspection alone can see, plus the failed VMs. Built only from VM records in key
// order, so a merged sharded run and a single run give the same bytes.
//
// Extension point: `summarise(vms, extra)` takes SummaryExtensions; each adds one section
// under `extensions.<name>` (the fingerprint's verdict counts per target platform plug in here).

import { vmFacts } from './facts.js';
import { compare } from './discover.js';
import { AUDIT_SCHEMA_VERSION, type VmRecord } from './types.js';

export interface SummaryExtension {
  name: string;
  summarise(vms: readonly VmRecord[]): unknown;
}

export interface FleetSummary {
  schemaVersion: number;
  vms: number;
  disks: number;
  inspected: number;
  failed: number;
  byOs: Record<string, number>;
  byDistro: Record<string, number>;
  byErrorCode: Record<string, number>;
  risks: { hibernated: number; fastStartup: number; bitlocker: number; encryptedVolumes: number; staticIps: number };
  guestTools: Record<string, number>;
  bytesRead: number;
  virtualSize: number;
  failures: Array<{ id: string; key: string; code: string; message: string }>;
  extensions: Record<string, unknown>;
}

export function sortRecords(vms: readonly VmRecord[]): VmRecord[] {
  return [...vms].sort((a, b) => compare(a.key, b.key));
}

export function summarise(vms: readonly VmRecord[], extra: readonly SummaryExtension[] = []): FleetSummary {
  const sorted = sortRecords(vms);
  const byOs: Record<string, number> = {};
  const byDistro: Record<string, number> = {};
  const byErrorCode: Record<string, number> = {};
  const guestTools: Record<string, number> = {};
  const risks = { hibernated: 0, fastStartup: 0, bitlocker: 0, encryptedVolumes: 0, staticIps: 0 };
  const failures: FleetSummary['failures'] = [];
  const bump = (table: Record<string, number>, key: string): void => {
    table[key] = (table[key] ?? 0) + 1;
  };
  for (const vm of sorted) {
    const facts = vmFacts(vm);
    bump(byOs, facts.os);
    for (const distro of facts.distros) bump(byDistro, distro);
    if (vm.error) {
      bump(byErrorCode, vm.error.code);
      failures.push({ id: vm.id, key: vm.key, code: vm.error.code, message: vm.error.message });
    }
    if (facts.hibernated) risks.hibernated++;
    if (facts.fastStartup) risks.fastStartup++;
    if (facts.bitlocker) risks.bitlocker++;
    if (facts.encryptedVolumes) risks.encryptedVolumes++;
    if (facts.staticIps.length > 0) risks.staticIps++;
    for (const hypervisor of facts.guestTools) bump(guestTools, hypervisor);
  }
  const extensions: Record<string, unknown> = {};
  for (const extension of extra) extensions[extension.name] = extension.summarise(sorted);
  return {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    vms: sorted.length,
    disks: sorted.reduce((sum, vm) => sum + vm.disks.length, 0),
    inspected: sorted.filter((vm) => !vm.error).length,
    failed: failures.length,
    byOs: sortKeys(byOs),
    byDistro: sortKeys(byDistro),
    byErrorCode: sortKeys(byErrorCode),
    risks,
    guestTools: sortKeys(guestTools),
    bytesRead: sorted.reduce((sum, vm) => sum + vm.bytesRead, 0),
    virtualSize: sorted.reduce((sum, vm) => sum + vm.virtualSize, 0),
    failures,
    extensions,
  };
}

function sortKeys(table: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(table).sort(([a], [b]) => compare(a, b)));
}
