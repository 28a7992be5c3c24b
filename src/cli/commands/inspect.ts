// `rehost inspect IMAGE [--json] [--to PLATFORM[,…]] [--format json|md|html|xml] [-o FILE]
// [--vm DESCRIPTOR] [--catalog DIR] [--disk N]`: inspects a disk image offline and reports
// where each guest will boot. Without --format or --to, --json prints the plain Inspection
// (the facts); otherwise a short human summary with the compatibility matrix. --format picks a
// report renderer (src/report); -o writes it to a file instead of stdout.

import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadCatalog } from '../../catalog/index.js';
import { matchDescription, readVmDescription } from '../../descriptors/index.js';
import { PreconditionError } from '../../errors.js';
import type { DescriptorEvidence } from '../../fingerprint/index.js';
import { inspectImage } from '../../inspect/index.js';
import { buildReport, renderHtml, renderInspectorXml, renderJson, renderMarkdown, verdictLabel, type Report } from '../../report/index.js';
import { printJson, printTable, reportError } from '../output.js';

const FORMATS = ['json', 'md', 'html', 'xml'] as const;
type Format = (typeof FORMATS)[number];

interface InspectOptions {
  json?: boolean;
  to?: string;
  format?: string;
  output?: string;
  vm?: string;
  catalog?: string[];
  disk?: string;
}

function summary(report: Report): string {
  const lines: string[] = [];
  if (report.operatingSystems.length === 0) lines.push('no operating system found');
  for (const os of report.operatingSystems) {
    const bf = os.builtFor;
    lines.push(`${os.name} [${os.type}, ${os.root}${os.hostname !== undefined ? `, ${os.hostname}` : ''}]`);
    lines.push(`  built for: ${bf.platform ?? bf.other ?? 'unknown'} (${bf.confidence})`);
    if (os.activation !== undefined) lines.push(`  activation channel: ${os.activation.channel}`);
    for (const f of os.findings.filter((x) => x.platform === undefined)) lines.push(`  ${f.severity}: ${f.title}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function registerInspectCommands(program: Command): void {
  program
    .command('inspect')
    .description('inspect a disk image offline: the guests on it, where they will boot, what breaks and why')
    .argument('<image>', 'disk image (raw, qcow2, vmdk, vhd(x), vdi, ova…)')
    .option('--json', 'machine-readable output (the Inspection facts, or the JSON report with --to)')
    .option('--to <platforms>', 'target platform ids, comma-separated (default: every catalog platform)')
    .option('--format <format>', `report format: ${FORMATS.join(', ')}`)
    .option('-o, --output <file>', 'write the report to a file')
    .option('--vm <descriptor>', 'the source VM\'s descriptor (.vmx, .ovf, .vbox, libvirt XML) as evidence of where it ran')
    .option('--catalog <dir>', 'add a directory of platform files (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--disk <n>', 'which disk of a multi-disk image (OVA), from 0')
    .action(async (image: string, options: InspectOptions) => {
      try {
        const format = options.format;
        if (format !== undefined && !FORMATS.includes(format as Format)) throw new PreconditionError(`unknown --format "${format}" (use ${FORMATS.join(', ')})`);
        const disk = options.disk === undefined ? undefined : Number(options.disk);
        if (disk !== undefined && (!Number.isInteger(disk) || disk < 0)) throw new PreconditionError(`--disk must be a disk index (0, 1, …), not "${options.disk}"`);
        const inspection = await inspectImage({ path: image, ...(disk !== undefined ? { disk } : {}) });
        if (format === undefined && options.to === undefined && options.json) {
          printJson(inspection);
          return;
        }
        const catalog = await loadCatalog({ extraDirs: options.catalog ?? [] });
        const targets = options.to?.split(',').map((t) => t.trim()).filter((t) => t !== '');
        let descriptor: DescriptorEvidence | undefined;
        if (options.vm !== undefined) {
          const description = await readVmDescription(options.vm);
          descriptor = { source: description.source, platformIds: matchDescription(catalog, description).platformIds };
        }
        const report = buildReport({ inspection, catalog, ...(targets !== undefined ? { targets } : {}), ...(descriptor !== undefined ? { descriptor } : {}) });
        const chosen: Format | undefined = (format as Format | undefined) ?? (options.json ? 'json' : undefined);
        if (chosen === undefined) {
          process.stdout.write(summary(report));
          for (const os of report.operatingSystems) {
            printTable(
              report.targets.map((t) => [t.id, ...(['boot-storage', 'network', 'display'] as const).map((fn) => {
                const v = os.verdicts.find((x) => x.platform === t.id && x.function === fn);
                return v === undefined ? '-' : `${verdictLabel(v.verdict, fn)}${v.via !== undefined ? ` (${v.via})` : ''}`;
              })]),
              { header: ['PLATFORM', 'BOOT STORAGE', 'NETWORK', 'DISPLAY'] },
            );
          }
          return;
        }
        const text = chosen === 'json' ? renderJson(report) : chosen === 'md' ? renderMarkdown(report) : chosen === 'html' ? renderHtml(report) : renderInspectorXml(inspection);
        if (options.output !== undefined) await writeFile(options.output, text);
        else process.stdout.write(text);
      } catch (error) {
        process.exitCode = reportError(error, { json: options.json === true || options.format === 'json' });
      }
    });
}
