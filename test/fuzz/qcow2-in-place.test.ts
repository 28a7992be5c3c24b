// Fuzzing the qcow2 in-place planner: mutated headers, L1/L2 tables, refcount tables and
// blocks of small qemu-img images (v3 with 4 KiB clusters, compressed, version 2, 1-bit
// refcounts, extended L2). Each input is planned for a few changed guest ranges (including
// unallocated clusters, so allocation and refcount growth run); when a plan comes back it is
// applied to a copy of the input. Only rehost errors may escape, within time and memory bounds.

import { beforeAll, expect, test } from 'vitest';
import { MIB } from '../helpers/pattern.js';
import { defaultIterations, fuzz, qemuQcow2Seeds } from '../helpers/fuzz.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { ZeroDevice } from '../../src/io/zero-device.js';
import { readHeader } from '../../src/image/qcow2/format.js';
import { planQcow2InPlace } from '../../src/image/qcow2/in-place.js';

const seeds: Uint8Array[] = [];

beforeAll(() => {
  seeds.push(
    ...qemuQcow2Seeds({
      tempPrefix: 'rehost-qcow2-inplace-fuzz-',
      mib: 2,
      converts: [
        ['-o', 'cluster_size=4096'], // v3, 4 KiB clusters
        ['-c', '-o', 'cluster_size=4096'], // compressed
        ['-o', 'compat=0.10,cluster_size=8192'], // version 2
        ['-o', 'cluster_size=4096,refcount_bits=1'], // 1-bit refcounts
      ],
    }),
  );
});

test('qcow2 in-place planner: only rehost errors escape', async () => {
  const report = await fuzz(
    {
      name: 'qcow2-in-place',
      seeds,
      async run(input) {
        const file = new MemoryDevice(input);
        const { header } = await readHeader(file);
        const size = header.size;
        const changed = [
          { offset: 0, length: 5000 },
          { offset: Math.floor(size / 2), length: 70_000 },
          { offset: Math.max(0, size - 4096), length: 4096 },
        ].filter((r) => r.offset + r.length <= size);
        const plan = await planQcow2InPlace({ file, guest: new ZeroDevice(size), changed });
        if (plan.committedSize > 64 * MIB) return plan.stats;
        const out = new Uint8Array(plan.committedSize);
        out.set(input);
        for (const phase of plan.phases) for (const write of phase.writes) out.set(write.data, write.offset);
        return plan.stats;
      },
    },
    { iterations: defaultIterations(150), seed: 4242, focus: 64 * 1024 },
  );
  expect(report.failures, JSON.stringify(report.failures.slice(0, 3), null, 2)).toEqual([]);
});
