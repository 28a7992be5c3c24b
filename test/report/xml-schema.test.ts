// virt-inspector XML validated by xmllint against the RNG Debian's guestfs-tools ships
// (/usr/share/doc/guestfs-tools/virt-inspector.rng.gz), for the golden Windows inspections
// and a hand-built Linux one; a document missing a required element must fail it. Also the
// JSON report schema: a report that breaks it must be rejected by the validator.

import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadCatalog, validateJsonSchema } from '../../src/catalog/index.js';
import { buildReport, renderInspectorXml, reportSchema } from '../../src/report/index.js';
import { kernel, inspectionOf, linuxFacts, linuxOs } from '../fingerprint/builders.js';
import { requireTool, tempDir } from '../helpers/tools.js';
import { goldenInspection, GOLDEN_WINDOWS } from './golden-inspection.js';

const RNG_GZ = '/usr/share/doc/guestfs-tools/virt-inspector.rng.gz';
let dir: string;
let rng: string;

beforeAll(() => {
  requireTool('xmllint');
  dir = tempDir('rehost-xml-');
  rng = join(dir, 'virt-inspector.rng');
  writeFileSync(rng, gunzipSync(readFileSync(RNG_GZ)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function xmllint(xml: string): { ok: boolean; stderr: string } {
  const file = join(dir, `doc-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--relaxng', rng, file], { encoding: 'utf8' });
  return { ok: r.status === 0, stderr: r.stderr };
}

function linuxInspection() {
  const facts = linuxFacts({ hostname: 'web01', kernels: [kernel('6.1.0-18-amd64', {})] });
  facts.packages = { format: 'deb', management: 'apt', installed: [{ name: 'bash', version: '5.2.15', release: '2', arch: 'amd64' }, { name: 'libc6 & <co>', version: '2.36', epoch: 1 }] as never };
  const os = linuxOs(facts);
  os.root = 'p2';
  if (os.type === 'linux') os.mounts = { '/': 'p2', '/boot': 'p1' };
  const inspection = inspectionOf(os);
  inspection.volumes = [
    { id: 'p1', start: 1048576, size: 1 << 28, filesystem: { kind: 'ext4', readable: true } },
    { id: 'p2', start: 1 << 28, size: 1 << 30, filesystem: { kind: 'ext4', readable: true } },
  ];
  return inspection;
}

describe('virt-inspector XML', () => {
  test.each(GOLDEN_WINDOWS)('%s validates against virt-inspector.rng', (id) => {
    const xml = renderInspectorXml(goldenInspection(id));
    const r = xmllint(xml);
    expect(r.ok, r.stderr).toBe(true);
    expect(xml).toContain('<name>windows</name>');
  });
  test('a Linux inspection validates, with escaped package names and mountpoints', () => {
    const xml = renderInspectorXml(linuxInspection());
    const r = xmllint(xml);
    expect(r.ok, r.stderr).toBe(true);
    expect(xml).toContain('<distro>debian</distro>');
    expect(xml).toContain('<mountpoint dev="/dev/sda1">/boot</mountpoint>');
    expect(xml).toContain('libc6 &amp; &lt;co&gt;');
  });
  test('a document without major_version fails the RNG (the check can fail)', () => {
    const xml = renderInspectorXml(goldenInspection('win7-sp1-x86-vmware')).replace(/<major_version>.*<\/major_version>/, '');
    expect(xmllint(xml).ok).toBe(false);
  });
});

describe('JSON report schema', () => {
  test('a Linux report validates; broken reports are rejected', async () => {
    const schema = await reportSchema();
    const report = JSON.parse(JSON.stringify(buildReport({ inspection: linuxInspection(), catalog: await loadCatalog(), targets: ['kvm', 'vmware-esxi'] })));
    expect(validateJsonSchema(schema, report)).toEqual([]);
    const bad = structuredClone(report);
    bad.operatingSystems[0].verdicts[0].verdict = 'maybe';
    expect(validateJsonSchema(schema, bad).map((i) => i.pointer)).toContain('/operatingSystems/0/verdicts/0/verdict');
    const extra = structuredClone(report);
    extra.surprise = 1;
    expect(validateJsonSchema(schema, extra)).not.toEqual([]);
    const missing = structuredClone(report);
    delete missing.operatingSystems[0].builtFor;
    expect(validateJsonSchema(schema, missing)).not.toEqual([]);
  });
});
