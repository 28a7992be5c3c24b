// The shapes of a fleet audit: what discovery finds (AuditVm: a descriptor and its disks, or
// one lone disk), and what the worker writes for each VM (VmRecord, the vms/<id>.json file).
// Records hold nothing that changes from run to run except `timing`, so a sharded run merged
// equals a single run once `timing` is set aside.

import type { VmDescription } from '../descriptors/index.js';
import type { DiskFacts, OsFingerprintBrief } from './lean.js';
import type { DiskInspections } from './inspections.js';

/** 2: lean records (facts and fingerprint briefs; full inspections in a side file). */
export const AUDIT_SCHEMA_VERSION = 2;

/** A RehostError's JSON form, or the same shape made from any other error. */
export interface ErrorJson {
  name: string;
  code: string;
  message: string;
  detail?: Record<string, unknown>;
}

export interface AuditDisk {
  /** Absolute path of the image file (for an OVA: the package). */
  path: string;
  /** For an OVA package: which of its disks (DiskSection order). */
  ovaDisk?: number;
  /** Where the descriptor names this disk: "scsi0:1", "vmdisk2". */
  slot?: string;
}

export interface AuditVm {
  /** sha1 of `key`, 16 hex digits: stable across runs and machines. */
  id: string;
  /** The VM's primary file (descriptor, OVA or lone disk) relative to the fleet root, '/' separated. */
  key: string;
  kind: 'descriptor' | 'ova' | 'image';
  name: string;
  /** Absolute path of the descriptor or OVA, when the VM has one. */
  descriptorPath?: string;
  disks: AuditDisk[];
  /** Set when discovery itself failed (descriptor unreadable): the VM is not inspected. */
  error?: ErrorJson;
}

export interface SourceStamp {
  /** Relative to the fleet root. */
  key: string;
  size: number;
  mtimeMs: number;
}

export interface DiskRecord {
  /** The disk's file relative to the fleet root. */
  key: string;
  ovaDisk?: number;
  slot?: string;
  virtualSize?: number;
  /** Bytes the inspection read from the guest device. */
  bytesRead: number;
  reads: number;
  /** The key facts of the disk's inspection (lean.ts); the whole Inspection is in the side file. */
  facts?: DiskFacts;
  /** One per OS of the inspection, against the record's `targets` (set on the main thread). */
  fingerprint?: OsFingerprintBrief[];
  error?: ErrorJson;
}

export interface VmRecord {
  schemaVersion: number;
  id: string;
  key: string;
  kind: AuditVm['kind'];
  name: string;
  descriptor?: { key: string; description: VmDescription };
  /** Catalog platform ids the fingerprints were computed against (`--to`). */
  targets?: string[];
  disks: DiskRecord[];
  /** The VM's first error: discovery, timeout, or its first disk that failed. */
  error?: ErrorJson;
  bytesRead: number;
  virtualSize: number;
  /** Every host file read, with size and mtime, for --resume. */
  sources: SourceStamp[];
  /** The only part that differs between two runs over the same files. */
  timing: { durationMs: number };
}

/** What a worker returns for one VM: its record (no fingerprint yet) and each disk's full Inspection. */
export interface InspectedVm {
  record: VmRecord;
  inspections: DiskInspections;
}
