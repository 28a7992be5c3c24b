// One fleet audit run: discover the VMs, keep this shard's, reuse finished records with
// --resume, inspect the rest in the worker pool, and write the output directory.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { discoverFleet } from './discover.js';
import { inShard, type Shard } from './vm-id.js';
import { stampsMatch } from './inspect-vm.js';
import { runPool } from './pool.js';
import { prepareOutput, pruneRecords, readRecord, serialise, writeFleetFiles, writeRecord, FLEET_FORMATS, type FleetFormat } from './output.js';
import { sortRecords, type FleetSummary, type SummaryExtension } from './summary.js';
import type { VmRecord } from './types.js';
import type { Catalog } from '../catalog/index.js';
import { fingerprintRecord } from './fingerprint-vm.js';
import { readInspections, writeInspections } from './inspections.js';
import { AUDIT_SCHEMA_VERSION, type InspectedVm } from './types.js';
import { FINGERPRINT_EXTENSION } from './verdict-summary.js';

export const DEFAULT_VM_TIMEOUT_SECONDS = 300;

/** Errors worth another try on --resume: they say nothing about the image. */
const RETRIED_CODES = new Set(['TIMEOUT', 'INTERNAL']);

export interface AuditOptions {
  sources: string[];
  outDir: string;
  jobs?: number;
  formats?: readonly FleetFormat[];
  shard?: Shard;
  resume?: boolean;
  initramfs?: 'read' | 'skip';
  timeoutSeconds?: number;
  extensions?: readonly SummaryExtension[];
  /** Fingerprint every record against these targets; adds `extensions.fingerprint` to the summary. */
  fingerprint?: { catalog: Catalog; targets: readonly string[] };
  onProgress?(progress: { done: number; total: number; bytesRead: number }): void;
}

export interface RunStats {
  startedAt: string;
  durationMs: number;
  jobs: number;
  shard?: Shard;
  vms: number;
  inspected: number;
  resumed: number;
  bytesRead: number;
  virtualSize: number;
  imagesPerHour: number;
}

export interface AuditResult {
  root: string;
  records: VmRecord[];
  summary: FleetSummary;
  stats: RunStats;
}

export async function runAudit(options: AuditOptions): Promise<AuditResult> {
  const startedAt = new Date();
  const started = performance.now();
  const jobs = options.jobs ?? availableParallelism();
  const discovery = await discoverFleet(options.sources);
  const vms = options.shard ? discovery.vms.filter((vm) => inShard(vm.id, options.shard as Shard)) : discovery.vms;
  await prepareOutput(options.outDir);
  await pruneRecords({ outDir: options.outDir, keep: new Set(vms.map((vm) => vm.id)) });

  const print = options.fingerprint;
  const withPrint = ({ record, inspections }: InspectedVm): VmRecord => (print ? fingerprintRecord({ record, inspections, catalog: print.catalog, targets: print.targets }) : record);
  const extensions = [...(print ? [FINGERPRINT_EXTENSION] : []), ...(options.extensions ?? [])];
  const records: VmRecord[] = [];
  const pending = [];
  for (const vm of vms) {
    const previous = options.resume ? await readRecord(options.outDir, vm.id) : undefined;
    const reusable = previous && previous.schemaVersion === AUDIT_SCHEMA_VERSION && previous.key === vm.key && !(previous.error && RETRIED_CODES.has(previous.error.code)) && (await stampsMatch({ root: discovery.root, sources: previous.sources }));
    // Re-fingerprinting needs the full inspections: without the side file the VM is read again.
    const inspections = reusable && print ? await readInspections({ outDir: options.outDir, id: vm.id, disks: previous.disks.length }) : undefined;
    if (reusable && (inspections || !print)) {
      const current = withPrint({ record: previous, inspections: inspections ?? [] });
      // Rewritten only when the fingerprint changed (other --to): an unchanged record keeps its mtime.
      if (serialise(current) !== serialise(previous)) await writeRecord(options.outDir, current);
      records.push(current);
    } else {
      pending.push(vm);
    }
  }
  const resumed = records.length;
  let bytesRead = 0;
  options.onProgress?.({ done: records.length, total: vms.length, bytesRead });
  await runPool({
    vms: pending,
    root: discovery.root,
    jobs,
    timeoutSeconds: options.timeoutSeconds ?? DEFAULT_VM_TIMEOUT_SECONDS,
    ...(options.initramfs !== undefined ? { initramfs: options.initramfs } : {}),
    onRecord: async (inspected) => {
      const record = withPrint(inspected);
      await writeInspections({ outDir: options.outDir, id: record.id, inspections: inspected.inspections });
      await writeRecord(options.outDir, record);
      records.push(record);
      bytesRead += record.bytesRead;
      options.onProgress?.({ done: records.length, total: vms.length, bytesRead });
    },
  });
  const sorted = sortRecords(records);
  const summary = await writeFleetFiles({ outDir: options.outDir, records: sorted, formats: options.formats ?? FLEET_FORMATS, extensions });
  const durationMs = performance.now() - started;
  const inspected = pending.length;
  const stats: RunStats = {
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(durationMs),
    jobs,
    ...(options.shard ? { shard: options.shard } : {}),
    vms: vms.length,
    inspected,
    resumed,
    bytesRead,
    virtualSize: sorted.reduce((sum, r) => sum + r.virtualSize, 0),
    imagesPerHour: durationMs > 0 ? Math.round((inspected / durationMs) * 3_600_000) : 0,
  };
  await writeFile(join(options.outDir, 'run.json'), serialise(stats));
  return { root: discovery.root, records: sorted, summary, stats };
}
