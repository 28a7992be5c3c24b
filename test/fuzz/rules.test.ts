// Mutation fuzzing of rule packs: the shipped linux.json (and a small pack using every
// condition operator), mutated, must either be refused with a CorruptError or load and then
// evaluate against a plan context raising nothing but rehost errors (a mutated template may
// name a missing value: that is a CorruptError, by design).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRehostError } from '../../src/errors.js';
import { builtinRulePackDir, evaluate, parseRulePack, rulePackSchema, type EvaluationContext } from '../../src/rules/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';

const small = {
  name: 'small',
  version: 1,
  rules: [
    {
      id: 'small.one',
      title: 'one',
      severity: 'warning',
      os: 'linux',
      targets: ['!vmware-esxi'],
      forEach: 'derived.kernels',
      when: { all: [{ nonEmpty: 'item.missing' }, { any: [{ match: ['item.version', '^6\\\\.'] }, { in: ['item.generator', ['dracut']] }] }, { not: { eq: ['item.size', 0] } }, { some: { path: 'facts.tags', where: { ne: ['item', 'x'] } } }] },
      evidence: '{item.version}',
      explain: '{item.missing} for {target.id}',
      patches: [{ kind: 'remove-file', volume: 'p2', path: '/x/{item.version}', precondition: 'exists' }],
    },
  ],
};

const context: EvaluationContext = {
  os: 'linux',
  facts: { tags: ['a'], boot: { defaultGrub: { disableLinuxUuid: true, path: '/etc/default/grub' } } },
  target: { id: 'kvm' },
  targetLineage: ['kvm'],
  derived: { kernels: [{ version: '6.1', missing: ['virtio_blk'], size: 3, generator: 'dracut' }], bootStorageIds: ['virtio-blk'], target: { id: 'kvm', name: 'KVM' } },
};

describe('fuzz rule packs', () => {
  it('mutated packs are refused with CorruptError or evaluate raising only rehost errors', async () => {
    const schema = await rulePackSchema();
    const seeds = [new Uint8Array(readFileSync(join(builtinRulePackDir(), 'linux.json'))), new TextEncoder().encode(JSON.stringify(small))];
    const report = await fuzz(
      {
        name: 'rules',
        seeds,
        async run(input) {
          try {
            const pack = parseRulePack({ bytes: input, path: 'fuzz.json', schema });
            return evaluate({ packs: [pack], context }).length;
          } catch (error) {
            if (isRehostError(error)) return 'refused';
            throw error;
          }
        },
      },
      { iterations: defaultIterations(150) },
    );
    expect(report.failures, JSON.stringify(report.failures.slice(0, 3), null, 2)).toEqual([]);
  });
});
