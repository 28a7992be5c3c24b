#!/usr/bin/env node
// The `rehost` command: argv → library calls and formatting. No logic lives here. Only the
// module of the command being run is loaded (all of them for help), which keeps start-up
// short for quick commands such as `rehost ls` on a large fleet.

import { Command } from 'commander';

type Registrar = (program: Command) => void;

const COMMANDS: Record<string, () => Promise<Registrar>> = {
  info: async () => (await import('./commands/image.js')).registerImageCommands,
  convert: async () => (await import('./commands/image.js')).registerImageCommands,
  ls: async () => (await import('./commands/files.js')).registerFileCommands,
  cat: async () => (await import('./commands/files.js')).registerFileCommands,
  reg: async () => (await import('./commands/reg.js')).registerRegCommands,
  platforms: async () => (await import('./commands/platforms.js')).registerPlatformCommands,
  check: async () => (await import('./commands/check.js')).registerCheckCommands,
  inspect: async () => (await import('./commands/inspect.js')).registerInspectCommands,
  undo: async () => (await import('./commands/apply.js')).registerApplyCommands,
  apply: async () => (await import('./commands/apply.js')).registerApplyCommands,
  audit: async () => (await import('./commands/audit.js')).registerAuditCommands,
  plan: async () => (await import('./commands/plan.js')).registerPlanCommands,
  'copy-in': async () => (await import('./commands/guest-write.js')).registerGuestWriteCommands,
  mkdir: async () => (await import('./commands/guest-write.js')).registerGuestWriteCommands,
  rm: async () => (await import('./commands/guest-write.js')).registerGuestWriteCommands,
};

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

const named = COMMANDS[process.argv[2] ?? ''];
const registrars = named ? [await named()] : [...new Set(await Promise.all(Object.values(COMMANDS).map((load) => load())))];
for (const register of registrars) register(program);

await program.parseAsync(process.argv);
