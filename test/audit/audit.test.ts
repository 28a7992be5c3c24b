// The fleet audit end to end on a fleet made in the test (test/audit/fleet.ts): every VM once
// with the grouping its descriptor gives, corrupt images as rows with their error, the guest
// found by the worker identical to `inspectImage` alone, sizes as qemu-img reports them,
// --shard over 3 separate processes + merge equal to a single run, and --resume not reading
// finished VMs again.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { discoverFleet, fleetVerdicts, inspectVm, runAudit, runPool, sortRecords, vmFacts, vmId, vmVerdicts, type AuditVm, type FleetVerdicts, type VmRecord } from '../../src/audit/index.js';
import { loadCatalog, type Catalog } from '../../src/catalog/index.js';
import { fingerprint } from '../../src/fingerprint/index.js';
import { inspectImage } from '../../src/inspect/index.js';
import { requireTool, run, tempDir } from '../helpers/tools.js';
import { ensureBuilt } from './build.js';
import { buildFleet, type TestFleet } from './fleet.js';

const CLI = new URL('./audit-cli.mjs', import.meta.url).pathname;

let work: string;
let fleet: TestFleet;
let catalog: Catalog;

beforeAll(async () => {
  ensureBuilt();
  catalog = await loadCatalog();
  work = tempDir('rehost-audit-');
  fleet = buildFleet(work, { windows: true });
}, 60_000);

function cli(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync('node', [CLI, 'audit', ...args], { encoding: 'utf8' });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function cliAsync(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [CLI, 'audit', ...args], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

function readRecords(outDir: string): VmRecord[] {
  return readdirSync(join(outDir, 'vms'))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(outDir, 'vms', name), 'utf8')) as VmRecord);
}

describe('discovery', () => {
  it('finds every VM once, by content, grouped by descriptor', async () => {
    const discovery = await discoverFleet([fleet.dir]);
    expect(discovery.root).toBe(fleet.dir);
    const keys = discovery.vms.map((vm) => vm.key);
    expect(keys).toEqual(Object.keys(fleet.expected).sort());
    for (const vm of discovery.vms) {
      const expected = fleet.expected[vm.key];
      expect(vm.kind, vm.key).toBe(expected?.kind);
      expect(vm.disks.length, vm.key).toBe(expected?.disks);
      expect(vm.id).toBe(vmId(vm.key));
    }
    const web = discovery.vms.find((vm) => vm.key === 'vmx/web.vmx');
    expect(web?.name).toBe('web');
    expect(web?.disks.map((d) => d.path)).toEqual([join(fleet.dir, 'vmx/web-0.vmdk'), join(fleet.dir, 'vmx/web-1.vmdk')]);
    const ova = discovery.vms.find((vm) => vm.key === 'ova/two.ova');
    expect(ova?.disks.map((d) => d.ovaDisk)).toEqual([0, 1]);
  });

  it('gives the same ids through another path to the same fleet', async () => {
    const link = join(work, 'elsewhere');
    symlinkSync(fleet.dir, link);
    const here = await discoverFleet([fleet.dir]);
    const there = await discoverFleet([link]);
    expect(there.vms.map((vm) => [vm.id, vm.key])).toEqual(here.vms.map((vm) => [vm.id, vm.key]));
  });

  it('reads a manifest of paths relative to itself', async () => {
    const manifest = join(work, 'fleet', 'list.txt');
    writeFileSync(manifest, '# an inventory\nlone/debian.qcow2\n\nvmx\nlone/deleted.vmdk\n');
    const discovery = await discoverFleet([manifest]);
    expect(discovery.vms.map((vm) => vm.key)).toEqual(['lone/debian.qcow2', 'lone/deleted.vmdk', 'vmx/gone.vmx', 'vmx/web.vmx']);
    // The entry that is gone is a row with its error, not the end of the run.
    const gone = discovery.vms.find((vm) => vm.key === 'lone/deleted.vmdk');
    const record = await inspectVm({ vm: gone as AuditVm, root: discovery.root });
    expect(record.error?.code).toBe('NOT_FOUND');
  });

  it('fails for a source that does not exist', async () => {
    await expect(discoverFleet([join(work, 'nope')])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('a single run', () => {
  let records: VmRecord[];
  const out = (): string => join(work, 'single');

  beforeAll(async () => {
    const result = await runAudit({ sources: [fleet.dir], outDir: out(), jobs: 2, fingerprint: { catalog, targets: catalog.platforms.map((p) => p.id) } });
    records = result.records;
  }, 60_000);

  it('writes one record per VM with its error or inspection', () => {
    expect(records.map((r) => r.key)).toEqual(Object.keys(fleet.expected).sort());
    expect(readRecords(out()).map((r) => r.key).sort()).toEqual(Object.keys(fleet.expected).sort());
    for (const record of records) {
      const expected = fleet.expected[record.key];
      expect(record.error?.code, record.key).toBe(expected?.error);
      expect(record.disks.length, record.key).toBe(expected?.disks);
      if (expected?.error === undefined) {
        for (const disk of record.disks) {
          expect(disk.inspection?.operatingSystems.map((os) => os.type), `${record.key} ${disk.key}`).toEqual(expected?.os ?? ['linux']);
        }
      }
    }
    expect(records.find((r) => r.key === 'vmx/web.vmx')?.descriptor?.description.source).toBe('vmx');
    expect(records.find((r) => r.key === 'libvirt/db.xml')?.descriptor?.description).toMatchObject({ source: 'libvirt', name: 'db' });
    expect(records.find((r) => r.key === 'vmx/gone.vmx')?.disks.map((d) => [d.key, d.error?.code])).toEqual([['vmx/gone-0.vmdk', 'NOT_FOUND']]);
    expect(records.find((r) => r.key === 'ova/two.ova')?.descriptor?.description.disks.length).toBe(2);
  });

  it('finds what inspectImage finds alone, and the sizes qemu-img reports', async () => {
    const alone = await inspectImage({ path: join(fleet.dir, 'lone/debian.vhdx'), initramfs: 'skip' });
    const record = records.find((r) => r.key === 'lone/debian.vhdx');
    expect(record?.disks[0]?.inspection).toEqual(JSON.parse(JSON.stringify(alone)));
    for (const record of records.filter((r) => !r.error && r.kind === 'image')) {
      const info = JSON.parse(run('qemu-img', ['info', '--output=json', join(fleet.dir, record.key)])) as { 'virtual-size': number };
      expect(record.virtualSize, record.key).toBe(info['virtual-size']);
    }
  });

  it('reads well under 2% of each Linux image, and little more than the hives of a Windows one', () => {
    for (const record of records.filter((r) => !r.error)) {
      expect(record.bytesRead, record.key).toBeGreaterThan(0);
      const limit = fleet.expected[record.key]?.maxBytesRead;
      if (limit !== undefined) expect(record.bytesRead, record.key).toBeLessThan(limit);
      else expect(record.bytesRead / record.virtualSize, record.key).toBeLessThan(0.02);
    }
  });

  it('counts the risks the Windows inspections show', async () => {
    const facts = (key: string) => vmFacts(records.find((r) => r.key === key) as VmRecord);
    expect(facts('windows/win7.qcow2')).toMatchObject({ os: 'windows', distros: ['Windows 7 Professional 6.1.7601'], hibernated: false, bitlocker: false, guestTools: ['vmware'] });
    // The win7 corpus SYSTEM hive holds two interfaces with DHCP off and fixed addresses.
    const alone = await inspectImage({ path: join(fleet.dir, 'windows/win7.qcow2') });
    const windows = alone.operatingSystems[0];
    const fixed = windows?.type === 'windows' ? windows.facts.network.flatMap((a) => (a.tcpip?.dhcp === false ? a.tcpip.ipAddresses : [])) : [];
    expect(facts('windows/win7.qcow2').staticIps).toEqual([...new Set(fixed)].sort());
    expect(fixed.length).toBeGreaterThan(0);
    expect(facts('windows/win10-hibernated.vhdx')).toMatchObject({ os: 'windows', hibernated: true });
    expect(facts('windows/bitlocker.img')).toMatchObject({ os: 'none', bitlocker: true, encryptedVolumes: true });
  });

  it('summarises per OS, distro and error', () => {
    const summary = JSON.parse(readFileSync(join(out(), 'fleet.json'), 'utf8'));
    expect(summary.vms).toBe(14);
    expect(summary.disks).toBe(17);
    expect(summary.byOs).toEqual({ error: 4, linux: 7, none: 1, windows: 2 });
    expect(summary.byDistro).toEqual({ 'Windows 10 Pro 10.0.16299': 1, 'Windows 7 Professional 6.1.7601': 1, 'debian 12': 7 });
    expect(summary.risks).toMatchObject({ hibernated: 1, bitlocker: 1, encryptedVolumes: 1, staticIps: 1 });
    expect(summary.guestTools).toEqual({ vmware: 2 });
    expect(summary.byErrorCode).toEqual({ CORRUPT: 2, NOT_FOUND: 2 });
    expect(summary.failures.map((f: { key: string }) => f.key)).toEqual(['bad/orphan.qcow2', 'bad/random.qcow2', 'bad/truncated.qcow2', 'vmx/gone.vmx']);
    const csv = readFileSync(join(out(), 'fleet.csv'), 'utf8').trimEnd().split('\n');
    expect(csv.length).toBe(15);
    expect(csv[0]?.startsWith('id,key,name,kind,disks,os')).toBe(true);
    const md = readFileSync(join(out(), 'fleet.md'), 'utf8');
    expect(md).toContain('| vmx/web.vmx | descriptor | 2 | linux | debian 12 |');
  });
});

describe('verdicts (fingerprint against every catalog platform)', () => {
  const out = (): string => join(work, 'single');
  const targets = (): string[] => catalog.platforms.map((p) => p.id);
  const records = (): VmRecord[] => sortRecords(readRecords(out()));

  it('gives each VM the fingerprint inspect alone gives', async () => {
    for (const key of ['lone/debian.vhdx', 'windows/win7.qcow2']) {
      const alone = await inspectImage({ path: join(fleet.dir, key), initramfs: 'skip' });
      const expected = fingerprint({ inspection: alone, catalog, targets: targets() });
      const record = records().find((r) => r.key === key);
      expect(record?.targets).toEqual(targets());
      expect(record?.disks[0]?.fingerprint, key).toEqual(JSON.parse(JSON.stringify(expected)));
      expect(expected[0]?.verdicts.length).toBe(targets().length * 3);
    }
    // Every inspected disk has one fingerprint per OS; failed disks have none.
    for (const record of records()) {
      for (const disk of record.disks) {
        expect(disk.fingerprint?.length, `${record.key} ${disk.key}`).toBe(disk.inspection?.operatingSystems.length);
      }
    }
  });

  it('counts every VM once per target in fleet.json', () => {
    const summary = JSON.parse(readFileSync(join(out(), 'fleet.json'), 'utf8'));
    const section = summary.extensions.fingerprint as FleetVerdicts;
    expect(section).toEqual(JSON.parse(JSON.stringify(fleetVerdicts(records()))));
    expect(section.targets).toEqual(targets());
    for (const target of targets()) {
      const counts = section.byTarget[target] ?? {};
      expect(Object.values(counts).reduce((a, b) => a + b, 0), target).toBe(14);
      expect(counts['error'], target).toBe(4);
      expect(counts['no-os'], target).toBe(1);
      // Recount from each record's own verdicts.
      const recount: Record<string, number> = {};
      for (const r of records()) {
        const v = vmVerdicts(r, [target])[target] as string;
        recount[v] = (recount[v] ?? 0) + 1;
      }
      expect(counts, target).toEqual(recount);
      for (const [os, table] of Object.entries(section.byOs)) expect(Object.values(table[target] ?? {}).reduce((a, b) => a + b, 0), `${os} ${target}`).toBe(summary.byOs[os]);
    }
    // The seven VMs holding debian-mini (qcow2, vhdx, raw, vmdk, OVA, libvirt…) get one verdict
    // per target whatever the container; its kernel ships no modules, so KVM's virtio is absent.
    const debian = records().filter((r) => vmFacts(r).os === 'linux').map((r) => vmVerdicts(r, targets()));
    expect(debian.length).toBe(7);
    for (const v of debian) expect(v).toEqual(debian[0]);
    expect(debian[0]?.['kvm']).toBe('cannot-boot');
    const patch = records().filter((r) => Object.values(vmVerdicts(r, targets())).includes('boots-after-patch')).map((r) => r.key);
    expect(section.needsPatch.map((v) => v.key)).toEqual(patch);
    const blocked = records().filter((r) => Object.values(vmVerdicts(r, targets())).includes('cannot-boot')).map((r) => r.key);
    expect(section.cannotMove.map((v) => v.key)).toEqual(blocked);
    // Windows activation risk is counted for the two Windows VMs on every target.
    for (const target of targets()) expect(Object.values(section.activationRisk[target] ?? {}).reduce((a, b) => a + b, 0), target).toBe(2);
    expect(section.risks).toMatchObject({ hibernated: 1, bitlocker: 1, staticIps: 1 });
    const md = readFileSync(join(out(), 'fleet.md'), 'utf8');
    expect(md).toContain('## Verdicts per target platform (VMs)');
    const kvm = section.byTarget['kvm'] ?? {};
    expect(md).toContain(`| kvm | ${['boots', 'boots-after-patch', 'unknown', 'cannot-boot', 'no-os', 'error'].map((k) => kvm[k] ?? 0).join(' | ')} |`);
    const csv = readFileSync(join(out(), 'fleet.csv'), 'utf8').split('\n');
    const win7 = section.cannotMove.find((v) => v.key === 'windows/win7.qcow2');
    expect(win7?.targets.length).toBeGreaterThan(0);
    expect(csv.find((l) => l.includes(',windows/win7.qcow2,'))?.endsWith(`,${win7?.targets.join(' ')}`)).toBe(true);
  });

  it('--to limits the targets and rejects an unknown platform', () => {
    const dir = join(work, 'cli-to');
    const ok = cli([join(fleet.dir, 'lone'), '-o', dir, '--to', 'kvm,azure', '--format', 'json']);
    expect(ok.status, ok.stderr).toBe(0);
    const section = JSON.parse(readFileSync(join(dir, 'fleet.json'), 'utf8')).extensions.fingerprint as FleetVerdicts;
    expect(section.targets).toEqual(['kvm', 'azure']);
    expect(Object.keys(section.byTarget)).toEqual(['kvm', 'azure']);
    const bad = cli([join(fleet.dir, 'lone'), '-o', join(work, 'cli-to-bad'), '--to', 'mainframe']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('no platform "mainframe"');
  });
});

describe('fleet.html in headless chromium', () => {
  const ARTIFACTS = new URL('../../test-artifacts/audit/', import.meta.url).pathname;
  const page = (): string => join(work, 'single', 'fleet.html');

  function chromium(args: string[], file: string): { stdout: string; console: string[] } {
    const profile = join(work, `chromium-${Math.random().toString(36).slice(2)}`);
    const result = spawnSync('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', ...args, `file://${file}`], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    if (result.status !== 0) throw new Error(`chromium exited ${result.status}: ${result.stderr}`);
    return { stdout: result.stdout, console: result.stderr.split('\n').filter((l) => /CONSOLE/.test(l)) };
  }

  it('is self-contained and renders without console messages; screenshot kept', () => {
    requireTool('chromium');
    const html = readFileSync(page(), 'utf8');
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link|@import|url\(|<img|<iframe/i);
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'fleet.png');
    const shown = chromium(['--window-size=1400,2000', `--screenshot=${shot}`], page());
    expect(shown.console).toEqual([]);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    // The Windows 7 drill-down alone (everything else hidden by a test-only style), for a person to look at.
    const win7 = join(work, 'fleet-win7.html');
    writeFileSync(win7, html.replace('</head>', `<style>body > *:not(#vm-${vmId('windows/win7.qcow2')}){display:none}</style></head>`));
    const drill = join(ARTIFACTS, 'fleet-win7-drilldown.png');
    expect(chromium(['--window-size=1200,1000', `--screenshot=${drill}`], win7).console).toEqual([]);
    expect(statSync(drill).size).toBeGreaterThan(20_000);
    const dom = chromium(['--dump-dom'], page());
    expect(dom.console).toEqual([]);
    // The script ran (it fills the verdict column) and every VM has a row and a drill-down.
    expect(dom.stdout).toContain('<span id="shown">14</span>');
    for (const r of readRecords(join(work, 'single'))) {
      expect(dom.stdout).toContain(`href="#vm-${r.id}"`);
      expect(dom.stdout).toContain(`id="vm-${r.id}"`);
    }
  }, 60_000);

  it('a console check catches an error (control)', () => {
    const control = join(work, 'control.html');
    writeFileSync(control, '<!DOCTYPE html><html><body><script>console.error("control error")</script></body></html>');
    expect(chromium(['--dump-dom'], control).console.join('\n')).toMatch(/control error/);
  }, 60_000);

  it('filters and sorts on clicks (a test copy of the page drives itself and logs)', () => {
    const kvm = catalog.platforms.findIndex((p) => p.id === 'kvm');
    // Runs after the page's own script: picks filters as a user would, clicks headers, and
    // logs the visible rows after each step.
    const drive = `<script>(function(){
var rows=function(){return Array.prototype.filter.call(document.querySelectorAll('#vms tbody tr'),function(r){return !r.hidden})};
var pick=function(id,v){var s=document.getElementById(id);s.value=v;s.dispatchEvent(new Event('change'))};
var log=function(step){var r=rows();console.log('SELFTEST '+step+' '+r.length+' '+document.getElementById('shown').textContent+' '+(r[0]?r[0].cells[0].textContent:'-'))};
log('start');
pick('f-error','CORRUPT');log('error-corrupt');
pick('f-error','any');log('error-any');
pick('f-error','');pick('f-os','windows');log('os-windows');
pick('f-os','');pick('f-target','${kvm}');pick('f-verdict','cannot-boot');log('kvm-cannot-boot');
pick('f-verdict','no-os');log('kvm-no-os');
pick('f-verdict','');
var vm=document.querySelector('#vms thead th');vm.click();log('sort-asc');vm.click();log('sort-desc');
document.querySelectorAll('#vms thead th')[2].click();document.querySelectorAll('#vms thead th')[2].click();log('disks-desc');
})();</script>`;
    const copy = join(work, 'fleet-selftest.html');
    writeFileSync(copy, readFileSync(page(), 'utf8').replace('</body>', `${drive}</body>`));
    const lines = chromium(['--dump-dom'], copy).console.map((l) => /SELFTEST (.*?)"/.exec(l)?.[1] ?? l);
    const keys = Object.keys(fleet.expected).sort();
    expect(lines).toEqual([
      `start 14 14 ${keys[0]}`,
      'error-corrupt 2 2 bad/random.qcow2',
      'error-any 4 4 bad/orphan.qcow2',
      'os-windows 2 2 windows/win10-hibernated.vhdx',
      'kvm-cannot-boot 7 7 libvirt/db.xml',
      'kvm-no-os 1 1 windows/bitlocker.img',
      `sort-asc 14 14 ${keys[0]}`,
      `sort-desc 14 14 ${keys[keys.length - 1]}`,
      expect.stringMatching(/^disks-desc 14 14 (ova\/two\.ova|vmx\/web\.vmx|libvirt\/db\.xml)$/),
    ]);
  }, 60_000);
});

describe('shards and resume (separate processes)', () => {
  it('3 shards merged equal a single run, byte for byte apart from timing', async () => {
    const single = join(work, 'cli-single');
    expect(cli([fleet.dir, '-o', single, '--jobs', '2']).status).toBe(0);
    const shards = [0, 1, 2].map((i) => join(work, `shard-${i}`));
    const codes = await Promise.all(shards.map((dir, i) => cliAsync([fleet.dir, '-o', dir, '--jobs', '1', '--shard', `${i}/3`])));
    expect(codes).toEqual([0, 0, 0]);
    const shardKeys = shards.map((dir) => readRecords(dir).map((r) => r.key));
    expect(shardKeys.flat().sort()).toEqual(Object.keys(fleet.expected).sort());
    expect(shardKeys.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);

    const merged = join(work, 'merged');
    const merge = spawnSync('node', [CLI, 'audit', 'merge', ...shards, '-o', merged], { encoding: 'utf8' });
    expect(merge.status, merge.stderr).toBe(0);
    for (const file of ['fleet.json', 'fleet.csv', 'fleet.md', 'fleet.html']) {
      expect(readFileSync(join(merged, file)).equals(readFileSync(join(single, file))), file).toBe(true);
    }
    expect(readdirSync(join(merged, 'vms')).sort()).toEqual(readdirSync(join(single, 'vms')).sort());
    const strip = (r: VmRecord): unknown => ({ ...r, timing: undefined });
    expect(readRecords(merged).map(strip)).toEqual(readRecords(single).map(strip));
  }, 60_000);

  it('--resume reads no finished VM again, and re-reads a changed one', () => {
    const dir = join(work, 'cli-resume');
    expect(cli([fleet.dir, '-o', dir]).status).toBe(0);
    const before = new Map(readdirSync(join(dir, 'vms')).map((n) => [n, statSync(join(dir, 'vms', n)).mtimeMs]));

    const again = cli([fleet.dir, '-o', dir, '--resume', '--json']);
    expect(again.status, again.stderr).toBe(0);
    // In a pipe: no progress line.
    expect(again.stderr).toBe('');
    const stats = JSON.parse(again.stdout).run;
    expect(stats).toMatchObject({ vms: 14, inspected: 0, resumed: 14, bytesRead: 0 });
    for (const [name, mtime] of before) expect(statSync(join(dir, 'vms', name)).mtimeMs, name).toBe(mtime);

    const changed = join(fleet.dir, 'lone/debian.vhdx');
    const later = new Date(Date.now() + 5000);
    utimesSync(changed, later, later);
    const third = JSON.parse(cli([fleet.dir, '-o', dir, '--resume', '--json']).stdout).run;
    expect(third).toMatchObject({ vms: 14, inspected: 1, resumed: 13 });
    expect(third.bytesRead).toBeGreaterThan(0);
    const vhdx = vmId('lone/debian.vhdx');
    for (const [name, mtime] of before) {
      if (name === `${vhdx}.json`) expect(statSync(join(dir, 'vms', name)).mtimeMs).not.toBe(mtime);
      else expect(statSync(join(dir, 'vms', name)).mtimeMs, name).toBe(mtime);
    }

    // A row that timed out says nothing about its image: --resume tries it again.
    const qcow2 = join(dir, 'vms', `${vmId('lone/debian.qcow2')}.json`);
    const timedOut = JSON.parse(readFileSync(qcow2, 'utf8')) as VmRecord;
    writeFileSync(qcow2, JSON.stringify({ ...timedOut, disks: [], error: { name: 'TimeoutError', code: 'TIMEOUT', message: 'slow' } }));
    const fourth = JSON.parse(cli([fleet.dir, '-o', dir, '--resume', '--json']).stdout).run;
    expect(fourth).toMatchObject({ vms: 14, inspected: 1, resumed: 13 });
    expect((JSON.parse(readFileSync(qcow2, 'utf8')) as VmRecord).error).toBeUndefined();

    // Other --to on --resume: nothing is read again, every record is re-fingerprinted.
    const fifth = cli([fleet.dir, '-o', dir, '--resume', '--to', 'kvm', '--json']);
    expect(JSON.parse(fifth.stdout).run).toMatchObject({ vms: 14, inspected: 0, resumed: 14, bytesRead: 0 });
    expect(new Set(readRecords(dir).map((r) => (r.targets ?? []).join(',')))).toEqual(new Set(['kvm']));
    expect(JSON.parse(readFileSync(join(dir, 'fleet.json'), 'utf8')).extensions.fingerprint.targets).toEqual(['kvm']);
  }, 60_000);

  it('rejects a bad --shard and reports it without a stack', () => {
    const bad = cli([fleet.dir, '-o', join(work, 'bad-shard'), '--shard', '3/3']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('shard 3/3 is out of range');
  });
});

describe('the pool', () => {
  it('turns a VM past its time limit into a TIMEOUT row and goes on', async () => {
    const discovery = await discoverFleet([join(fleet.dir, 'lone')]);
    const records: VmRecord[] = [];
    await runPool({ vms: discovery.vms, root: discovery.root, jobs: 1, timeoutSeconds: 0.001, onRecord: (r) => void records.push(r) });
    expect(records.map((r) => r.error?.code)).toEqual(discovery.vms.map(() => 'TIMEOUT'));
    expect(records[0]?.sources.length).toBe(1);
  });
});
