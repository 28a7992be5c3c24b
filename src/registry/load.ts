// Loading a hive for use: replay its transaction logs when it is dirty (onto a copy), then
// decode. A dirty hive without usable logs still loads for reading, with a warning, and is
// marked so that writes refuse it (UnsafeStateError).

import type { Diagnostics } from '../diagnostics.js';
import { ignoreDiagnostics } from '../diagnostics.js';
import { Hive } from './hive.js';
import { recoverHive, type RecoveryResult } from './transaction-log.js';

export interface LoadHiveInput {
  /** The primary hive file, whole. */
  primary: Uint8Array;
  /** Its transaction logs, labelled (e.g. 'SYSTEM.LOG1'); missing ones are simply omitted. */
  logs?: { label: string; bytes: Uint8Array }[];
  diagnostics?: Diagnostics;
  label?: string;
}

export interface LoadedHive {
  hive: Hive;
  recovery: RecoveryResult;
}

export function loadHive(input: LoadHiveInput): LoadedHive {
  const diagnostics = input.diagnostics ?? ignoreDiagnostics;
  const recovery = recoverHive({ primary: input.primary, logs: input.logs, diagnostics });
  const hive = new Hive(recovery.bytes, { diagnostics, label: input.label, logState: recovery.state });
  return { hive, recovery };
}
