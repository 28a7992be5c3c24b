// The write-side commands. `rehost undo JOURNAL` restores an image written in place from its
// undo journal, byte-identically, and verifies it. (`plan` and `apply` are wired here later,
// once rules produce patches.)

import type { Command } from 'commander';
import { undo } from '../../patch/undo-journal.js';
import { printJson, reportError } from '../output.js';

export function registerApplyCommands(program: Command): void {
  program
    .command('undo')
    .description('restore an image changed by `rehost apply --in-place` from its undo journal')
    .argument('<journal>', 'the undo journal written next to the image (IMAGE.rehost-undo)')
    .option('--json', 'print the result as JSON')
    .action(async (journalPath: string, options: { json?: boolean }) => {
      try {
        const result = await undo(journalPath);
        if (options.json) printJson(result);
        else process.stdout.write(`restored ${result.image}: ${result.restored} ranges written back, ${result.untouched} already original; verified\n`);
      } catch (error) {
        process.exitCode = reportError(error, options);
      }
    });
}
