// Mutation fuzzing of the audit's per-file path: content classification, discovery of a
// mutated descriptor / OVA / image given as a source, and the in-process VM inspection.
// Only rehost errors may escape classification and discovery; inspectVm must never throw
// (every failure becomes the record's error).

import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyFile, discoverFleet, inspectVm } from '../../src/audit/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { tempDir } from '../helpers/tools.js';
import { buildFleet, type TestFleet } from '../audit/fleet.js';

let work: string;
let fleet: TestFleet;

beforeAll(async () => {
  work = tempDir('rehost-audit-fuzz-');
  fleet = await buildFleet(work);
}, 60_000);

describe('fuzz audit', () => {
  it('only rehost errors escape classification and discovery; inspection never throws', async () => {
    const seeds = ['vmx/web.vmx', 'ova-src/two.ovf', 'lone/debian.qcow2', 'ova/two.ova'].map((p) => new Uint8Array(readFileSync(join(fleet.dir, p))));
    let n = 0;
    const report = await fuzz(
      {
        name: 'audit',
        seeds,
        async run(input) {
          const path = join(work, `input-${n++ % 4}`);
          writeFileSync(path, input);
          const kind = await classifyFile(path);
          // A text file given alone is a manifest: its lines could name any directory, so the
          // fuzz does not follow them.
          if (kind === 'text' || kind === 'other') return kind;
          const discovery = await discoverFleet([path]);
          for (const vm of discovery.vms) {
            let record;
            try {
              ({ record } = await inspectVm({ vm, root: discovery.root, initramfs: 'skip' }));
            } catch (error) {
              throw new Error(`inspectVm threw: ${String(error)}`);
            }
            if (record.error?.code === 'INTERNAL') throw new Error(`internal error in a record: ${record.error.message}`);
          }
          return discovery.vms.length;
        },
      },
      { iterations: defaultIterations(60), focus: 65536 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  }, 120_000);
});
