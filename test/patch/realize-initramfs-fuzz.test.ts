// Mutation fuzzing of the initramfs realizer's pure layer: an initramfs read as the kernel
// would (openInitramfs), its module directory found without crossing a symlink
// (initramfsModuleDir), the directories a segment must create (missingDirectories), and the
// modules.dep/softdep closure over the text files found inside (moduleClosure). Seeds are
// small newc archives made at test time with the layouts the realizer meets: merged /usr
// (lib -> usr/lib) and a plain lib/modules tree. Only rehost's own errors may escape.

import { describe, expect, it } from 'vitest';
import { directoryEntry, fileEntry, openInitramfs, symlinkEntry, buildSegment } from '../../src/linux/initramfs/index.js';
import { moduleClosure, softdepPre } from '../../src/patch/realize/initramfs-closure.js';
import { initramfsModuleDir, missingDirectories } from '../../src/patch/realize/initramfs-layout.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';

const K = '6.1.0-56-amd64';
const enc = new TextEncoder();
const DEP = [
  'kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio_pci_modern_dev.ko:',
  'kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio_ring.ko:',
  'kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko',
  'kernel/fs/jbd2/jbd2.ko:',
  'kernel/lib/crc32c_generic.ko:',
].join('\n');
const SOFTDEP = 'softdep ext4 pre: crc32c post: foo\nsoftdep virtio_blk pre: virtio_pci\n';

function seed(merged: boolean): Uint8Array {
  const base = merged ? `usr/lib/modules/${K}` : `lib/modules/${K}`;
  const entries = [
    ...(merged ? [directoryEntry({ path: 'usr' }), directoryEntry({ path: 'usr/lib' }), symlinkEntry({ path: 'lib', target: 'usr/lib' })] : [directoryEntry({ path: 'lib' })]),
    directoryEntry({ path: merged ? 'usr/lib/modules' : 'lib/modules' }),
    directoryEntry({ path: base }),
    directoryEntry({ path: `${base}/kernel` }),
    directoryEntry({ path: `${base}/kernel/fs` }),
    directoryEntry({ path: `${base}/kernel/fs/jbd2` }),
    fileEntry({ path: `${base}/kernel/fs/jbd2/jbd2.ko`, data: enc.encode('not an elf') }),
    fileEntry({ path: `${base}/modules.dep`, data: enc.encode(DEP) }),
    fileEntry({ path: `${base}/modules.softdep`, data: enc.encode(SOFTDEP) }),
    fileEntry({ path: `${base}/modules.builtin`, data: enc.encode('kernel/lib/crc32c.ko\n') }),
  ];
  return buildSegment(entries);
}

describe('initramfs realizer layer', () => {
  it('closure: dependencies, pre-softdeps, built-ins, present and missing', () => {
    const c = moduleClosure({ wanted: ['virtio-blk', 'ext4', 'nosuch'], modulesDep: DEP, modulesSoftdep: SOFTDEP, modulesBuiltin: 'kernel/lib/crc32c.ko\n', present: new Set(['jbd2']) });
    expect(c.closure).toEqual(['ext4', 'jbd2', 'virtio', 'virtio_blk', 'virtio_pci', 'virtio_pci_modern_dev', 'virtio_ring']);
    expect(c.present).toEqual(['jbd2']);
    expect(c.missing).toEqual(['nosuch']);
    expect(c.add).not.toContain('kernel/fs/jbd2/jbd2.ko');
    expect(softdepPre('pre: a b-c post: d pre: e')).toEqual(['a', 'b_c', 'e']);
    // A wanted built-in module is satisfied, not missing.
    expect(moduleClosure({ wanted: ['crc32c'], modulesDep: DEP, modulesBuiltin: 'kernel/lib/crc32c.ko\n', present: new Set() }).builtin).toEqual(['crc32c']);
  });

  it('layout: usr/lib behind a lib symlink, lib/modules otherwise; never a lib directory entry', () => {
    const merged = openInitramfs(seed(true)).tree;
    expect(initramfsModuleDir(merged, K)).toBe(`usr/lib/modules/${K}`);
    expect(initramfsModuleDir(merged, '9.9.9')).toBe('usr/lib/modules/9.9.9');
    expect(missingDirectories(merged, [`usr/lib/modules/${K}/kernel/drivers/block/virtio_blk.ko`])).toEqual([`usr/lib/modules/${K}/kernel/drivers`, `usr/lib/modules/${K}/kernel/drivers/block`]);
    const plain = openInitramfs(seed(false)).tree;
    expect(initramfsModuleDir(plain, K)).toBe(`lib/modules/${K}`);
  });

  it('fuzz: only rehost errors escape', async () => {
    const report = await fuzz(
      {
        name: 'realize-initramfs-layer',
        seeds: [seed(true), seed(false)],
        async run(input) {
          const tree = openInitramfs(input).tree;
          const dir = initramfsModuleDir(tree, K);
          const read = (name: string): string | undefined => {
            const node = tree.find(`${dir}/${name}`, true);
            return node === undefined || node.children !== undefined ? undefined : new TextDecoder().decode(node.content.data);
          };
          const closure = moduleClosure({
            wanted: ['virtio_blk', 'virtio_pci', 'ext4'],
            modulesDep: read('modules.dep') ?? '',
            modulesSoftdep: read('modules.softdep') ?? '',
            modulesBuiltin: read('modules.builtin') ?? '',
            present: new Set(['jbd2']),
          });
          return missingDirectories(
            tree,
            closure.add.map((p) => `${dir}/${p}`),
          );
        },
      },
      { iterations: defaultIterations(150) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  });
});
