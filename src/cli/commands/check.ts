// `rehost check IMAGE`: the NTFS consistency checker (fixups, MFT bitmap, $MFTMirr, cluster
// bitmap against every run list, index order and targets) on a volume of an image.

import type { Command } from 'commander';
import { openImage } from '../../image/open.js';
import { DiagnosticLog } from '../../diagnostics.js';
import { UnsupportedError } from '../../errors.js';
import { discoverVolumes } from '../../fs/discover.js';
import { chooseVolume } from '../../fs/open.js';
import { checkNtfs } from '../../fs/ntfs/index.js';
import { printJson, reportError } from '../output.js';

export function registerCheckCommands(program: Command): void {
  program
    .command('check')
    .description('check an NTFS volume for consistency (exit 1 when problems are found)')
    .argument('<image>', 'disk image')
    .option('-p, --partition <n>', 'partition number (as in `rehost info`)')
    .option('--json', 'machine-readable output')
    .action(async (path: string, options: { partition?: string; json?: boolean }) => {
      try {
        const diagnostics = new DiagnosticLog();
        const image = await openImage(path, { diagnostics });
        try {
          const { volumes } = await discoverVolumes(image.device, { diagnostics });
          const volume = await chooseVolume(volumes, { select: options.partition, diagnostics });
          if (volume.filesystem.kind !== 'ntfs') {
            throw new UnsupportedError(`rehost check reads NTFS; ${volume.id} holds ${volume.filesystem.kind} (use e2fsck for ext)`, { kind: volume.filesystem.kind });
          }
          const report = await checkNtfs(volume.device);
          if (options.json) printJson({ volume: volume.id, ...report });
          else {
            for (const p of report.problems) process.stdout.write(`${p.code}${p.record !== undefined ? ` record ${p.record}` : ''}: ${p.message}\n`);
            process.stdout.write(`${volume.id}: ${report.problems.length === 0 ? 'clean' : `${report.problems.length} problem(s)`} — ${report.recordsInUse} records, ${report.clustersInUse} clusters in use, ${report.indexEntries} index entries\n`);
          }
          if (report.problems.length > 0) process.exitCode = 1;
        } finally {
          await image.close();
        }
      } catch (error) {
        process.exitCode = reportError(error, options);
      }
    });
}
