// `rehost plan IMAGE --to PLATFORM [--json] [--rules DIR]… [--controller ID]… [--mac NAME=MAC]…
// [--vm DESCRIPTOR] [--catalog DIR]… [--disk N]`: what `rehost apply` would change so that each
// guest on the image boots on the target, and why — the rules that fired, each patch with its
// precondition, and the reasons the move is blocked. Reads the image only; changes nothing.
// Exit codes: 0 a plan (possibly empty) that can be applied; 3 blocked (some rule says
// "cannot"; apply would refuse); 2 an error (bad image, unknown platform, bad rule pack).
// Plans with the very planner `rehost apply` uses (rulesPlanner through planAll, reading the
// guest's volumes read-only), so what plan shows is what apply does — Windows first boot included.

import type { Command } from 'commander';
import { loadCatalog } from '../../catalog/index.js';
import { DiagnosticLog } from '../../diagnostics.js';
import { PreconditionError } from '../../errors.js';
import { discoverVolumes } from '../../fs/discover.js';
import { openImage } from '../../image/open.js';
import { inspectDevice } from '../../inspect/index.js';
import { planAll } from '../../patch/plan-apply.js';
import type { Plan, PlannedPatch } from '../../rules/index.js';
import { printJson, reportError } from '../output.js';
import { collect, parseMacs, plannerFromOptions } from '../planner-options.js';

/** Exit code of `rehost plan` when some rule blocks the move. */
export const PLAN_BLOCKED_EXIT = 3;

interface PlanOptions {
  to?: string;
  json?: boolean;
  rules?: string[];
  controller?: string[];
  mac?: string[];
  vm?: string;
  catalog?: string[];
  disk?: string;
  drivers?: string;
}

/** One line describing a planned patch for a person. */
export function describePlannedPatch(p: PlannedPatch): string {
  switch (p.kind) {
    case 'initramfs-add-modules':
      return `${p.volume}:${p.initramfs}: append ${p.modules.join(', ')} (kernel ${p.kernel}, ${p.generator})`;
    case 'initramfs-config-modules':
      return `${p.volume}:${p.path}: add ${p.modules.join(', ')} (${p.generator})`;
    case 'table-device':
      return `${p.volume}:${p.path} line ${p.line}: ${p.from} → ${p.to}`;
    case 'kernel-arg-device':
      return `${p.volume}:${p.path}: ${p.arg}=${p.from} → ${p.arg}=${p.to}`;
    case 'remove-file':
      return `${p.volume}:${p.path}: remove`;
    case 'pin-nic-name':
      return `${p.volume}:${p.path}: ${p.name} ⇐ ${p.mac} (${p.via})`;
    case 'disable-service':
      return `${p.volume}: disable ${p.service} (${p.via})`;
    case 'windows-install-driver':
      return `${p.volume}: install ${p.service} from ${p.driverSource}${p.inf} (${p.files.map((f) => f.dest).join(', ')}; Services\\${p.service} Start ${p.serviceParams.start}; bind ${p.hardwareIds.join(', ')} via ${p.binding})`;
    case 'windows-service-start':
      return `${p.volume}: Services\\${p.service}: Start=${p.start}${p.clearStartOverride ? ', remove StartOverride' : ''}`;
    case 'registry-values':
      return `${p.volume}: ${p.hive}\\${p.key}: ${p.values.map((v) => `${v.name}=${JSON.stringify(v.data)} (${v.type})`).join(', ')}`;
    case 'copy-file':
      return `${p.volume}:${p.to}: copy of ${p.from}${p.replace === 'absent' ? '' : ' (replacing the file there)'}`;
    case 'bcd-delete-element':
      return `${p.volume}:${p.path}: delete ${p.object}\\Elements\\${p.element}`;
    case 'windows-class-filter-remove':
      return `${p.volume}: Control\\Class\\${p.classGuid}\\${p.list}: remove ${p.filter}`;
    case 'windows-firstboot':
      return `${p.volume}: first-boot runner in Program Files\\rehost (pnputil ${p.pnputil}, ≤${p.maxRetries} retries), ${p.drivers.length} staged driver file(s)`;
    case 'windows-firstboot-script':
      return `${p.volume}: first-boot script ${p.name} (${p.action.type})`;
  }
}

function printPlan(plan: Plan, lines: string[]): void {
  lines.push(`${plan.os} → ${plan.target}: ${plan.patches.length} patch(es), ${plan.blocked.length > 0 ? `BLOCKED by ${plan.blocked.length} rule(s)` : 'not blocked'}`);
  for (const r of plan.results) {
    lines.push(`  [${r.outcome}] ${r.rule} (${r.severity}): ${r.title}`);
    lines.push(`      why: ${r.explanation}`);
    for (const e of r.evidence) lines.push(`      evidence: ${e}`);
    for (const p of r.patches) {
      lines.push(`      patch: ${describePlannedPatch(p)}`);
      lines.push(`        precondition: ${p.precondition}`);
    }
  }
  for (const b of plan.blocked) lines.push(`  cannot: ${b.title}: ${b.explanation}`);
  if (plan.results.length === 0) lines.push('  nothing to do');
}

export function registerPlanCommands(program: Command): void {
  program
    .command('plan')
    .description('show what apply would change for a target platform, and why; changes nothing (exit 3 when blocked)')
    .argument('<image>', 'disk image (raw, qcow2, vmdk, vhd(x), vdi, ova…)')
    .requiredOption('--to <platform>', 'target platform id (see `rehost platforms`)')
    .option('--json', 'print the plans as JSON')
    .option('--rules <dir>', 'add a directory of rule packs (repeatable)', collect)
    .option('--controller <id>', 'plan for this boot-storage device of the target only (repeatable)', collect)
    .option('--mac <name=mac>', 'the MAC of a guest interface, for pinning its name (repeatable)', collect)
    .option('--vm <descriptor>', "the VM's descriptor (.vmx, .ovf, .vbox, libvirt XML), for its NICs' MACs")
    .option('--catalog <dir>', 'add a directory of platform files (repeatable)', collect)
    .option('--disk <n>', 'which disk of a multi-disk image (OVA), from 0')
    .option('--drivers <path>', 'Windows guests: a driver source (directory or ISO such as virtio-win.iso) for the target\'s boot drivers')
    .action(async (image: string, options: PlanOptions) => {
      try {
        const disk = options.disk === undefined ? undefined : Number(options.disk);
        if (disk !== undefined && (!Number.isInteger(disk) || disk < 0)) throw new PreconditionError(`--disk must be a disk index (0, 1, …), not "${options.disk}"`);
        const macs = parseMacs(options.mac ?? []);
        const catalog = await loadCatalog({ extraDirs: options.catalog ?? [] });
        const diagnostics = new DiagnosticLog();
        const planner = await plannerFromOptions(options, { catalog, macs, diagnostics });
        const opened = await openImage(image, { diagnostics, ...(disk !== undefined ? { disk } : {}) });
        let plans: Plan[];
        const skipped: string[] = [];
        let found: number;
        try {
          const { volumes } = await discoverVolumes(opened.device, { diagnostics });
          const inspection = { ...(await inspectDevice({ device: opened.device, diagnostics })), warnings: diagnostics.entries };
          found = inspection.operatingSystems.length;
          const supported = inspection.operatingSystems.filter((os) => {
            if (os.type === 'linux' || os.type === 'windows') return true;
            skipped.push(`${(os as { root: string }).root}: no rules for ${(os as { type: string }).type} guests yet`);
            return false;
          });
          const osPlans = await planAll({ inspection: { ...inspection, operatingSystems: supported }, target: options.to as string, planner, volumes, diagnostics, imageName: image });
          plans = osPlans.map((p) => p.plan);
        } finally {
          await opened.close();
        }
        if (options.json) printJson({ image, target: options.to, plans, skipped });
        else {
          const lines: string[] = [];
          if (found === 0) lines.push('no operating system found');
          for (const plan of plans) printPlan(plan, lines);
          for (const s of skipped) lines.push(s);
          process.stdout.write(lines.join('\n') + '\n');
        }
        if (plans.some((p) => p.blocked.length > 0)) process.exitCode = PLAN_BLOCKED_EXIT;
      } catch (error) {
        process.exitCode = reportError(error, { json: options.json === true });
      }
    });
}
