// `rehost audit merge`: joins the output directories of shards into one. The VM records are
// copied as they are and the fleet files are rebuilt from them with the same code a single
// run uses, so the merge of N shards equals one run over the same sources (timing aside).
// Each record's inspection file (inspections.ts) is copied with it.
// A VM present in two shards (a re-run with another N) keeps the first directory's record.

import { join, resolve } from 'node:path';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { NotFoundError } from '../errors.js';
import { listRecordIds, prepareOutput, pruneRecords, readRecord, serialise, writeFleetFiles, writeRecord, FLEET_FORMATS, type FleetFormat } from './output.js';
import { sortRecords, type FleetSummary, type SummaryExtension } from './summary.js';
import type { VmRecord } from './types.js';
import { inspectionFile } from './inspections.js';

export interface MergeOptions {
  dirs: string[];
  outDir: string;
  formats?: readonly FleetFormat[];
  extensions?: readonly SummaryExtension[];
}

export interface MergeResult {
  records: VmRecord[];
  summary: FleetSummary;
  /** VM ids found in more than one directory. */
  duplicates: string[];
}

export async function mergeAudits(options: MergeOptions): Promise<MergeResult> {
  const byId = new Map<string, VmRecord>();
  const from = new Map<string, string>();
  const duplicates: string[] = [];
  const runs: unknown[] = [];
  for (const dir of options.dirs) {
    const ids = await listRecordIds(dir);
    const run = await readFile(join(dir, 'run.json'), 'utf8').then((t) => JSON.parse(t) as unknown, () => undefined);
    if (ids.length === 0 && run === undefined) throw new NotFoundError(`not an audit output directory: ${dir}`, { path: dir, kind: 'audit output' });
    if (run !== undefined) runs.push(run);
    for (const id of ids) {
      const record = await readRecord(dir, id);
      if (!record) continue;
      if (byId.has(id)) duplicates.push(id);
      else {
        byId.set(id, record);
        from.set(id, dir);
      }
    }
  }
  await prepareOutput(options.outDir);
  await pruneRecords({ outDir: options.outDir, keep: new Set(byId.keys()) });
  const records = sortRecords([...byId.values()]);
  for (const record of records) {
    // The inspection file goes with its record (a shard that lost it only loses re-fingerprinting).
    const source = inspectionFile(from.get(record.id) as string, record.id);
    const target = inspectionFile(options.outDir, record.id);
    if (resolve(source) !== resolve(target)) await copyFile(source, target).catch(() => undefined);
    await writeRecord(options.outDir, record);
  }
  const summary = await writeFleetFiles({ outDir: options.outDir, records, formats: options.formats ?? FLEET_FORMATS, ...(options.extensions ? { extensions: options.extensions } : {}) });
  await writeFile(join(options.outDir, 'run.json'), serialise({ merged: options.dirs.length, shards: runs }));
  return { records, summary, duplicates: [...new Set(duplicates)].sort() };
}
