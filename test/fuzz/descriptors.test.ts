// Mutation fuzzing of the VM descriptor readers (vmx text, VirtualBox and libvirt XML, OVF,
// vmcx header), seeded with the corpus descriptors. Only rehost errors may escape. Each reader
// is also driven directly, so detection cannot route a mutated file around it.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDescriptor, describeLibvirt, describeOvf, describeVbox, describeVmcx, describeVmx } from '../../src/descriptors/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { CORPUS } from '../helpers/tools.js';

const read = (dir: string, pick: (name: string) => boolean = () => true): Uint8Array[] =>
  readdirSync(join(CORPUS, dir)).filter(pick).sort().map((n) => new Uint8Array(readFileSync(join(CORPUS, dir, n))));
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

const targets: { name: string; seeds: Uint8Array[]; run: (input: Uint8Array) => unknown }[] = [
  { name: 'vmx', seeds: read('descriptors/vmx'), run: (b) => describeVmx(decode(b), { fileName: 'f.vmx' }) },
  { name: 'vbox', seeds: [...read('descriptors/vbox'), ...read('images/descriptors', (n) => n.endsWith('.vbox'))], run: (b) => describeVbox(decode(b)) },
  { name: 'libvirt', seeds: read('descriptors/libvirt'), run: (b) => describeLibvirt(decode(b)) },
  { name: 'ovf', seeds: read('descriptors/ovf'), run: (b) => describeOvf(decode(b)) },
  { name: 'vmcx', seeds: read('images/descriptors', (n) => n.endsWith('.vmcx')).map((b) => b.subarray(0, 8192)), run: (b) => describeVmcx(b) },
  {
    name: 'any',
    seeds: [...read('descriptors/vmx').slice(0, 2), ...read('descriptors/vbox'), ...read('descriptors/libvirt'), ...read('descriptors/ovf').slice(0, 1)],
    run: (b) => describeDescriptor(b, { fileName: 'x.vmx' }),
  },
];

describe.each(targets)('fuzz descriptors: $name', (target) => {
  it('only rehost errors escape', async () => {
    const report = await fuzz(
      { name: `descriptors-${target.name}`, seeds: target.seeds, run: async (input) => target.run(input) },
      { iterations: defaultIterations(150) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  });
});
