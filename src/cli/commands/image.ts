// `rehost info` and `rehost convert`: the image layer from the command line.

import type { Command } from 'commander';
import { openImage } from '../../image/open.js';
import { describeImage } from '../../image/describe.js';
import { writeImageFile } from '../../image/convert.js';
import { DiagnosticLog } from '../../diagnostics.js';
import { discoverVolumes } from '../../fs/discover.js';
import { createProgress, formatBytes } from '../progress.js';
import { printJson, printTable, reportError } from '../output.js';

export function registerImageCommands(program: Command): void {
  program
    .command('info')
    .description('format, sizes, backing chain, partitions and filesystems of a disk image')
    .argument('<image>', 'image file (raw, qcow2, vmdk, vhd, vhdx, vdi, ova)')
    .option('--json', 'machine-readable output')
    .option('-f, --format <name>', 'skip probing and open as this format')
    .option('--disk <n>', 'which disk of an OVA (0-based)', (v) => Number.parseInt(v, 10))
    .action(async (path: string, options: { json?: boolean; format?: string; disk?: number }) => {
      const diagnostics = new DiagnosticLog();
      try {
        const image = await openImage(path, { format: options.format, diagnostics, disk: options.disk });
        try {
          const [top, ...backing] = await describeImage(image);
          if (!top) throw new Error('describeImage returned no layers');
          const volumes = await discoverVolumes(image.device, { diagnostics });
          const result = { ...top, backingChain: backing, partitionTable: volumes.table, volumes: volumes.volumes.map(({ device: _d, ...rest }) => rest), warnings: diagnostics.warnings() };
          if (options.json) printJson(result);
          else printInfo(result);
        } finally {
          await image.close();
        }
      } catch (error) {
        process.exitCode = reportError(error, options);
      }
    });

  program
    .command('convert')
    .description('write the guest disk into a new image in another format')
    .argument('<image>', 'source image')
    .argument('<output>', 'new image file')
    .requiredOption('-O, --output-format <format>', 'raw | qcow2 | vmdk | vhd (vpc) | vhdx')
    .option('--subformat <name>', 'vmdk: monolithicSparse | streamOptimized; vhd: fixed | dynamic; vhdx: dynamic')
    .option('-f, --format <name>', 'source format (default: probed)')
    .option('--disk <n>', 'which disk of an OVA (0-based)', (v) => Number.parseInt(v, 10))
    .option('--json', 'print a JSON summary, no progress bar')
    .action(async (path: string, outputPath: string, options: { outputFormat: string; subformat?: string; format?: string; disk?: number; json?: boolean }) => {
      try {
        const image = await openImage(path, { format: options.format, disk: options.disk });
        const progress = createProgress({ label: 'converting', json: options.json });
        const started = Date.now();
        try {
          await writeImageFile({ source: image.device, outputPath, format: options.outputFormat, subformat: options.subformat, onProgress: (d, t) => progress.update(d, t) });
        } finally {
          progress.finish();
          await image.close();
        }
        if (options.json) printJson({ source: path, output: outputPath, format: options.outputFormat, subformat: options.subformat, virtualSize: image.virtualSize, seconds: (Date.now() - started) / 1000 });
      } catch (error) {
        process.exitCode = reportError(error, options);
      }
    });
}

type InfoResult = Awaited<ReturnType<typeof describeImage>>[number] & {
  backingChain: Awaited<ReturnType<typeof describeImage>>;
  partitionTable: Awaited<ReturnType<typeof discoverVolumes>>['table'];
  volumes: Array<Omit<Awaited<ReturnType<typeof discoverVolumes>>['volumes'][number], 'device'>>;
  warnings: Array<{ message: string }>;
};

function printInfo(info: InfoResult): void {
  const lines: string[][] = [
    ['image:', info.filename],
    ['format:', info.subformat ? `${info.format} (${info.subformat})` : info.format],
    ['virtual size:', `${formatBytes(info.virtualSize)} (${info.virtualSize} bytes)`],
    ['disk size:', formatBytes(info.actualSize)],
  ];
  if (info.backingFilename) lines.push(['backing file:', info.backingFilename]);
  printTable(lines);
  for (const layer of info.backingChain) process.stdout.write(`  backed by ${layer.filename} (${layer.format}, ${formatBytes(layer.virtualSize)})\n`);
  if (info.partitionTable) process.stdout.write(`partition table: ${info.partitionTable.scheme}${info.partitionTable.diskId ? ` (${info.partitionTable.diskId})` : ''}\n`);
  if (info.volumes.length > 0) {
    printTable(
      info.volumes.map((v) => [v.id, String(v.start), formatBytes(v.size), v.type ?? '', v.guid ?? '', v.name ?? '', v.filesystem.kind]),
      { header: ['volume', 'start', 'size', 'type', 'guid', 'name', 'filesystem'] },
    );
  }
  for (const w of info.warnings) process.stderr.write(`warning: ${w.message}\n`);
}
