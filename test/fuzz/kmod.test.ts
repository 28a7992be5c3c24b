// Mutation fuzzing of the kmod index reader (exact, wildcard and full walks) and of the
// module ELF/.modinfo reader. Index seeds are written by our writer (byte-identical to
// depmod's, see test/linux/kmod); the ELF seed is a small real module from the Debian kernel
// fetched by fixtures/scripts/fetch-debian-kernel.sh.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KmodIndex, readModuleInfo, writeKmodIndex } from '../../src/linux/kmod/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';

const REPO = new URL('../../', import.meta.url).pathname;

const aliasIndex = writeKmodIndex(
  ['pci:v00001AF4d00001001sv*sd*bc*sc*i*', 'pci:v00001AF4d00001004sv*sd*bc*sc*i*', 'virtio:d00000002v*', 'virtio:d00000008v*', 'block_major_8_*', 'scsi:t_0x00', 'fs_ext4', 'cpu:type:x86,ven*fam*mod*:feature:*0081*'].map((key, i) => ({
    key,
    value: `mod${i % 3}`,
    priority: i,
  })),
);
const depIndex = writeKmodIndex(['virtio', 'virtio_blk', 'virtio_ring', 'virtio_scsi', 'sd_mod', 'scsi_mod'].map((key, i) => ({ key, value: `kernel/drivers/${key}.ko: kernel/x.ko`, priority: i })));

describe('fuzz kmod', () => {
  it('index reader: only rehost errors escape', async () => {
    const report = await fuzz(
      {
        name: 'kmod-index',
        seeds: [aliasIndex, depIndex],
        async run(input) {
          const index = new KmodIndex(input);
          index.lookup('virtio_blk');
          index.lookupWildcard('pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00');
          index.entries();
        },
      },
      { iterations: defaultIterations(400) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  });

  it('module ELF reader: only rehost errors escape', async () => {
    const [root, kver] = execFileSync(join(REPO, 'fixtures/scripts/fetch-debian-kernel.sh'), { encoding: 'utf8' }).trim().split(' ') as [string, string];
    const path = 'kernel/drivers/virtio/virtio_mmio.ko';
    const seed = new Uint8Array(readFileSync(join(root, 'lib/modules', kver, path)));
    const report = await fuzz(
      { name: 'kmod-elf', seeds: [seed], run: async (input) => readModuleInfo({ bytes: input, path }) },
      { iterations: defaultIterations(300), focus: 4096 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  });
});
