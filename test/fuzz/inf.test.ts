// Mutation fuzzing of the INF parser and install selection, seeded with the corpus driver
// INFs (virtio-win templates stamped as the build does, Xen PV), the virtio-win-shaped test
// INFs, and a UTF-16LE copy. Any error other than rehost's own is a failure.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInf, readDriverInf, selectInstall, type InfOs } from '../../src/windows/inf/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { CORPUS } from '../helpers/tools.js';
import { infText } from '../windows/drivers-fixtures.js';
import { stampTemplate } from '../windows/inf-fixtures.js';

const OSES: InfOs[] = [
  { major: 10, minor: 0, build: 19045, arch: 'amd64', productType: 'workstation' },
  { major: 6, minor: 1, build: 7601, arch: 'x86', productType: 'server' },
];

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const vendor of readdirSync(join(CORPUS, 'drivers'))) {
    for (const file of readdirSync(join(CORPUS, 'drivers', vendor))) {
      if (!/\.in[fx]$/i.test(file)) continue;
      out.push(new Uint8Array(Buffer.from(stampTemplate(readFileSync(join(CORPUS, 'drivers', vendor, file)).toString('latin1'), 'amd64'), 'latin1')));
    }
  }
  const text = infText({ driver: 'netkvm', os: 'w10', arch: 'amd64' });
  out.push(new Uint8Array(Buffer.from(text)), new Uint8Array([0xff, 0xfe, ...Buffer.from(text, 'utf16le')]));
  return out;
}

describe('fuzz inf', () => {
  it('only rehost errors escape', async () => {
    const report = await fuzz(
      {
        name: 'inf',
        seeds: seeds(),
        async run(input) {
          const inf = readDriverInf(parseInf(input, { path: 'fuzz.inf' }));
          for (const os of OSES) selectInstall({ inf, os });
        },
      },
      { iterations: defaultIterations(300) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  }, 120_000);
});
