// The audit output directory: vms/<id>.json (one VmRecord each), fleet.json (the summary),
// vms/<id>.inspection.json.gz (its full inspections, inspections.ts), fleet.csv, fleet.md,
// fleet.html, and run.json (timings of this run: the only file that is not a
// function of the records). Records are written with sorted-by-construction fields and a
// trailing newline so equal records are equal bytes.

import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PreconditionError } from '../errors.js';
import { renderCsv, renderMarkdown } from './render.js';
import { renderFleetHtml } from './html.js';
import { summarise, type FleetSummary, type SummaryExtension } from './summary.js';
import type { VmRecord } from './types.js';

export type FleetFormat = 'json' | 'csv' | 'md' | 'html';
export const FLEET_FORMATS: readonly FleetFormat[] = ['json', 'csv', 'md', 'html'];

export function parseFormats(text: string): FleetFormat[] {
  const formats = text.split(',').map((f) => f.trim().toLowerCase()).filter((f) => f.length > 0);
  for (const format of formats) {
    if (!(FLEET_FORMATS as readonly string[]).includes(format)) throw new PreconditionError(`unknown fleet format "${format}" (json, csv, md, html)`);
  }
  return [...new Set(formats)] as FleetFormat[];
}

const RECORD_FILE = /^[0-9a-f]{16}\.json$/;

export function serialise(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}

/** Written to a temporary name first: a run killed mid-write leaves no half record for --resume. */
export async function writeRecord(outDir: string, record: VmRecord): Promise<void> {
  const path = join(outDir, 'vms', `${record.id}.json`);
  await writeFile(`${path}.tmp`, serialise(record));
  await rename(`${path}.tmp`, path);
}

export async function readRecord(outDir: string, id: string): Promise<VmRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(outDir, 'vms', `${id}.json`), 'utf8')) as VmRecord;
  } catch {
    return undefined;
  }
}

export async function listRecordIds(outDir: string): Promise<string[]> {
  const names = await readdir(join(outDir, 'vms')).catch(() => [] as string[]);
  return names.filter((n) => RECORD_FILE.test(n)).map((n) => n.slice(0, 16)).sort();
}

const VM_FILE = /^([0-9a-f]{16})\.(json|inspection\.json\.gz)(\.tmp)?$/;

/** Removes records and inspection files of VMs that are not part of this run (an earlier
 *  run's, another shard's), and temporary files a killed run left. */
export async function pruneRecords(args: { outDir: string; keep: Set<string> }): Promise<void> {
  const names = await readdir(join(args.outDir, 'vms')).catch(() => [] as string[]);
  for (const name of names) {
    const match = VM_FILE.exec(name);
    if (match && (!args.keep.has(match[1] as string) || match[3] !== undefined)) await rm(join(args.outDir, 'vms', name), { force: true });
  }
}

export async function prepareOutput(outDir: string): Promise<void> {
  await mkdir(join(outDir, 'vms'), { recursive: true });
}

export async function writeFleetFiles(args: { outDir: string; records: readonly VmRecord[]; formats: readonly FleetFormat[]; extensions?: readonly SummaryExtension[] }): Promise<FleetSummary> {
  const summary = summarise(args.records, args.extensions ?? []);
  for (const format of FLEET_FORMATS) {
    const path = join(args.outDir, `fleet.${format}`);
    if (!args.formats.includes(format)) continue;
    const text = format === 'json' ? serialise(summary) : format === 'csv' ? renderCsv(args.records) : format === 'html' ? renderFleetHtml({ vms: args.records, summary }) : renderMarkdown({ vms: args.records, summary });
    await writeFile(path, text);
  }
  return summary;
}
