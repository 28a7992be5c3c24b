// Runs `rehost audit …` from the built dist/ with only the audit commands registered, so the
// tests do not depend on main.ts wiring. Usage: node test/audit/audit-cli.mjs audit ARGS…
import { Command } from 'commander';

const { registerAuditCommands } = await import(new URL('../../dist/cli/commands/audit.js', import.meta.url).href);
const program = new Command().name('rehost');
registerAuditCommands(program);
await program.parseAsync(process.argv);
