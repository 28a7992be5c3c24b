// The write-side commands.
// `rehost apply IMAGE --to PLATFORM`: plans the guest for the target, refuses before any write
// when the plan is blocked or needs a volume rehost cannot write, applies every patch on an
// overlay, verifies (re-inspect + re-plan must propose nothing), then commits: by default a
// new qcow2 backed by the untouched source (-o OUT.qcow2), a standalone image (-O FORMAT /
// --standalone), or the source itself (--in-place, with an undo journal synced first).
// `rehost undo JOURNAL` restores an image written in place, byte-identically, and verifies it.
// Exit status 3 when the plan is blocked (as `rehost plan`), 2 for any other refusal.
// Test hook: REHOST_TEST_KILL_AT=<stage> (opened, inspected, planned, realized, applied,
// verified, mid-commit, committed) makes the process SIGKILL itself there, so the tests can
// prove a killed apply leaves the source intact and no complete-looking output.

import { writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { loadCatalog, platformById } from '../../catalog/index.js';
import { PreconditionError } from '../../errors.js';
import { writerByName } from '../../image/convert.js';
import type { CommitMode } from '../../patch/commit.js';
import { applyPlan, PlanBlockedError, type ApplyProgress, type PlanApplyResult } from '../../patch/plan-apply.js';
import { undo } from '../../patch/undo-journal.js';
import { printJson, reportError } from '../output.js';
import { collect, parseMacs, plannerFromOptions } from '../planner-options.js';
import { PLAN_BLOCKED_EXIT } from './plan.js';

interface ApplyOptions {
  to: string;
  output?: string;
  outputFormat?: string;
  standalone?: boolean;
  inPlace?: boolean;
  undoJournal?: string;
  rules?: string[];
  catalog?: string[];
  controller?: string[];
  mac?: string[];
  vm?: string;
  drivers?: string;
  json?: boolean;
  journal?: string;
}

/** The output format named by -O, else by the output's extension, else qcow2. */
function outputFormat(options: ApplyOptions, output: string): string {
  if (options.outputFormat !== undefined) return options.outputFormat;
  const ext = extname(output).slice(1).toLowerCase();
  const known: Record<string, string> = { qcow2: 'qcow2', raw: 'raw', img: 'raw', vmdk: 'vmdk', vhd: 'vhd', vpc: 'vhd', vhdx: 'vhdx' };
  return known[ext] ?? 'qcow2';
}

export function commitModeFor(image: string, options: ApplyOptions): CommitMode {
  if (options.inPlace) {
    if (options.output !== undefined || options.standalone || options.outputFormat !== undefined) {
      throw new PreconditionError('--in-place writes the source itself; it takes no -o, -O or --standalone');
    }
    return { mode: 'in-place', ...(options.undoJournal !== undefined ? { journalPath: options.undoJournal } : {}) };
  }
  const output = options.output ?? join(dirname(image), `${basename(image, extname(image))}.${options.to}.qcow2`);
  const format = outputFormat(options, output);
  if (options.standalone || format !== 'qcow2') {
    writerByName(format);
    return { mode: 'standalone', output, format };
  }
  return { mode: 'backed', output };
}

/** The kill hook of the tests: SIGKILL ourselves at a named stage. */
function killHook(): (p: ApplyProgress) => void {
  const at = process.env.REHOST_TEST_KILL_AT;
  if (at === undefined || at === '') return () => {};
  return (p) => {
    const here = p.stage === 'committing' ? (p.done !== undefined && p.total !== undefined && p.done > 0 && p.done < p.total ? 'mid-commit' : '') : p.stage;
    if (here === at) process.kill(process.pid, 'SIGKILL');
  };
}

/** Progress on stderr, only when it is a terminal; `end` finishes the line (before an error). */
function ttyProgress(): { update: (p: ApplyProgress) => void; end: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, end: () => {} };
  let last = '';
  return {
    update: (p) => {
      const line = p.stage === 'committing' && p.total ? `committing ${Math.floor(((p.done ?? 0) * 100) / p.total)}%` : p.stage;
      if (line === last) return;
      last = line;
      process.stderr.write(`\r\x1b[K${line}`);
    },
    end: () => {
      if (last !== '') process.stderr.write('\r\x1b[K');
      last = '';
    },
  };
}

function summary(result: PlanApplyResult): string {
  const lines: string[] = [];
  for (const { root, plan } of result.plans) {
    for (const r of plan.results.filter((x) => x.outcome === 'advice')) lines.push(`${root}: note: ${r.title}: ${r.explanation}`);
  }
  if (result.outcome === 'nothing-to-do') {
    lines.push(`nothing to do: ${result.image} already suits ${result.target}; nothing written`);
    return `${lines.join('\n')}\n`;
  }
  const { journal } = result;
  lines.push(`applied ${journal.patches.length} patch(es) to ${result.image} for ${result.target}:`);
  for (const entry of journal.patches) lines.push(`  ${entry.outcome === 'already' ? '(already) ' : ''}${entry.description}`);
  if (journal.verified) lines.push(`verified: ${journal.verified.files} file(s) read back; re-plan proposes nothing`);
  const c = journal.commit;
  if (c) {
    if (c.mode === 'backed') lines.push(`wrote ${c.output} (qcow2, ${c.changedBytes} changed bytes, backing ${c.backing?.filename} [${c.backing?.format}] untouched)`);
    else if (c.mode === 'standalone') lines.push(`wrote ${c.output} (standalone ${c.format})`);
    else lines.push(`wrote ${c.output} in place (${c.changedBytes} bytes); undo with: rehost undo ${c.journalPath}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON form: plans and the change journal (patch contents are bytes and stay out). */
function jsonResult(result: PlanApplyResult): unknown {
  const { plans, ...rest } = result;
  const base = { ...rest, plans: plans.map((p) => ({ root: p.root, type: p.type, plan: p.plan })) };
  if (result.outcome === 'applied') {
    const { patches: _patches, ...without } = base as typeof base & { patches?: unknown };
    return without;
  }
  return base;
}

export function registerApplyCommands(program: Command): void {
  program
    .command('apply')
    .description('make a guest boot on another platform: plan, apply on an overlay, verify, commit')
    .argument('<image>', 'disk image (raw, qcow2, vmdk, vhd(x), vdi…); opened read-only unless --in-place')
    .requiredOption('--to <platform>', 'target platform id (see `rehost platforms`)')
    .option('-o, --output <file>', 'output image (default IMAGE.<platform>.qcow2, backed by the untouched source)')
    .option('-O, --output-format <format>', 'output format: raw, qcow2, vmdk, vhd, vhdx (a standalone image unless qcow2)')
    .option('--standalone', 'write a full image, not a qcow2 backed by the source')
    .option('--in-place', 'change the source itself (raw or qcow2), writing an undo journal first')
    .option('--undo-journal <file>', 'where --in-place writes its undo journal (default IMAGE.rehost-undo)')
    .option('--rules <dir>', 'add a directory of rule packs (repeatable)', collect)
    .option('--catalog <dir>', 'add a directory of platform files (repeatable)', collect)
    .option('--controller <id>', 'target controller(s) the guest must boot from (repeatable; default: the platform\'s)', collect)
    .option('--mac <name=mac>', 'the MAC the interface NAME has on the target (repeatable)', collect)
    .option('--vm <descriptor>', "the VM's descriptor (.vmx, .ovf, .vbox, libvirt XML), for its NICs' MACs")
    .option('--drivers <path>', 'Windows guests: a driver source (directory or ISO such as virtio-win.iso) for the target\'s boot drivers')
    .option('--json', 'print the plan and the change journal as JSON')
    .option('--journal <file>', 'also write the change journal (JSON) to this file')
    .action(async (image: string, options: ApplyOptions) => {
      let tty: ReturnType<typeof ttyProgress> | undefined;
      try {
        const commit = commitModeFor(image, options);
        const catalog = await loadCatalog({ extraDirs: options.catalog ?? [] });
        platformById(catalog, options.to);
        const planner = await plannerFromOptions(options, { catalog, macs: parseMacs(options.mac ?? []) });
        const kill = killHook();
        tty = options.json ? undefined : ttyProgress();
        const result = await applyPlan({
          imagePath: image,
          target: options.to,
          planner,
          commit,
          onProgress: (p) => {
            tty?.update(p);
            kill(p);
          },
        });
        tty?.end();
        if (options.journal !== undefined) await writeFile(options.journal, `${JSON.stringify(jsonResult(result), null, 2)}\n`);
        if (options.json) printJson(jsonResult(result));
        else process.stdout.write(summary(result));
      } catch (error) {
        tty?.end();
        process.exitCode = reportError(error, options);
        // As `rehost plan`: a move some rule blocks is its own exit status.
        if (error instanceof PlanBlockedError) process.exitCode = PLAN_BLOCKED_EXIT;
      }
    });

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
