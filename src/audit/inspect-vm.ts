// Inspects one VM of the fleet: its descriptor (when it has one) and each of its disks, each
// disk read through a CountingDevice so the row says how many guest bytes inspection needed.
// A disk that fails becomes a DiskRecord with its error; nothing here throws for bad input.
// The record carries each disk's lean facts (lean.ts); the full Inspections come back beside
// it for the fingerprint and the inspection side file.

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeDescriptor, readVmDescription, type VmDescription } from '../descriptors/index.js';
import { inspectImage, type Inspection } from '../inspect/index.js';
import { CountingDevice } from '../io/counting-device.js';
import { FileDevice } from '../io/file-device.js';
import { readOvaPackage } from '../image/ova/index.js';
import { CorruptError } from '../errors.js';
import { errorJson } from './error-json.js';
import { keyOf } from './vm-id.js';
import { diskFacts } from './lean.js';
import type { DiskInspections } from './inspections.js';
import { AUDIT_SCHEMA_VERSION, type AuditVm, type DiskRecord, type ErrorJson, type InspectedVm, type SourceStamp } from './types.js';

export interface InspectVmOptions {
  vm: AuditVm;
  root: string;
  initramfs?: 'read' | 'skip';
}

export async function inspectVm(options: InspectVmOptions): Promise<InspectedVm> {
  const { vm, root } = options;
  const started = performance.now();
  const files = new Set<string>();
  if (vm.descriptorPath !== undefined) files.add(vm.descriptorPath);
  let descriptor: InspectedVm['record']['descriptor'];
  let error: ErrorJson | undefined = vm.error;
  if (vm.descriptorPath !== undefined && vm.error === undefined) {
    try {
      const description = vm.kind === 'ova' ? await describeOva(vm.descriptorPath) : await readVmDescription(vm.descriptorPath);
      descriptor = { key: keyOf(root, vm.descriptorPath), description };
    } catch (caught) {
      error = errorJson(caught);
    }
  }
  const disks: DiskRecord[] = [];
  const inspections: DiskInspections = [];
  if (vm.error === undefined) {
    for (const disk of vm.disks) {
      files.add(disk.path);
      const counter: { device?: CountingDevice } = {};
      const base = {
        key: keyOf(root, disk.path),
        ...(disk.ovaDisk !== undefined ? { ovaDisk: disk.ovaDisk } : {}),
        ...(disk.slot !== undefined ? { slot: disk.slot } : {}),
      };
      try {
        const inspection: Inspection = await inspectImage({
          path: disk.path,
          ...(disk.ovaDisk !== undefined ? { disk: disk.ovaDisk } : {}),
          ...(options.initramfs !== undefined ? { initramfs: options.initramfs } : {}),
          wrapDevice: (device) => (counter.device = new CountingDevice(device)),
        });
        for (const layer of inspection.image ?? []) for (const file of layer.files) files.add(resolve(file));
        disks.push({ ...base, virtualSize: inspection.image?.[0]?.virtualSize ?? counter.device?.size ?? 0, bytesRead: counter.device?.bytesRead ?? 0, reads: counter.device?.reads ?? 0, facts: diskFacts(inspection) });
        inspections.push(inspection);
      } catch (caught) {
        const failure = errorJson(caught);
        error ??= failure;
        disks.push({ ...base, ...(counter.device ? { virtualSize: counter.device.size } : {}), bytesRead: counter.device?.bytesRead ?? 0, reads: counter.device?.reads ?? 0, error: failure });
        inspections.push(null);
      }
    }
  }
  const record = {
    schemaVersion: AUDIT_SCHEMA_VERSION,
    id: vm.id,
    key: vm.key,
    kind: vm.kind,
    name: vm.name,
    ...(descriptor ? { descriptor } : {}),
    disks,
    ...(error ? { error } : {}),
    bytesRead: disks.reduce((sum, d) => sum + d.bytesRead, 0),
    virtualSize: disks.reduce((sum, d) => sum + (d.virtualSize ?? 0), 0),
    sources: await stampSources({ root, files: [...files] }),
    timing: { durationMs: Math.round(performance.now() - started) },
  };
  return { record, inspections };
}

/** The OVF inside an OVA, read as a VM description. */
async function describeOva(path: string): Promise<VmDescription> {
  const file = await FileDevice.open(path);
  try {
    const ova = await readOvaPackage(file);
    const member = ova.members.find((m) => m.name === ova.ovfName);
    if (!member) throw new CorruptError('the OVF member is missing', { structure: 'OVA package', path });
    return describeDescriptor(await file.read(member.offset, member.size), { fileName: ova.ovfName });
  } finally {
    await file.close();
  }
}

/** Size and mtime of every host file the VM read (missing files are left out). */
export async function stampSources(args: { root: string; files: string[] }): Promise<SourceStamp[]> {
  const stamps: SourceStamp[] = [];
  for (const file of [...new Set(args.files)].sort()) {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    stamps.push({ key: keyOf(args.root, file), size: info.size, mtimeMs: info.mtimeMs });
  }
  return stamps.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** True when every stamped file still has its size and mtime (the --resume test). */
export async function stampsMatch(args: { root: string; sources: SourceStamp[] }): Promise<boolean> {
  if (args.sources.length === 0) return false;
  for (const source of args.sources) {
    const info = await stat(resolve(args.root, source.key)).catch(() => undefined);
    if (!info || info.size !== source.size || info.mtimeMs !== source.mtimeMs) return false;
  }
  return true;
}
