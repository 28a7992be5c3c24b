// Fuzzing the qcow2 reader: mutated headers, extensions, L1/L2 tables and compressed clusters
// from real seeds (a corpus image, the zstd corpus image, and small qemu-img images with
// deflate, extended L2 entries and version 2). Each input is opened, its allocation mapped
// and its stored data read; only rehost errors may escape.

import { beforeAll, expect, test } from 'vitest';
import { readCorpus } from '../helpers/tools.js';
import { MIB } from '../helpers/pattern.js';
import { defaultIterations, fuzz, qemuQcow2Seeds } from '../helpers/fuzz.js';
import { ignoreDiagnostics } from '../../src/diagnostics.js';
import { NotFoundError } from '../../src/errors.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { qcow2Format } from '../../src/image/qcow2/index.js';
import type { OpenContext } from '../../src/image/types.js';

const seeds: Uint8Array[] = [];

beforeAll(() => {
  seeds.push(
    ...qemuQcow2Seeds({
      tempPrefix: 'rehost-qcow2f-',
      mib: 3,
      converts: [
        ['-c', '-o', 'cluster_size=4096'], // deflate
        ['-o', 'compat=0.10,cluster_size=8192'], // version 2
      ],
    }),
  );
  seeds.push(readCorpus('images/qcow2/dfvfs-ext2.qcow2'));
  seeds.push(readCorpus('images/qcow2/dissect-basic-zstd.qcow2.gz'));
});

const context: OpenContext = {
  filename: 'fuzz.qcow2',
  diagnostics: ignoreDiagnostics,
  openFile: async (reference) => { throw new NotFoundError(`no file ${reference}`, { kind: 'file' }); },
  openBacking: async (reference) => { throw new NotFoundError(`no backing ${reference}`, { kind: 'image' }); },
};

/** Reads at most this much stored data per input, so one input stays fast. */
const READ_BUDGET = 2 * MIB;

test('fuzz qcow2 reader', async () => {
  const report = await fuzz(
    {
      name: 'qcow2',
      seeds,
      async run(input) {
        const image = await qcow2Format.open(new MemoryDevice(input), context);
        const device = image.device;
        const window = Math.min(device.size, 64 * MIB);
        const runs = window > 0 ? await device.allocation!(0, window) : [];
        let budget = READ_BUDGET;
        for (const allocation of runs) {
          if (allocation.kind !== 'data' || budget <= 0) continue;
          const length = Math.min(allocation.length, budget);
          await device.read(allocation.offset, length);
          budget -= length;
        }
        if (device.size > 0) await device.read(device.size - 1, 1);
        return image.details;
      },
    },
    { iterations: defaultIterations(300), focus: 96 * 1024 },
  );
  expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
});
