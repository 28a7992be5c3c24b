// Adds the hardware fingerprint (src/fingerprint) to a VM record: per inspected disk, one
// brief OsFingerprint per OS found (verdicts per target × function, built-for, activation
// risk, findings; lean.ts), with the VM's descriptor as built-for evidence when it has one.
// Runs on the main thread after the worker's inspection, from the disks' full Inspections
// (fresh from the worker, or read back from the inspection side file on --resume, so other
// --to targets re-fingerprint without reading the disks again). Pure and cheap; the catalog
// is loaded once per run.

import { matchDescription } from '../descriptors/index.js';
import { fingerprint, type DescriptorEvidence } from '../fingerprint/index.js';
import type { Catalog } from '../catalog/index.js';
import { fingerprintBrief } from './lean.js';
import type { DiskInspections } from './inspections.js';
import type { VmRecord } from './types.js';

export function fingerprintRecord(args: { record: VmRecord; inspections: DiskInspections; catalog: Catalog; targets: readonly string[] }): VmRecord {
  const { record, catalog } = args;
  const targets = [...args.targets];
  const description = record.descriptor?.description;
  const descriptor: DescriptorEvidence | undefined = description ? { source: description.source, platformIds: matchDescription(catalog, description).platformIds } : undefined;
  const disks = record.disks.map((disk, index) => {
    const { fingerprint: _old, ...rest } = disk;
    const inspection = args.inspections[index];
    if (!inspection) return rest;
    return { ...rest, fingerprint: fingerprint({ inspection, catalog, targets, ...(descriptor ? { descriptor } : {}) }).map(fingerprintBrief) };
  });
  // `targets` and `disks` go last so records are field-ordered the same way on every path.
  const { disks: _d, targets: _t, ...head } = record;
  return { ...head, targets, disks };
}
