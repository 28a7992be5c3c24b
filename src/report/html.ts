// Self-contained HTML rendering of a Report: one file, inline CSS, no scripts, no network
// resources (so it opens offline and passes a strict CSP). Sections: the compatibility matrix
// (targets × functions, coloured by verdict), built-for, the activation panel, findings with
// their evidence, per-device evidence in <details>, and the facts. Every string from the
// guest is escaped: registry values and file names are attacker-controlled input.

import type { VerdictKind } from '../fingerprint/index.js';
import { verdictLabel } from './markdown.js';
import type { Report, ReportOs } from './report.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
main{padding:16px 24px;max-width:1200px}
section.os{background:#fff;border:1px solid #d8dce3;border-radius:6px;padding:12px 18px;margin-bottom:20px}
h2{font-size:18px;margin:4px 0 8px}h3{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;width:100%;margin:4px 0}th,td{border:1px solid #d8dce3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef0f4}
td.v{font-weight:600;white-space:nowrap}
.boots{background:#c9f0cf;color:#0d4a17}.boots-after-patch{background:#fff0b8;color:#5a4500}
.cannot-boot{background:#f8c6c3;color:#6d0f0a}.unknown{background:#e4e6ea;color:#444}
.risk-low{background:#c9f0cf}.risk-medium{background:#fff0b8}.risk-high{background:#f8c6c3}.risk-info{background:#dbe8fb}
.sev{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;font-weight:700;margin-right:6px}
.sev-critical{background:#b3261e;color:#fff}.sev-warning{background:#e8a200;color:#000}.sev-info{background:#3b6fd6;color:#fff}
ul.ev{margin:2px 0 8px 18px;padding:0;color:#39404d}small{color:#5b6372}
details{margin:2px 0}summary{cursor:pointer}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:3px}
`;

const list = (items: string[]): string => (items.length === 0 ? '' : `<ul class="ev">${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`);

function matrix(os: ReportOs, report: Report): string {
  const fns = ['boot-storage', 'network', 'display'] as const;
  const rows = report.targets.map((t) => {
    const cells = fns.map((fn) => {
      const v = os.verdicts.find((x) => x.platform === t.id && x.function === fn);
      if (v === undefined) return '<td></td>';
      const title = v.devices.find((d) => d.device === v.via)?.evidence.join('; ') ?? '';
      return `<td class="v ${v.verdict}" title="${escapeHtml(title)}">${escapeHtml(verdictLabel(v.verdict, fn))}${v.via !== undefined ? ` <small>${escapeHtml(v.via)}</small>` : ''}</td>`;
    });
    return `<tr><th scope="row">${escapeHtml(t.name)}</th>${cells.join('')}</tr>`;
  });
  return `<table class="matrix"><thead><tr><th>Platform</th><th>Boot storage</th><th>Network</th><th>Display</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function legend(): string {
  const kinds: VerdictKind[] = ['boots', 'boots-after-patch', 'cannot-boot', 'unknown'];
  return `<p class="legend">${kinds.map((k) => `<span class="${k}">${escapeHtml(verdictLabel(k, 'boot-storage'))}</span>`).join('')}</p>`;
}

function osSection(os: ReportOs, report: Report, index: number): string {
  const parts: string[] = [];
  parts.push(`<section class="os" id="os-${index}"><h2>${escapeHtml(os.name)} <small>${escapeHtml(`${os.type}, root ${os.root}${os.hostname !== undefined ? `, ${os.hostname}` : ''}`)}</small></h2>`);
  const bf = os.builtFor;
  parts.push(`<p><strong>Built for:</strong> ${escapeHtml(bf.platform ?? bf.other ?? 'unknown')} <small>(confidence ${escapeHtml(bf.confidence)}${bf.platform !== undefined && bf.other !== undefined ? `; also points at ${escapeHtml(bf.other)}` : ''})</small></p>${list(bf.evidence)}`);
  parts.push('<h3>Compatibility</h3>', legend(), matrix(os, report));
  for (const v of os.verdicts.filter((x) => x.notes.length > 0 && x.function === 'boot-storage' && x.devices.length > 0)) parts.push(`<p><small>${escapeHtml(v.platform)}: ${escapeHtml(v.notes.join('; '))}</small></p>`);
  if (os.activation !== undefined) {
    const a = os.activation;
    parts.push(`<h3>Activation</h3><p>Channel: <strong>${escapeHtml(a.channel)}</strong></p>${list(a.channelEvidence)}`);
    parts.push(
      `<table class="activation"><thead><tr><th>Platform</th><th>Risk</th><th>Why</th><th>Requirements</th></tr></thead><tbody>${a.targets
        .map((t) => `<tr><th scope="row">${escapeHtml(t.platform)}</th><td class="v risk-${t.risk}">${escapeHtml(t.risk)}</td><td>${escapeHtml(t.reasons.join('; '))}</td><td>${escapeHtml(t.requirements.join('; '))}</td></tr>`)
        .join('')}</tbody></table>`,
    );
  }
  parts.push('<h3>Findings</h3>');
  if (os.findings.length === 0) parts.push('<p>None.</p>');
  for (const f of os.findings) {
    parts.push(`<div class="finding"><span class="sev sev-${f.severity}">${escapeHtml(f.severity.toUpperCase())}</span><strong>${escapeHtml(f.title)}</strong>${f.platform !== undefined ? ` <small>target ${escapeHtml(f.platform)}</small>` : ''} <small>${escapeHtml(f.id)}</small>${list(f.evidence)}<p><em>${escapeHtml(f.advice)}</em></p></div>`);
  }
  parts.push('<h3>Evidence per device</h3>');
  for (const v of os.verdicts) {
    const devices = v.devices
      .map((d) => `<li><span class="${d.verdict}">${escapeHtml(verdictLabel(d.verdict, v.function))}</span> ${escapeHtml(d.name)} <small>${escapeHtml(d.device)}${d.default ? ', default' : ''}</small>${list([...d.evidence, ...d.patches.map((p) => `patch: ${p}`)])}</li>`)
      .join('');
    parts.push(`<details><summary>${escapeHtml(`${v.platform} / ${v.function}: ${verdictLabel(v.verdict, v.function)}`)}</summary><ul>${devices}</ul>${list(v.notes)}</details>`);
  }
  parts.push(`<h3>Facts</h3><table class="facts"><tbody>${os.facts.map((f) => `<tr><th scope="row">${escapeHtml(f.name)}</th><td>${escapeHtml(f.value)}</td></tr>`).join('')}</tbody></table></section>`);
  return parts.join('\n');
}

export function renderHtml(report: Report): string {
  const body = report.operatingSystems.length === 0 ? '<p>No operating system found.</p>' : report.operatingSystems.map((os, i) => osSection(os, report, i)).join('\n');
  const warnings = report.warnings.length === 0 ? '' : `<section class="os"><h2>Inspection warnings</h2>${list(report.warnings)}</section>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rehost compatibility report</title><style>${CSS}</style></head>
<body><header><h1>rehost compatibility report</h1></header><main>
${body}
${warnings}
</main></body></html>
`;
}
