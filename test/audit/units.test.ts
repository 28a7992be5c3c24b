// The pure parts of the audit: shard parsing and split, fleet root, keys, CSV quoting, the
// summary's extension point, fleet.html escaping, and the inspection side files (including
// files that must be refused).

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { run, tempDir } from '../helpers/tools.js';
import { inspectionFile, readInspections, writeInspections, commonDirectory, fleetVerdicts, inShard, keyOf, mergeAudits, parseFormats, parseShard, renderCsv, renderFleetHtml, summarise, vmId, vmVerdicts, FINGERPRINT_EXTENSION, type VmRecord } from '../../src/audit/index.js';
import type { FunctionVerdict, OsFingerprint, VerdictKind } from '../../src/fingerprint/index.js';

function record(key: string, extra: Partial<VmRecord> = {}): VmRecord {
  return { schemaVersion: 1, id: vmId(key), key, kind: 'image', name: key, disks: [], bytesRead: 0, virtualSize: 0, sources: [], timing: { durationMs: 1 }, ...extra };
}

describe('shards', () => {
  it('parses I/N and rejects what is not', () => {
    expect(parseShard('0/3')).toEqual({ index: 0, count: 3 });
    expect(parseShard(' 2/3 ')).toEqual({ index: 2, count: 3 });
    for (const bad of ['3/3', '1/0', '-1/3', '1', 'a/b', '1/3/4', '']) expect(() => parseShard(bad), bad).toThrow(/shard/);
  });

  it('splits ids into disjoint shards that cover all', () => {
    const ids = Array.from({ length: 300 }, (_, i) => vmId(`vm-${i}.qcow2`));
    const counts = [0, 1, 2].map((index) => ids.filter((id) => inShard(id, { index, count: 3 })).length);
    expect(counts.reduce((a, b) => a + b)).toBe(300);
    for (const count of counts) expect(count).toBeGreaterThan(60);
  });

  it('keeps ids stable (sha1 of the key)', () => {
    // sha1("a/b.qcow2") from the shell: printf a/b.qcow2 | sha1sum
    expect(vmId('a/b.qcow2')).toBe(run('sh', ['-c', 'printf %s a/b.qcow2 | sha1sum']).slice(0, 16));
    expect(vmId('a/b.qcow2')).toMatch(/^[0-9a-f]{16}$/);
    expect(vmId('a/b.qcow2')).not.toBe(vmId('a/c.qcow2'));
  });
});

describe('paths', () => {
  it('finds the common directory and relative keys', () => {
    expect(commonDirectory(['/srv/fleet/a', '/srv/fleet/b/c'])).toBe('/srv/fleet');
    expect(commonDirectory(['/srv/fleet'])).toBe('/srv/fleet');
    expect(commonDirectory(['/a', '/b'])).toBe('/');
    expect(keyOf('/srv/fleet', '/srv/fleet/x/y.vmdk')).toBe('x/y.vmdk');
  });

  it('parses formats and rejects unknown ones', () => {
    expect(parseFormats('json, csv,md,csv')).toEqual(['json', 'csv', 'md']);
    expect(parseFormats('html,json')).toEqual(['html', 'json']);
    expect(() => parseFormats('json,pdf')).toThrow(/unknown fleet format "pdf"/);
  });
});

describe('fleet files', () => {
  it('quotes CSV cells with commas, quotes and newlines', () => {
    const csv = renderCsv([record('odd,"name"\n.img', { error: { name: 'CorruptError', code: 'CORRUPT', message: 'bad "magic", here' } })]);
    const line = csv.split('\n')[1] ?? '';
    expect(line).toContain('"odd,""name""');
    expect(csv).toContain('"bad ""magic"", here"');
  });

  it('sorts by key and plugs extensions in', () => {
    const summary = summarise([record('b'), record('a', { error: { name: 'X', code: 'CORRUPT', message: 'm' } })], [{ name: 'verdicts', summarise: (vms) => vms.map((v) => v.key) }]);
    expect(summary.extensions).toEqual({ verdicts: ['a', 'b'] });
    expect(summary.byOs).toEqual({ error: 1, none: 1 });
    expect(summary.failures).toEqual([{ id: vmId('a'), key: 'a', code: 'CORRUPT', message: 'm' }]);
  });
});

function printed(key: string, cells: Array<[string, string, VerdictKind]>): VmRecord {
  const verdicts: FunctionVerdict[] = cells.map(([platform, fn, verdict]) => ({ platform, function: fn as FunctionVerdict['function'], verdict, notes: [], devices: [] }));
  const os: OsFingerprint = { type: 'linux', root: '/dev/sda1', name: 'test', builtFor: { confidence: 'none', evidence: [], candidates: [] }, verdicts, findings: [] };
  return record(key, { targets: ['a', 'b'], disks: [{ key, bytesRead: 0, reads: 0, fingerprint: [os] }] });
}

describe('verdicts per VM and per fleet', () => {
  it('takes the worst boot-storage/network verdict, ignores display, and lists patch/blocked VMs', () => {
    const vm = printed('x', [['a', 'boot-storage', 'boots'], ['a', 'network', 'boots-after-patch'], ['a', 'display', 'cannot-boot'], ['b', 'boot-storage', 'unknown'], ['b', 'network', 'cannot-boot']]);
    expect(vmVerdicts(vm, ['a', 'b'])).toEqual({ a: 'boots-after-patch', b: 'cannot-boot' });
    expect(vmVerdicts(record('y'), ['a'])).toEqual({ a: 'no-os' });
    expect(vmVerdicts(record('z', { error: { name: 'E', code: 'CORRUPT', message: 'm' } }), ['a'])).toEqual({ a: 'error' });
    const fleet = fleetVerdicts([vm, record('y')]);
    expect(fleet.targets).toEqual(['a', 'b']);
    expect(fleet.byTarget).toEqual({ a: { 'boots-after-patch': 1, 'no-os': 1 }, b: { 'cannot-boot': 1, 'no-os': 1 } });
    expect(fleet.needsPatch).toEqual([{ id: vm.id, key: 'x', targets: ['a'] }]);
    expect(fleet.cannotMove).toEqual([{ id: vm.id, key: 'x', targets: ['b'] }]);
  });

  it('escapes names in fleet.html', () => {
    const vm = printed('<img src=x onerror=alert(1)>.img', [['a', 'boot-storage', 'boots']]);
    const html = renderFleetHtml({ vms: [vm], summary: summarise([vm], [FINGERPRINT_EXTENSION]) });
    // Names reach the page only inside the JSON data (with '<' and '>' escaped) and through
    // textContent in the script, never as markup.
    expect(html).not.toContain('<img');
    expect(html).toContain('\\u003cimg src=x onerror=alert(1)\\u003e.img');
    // A key that tries to close the data element stays inside it.
    const closing = printed('</script><script>alert(1)</script>.img', [['a', 'boot-storage', 'boots']]);
    const page = renderFleetHtml({ vms: [closing], summary: summarise([closing], [FINGERPRINT_EXTENSION]) });
    expect(page.match(/<\/script>/g)?.length).toBe(2);
    const data = /<script type="application\/json" id="fleet-data">(.*?)<\/script>/s.exec(page)?.[1] ?? '';
    expect(JSON.parse(data).rows[0].k).toBe('</script><script>alert(1)</script>.img');
  });
});

describe('inspection files', () => {
  it('read back what was written, and refuse files that do not fit the record', async () => {
    const dir = tempDir('rehost-audit-units-');
    mkdirSync(join(dir, 'vms'));
    const inspection = { schemaVersion: 1, volumes: [], operatingSystems: [], warnings: [] };
    await writeInspections({ outDir: dir, id: '0123456789abcdef', inspections: [inspection, null] });
    expect(await readInspections({ outDir: dir, id: '0123456789abcdef', disks: 2 })).toEqual([inspection, null]);
    // Another disk count, a missing file, bytes that are not gzip, gzip that is not an array.
    expect(await readInspections({ outDir: dir, id: '0123456789abcdef', disks: 1 })).toBeUndefined();
    expect(await readInspections({ outDir: dir, id: 'fedcba9876543210', disks: 2 })).toBeUndefined();
    writeFileSync(inspectionFile(dir, 'fedcba9876543210'), 'not gzip');
    expect(await readInspections({ outDir: dir, id: 'fedcba9876543210', disks: 2 })).toBeUndefined();
    writeFileSync(inspectionFile(dir, 'fedcba9876543210'), gzipSync('{"a":1}'));
    expect(await readInspections({ outDir: dir, id: 'fedcba9876543210', disks: 1 })).toBeUndefined();
  });
});

describe('deploy/kubernetes/audit-job.yaml', () => {
  it('is an Indexed Job whose completions match the N of --shard, with a merge step', () => {
    const path = new URL('../../deploy/kubernetes/audit-job.yaml', import.meta.url).pathname;
    const docs = JSON.parse(run('python3', ['-c', 'import json,sys,yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))', path])) as Array<Record<string, any>>;
    expect(docs.map((d) => d.kind)).toEqual(['PersistentVolumeClaim', 'Job', 'Job']);
    const shard = docs[1] as Record<string, any>;
    expect(shard.spec.completionMode).toBe('Indexed');
    const args = shard.spec.template.spec.containers[0].args.join(' ') as string;
    const n = Number(/--shard "\$\{JOB_COMPLETION_INDEX\}\/(\d+)"/.exec(args)?.[1]);
    expect(n).toBe(shard.spec.completions);
    const merge = docs[2] as Record<string, any>;
    expect(merge.spec.template.spec.containers[0].args.join(' ')).toContain('rehost audit merge /fleet/out/shard-* -o /fleet/out/merged');
    expect(merge.spec.template.spec.initContainers[0].args.join(' ')).toContain(`-ge ${n}`);
  });
});

describe('merge', () => {
  it('refuses a directory that is not an audit output', async () => {
    const empty = tempDir('rehost-audit-empty-');
    await expect(mergeAudits({ dirs: [empty], outDir: join(empty, 'out') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
