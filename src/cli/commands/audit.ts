// `rehost audit SOURCES… [--to PLATFORM,…] [-o DIR] [--jobs N] [--format json,csv,md,html] [--shard I/N] [--resume]
// [--initramfs skip|read] [--timeout S] [--json]` and `rehost audit merge DIR… -o DIR`:
// argv → src/audit calls, a progress line on a TTY, and a short summary on stdout.

import type { Command } from 'commander';
import { mergeAudits, parseFormats, parseShard, runAudit, DEFAULT_VM_TIMEOUT_SECONDS, FINGERPRINT_EXTENSION, type FleetSummary, type FleetVerdicts } from '../../audit/index.js';
import { loadCatalog, platformById } from '../../catalog/index.js';
import { PreconditionError } from '../../errors.js';
import { createProgress, formatBytes } from '../progress.js';
import { printJson, printTable, reportError } from '../output.js';

interface AuditCliOptions {
  output: string;
  jobs?: string;
  format: string;
  shard?: string;
  resume?: boolean;
  initramfs: 'skip' | 'read';
  timeout: string;
  json?: boolean;
  to?: string;
}

function positiveInt(text: string, what: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1) throw new PreconditionError(`${what} must be a positive integer, got "${text}"`);
  return Number(text);
}

function verdictRows(summary: FleetSummary): string[][] {
  const verdicts = summary.extensions['fingerprint'] as FleetVerdicts | undefined;
  if (!verdicts) return [];
  return [
    ['targets', verdicts.targets.join(', ')],
    ['need a patch', String(verdicts.needsPatch.length)],
    ['cannot move', String(verdicts.cannotMove.length)],
  ];
}

function printSummary(summary: FleetSummary, outDir: string): void {
  const rows: string[][] = [
    ['VMs', String(summary.vms)],
    ['disks', String(summary.disks)],
    ['inspected', String(summary.inspected)],
    ['failed', String(summary.failed)],
    ...Object.entries(summary.byOs).map(([os, n]) => [`os ${os}`, String(n)]),
    ...Object.entries(summary.byErrorCode).map(([code, n]) => [`error ${code}`, String(n)]),
    ...verdictRows(summary),
    ['bytes read', `${formatBytes(summary.bytesRead)} of ${formatBytes(summary.virtualSize)}`],
    ['output', outDir],
  ];
  printTable(rows);
}

/** `audit merge DIR… -o OUT` is read by the audit command itself: commander hands options after
 *  a subcommand to the parent unless the root program enables positional options, which is
 *  not this module's to change. A source directory named "merge" is written ./merge. */
async function merge(dirs: string[], options: AuditCliOptions, outputGiven: boolean): Promise<void> {
  if (dirs.length === 0) throw new PreconditionError('audit merge needs at least one shard output directory');
  if (!outputGiven) throw new PreconditionError('audit merge needs -o DIR for the merged output');
  const result = await mergeAudits({ dirs, outDir: options.output, formats: parseFormats(options.format), extensions: [FINGERPRINT_EXTENSION] });
  if (options.json) printJson({ summary: result.summary, duplicates: result.duplicates });
  else printSummary(result.summary, options.output);
}

export function registerAuditCommands(program: Command): void {
  program
    .command('audit')
    .usage('SOURCES… [options]\n       rehost audit merge DIR… -o DIR [--format list] [--json]')
    .description('inspect a fleet of VM images (files, directories, manifests) in parallel into one output directory; `audit merge DIR… -o DIR` joins shard outputs')
    .argument('[sources...]', 'image files, directories (searched by content), or manifest files (one path per line); after "merge": shard output directories')
    .option('-o, --output <dir>', 'output directory', 'audit-out')
    .option('--jobs <n>', 'worker threads (default: available parallelism)')
    .option('--to <platforms>', 'target platforms for the verdicts, comma separated (default: every catalog platform)')
    .option('--format <list>', 'fleet files to write: json,csv,md,html', 'json,csv,md,html')
    .option('--shard <i/n>', 'process only shard I of N (0-based, by VM id)')
    .option('--resume', 'do not read again VMs whose record exists and whose files are unchanged')
    .option('--initramfs <mode>', 'skip or read initramfs images', 'skip')
    .option('--timeout <seconds>', 'time limit per VM', String(DEFAULT_VM_TIMEOUT_SECONDS))
    .option('--json', 'print the fleet summary as JSON (no progress)')
    .action(async (sources: string[], options: AuditCliOptions, command: Command) => {
      try {
        if (sources[0] === 'merge') {
          await merge(sources.slice(1), options, command.getOptionValueSource('output') === 'cli');
          return;
        }
        if (sources.length === 0) throw new PreconditionError('no sources given (image files, directories or manifests)');
        if (options.initramfs !== 'skip' && options.initramfs !== 'read') throw new PreconditionError(`--initramfs must be skip or read, got "${options.initramfs}"`);
        const catalog = await loadCatalog();
        const targets = options.to === undefined ? catalog.platforms.map((p) => p.id) : options.to.split(',').map((t) => t.trim()).filter((t) => t !== '');
        for (const target of targets) platformById(catalog, target);
        const progress = createProgress({ label: 'auditing', json: options.json, formatRate: (perSecond) => `${(perSecond * 3600).toFixed(0)} VMs/h` });
        let resumed: number | undefined;
        const result = await runAudit({
          sources,
          outDir: options.output,
          ...(options.jobs !== undefined ? { jobs: positiveInt(options.jobs, '--jobs') } : {}),
          formats: parseFormats(options.format),
          ...(options.shard !== undefined ? { shard: parseShard(options.shard) } : {}),
          resume: options.resume === true,
          initramfs: options.initramfs,
          timeoutSeconds: positiveInt(options.timeout, '--timeout'),
          fingerprint: { catalog, targets },
          onProgress: ({ done, total }) => {
            // The rate and ETA count only VMs read in this run, not those resumed.
            resumed ??= done;
            progress.update(done - resumed, total - resumed);
          },
        });
        progress.finish();
        if (options.json) printJson({ summary: result.summary, run: result.stats });
        else printSummary(result.summary, options.output);
      } catch (error) {
        process.exitCode = reportError(error, { json: options.json });
      }
    });
}
