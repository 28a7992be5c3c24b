// fleet.csv (RFC 4180: CRLF-free LF lines, quotes doubled; the targets each VM needs a patch
// for or cannot move to) and fleet.md (a summary, verdict counts per target, the VMs that need
// a patch or cannot move, and one table row per VM), both from the sorted records and the
// summary only, so they are deterministic.

import { vmFacts } from './facts.js';
import { sortRecords, type FleetSummary } from './summary.js';
import type { VmRecord } from './types.js';
import { fleetVerdicts, recordTargets, vmVerdicts, type FleetVerdicts } from './verdict-summary.js';

export const CSV_COLUMNS = ['id', 'key', 'name', 'kind', 'disks', 'os', 'distros', 'hibernated', 'fast_startup', 'bitlocker', 'encrypted_volumes', 'static_ips', 'guest_tools', 'bytes_read', 'virtual_size', 'error_code', 'error_message', 'needs_patch_on', 'cannot_move_on'] as const;

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function row(vm: VmRecord, targets: readonly string[]): string[] {
  const f = vmFacts(vm);
  const verdicts = vmVerdicts(vm, targets);
  const on = (verdict: string): string => targets.filter((t) => verdicts[t] === verdict).join(' ');
  return [vm.id, vm.key, vm.name, vm.kind, String(vm.disks.length), f.os, f.distros.join('; '), yes(f.hibernated), yes(f.fastStartup), yes(f.bitlocker), yes(f.encryptedVolumes), f.staticIps.join(' '), f.guestTools.join(' '), String(vm.bytesRead), String(vm.virtualSize), vm.error?.code ?? '', vm.error?.message ?? '', on('boots-after-patch'), on('cannot-boot')];
}

const yes = (value: boolean): string => (value ? 'yes' : '');

export function renderCsv(vms: readonly VmRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  const sorted = sortRecords(vms);
  const targets = recordTargets(sorted);
  for (const vm of sorted) lines.push(row(vm, targets).map(csvCell).join(','));
  return lines.join('\n') + '\n';
}

function mdCell(value: string): string {
  return value.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

const RISK_LABELS: Record<string, string> = {
  hibernated: 'Windows hibernated (hiberfil.sys signature)',
  fastStartup: 'Windows Fast Startup on',
  bitlocker: 'BitLocker',
  encryptedVolumes: 'encrypted volumes (BitLocker, LUKS)',
  staticIps: 'static IP addresses',
};

export function renderMarkdown(args: { vms: readonly VmRecord[]; summary: FleetSummary }): string {
  const { summary } = args;
  const out: string[] = ['# Fleet audit', ''];
  out.push(`${summary.vms} VMs, ${summary.disks} disks: ${summary.inspected} inspected, ${summary.failed} failed.`, '');
  const table = (title: string, counts: Record<string, number>): void => {
    out.push(`## ${title}`, '', '| | VMs |', '|---|---:|');
    const entries = Object.entries(counts);
    if (entries.length === 0) out.push('| (none) | 0 |');
    for (const [name, count] of entries) out.push(`| ${mdCell(name)} | ${count} |`);
    out.push('');
  };
  table('Operating systems', summary.byOs);
  table('Distributions and versions', summary.byDistro);
  table('Risks', Object.fromEntries(Object.entries(summary.risks).map(([name, count]) => [RISK_LABELS[name] ?? name, count])));
  table('Guest tools by hypervisor', summary.guestTools);
  table('Errors', summary.byErrorCode);
  const verdicts = (summary.extensions['fingerprint'] as FleetVerdicts | undefined) ?? fleetVerdicts(args.vms);
  if (verdicts.targets.length > 0) {
    const kinds = ['boots', 'boots-after-patch', 'unknown', 'cannot-boot', 'no-os', 'error'];
    out.push('## Verdicts per target platform (VMs)', '', `| target | ${kinds.join(' | ')} |`, `|---|${kinds.map(() => '---:').join('|')}|`);
    for (const t of verdicts.targets) out.push(`| ${mdCell(t)} | ${kinds.map((k) => String(verdicts.byTarget[t]?.[k] ?? 0)).join(' | ')} |`);
    out.push('');
    const list = (title: string, items: FleetVerdicts['needsPatch']): void => {
      out.push(`## ${title}`, '');
      if (items.length === 0) out.push('(none)');
      for (const item of items) out.push(`- ${mdCell(item.key)}: ${item.targets.join(', ')}`);
      out.push('');
    };
    list('VMs that cannot move', verdicts.cannotMove);
    list('VMs that need a patch', verdicts.needsPatch);
  }
  out.push('## VMs', '', '| VM | kind | disks | OS | version | risks | error |', '|---|---|---:|---|---|---|---|');
  for (const vm of sortRecords(args.vms)) {
    const f = vmFacts(vm);
    const risks = [f.hibernated && 'hibernated', f.fastStartup && 'fast startup', f.bitlocker && 'BitLocker', f.encryptedVolumes && 'encrypted volume', f.staticIps.length > 0 && `static IP ${f.staticIps.join(' ')}`].filter(Boolean).join(', ');
    out.push(`| ${mdCell(vm.key)} | ${vm.kind} | ${vm.disks.length} | ${f.os} | ${mdCell(f.distros.join('; '))} | ${mdCell(risks)} | ${mdCell(vm.error ? `${vm.error.code}: ${vm.error.message}` : '')} |`);
  }
  return out.join('\n') + '\n';
}
