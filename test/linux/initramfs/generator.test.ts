// Generator detection on trees built in the test, one per generator, plus a tree that has
// no generator's markers (and a single weak marker, which must not be enough).

import { describe, expect, it } from 'vitest';
import { CpioFileSystem } from '../../../src/fs/cpio/index.js';
import { directoryEntry, fileEntry, symlinkEntry } from '../../../src/linux/initramfs/index.js';
import { detectGenerator } from '../../../src/linux/initramfs/index.js';

const file = (path: string): ReturnType<typeof fileEntry> => fileEntry({ path, data: new Uint8Array(1) });
const tree = (entries: ReturnType<typeof fileEntry>[]): CpioFileSystem['tree'] => new CpioFileSystem({ entries, kind: 'initramfs' }).tree;

describe('detectGenerator', () => {
  it.each([
    ['dracut', [directoryEntry({ path: 'usr/lib/dracut' }), file('usr/lib/dracut/build-parameter.txt'), symlinkEntry({ path: 'lib', target: 'usr/lib' })]],
    ['initramfs-tools', [file('conf/initramfs.conf'), directoryEntry({ path: 'scripts/init-top' }), file('conf/arch.conf')]],
    ['mkinitcpio', [file('buildconfig'), file('hooks'), file('config')]],
    ['suse-mkinitrd', [file('run_all.sh'), file('config/start.sh')]],
  ] as const)('%s', (generator, entries) => {
    const guess = detectGenerator(tree([...entries]));
    expect(guess.generator).toBe(generator);
    expect(guess.evidence[generator]?.length).toBeGreaterThan(0);
  });

  it('no markers, or one weak marker, is no guess', () => {
    expect(detectGenerator(tree([file('init')])).generator).toBeUndefined();
    expect(detectGenerator(tree([file('config')])).generator).toBeUndefined();
  });
});
