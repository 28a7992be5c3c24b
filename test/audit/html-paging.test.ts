// fleet.html for a fleet of thousands: 2,400 synthetic lean records (no images: the records
// are made here and fed to the report writer) over every catalog target. The page must stay
// small, render in headless Chromium without console messages, show one page of rows, page
// through the whole set, and filter/sort the whole set (not only the page) with the counts
// following each click. A screenshot is kept for a person to look at.

import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderFleetHtml, sortRecords, summarise, vmFacts, vmId, vmVerdicts, FINGERPRINT_EXTENSION, AUDIT_SCHEMA_VERSION, type OsFingerprintBrief, type VmRecord } from '../../src/audit/index.js';
import { loadCatalog } from '../../src/catalog/index.js';
import type { Finding, VerdictKind } from '../../src/fingerprint/index.js';
import { tempDir } from '../helpers/tools.js';
import { ARTIFACTS, chromium, selfTestLines } from './chromium.js';

const VMS = 2400;
const KINDS: VerdictKind[] = ['boots', 'boots-after-patch', 'cannot-boot', 'unknown'];
const FINDINGS: Finding[] = [
  { id: 'windows-hibernated', severity: 'critical', title: 'Windows is hibernated', evidence: ['hiberfil.sys starts with HIBR'], advice: 'Boot the VM on its current platform and shut it down fully (shutdown /s /t 0) before the move.' },
  { id: 'static-ip', severity: 'warning', title: 'Static IP address on the source NIC', evidence: ['eth0: 10.0.0.5/24'], advice: 'The new NIC gets a new name and no address; re-create the configuration for it or switch to DHCP.' },
  { id: 'no-virtio', severity: 'info', title: 'No virtio drivers', platform: 'kvm', evidence: ['no viostor service'], advice: 'Inject virtio-win drivers before the move.' },
];
const ERRORS = [
  { name: 'CorruptError', code: 'CORRUPT', message: 'L1 table lies outside the file' },
  { name: 'NotFoundError', code: 'NOT_FOUND', message: 'image file not found' },
  { name: 'UnsupportedError', code: 'UNSUPPORTED', message: 'encrypted qcow2 (LUKS) is not supported' },
  { name: 'TimeoutError', code: 'TIMEOUT', message: 'inspection took longer than 300 s' },
];

/** A small deterministic generator (LCG): the same fleet on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function syntheticFleet(targets: string[]): VmRecord[] {
  const next = random(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const records: VmRecord[] = [];
  for (let i = 0; i < VMS; i++) {
    const key = `dc${i % 3}/cluster-${Math.floor(i / 100)}/vm-${String(i).padStart(5, '0')}.vmdk`;
    const roll = next();
    const base = { schemaVersion: AUDIT_SCHEMA_VERSION, id: vmId(key), key, kind: 'image' as const, name: key, targets, sources: [], timing: { durationMs: 1 } };
    // Unique byte counts so a sort by them has one answer.
    const bytesRead = 1_000_000 + i * 977 + Math.floor(next() * 500);
    if (roll < 0.05) {
      const error = pick(ERRORS);
      records.push({ ...base, disks: [{ key, bytesRead: 0, reads: 0, error }], error, bytesRead: 0, virtualSize: 0 });
      continue;
    }
    if (roll < 0.1) {
      records.push({ ...base, disks: [{ key, bytesRead, reads: 3, facts: { volumes: [{ id: 'p1', kind: 'bitlocker', size: 1 << 30, encrypted: true }], operatingSystems: [], warnings: 0 }, fingerprint: [] }], bytesRead, virtualSize: 64 << 30 });
      continue;
    }
    const windows = roll < 0.6;
    const version = windows ? pick(['Windows Server 2019 Datacenter 10.0.17763', 'Windows Server 2016 Standard 10.0.14393', 'Windows 10 Pro 10.0.19045']) : pick(['debian 12', 'ubuntu 22.04', 'rhel 9.3']);
    const hibernated = windows && next() < 0.05;
    const staticIps = next() < 0.2 ? [`10.${i % 250}.0.${(i * 7) % 250}`] : [];
    const print: OsFingerprintBrief = {
      type: windows ? 'windows' : 'linux',
      root: windows ? 'p2' : 'p1',
      name: version,
      builtFor: { platform: 'vmware-esxi', confidence: 'high', evidence: ['vmxnet3 driver installed'] },
      verdicts: targets.flatMap((platform) => (['boot-storage', 'network', 'display'] as const).map((fn) => ({ platform, function: fn, verdict: pick(KINDS), via: `${platform}-${fn}` }))),
      ...(windows ? { activation: { channel: 'volume-gvlk' as const, targets: targets.map((platform) => ({ platform, risk: pick(['low', 'medium', 'high'] as const) })) } } : {}),
      findings: [...(hibernated ? [FINDINGS[0] as Finding] : []), ...(staticIps.length > 0 ? [FINDINGS[1] as Finding] : []), ...(next() < 0.3 ? [FINDINGS[2] as Finding] : [])],
    };
    records.push({
      ...base,
      disks: [{
        key,
        bytesRead,
        reads: 40,
        facts: {
          partitionTable: 'gpt',
          volumes: [{ id: 'p1', kind: windows ? 'ntfs' : 'ext4', size: 60 << 30 }],
          operatingSystems: [{ type: print.type, root: print.root, distro: version, version: version.split(' ').at(-1) as string, hibernated, fastStartup: false, bitlocker: false, staticIps, guestTools: ['vmware'] }],
          warnings: 0,
        },
        fingerprint: [print],
      }],
      bytesRead,
      virtualSize: 64 << 30,
    });
  }
  return sortRecords(records);
}

let work: string;
let records: VmRecord[];
let targets: string[];
let page: string;

beforeAll(async () => {
  const catalog = await loadCatalog();
  targets = catalog.platforms.map((p) => p.id);
  work = tempDir('rehost-audit-html-');
  records = syntheticFleet(targets);
  page = join(work, 'fleet.html');
  writeFileSync(page, renderFleetHtml({ vms: records, summary: summarise(records, [FINGERPRINT_EXTENSION]) }));
});

describe(`fleet.html with ${VMS} VMs`, () => {
  it('stays small: well under a kilobyte per VM over 14 targets', () => {
    const bytes = statSync(page).size;
    expect(bytes / VMS, `${bytes} bytes`).toBeLessThan(1024);
  });

  it('renders one page of rows without console messages; screenshot kept', () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, `fleet-${VMS}.png`);
    const shown = chromium({ flags: ['--window-size=1400,2600', `--screenshot=${shot}`], url: `file://${page}`, profileRoot: work });
    expect(shown.console).toEqual([]);
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    const dom = chromium({ flags: ['--dump-dom'], url: `file://${page}`, profileRoot: work });
    expect(dom.console).toEqual([]);
    expect((dom.stdout.match(/<tr data-id=/g) ?? []).length).toBe(100);
    expect(dom.stdout).toContain(`<span id="shown">${VMS}</span>`);
    expect(dom.stdout).toContain(`<span id="pageno">1 / ${VMS / 100}</span>`);
  }, 120_000);

  it('pages, filters and sorts the whole set on clicks (a test copy drives itself and logs)', () => {
    const kvm = targets.indexOf('kvm');
    const drive = `<script>(function(){
var $=function(id){return document.getElementById(id)};
var rows=function(){return document.querySelectorAll('#vms tbody tr')};
var pick=function(id,v){var s=$(id);s.value=v;s.dispatchEvent(new Event('change'))};
var chip=function(v){var c=document.querySelector('#view-counts [data-verdict="'+v+'"]');return c?c.textContent:'-'};
var log=function(step){var r=rows();console.log('SELFTEST '+step+' rows='+r.length+' shown='+$('shown').textContent+' range='+$('range').textContent+' page='+$('pageno').textContent+' first='+(r[0]?r[0].cells[0].textContent:'-')+' errors='+chip('error'))};
log('start');
$('p-next').click();log('next');
$('p-last').click();log('last');
$('p-prev').click();log('prev');
pick('f-size','250');log('size-250');
pick('f-error','any');log('error-any');
pick('f-error','');pick('f-os','windows');pick('f-target','${kvm}');pick('f-verdict','cannot-boot');log('windows-kvm-cannot-boot');
$('p-last').click();log('filtered-last');
pick('f-os','');pick('f-verdict','');
var ths=document.querySelectorAll('#vms thead th');ths[7].click();ths[7].click();log('bytes-desc');
$('f-search').value='vm-01234';$('f-search').dispatchEvent(new Event('input'));log('search');
rows()[0].querySelector('a').click();console.log('SELFTEST detail '+document.querySelector('#detail h3').firstChild.textContent.trim()+' matrix-rows='+document.querySelectorAll('#detail table.matrix tr').length);
})();</script>`;
    const copy = join(work, 'fleet-selftest.html');
    writeFileSync(copy, readFileSync(page, 'utf8').replace('</body>', `${drive}</body>`));
    const run = chromium({ flags: ['--dump-dom'], url: `file://${copy}`, profileRoot: work });
    expect(run.console.filter((l) => !l.includes('SELFTEST '))).toEqual([]);

    // The expected answers, from the records with the library's own per-VM verdicts.
    const keys = records.map((r) => r.key);
    const errors = records.filter((r) => r.error).length;
    const kvmVerdict = (r: VmRecord): string => vmVerdicts(r, ['kvm'])['kvm'] as string;
    const firstVerdictCount = (verdict: string): number => records.filter((r) => vmVerdicts(r, [targets[0] as string])[targets[0] as string] === verdict).length;
    const blocked = records.filter((r) => vmFacts(r).os === 'windows' && kvmVerdict(r) === 'cannot-boot');
    const blockedErrors = 0;
    const byBytes = [...records].sort((a, b) => b.bytesRead - a.bytesRead);
    const pages = (n: number, size: number): number => Math.max(1, Math.ceil(n / size));
    const lastFrom = (n: number, size: number): number => (pages(n, size) - 1) * size + 1;
    expect(blocked.length).toBeGreaterThan(250);
    expect(selfTestLines(run.console)).toEqual([
      `start rows=100 shown=${VMS} range=1-100 page=1 / 24 first=${keys[0]} errors=error ${firstVerdictCount('error')}`,
      `next rows=100 shown=${VMS} range=101-200 page=2 / 24 first=${keys[100]} errors=error ${errors}`,
      `last rows=100 shown=${VMS} range=2301-2400 page=24 / 24 first=${keys[2300]} errors=error ${errors}`,
      `prev rows=100 shown=${VMS} range=2201-2300 page=23 / 24 first=${keys[2200]} errors=error ${errors}`,
      // A new page size starts again at the first page.
      `size-250 rows=250 shown=${VMS} range=1-250 page=1 / 10 first=${keys[0]} errors=error ${errors}`,
      // The error filter runs over all 2,400 VMs, and the counts line follows it.
      `error-any rows=${Math.min(250, errors)} shown=${errors} range=1-${Math.min(250, errors)} page=1 / ${pages(errors, 250)} first=${records.find((r) => r.error)?.key} errors=error ${errors}`,
      `windows-kvm-cannot-boot rows=250 shown=${blocked.length} range=1-250 page=1 / ${pages(blocked.length, 250)} first=${blocked[0]?.key} errors=error ${blockedErrors}`,
      `filtered-last rows=${blocked.length - lastFrom(blocked.length, 250) + 1} shown=${blocked.length} range=${lastFrom(blocked.length, 250)}-${blocked.length} page=${pages(blocked.length, 250)} / ${pages(blocked.length, 250)} first=${blocked[lastFrom(blocked.length, 250) - 1]?.key} errors=error ${blockedErrors}`,
      `bytes-desc rows=250 shown=${VMS} range=1-250 page=1 / 10 first=${byBytes[0]?.key} errors=error ${errors}`,
      `search rows=1 shown=1 range=1-1 page=1 / 1 first=dc1/cluster-12/vm-01234.vmdk errors=error ${records.find((r) => r.key.includes('vm-01234'))?.error ? 1 : 0}`,
      `detail dc1/cluster-12/vm-01234.vmdk matrix-rows=${records.find((r) => r.key.includes('vm-01234'))?.error ? 0 : targets.length + 1}`,
    ]);
  }, 120_000);
});
