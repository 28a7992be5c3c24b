// The pure parts of the audit: shard parsing and split, fleet root, keys, CSV quoting, and
// the summary's extension point.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { run, tempDir } from '../helpers/tools.js';
import { commonDirectory, inShard, keyOf, mergeAudits, parseFormats, parseShard, renderCsv, summarise, vmId, type VmRecord } from '../../src/audit/index.js';

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
    expect(() => parseFormats('json,html')).toThrow(/unknown fleet format "html"/);
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
