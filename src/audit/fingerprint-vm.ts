// Adds the hardware fingerprint (src/fingerprint) to a VM record: per inspected disk, one
// OsFingerprint per OS found (verdicts per target × function, built-for, activation risk,
// findings), with the VM's descriptor as built-for evidence when it has one. Runs on the main
// thread after the worker's inspection: it is pure and cheap, needs the catalog (loaded once
// per run), and a --resume run with other --to targets re-fingerprints without re-reading.

import { matchDescription } from '../descriptors/index.js';
import { fingerprint, type DescriptorEvidence } from '../fingerprint/index.js';
import type { Catalog } from '../catalog/index.js';
import type { VmRecord } from './types.js';

export function fingerprintRecord(args: { record: VmRecord; catalog: Catalog; targets: readonly string[] }): VmRecord {
  const { record, catalog } = args;
  const targets = [...args.targets];
  const description = record.descriptor?.description;
  const descriptor: DescriptorEvidence | undefined = description ? { source: description.source, platformIds: matchDescription(catalog, description).platformIds } : undefined;
  const disks = record.disks.map((disk) => {
    const { fingerprint: _old, ...rest } = disk;
    if (!rest.inspection) return rest;
    return { ...rest, fingerprint: fingerprint({ inspection: rest.inspection, catalog, targets, ...(descriptor ? { descriptor } : {}) }) };
  });
  // `targets` and `disks` go last so records are field-ordered the same way on every path.
  const { disks: _d, targets: _t, ...head } = record;
  return { ...head, targets, disks };
}
