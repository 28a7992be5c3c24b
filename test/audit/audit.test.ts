// The fleet audit end to end on a fleet made in the test (test/audit/fleet.ts): every VM once
// with the grouping its descriptor gives, corrupt images as rows with their error, the guest
// found by the worker identical to `inspectImage` alone, sizes as qemu-img reports them,
// --shard over 3 separate processes + merge equal to a single run, and --resume not reading
// finished VMs again.

import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { discoverFleet, inspectVm, runAudit, runPool, vmFacts, vmId, type AuditVm, type VmRecord } from '../../src/audit/index.js';
import { inspectImage } from '../../src/inspect/index.js';
import { run, tempDir } from '../helpers/tools.js';
import { ensureBuilt } from './build.js';
import { buildFleet, type TestFleet } from './fleet.js';

const CLI = new URL('./audit-cli.mjs', import.meta.url).pathname;

let work: string;
let fleet: TestFleet;

beforeAll(() => {
  ensureBuilt();
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
    const result = await runAudit({ sources: [fleet.dir], outDir: out(), jobs: 2 });
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
    for (const file of ['fleet.json', 'fleet.csv', 'fleet.md']) {
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
