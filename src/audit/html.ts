// fleet.html: a self-contained fleet report (no network resource: inline CSS, inline SVG-free
// CSS bars, one inline script). Summary counts with bar charts, a table of VMs sortable by a
// click on a header, filters by OS, by verdict for a chosen target and by error, and one
// anchored drill-down section per VM (verdicts per OS × target × function, activation risk,
// findings, error). Deterministic: built from the sorted records and the summary only.
// Without script the table is still complete and every drill-down is reachable by its link.

import { escapeHtml } from '../report/index.js';
import { vmFacts } from './facts.js';
import { sortRecords, type FleetSummary } from './summary.js';
import { fleetVerdicts, vmActivationRisk, vmVerdicts, type FleetVerdicts } from './verdict-summary.js';
import type { VmRecord } from './types.js';

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

function riskList(vm: VmRecord, activation: Record<string, string>): string[] {
  const f = vmFacts(vm);
  return [f.hibernated && 'hibernated', f.fastStartup && 'fast startup', f.bitlocker && 'BitLocker', f.encryptedVolumes && 'encrypted volume', f.staticIps.length > 0 && `static IP ${f.staticIps.join(' ')}`, Object.values(activation).includes('high') && 'activation high'].filter((x): x is string => typeof x === 'string');
}

function drillDown(vm: VmRecord, targets: readonly string[]): string {
  const parts: string[] = [`<section class="vm" id="vm-${vm.id}"><h3>${e(vm.key)} <a href="#table" class="back">back to table</a></h3>`];
  parts.push(`<p>${e(vm.kind)}, ${vm.disks.length} disk(s)${vm.descriptor ? `, described by ${e(vm.descriptor.key)} (${e(vm.descriptor.description.source)})` : ''}.</p>`);
  if (vm.error) parts.push(`<p class="error">${e(vm.error.code)}: ${e(vm.error.message)}</p>`);
  for (const disk of vm.disks) {
    parts.push(`<h4>${e(disk.key)}${disk.slot ? ` (${e(disk.slot)})` : ''}</h4>`);
    if (disk.error) parts.push(`<p class="error">${e(disk.error.code)}: ${e(disk.error.message)}</p>`);
    if (disk.inspection && (disk.fingerprint ?? []).length === 0) parts.push('<p>No operating system found.</p>');
    for (const os of disk.fingerprint ?? []) {
      parts.push(`<h5>${e(os.name)} (${e(os.type)}, ${e(os.root)})</h5>`);
      parts.push(`<p>Built for: ${e(os.builtFor.platform ?? os.builtFor.other ?? 'unknown')} (confidence ${e(os.builtFor.confidence)})</p>`);
      const head = '<tr><th>target</th><th>boot-storage</th><th>network</th><th>display</th><th>activation</th></tr>';
      const rows = targets.map((t) => {
        const cell = (fn: string): string => {
          const v = os.verdicts.find((x) => x.platform === t && x.function === fn);
          return v ? `<td class="v-${e(v.verdict)}">${e(v.verdict)}${v.via ? ` <small>(${e(v.via)})</small>` : ''}</td>` : '<td>-</td>';
        };
        const risk = os.activation?.targets.find((x) => x.platform === t);
        return `<tr><td>${e(t)}</td>${cell('boot-storage')}${cell('network')}${cell('display')}<td>${risk ? e(risk.risk) : '-'}</td></tr>`;
      });
      parts.push(`<table class="matrix">${head}${rows.join('')}</table>`);
      if (os.findings.length > 0) parts.push(`<ul class="findings">${os.findings.map((f) => `<li class="sev-${e(f.severity)}"><b>${e(f.severity)}</b> ${e(f.title)}${f.platform ? ` [${e(f.platform)}]` : ''}: ${e(f.advice)}</li>`).join('')}</ul>`);
    }
  }
  parts.push('</section>');
  return parts.join('');
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}h1{margin:.2em 0}.counts{display:flex;gap:1em;flex-wrap:wrap}.count{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;min-width:6em}.count b{display:block;font-size:1.6em}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}.chart{min-width:18em}.chart.wide{min-width:36em;flex:1}.bar{display:flex;align-items:center;gap:.5em;margin:2px 0}.label{width:14em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.track{flex:1;background:#eee;height:1.1em;display:flex;min-width:10em}.fill{background:#1565c0;height:100%}.seg{color:#fff;font-size:.75em;text-align:center;overflow:hidden;height:100%}.n{width:3em;text-align:right}.legend{font-size:.85em}.key{margin-right:1em}.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.3em}
.filters{margin:1em 0;display:flex;gap:1em;flex-wrap:wrap}table{border-collapse:collapse}#vms th{cursor:pointer;background:#f0f0f0;user-select:none}#vms th[aria-sort=ascending]::after{content:" \\25B2"}#vms th[aria-sort=descending]::after{content:" \\25BC"}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
.v-boots{background:#e8f5e9}.v-boots-after-patch{background:#fff8e1}.v-cannot-boot{background:#ffebee}.v-unknown,.v-no-os{background:#f5f5f5}.v-error{background:#eceff1}.error{color:#b71c1c}.vm{border-top:1px solid #ccc;margin-top:1em}.back{font-size:.7em;font-weight:normal}.none{color:#777}.sev-critical b{color:#b71c1c}.sev-warning b{color:#e65100}`;

// Sorting and filtering. Verdict cells carry one data-v-<n> attribute per target; the
// verdict column shows the chosen target's. Rows hidden by a filter get the `hidden` attribute.
const SCRIPT = `(function(){
var table=document.getElementById('vms');var body=table.tBodies[0];
var os=document.getElementById('f-os'),target=document.getElementById('f-target'),verdict=document.getElementById('f-verdict'),err=document.getElementById('f-error'),shown=document.getElementById('shown');
function apply(){var t=target.value,n=0;Array.prototype.forEach.call(body.rows,function(r){var v=r.getAttribute('data-v-'+t)||'';var c=r.querySelector('.verdict');c.textContent=v;c.className='verdict v-'+v;
var ok=(os.value===''||r.getAttribute('data-os')===os.value)&&(verdict.value===''||v===verdict.value)&&(err.value===''||(err.value==='none'?r.getAttribute('data-error')==='':err.value==='any'?r.getAttribute('data-error')!=='':r.getAttribute('data-error')===err.value));
if(ok){r.removeAttribute('hidden');n++}else{r.setAttribute('hidden','')}});shown.textContent=String(n);}
[os,target,verdict,err].forEach(function(s){s.addEventListener('change',apply)});
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){th.addEventListener('click',function(){var asc=th.getAttribute('aria-sort')!=='ascending';
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(o){o.removeAttribute('aria-sort')});th.setAttribute('aria-sort',asc?'ascending':'descending');
var num=th.hasAttribute('data-numeric');var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){var x=a.cells[i].getAttribute('data-sort')||a.cells[i].textContent,y=b.cells[i].getAttribute('data-sort')||b.cells[i].textContent;
var d=num?Number(x)-Number(y):(x<y?-1:x>y?1:0);return asc?d:-d});rows.forEach(function(r){body.appendChild(r)});});});
apply();})();`;

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
  const list = (title: string, items: FleetVerdicts['needsPatch']): string => `<h3>${e(title)} (${items.length})</h3>${items.length === 0 ? '<p class="none">none</p>' : `<ul>${items.map((i) => `<li><a href="#vm-${i.id}">${e(i.key)}</a>: ${e(i.targets.join(', '))}</li>`).join('')}</ul>`}`;
  out.push(list('VMs that cannot move', verdicts.cannotMove), list('VMs that need a patch', verdicts.needsPatch));
  out.push('<h2 id="table">VMs</h2><div class="filters">');
  out.push(`<label>OS <select id="f-os">${option('', 'all')}${Object.keys(summary.byOs).map((o) => option(o)).join('')}</select></label>`);
  out.push(`<label>target <select id="f-target">${targets.map((t, i) => option(String(i), t)).join('')}</select></label>`);
  out.push(`<label>verdict <select id="f-verdict">${option('', 'all')}${VERDICTS.map((v) => option(v)).join('')}</select></label>`);
  out.push(`<label>error <select id="f-error">${option('', 'all')}${option('none', 'no error')}${option('any', 'any error')}${Object.keys(summary.byErrorCode).map((c) => option(c)).join('')}</select></label>`);
  out.push(`<span><span id="shown">${vms.length}</span> of ${vms.length} shown</span></div>`);
  out.push('<table id="vms"><thead><tr><th>VM</th><th>kind</th><th data-numeric>disks</th><th>OS</th><th>version</th><th>verdict</th><th>risks</th><th data-numeric>read (bytes)</th><th>error</th></tr></thead><tbody>');
  for (const vm of vms) {
    const f = vmFacts(vm);
    const v = vmVerdicts(vm, targets);
    const first = targets[0] !== undefined ? (v[targets[0]] ?? '') : '';
    const attrs = targets.map((t, i) => ` data-v-${i}="${e(v[t] ?? '')}"`).join('');
    out.push(`<tr data-os="${e(f.os)}" data-error="${e(vm.error?.code ?? '')}"${attrs}><td><a href="#vm-${vm.id}">${e(vm.key)}</a></td><td>${e(vm.kind)}</td><td data-sort="${vm.disks.length}">${vm.disks.length}</td><td>${e(f.os)}</td><td>${e(f.distros.join('; '))}</td><td class="verdict v-${e(first)}">${e(first)}</td><td>${e(riskList(vm, vmActivationRisk(vm, targets)).join(', '))}</td><td data-sort="${vm.bytesRead}">${vm.bytesRead}</td><td>${e(vm.error ? `${vm.error.code}: ${vm.error.message}` : '')}</td></tr>`);
  }
  out.push('</tbody></table><h2>Per VM</h2>');
  for (const vm of vms) out.push(drillDown(vm, targets));
  out.push(`<script>${SCRIPT}</script></body></html>`);
  return out.join('\n') + '\n';
}
