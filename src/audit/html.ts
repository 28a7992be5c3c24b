// fleet.html: a self-contained fleet report (no network resource: inline CSS, CSS bars, one
// inline script). Summary counts with bar charts and the VMs that cannot move or need a patch
// are static HTML; the VM table and the per-VM drill-downs (verdicts per OS × target ×
// function, activation risk, findings, error) are rendered by the script from embedded
// compact data (html-data.ts), a page at a time, so a fleet of thousands stays a small file
// and a small DOM. Sort, filters and paging: html-script.ts. Without script the page says
// that fleet.csv holds every row. Deterministic: built from the sorted records and summary.

import { escapeHtml } from '../report/index.js';
import { sortRecords, type FleetSummary } from './summary.js';
import { fleetVerdicts, type FleetVerdicts } from './verdict-summary.js';
import type { VmRecord } from './types.js';
import { htmlData, scriptJson } from './html-data.js';
import { FLEET_SCRIPT } from './html-script.js';

/** The cannot-move and need-a-patch lists show this many VMs; the table filters find the rest. */
export const LIST_LIMIT = 10;
/** Rows per table page: the choices and the default. */
export const PAGE_SIZES = [25, 50, 100, 250, 1000];
export const DEFAULT_PAGE_SIZE = 100;

const e = escapeHtml;
const VERDICTS = ['boots', 'boots-after-patch', 'unknown', 'cannot-boot', 'no-os', 'error'];
const COLOURS: Record<string, string> = { boots: '#2e7d32', 'boots-after-patch': '#f9a825', unknown: '#9e9e9e', 'cannot-boot': '#c62828', 'no-os': '#6d4c41', error: '#37474f' };

function bars(title: string, counts: Record<string, number>, total: number): string {
  const rows = Object.entries(counts);
  const body = rows.length === 0 ? '<p class="none">none</p>' : rows.map(([name, n]) => `<div class="bar"><span class="label">${e(name)}</span><span class="track"><span class="fill" style="width:${total > 0 ? ((100 * n) / total).toFixed(1) : 0}%"></span></span><span class="n">${n}</span></div>`).join('');
  return `<section class="chart"><h3>${e(title)}</h3>${body}</section>`;
}

function stacked(verdicts: FleetVerdicts, total: number): string {
  const rows = verdicts.targets.map((t) => {
    const counts = verdicts.byTarget[t] ?? {};
    const segments = VERDICTS.filter((v) => (counts[v] ?? 0) > 0).map((v) => `<span class="seg" title="${e(v)}: ${counts[v]}" style="width:${((100 * (counts[v] ?? 0)) / Math.max(total, 1)).toFixed(1)}%;background:${COLOURS[v]}">${counts[v]}</span>`).join('');
    return `<div class="bar"><span class="label">${e(t)}</span><span class="track stack">${segments}</span></div>`;
  });
  const legend = VERDICTS.map((v) => `<span class="key"><span class="swatch" style="background:${COLOURS[v]}"></span>${e(v)}</span>`).join('');
  return `<section class="chart wide"><h3>Verdict per target platform (VMs)</h3>${rows.join('') || '<p class="none">no targets</p>'}<p class="legend">${legend}</p></section>`;
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}h1{margin:.2em 0}.counts{display:flex;gap:1em;flex-wrap:wrap}.count{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;min-width:6em}.count b{display:block;font-size:1.6em}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}.chart{min-width:18em}.chart.wide{min-width:36em;flex:1 1 100%}.bar{display:flex;align-items:center;gap:.5em;margin:2px 0}.label{width:14em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.track{flex:1;background:#eee;height:1.1em;display:flex;min-width:10em}.fill{background:#1565c0;height:100%}.seg{color:#fff;font-size:.75em;text-align:center;overflow:hidden;height:100%}.n{width:3em;text-align:right}.legend{font-size:.85em}.key{margin-right:1em}.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.3em}
.filters{margin:1em 0;display:flex;gap:1em;flex-wrap:wrap}table{border-collapse:collapse}#vms th{cursor:pointer;background:#f0f0f0;user-select:none}#vms th[aria-sort=ascending]::after{content:" \\25B2"}#vms th[aria-sort=descending]::after{content:" \\25BC"}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
.v-boots{background:#e8f5e9}.v-boots-after-patch{background:#fff8e1}.v-cannot-boot{background:#ffebee}.v-unknown,.v-no-os{background:#f5f5f5}.v-error{background:#eceff1}.error{color:#b71c1c}.vm{border-top:1px solid #ccc;margin-top:1em}.back{font-size:.7em;font-weight:normal}.none{color:#777}.sev-critical b{color:#b71c1c}.sev-warning b{color:#e65100}
.pager{margin:.6em 0;display:flex;gap:.5em;align-items:center}.chip{display:inline-block;border-radius:3px;padding:0 .4em;margin-right:.4em}#view-counts{margin:.4em 0}`;

export function renderFleetHtml(args: { vms: readonly VmRecord[]; summary: FleetSummary }): string {
  const { summary } = args;
  const vms = sortRecords(args.vms);
  const verdicts = (summary.extensions['fingerprint'] as FleetVerdicts | undefined) ?? fleetVerdicts(vms);
  const targets = verdicts.targets;
  const option = (value: string, label = value): string => `<option value="${e(value)}">${e(label)}</option>`;
  const counts = [['VMs', summary.vms], ['disks', summary.disks], ['inspected', summary.inspected], ['failed', summary.failed], ['need a patch', verdicts.needsPatch.length], ['cannot move', verdicts.cannotMove.length]] as const;
  const out: string[] = [];
  out.push('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">');
  out.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`);
  out.push(`<title>Fleet audit: ${summary.vms} VMs</title><style>${STYLE}</style></head><body>`);
  out.push(`<h1>Fleet audit</h1><div class="counts">${counts.map(([l, n]) => `<div class="count"><b>${n}</b>${e(l)}</div>`).join('')}</div>`);
  out.push('<h2>Summary</h2><div class="charts">');
  out.push(stacked(verdicts, summary.vms));
  out.push(bars('Operating systems', summary.byOs, summary.vms));
  out.push(bars('Risks', { ...summary.risks, activationHigh: verdicts.risks.activationHigh }, summary.vms));
  out.push(bars('Errors', summary.byErrorCode, summary.vms));
  out.push(bars('Findings', verdicts.findings, summary.vms));
  out.push('</div>');
  const list = (title: string, items: FleetVerdicts['needsPatch']): string => {
    const shown = items.slice(0, LIST_LIMIT).map((i) => `<li><a href="#vm-${i.id}">${e(i.key)}</a>: ${e(i.targets.join(', '))}</li>`).join('');
    const more = items.length > LIST_LIMIT ? `<li class="none">and ${items.length - LIST_LIMIT} more: filter the table below by verdict</li>` : '';
    return `<h3>${e(title)} (${items.length})</h3>${items.length === 0 ? '<p class="none">none</p>' : `<ul>${shown}${more}</ul>`}`;
  };
  out.push(list('VMs that cannot move', verdicts.cannotMove), list('VMs that need a patch', verdicts.needsPatch));
  out.push('<h2 id="table">VMs</h2><noscript><p>The table and drill-downs need JavaScript; fleet.csv holds every row and vms/&lt;id&gt;.json every record.</p></noscript><div class="filters">');
  out.push(`<label>OS <select id="f-os">${option('', 'all')}${Object.keys(summary.byOs).map((o) => option(o)).join('')}</select></label>`);
  out.push(`<label>target <select id="f-target">${targets.map((t, i) => option(String(i), t)).join('')}</select></label>`);
  out.push(`<label>verdict <select id="f-verdict">${option('', 'all')}${VERDICTS.map((v) => option(v)).join('')}</select></label>`);
  out.push(`<label>error <select id="f-error">${option('', 'all')}${option('none', 'no error')}${option('any', 'any error')}${Object.keys(summary.byErrorCode).map((c) => option(c)).join('')}</select></label>`);
  out.push('<label>search <input id="f-search" type="search" placeholder="path, version, error"></label>');
  out.push(`<span><span id="shown">${vms.length}</span> of ${vms.length} match</span></div>`);
  out.push('<div id="view-counts"></div>');
  const pager = `<div class="pager"><button id="p-first" type="button">first</button><button id="p-prev" type="button">previous</button><span>rows <span id="range"></span>, page <span id="pageno"></span></span><button id="p-next" type="button">next</button><button id="p-last" type="button">last</button><label>rows per page <select id="f-size">${PAGE_SIZES.map((n) => (n === DEFAULT_PAGE_SIZE ? `<option value="${n}" selected>${n}</option>` : option(String(n)))).join('')}</select></label></div>`;
  out.push(pager);
  out.push('<table id="vms"><thead><tr><th>VM</th><th>kind</th><th>disks</th><th>OS</th><th>version</th><th>verdict</th><th>risks</th><th>read (bytes)</th><th>error</th></tr></thead><tbody></tbody></table>');
  out.push('<section id="detail" hidden></section>');
  out.push(`<script type="application/json" id="fleet-data">${scriptJson(htmlData({ vms, targets }))}</script>`);
  out.push(`<script>${FLEET_SCRIPT}</script></body></html>`);
  return out.join('\n') + '\n';
}
