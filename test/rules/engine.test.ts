// The rule engine on its own: paths, conditions, templates, the pack schema and loader, and
// evaluate(); each validator is also given input that must fail it.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptError } from '../../src/errors.js';
import {
  checkCondition,
  checkRulePack,
  evaluate,
  evaluateCondition,
  fillTemplate,
  loadRulePacks,
  lookupPath,
  parsePath,
  renderTemplate,
  rulePackSchema,
  targetAdmitted,
  type Condition,
  type EvaluationContext,
  type RulePack,
} from '../../src/rules/index.js';
import { scratchDirs } from '../helpers/tools.js';

const scratch = scratchDirs('rehost-rules-');

const ctx = {
  facts: { fstab: [{ line: 2, device: { raw: '/dev/sda2', naming: 'device-path' } }, { line: 3, device: { raw: 'UUID=x', naming: 'uuid' } }], name: 'deb', tags: ['a', 'b'], n: 0, empty: [] },
  target: { id: 'kvm', name: 'KVM' },
  derived: { kernels: [{ version: '6.1', missing: ['virtio_blk', 'virtio_pci'], size: 7167379 }] },
};

describe('paths', () => {
  it('reads dotted paths with array indexes', () => {
    expect(lookupPath(ctx, 'derived.kernels.0.version')).toBe('6.1');
    expect(lookupPath(ctx, 'facts.fstab.1.device.naming')).toBe('uuid');
    expect(lookupPath(ctx, 'facts.fstab.9.line')).toBeUndefined();
    expect(lookupPath(ctx, 'facts.name.length')).toBeUndefined();
    expect(lookupPath(ctx, 'facts.tags.x')).toBeUndefined();
  });
  it('refuses unknown roots and malformed paths', () => {
    expect(() => parsePath('fact.name')).toThrow(CorruptError);
    expect(() => parsePath('facts..name')).toThrow(CorruptError);
    expect(() => parsePath('facts.na me')).toThrow(CorruptError);
    expect(() => parsePath('')).toThrow(CorruptError);
  });
});

describe('conditions', () => {
  const yes: Condition[] = [
    { true: true },
    { exists: 'facts.name' },
    { exists: 'facts.n' },
    { nonEmpty: 'facts.tags' },
    { eq: ['facts.name', 'deb'] },
    { eq: ['facts.tags', ['a', 'b']] },
    { ne: ['facts.name', 'rhel'] },
    { in: ['facts.name', ['deb', 'ubuntu']] },
    { match: ['facts.fstab.0.device.raw', '^/dev/sd[a-z]\\d+$'] },
    { some: { path: 'facts.fstab', where: { eq: ['item.device.naming', 'device-path'] } } },
    { all: [{ exists: 'facts.name' }, { not: { exists: 'facts.nothing' } }] },
    { any: [{ exists: 'facts.nothing' }, { eq: ['derived.kernels.0.size', 7167379] }] },
  ];
  const no: Condition[] = [
    { exists: 'facts.nothing' },
    { nonEmpty: 'facts.empty' },
    { nonEmpty: 'facts.nothing' },
    { eq: ['facts.name', 'rhel'] },
    { eq: ['facts.tags', ['b', 'a']] },
    { ne: ['facts.name', 'deb'] },
    { in: ['facts.name', ['rhel']] },
    { match: ['facts.n', '0'] },
    { some: { path: 'facts.fstab', where: { eq: ['item.device.naming', 'label'] } } },
    { some: { path: 'facts.name', where: { true: true } } },
    { all: [{ true: true }, { exists: 'facts.nothing' }] },
    { any: [{ exists: 'facts.nothing' }, { not: { true: true } }] },
  ];
  it.each(yes.map((c) => [JSON.stringify(c), c]))('%s holds', (_name, c) => {
    expect(checkCondition(c, '')).toEqual([]);
    expect(evaluateCondition(c as Condition, ctx)).toBe(true);
  });
  it.each(no.map((c) => [JSON.stringify(c), c]))('%s does not hold', (_name, c) => {
    expect(checkCondition(c, '')).toEqual([]);
    expect(evaluateCondition(c as Condition, ctx)).toBe(false);
  });
  it('rejects malformed conditions', () => {
    const bad: unknown[] = [
      {},
      { exists: 'facts.x', eq: ['facts.x', 1] },
      { equals: ['facts.x', 1] },
      { exists: 'fact.x' },
      { eq: ['facts.x'] },
      { in: ['facts.x', 'a'] },
      { match: ['facts.x', '('] },
      { all: [] },
      { any: 'x' },
      { not: { nope: true } },
      { some: { path: 'facts.x' } },
      { some: { path: 'facts.x', where: { true: true }, extra: 1 } },
      { true: false },
      [],
      'facts.x',
    ];
    for (const c of bad) expect(checkCondition(c, '/when'), JSON.stringify(c)).not.toEqual([]);
    expect(checkCondition({ all: [{ true: true }, { match: ['facts.x', '['] }] }, '/when')[0]).toMatch(/^\/when\/all\/1\/match\/1: invalid regular expression/);
  });
});

describe('templates', () => {
  it('fills text, joins arrays and keeps raw values for a lone placeholder', () => {
    expect(renderTemplate('kernel {derived.kernels.0.version} lacks {derived.kernels.0.missing} ({derived.kernels.0.size} bytes)', ctx)).toBe('kernel 6.1 lacks virtio_blk, virtio_pci (7167379 bytes)');
    expect(renderTemplate('no placeholders {here', ctx)).toBe('no placeholders {here');
    expect(fillTemplate({ modules: '{derived.kernels.0.missing}', expectSize: '{derived.kernels.0.size}', text: 'v{derived.kernels.0.version}', n: 3, list: ['{facts.name}'] }, ctx)).toEqual({
      modules: ['virtio_blk', 'virtio_pci'],
      expectSize: 7167379,
      text: 'v6.1',
      n: 3,
      list: ['deb'],
    });
  });
  it('fails loudly on a missing value or an object', () => {
    expect(() => renderTemplate('{facts.nothing}', ctx)).toThrow(CorruptError);
    expect(() => fillTemplate('{facts.nothing}', ctx)).toThrow(/has no value/);
    expect(() => renderTemplate('{facts.fstab.0}', ctx)).toThrow(/not text/);
    expect(() => renderTemplate('{facts.fstab}', ctx)).toThrow(/array of objects/);
    expect(() => renderTemplate('{fact.name}', ctx)).toThrow(CorruptError);
  });
});

// Through JSON, as a pack file would be: a key set to undefined is absent.
const rule = (over: Record<string, unknown> = {}): Record<string, unknown> =>
  JSON.parse(JSON.stringify({ id: 'test.rule', title: 'A rule', severity: 'warning', os: 'linux', when: { true: true }, explain: 'because', outcome: 'advice', ...over })) as Record<string, unknown>;
const pack = (rules: unknown[]): Record<string, unknown> => ({ name: 'test', version: 1, rules });

describe('rule pack schema and checks', () => {
  it('accepts a good pack', async () => {
    const schema = await rulePackSchema();
    expect(checkRulePack(schema, pack([rule(), rule({ id: 'test.patch', outcome: undefined, patches: [{ kind: 'remove-file', volume: 'p2', path: '/x', precondition: '/x exists' }] })]))).toEqual([]);
  });
  it('rejects packs that must fail', async () => {
    const schema = await rulePackSchema();
    const cases: Array<[string, unknown, RegExp]> = [
      ['not an object', [], /expected object/],
      ['no rules', { name: 'test', version: 1, rules: [] }, /\/rules: needs at least 1/],
      ['bad version', { name: 'test', version: 0, rules: [rule()] }, /\/version: below minimum/],
      ['unknown top-level key', { ...pack([rule()]), extra: 1 }, /unknown property "extra"/],
      ['missing explain', pack([rule({ explain: undefined })]), /\/rules\/0: missing required property "explain"/],
      ['bad severity', pack([rule({ severity: 'fatal' })]), /\/rules\/0\/severity: must be one of/],
      ['bad os', pack([rule({ os: 'bsd' })]), /\/rules\/0\/os/],
      ['bad target id', pack([rule({ targets: ['KVM!'] })]), /\/rules\/0\/targets\/0/],
      ['unknown rule key', pack([rule({ then: 1 })]), /unknown property "then"/],
      ['patch without precondition', pack([rule({ outcome: 'patch', patches: [{ kind: 'remove-file', volume: 'p2', path: '/x' }] })]), /\/rules\/0\/patches\/0: missing required property "precondition"/],
      ['unknown patch kind', pack([rule({ outcome: 'patch', patches: [{ kind: 'format-disk', volume: 'p2', precondition: 'x' }] })]), /\/rules\/0\/patches\/0\/kind/],
      ['cannot with patches', pack([rule({ outcome: 'cannot', patches: [{ kind: 'remove-file', volume: 'p2', path: '/x', precondition: 'x' }] })]), /outcome "cannot" proposes no patches/],
      ['patch outcome without patches', pack([rule({ outcome: 'patch' })]), /without patches/],
      ['no outcome, no patches', pack([rule({ outcome: undefined })]), /needs outcome/],
      ['duplicate id', pack([rule(), rule()]), /\/rules\/1\/id: duplicate rule id/],
      ['bad condition', pack([rule({ when: { exist: 'facts.x' } })]), /\/rules\/0\/when: unknown operator "exist"/],
      ['bad template path', pack([rule({ explain: 'see {fact.x}' })]), /\/rules\/0\/explain: rule path "fact.x"/],
      ['bad patch template path', pack([rule({ outcome: 'patch', patches: [{ kind: 'remove-file', volume: '{itme.volume}', path: '/x', precondition: 'x' }] })]), /\/rules\/0\/patches\/0\/volume/],
      ['bad forEach', pack([rule({ forEach: 'drived.kernels' })]), /\/rules\/0\/forEach/],
    ];
    for (const [name, doc, message] of cases) {
      const issues = checkRulePack(schema, doc);
      expect(issues.join('\n'), name).toMatch(message);
    }
  });
});

describe('loadRulePacks', () => {
  it('loads the built-in packs', async () => {
    const packs = await loadRulePacks();
    expect(packs.map((p) => p.name)).toContain('linux');
    expect(packs.find((p) => p.name === 'linux')!.rules.length).toBeGreaterThan(10);
  });
  it('adds user packs and names the file and pointer of a bad one', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'site.json'), JSON.stringify(pack([rule({ id: 'site.one' })])));
    const packs = await loadRulePacks({ dirs: [dir] });
    const builtIn = (await loadRulePacks()).map((p) => p.name);
    expect(builtIn).toEqual(expect.arrayContaining(['linux', 'windows']));
    // User packs come after every built-in one, in file order.
    expect(packs.map((p) => p.name)).toEqual([...builtIn, 'test']);

    const bad = scratch();
    writeFileSync(join(bad, 'broken.json'), JSON.stringify(pack([rule({ when: { match: ['facts.x', '('] } })])));
    await expect(loadRulePacks({ dirs: [bad] })).rejects.toThrow(/broken\.json is invalid: \/rules\/0\/when\/match\/1: invalid regular expression/);
    const notJson = scratch();
    writeFileSync(join(notJson, 'x.json'), '{ nope');
    await expect(loadRulePacks({ dirs: [notJson] })).rejects.toThrow(CorruptError);
  });
  it('refuses a rule id defined twice across packs', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'dup.json'), JSON.stringify(pack([rule({ id: 'linux.remove-file' })])));
    await expect(loadRulePacks({ dirs: [dir] })).rejects.toThrow(/rule id "linux.remove-file" in .*dup\.json .* is already defined in .*linux\.json/);
    const two = scratch();
    writeFileSync(join(two, 'a.json'), JSON.stringify(pack([rule({ id: 'x.same' })])));
    writeFileSync(join(two, 'b.json'), JSON.stringify(pack([rule({ id: 'x.same' })])));
    await expect(loadRulePacks({ dirs: [two], builtin: 'exclude' })).rejects.toThrow(/already defined/);
  });
  it('refuses a missing directory', async () => {
    const dir = scratch();
    mkdirSync(join(dir, 'sub'));
    await expect(loadRulePacks({ dirs: [join(dir, 'absent')] })).rejects.toThrow(/cannot be read/);
  });
});

describe('evaluate', () => {
  const context: EvaluationContext = { os: 'linux', facts: ctx.facts, target: ctx.target, targetLineage: ['gce', 'kvm'], derived: ctx.derived };
  it('admits targets by lineage, with exclusions', () => {
    expect(targetAdmitted(undefined, ['gce', 'kvm'])).toBe(true);
    expect(targetAdmitted(['*'], ['gce', 'kvm'])).toBe(true);
    expect(targetAdmitted(['kvm'], ['gce', 'kvm'])).toBe(true);
    expect(targetAdmitted(['vmware-esxi'], ['gce', 'kvm'])).toBe(false);
    expect(targetAdmitted(['!kvm'], ['gce', 'kvm'])).toBe(false);
    expect(targetAdmitted(['!vmware-esxi'], ['gce', 'kvm'])).toBe(true);
    expect(targetAdmitted(['*', '!gce'], ['gce', 'kvm'])).toBe(false);
  });
  it('binds forEach items, fills patches, renders evidence lists, and skips other OSes and targets', () => {
    const p: RulePack = {
      name: 't',
      version: 1,
      rules: [
        {
          id: 't.each',
          title: 'each',
          severity: 'warning',
          os: 'linux',
          forEach: 'facts.fstab',
          when: { eq: ['item.device.naming', 'device-path'] },
          evidence: 'line {item.line}: {item.device.raw}',
          explain: '{item.device.raw} on {target.name}',
          patches: [{ kind: 'table-device', volume: 'p2', path: '/etc/fstab', format: 'fstab', line: '{item.line}', from: '{item.device.raw}', to: 'UUID=u', precondition: 'line {item.line} names {item.device.raw}' }],
        },
        { id: 't.list', title: 'list', severity: 'info', os: 'any', when: { true: true }, evidence: '{facts.tags}', explain: 'x', outcome: 'advice' },
        { id: 't.windows', title: 'w', severity: 'info', os: 'windows', when: { true: true }, explain: 'x', outcome: 'advice' },
        { id: 't.vmware', title: 'v', severity: 'info', os: 'linux', targets: ['vmware-esxi'], when: { true: true }, explain: 'x', outcome: 'cannot' },
      ],
    };
    const results = evaluate({ packs: [p], context });
    expect(results.map((r) => r.rule)).toEqual(['t.each', 't.list']);
    expect(results[0]).toEqual({
      rule: 't.each',
      title: 'each',
      severity: 'warning',
      outcome: 'patch',
      explanation: '/dev/sda2 on KVM',
      evidence: ['line 2: /dev/sda2'],
      patches: [{ kind: 'table-device', volume: 'p2', path: '/etc/fstab', format: 'fstab', line: 2, from: '/dev/sda2', to: 'UUID=u', precondition: 'line 2 names /dev/sda2', rule: 't.each' }],
    });
    expect(results[1]!.evidence).toEqual(['a', 'b']);
  });
  it('fails loudly when a filled patch has the wrong shape or forEach is not an array', () => {
    const wrong: RulePack = {
      name: 't',
      version: 1,
      rules: [{ id: 't.bad', title: 'b', severity: 'info', os: 'linux', when: { true: true }, explain: 'x', patches: [{ kind: 'table-device', volume: 'p2', path: '/etc/fstab', format: 'fstab', line: '{facts.name}', from: 'a', to: 'b', precondition: 'x' }] }],
    };
    expect(() => evaluate({ packs: [wrong], context })).toThrow(/field "line" should be number/);
    const notList: RulePack = { name: 't', version: 1, rules: [{ id: 't.each', title: 'b', severity: 'info', os: 'linux', forEach: 'facts.name', when: { true: true }, explain: 'x', outcome: 'advice' }] };
    expect(() => evaluate({ packs: [notList], context })).toThrow(/not an array/);
  });
});
