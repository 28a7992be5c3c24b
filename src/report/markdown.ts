// Markdown rendering of a Report, for tickets: a matrix of targets × functions, built-for,
// activation per target, findings with evidence, then the facts. GitHub-flavoured tables;
// cell text has its pipes escaped so evidence strings cannot break a table.

import type { VerdictFunction, VerdictKind } from '../fingerprint/index.js';
import type { Report, ReportOs } from './report.js';

export const VERDICT_LABEL: Record<VerdictKind, string> = {
  boots: 'boots',
  'boots-after-patch': 'after patch',
  'cannot-boot': 'cannot boot',
  unknown: 'unknown',
};

/** Network and display do not "boot": the same verdicts read as driver availability. */
export function verdictLabel(verdict: VerdictKind, fn: VerdictFunction): string {
  if (fn === 'boot-storage') return VERDICT_LABEL[verdict];
  return verdict === 'boots' ? 'works' : verdict === 'cannot-boot' ? 'no driver' : VERDICT_LABEL[verdict];
}

const cell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');

function osSection(os: ReportOs, report: Report): string[] {
  const lines: string[] = [];
  lines.push(`## ${os.name} (${os.type}, root ${os.root})`, '');
  const bf = os.builtFor;
  lines.push(`**Built for:** ${bf.platform ?? bf.other ?? 'unknown'} (confidence ${bf.confidence})${bf.platform !== undefined && bf.other !== undefined ? `; also points at ${bf.other}` : ''}`);
  for (const e of bf.evidence) lines.push(`- ${e}`);
  lines.push('');
  lines.push('### Compatibility', '', '| Platform | Boot storage | Network | Display |', '|---|---|---|---|');
  for (const t of report.targets) {
    const row = ['boot-storage', 'network', 'display'].map((fn) => {
      const v = os.verdicts.find((x) => x.platform === t.id && x.function === fn);
      return v === undefined ? '' : `${verdictLabel(v.verdict, v.function)}${v.via !== undefined ? ` (${v.via})` : ''}`;
    });
    lines.push(`| ${cell(t.name)} | ${row.map(cell).join(' | ')} |`);
  }
  lines.push('');
  if (os.activation !== undefined) {
    lines.push('### Activation', '', `Channel: **${os.activation.channel}**${os.activation.channelEvidence.length > 0 ? ` (${os.activation.channelEvidence.join('; ')})` : ''}`, '');
    lines.push('| Platform | Risk | Why | Requirements |', '|---|---|---|---|');
    for (const r of os.activation.targets) lines.push(`| ${cell(r.platform)} | ${r.risk} | ${cell(r.reasons.join('; '))} | ${cell(r.requirements.join('; '))} |`);
    lines.push('');
  }
  lines.push('### Findings', '');
  if (os.findings.length === 0) lines.push('None.');
  for (const f of os.findings) {
    lines.push(`- **${f.severity.toUpperCase()}** ${f.title}${f.platform !== undefined ? ` — target ${f.platform}` : ''} (\`${f.id}\`)`);
    for (const e of f.evidence) lines.push(`  - ${e}`);
    lines.push(`  - _${f.advice}_`);
  }
  lines.push('', '### Evidence per device', '');
  for (const v of os.verdicts) {
    lines.push(`<details><summary>${v.platform} / ${v.function}: ${verdictLabel(v.verdict, v.function)}</summary>`, '');
    for (const d of v.devices) {
      lines.push(`- ${d.name} (\`${d.device}\`${d.default ? ', default' : ''}): **${verdictLabel(d.verdict, v.function)}**`);
      for (const e of d.evidence) lines.push(`  - ${e}`);
      for (const p of d.patches) lines.push(`  - patch: ${p}`);
    }
    for (const n of v.notes) lines.push(`- ${n}`);
    lines.push('', '</details>', '');
  }
  lines.push('### Facts', '', '| Fact | Value |', '|---|---|');
  for (const f of os.facts) lines.push(`| ${cell(f.name)} | ${cell(f.value)} |`);
  lines.push('');
  return lines;
}

export function renderMarkdown(report: Report): string {
  const lines = ['# rehost compatibility report', ''];
  if (report.operatingSystems.length === 0) lines.push('No operating system found.', '');
  for (const os of report.operatingSystems) lines.push(...osSection(os, report));
  if (report.warnings.length > 0) {
    lines.push('## Inspection warnings', '');
    for (const w of report.warnings) lines.push(`- ${w}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
