// Mutation fuzzing of the cpio reader, the merged tree and the initramfs segment walker,
// seeded with the corpus archives (all four formats) and an initramfs-like file (early cpio
// + gzip main archive + appended segment) built in the test.

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CpioFileSystem, readCpioArchive } from '../../src/fs/cpio/index.js';
import { appendSegment, fileEntry, openInitramfs, symlinkEntry } from '../../src/linux/initramfs/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { readCorpus } from '../helpers/tools.js';

const archives = ['newc', 'crc', 'odc', 'bin'].map((f) => readCorpus(`cpio/dfvfs-syslog.${f}.cpio`));
const segment = appendSegment({
  original: new Uint8Array(0),
  entries: [symlinkEntry({ path: 'lib', target: 'usr/lib' }), fileEntry({ path: 'usr/lib/modules/x/a.ko', data: new Uint8Array(300).fill(1) })],
});
const initramfs = new Uint8Array([...archives[0]!, ...execFileSync('gzip', ['-c'], { input: segment }), ...segment]);

async function readAll(input: Uint8Array): Promise<void> {
  const archive = readCpioArchive(input);
  const fs = new CpioFileSystem({ entries: archive.entries });
  for (const path of fs.tree.list()) {
    await fs.stat(path);
    if (await fs.exists(path)) await fs.readFile(path).catch(() => undefined);
  }
}

describe('fuzz cpio', () => {
  it('cpio archives: only rehost errors escape', async () => {
    const report = await fuzz({ name: 'cpio', seeds: [...archives, segment], run: readAll }, { iterations: defaultIterations(300) });
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  });

  it('initramfs layouts: only rehost errors escape', async () => {
    const report = await fuzz(
      {
        name: 'initramfs',
        seeds: [initramfs],
        async run(input) {
          const image = openInitramfs(input, { maxOutput: 1 << 20 });
          image.modules();
          image.generator();
        },
      },
      { iterations: defaultIterations(300) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  });
});
