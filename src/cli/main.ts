#!/usr/bin/env node
// The `rehost` command: argv → library calls and formatting. No logic lives here.

import { Command } from 'commander';
import { registerImageCommands } from './commands/image.js';
import { registerFileCommands } from './commands/files.js';
import { registerRegCommands } from './commands/reg.js';
import { registerPlatformCommands } from './commands/platforms.js';

// `rehost ls … | head` closes the pipe early; that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command();
program
  .name('rehost')
  .description('Open a VM disk image offline, see what virtual hardware it is wired for, and make it boot elsewhere.')
  .version('0.1.0');

registerImageCommands(program);
registerFileCommands(program);
registerRegCommands(program);
registerPlatformCommands(program);

await program.parseAsync(process.argv);
