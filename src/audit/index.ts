// Fleet audit: many VMs inspected in a worker pool, one output directory, shards and merge.

export type { AuditVm, AuditDisk, VmRecord, DiskRecord, ErrorJson, SourceStamp, InspectedVm } from './types.js';
export { AUDIT_SCHEMA_VERSION } from './types.js';
export { discoverFleet, commonDirectory, type Discovery } from './discover.js';
export { classifyFile, type FileKind } from './classify.js';
export { vmId, keyOf, parseShard, inShard, type Shard } from './vm-id.js';
export { inspectVm, stampSources, stampsMatch } from './inspect-vm.js';
export { runPool, workerPath, type PoolOptions } from './pool.js';
export { vmFacts, type VmFacts } from './facts.js';
export { summarise, sortRecords, type FleetSummary, type SummaryExtension } from './summary.js';
export { renderCsv, renderMarkdown, CSV_COLUMNS } from './render.js';
export { parseFormats, FLEET_FORMATS, type FleetFormat } from './output.js';
export { runAudit, DEFAULT_VM_TIMEOUT_SECONDS, type AuditOptions, type AuditResult, type RunStats } from './run.js';
export { mergeAudits, type MergeOptions, type MergeResult } from './merge.js';
export { fingerprintRecord } from './fingerprint-vm.js';
export { fleetVerdicts, vmVerdicts, vmActivationRisk, recordTargets, FINGERPRINT_EXTENSION, type FleetVerdicts, type VmVerdict } from './verdict-summary.js';
export { renderFleetHtml } from './html.js';
export { diskFacts, osBrief, fingerprintBrief, type DiskFacts, type OsBrief, type OsFingerprintBrief, type VerdictBrief, type VolumeBrief } from './lean.js';
export { readInspections, writeInspections, inspectionFile, type DiskInspections } from './inspections.js';
