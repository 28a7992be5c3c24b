// Mutation fuzzing of the config realizers: the guest file a planned patch reads (fstab,
// crypttab, /etc/default/grub, grub.cfg, a BLS entry, initramfs-tools/modules, a NIC pin, a
// dracut drop-in) is mutated; realize must return patches or throw a rehost error, applying
// what it returned may only throw rehost errors, and realizing again after a successful apply
// must leave nothing to change (every patch it returns applies as 'already').

import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../src/fs/memory/memory-fs.js';
import { applyPatch } from '../../src/patch/apply.js';
import { guestView, realize } from '../../src/patch/realize/index.js';
import type { PlannedPatch } from '../../src/rules/types.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const base = { volume: 'p2', precondition: 'fuzz', rule: 'fuzz' };

const CASES: { path: string; seed: string; planned: PlannedPatch }[] = [
  {
    path: '/etc/fstab',
    seed: '# fstab\n/dev/sda2 / ext4 errors=remount-ro 0 1\n/dev/sda1 /boot ext2 defaults 0 2\n/dev/sda5 none swap sw 0 0\n',
    planned: { ...base, kind: 'table-device', path: '/etc/fstab', format: 'fstab', line: 2, from: '/dev/sda2', to: 'UUID=r' },
  },
  {
    path: '/etc/crypttab',
    seed: 'sda3_crypt /dev/sda3 none luks,discard\n',
    planned: { ...base, kind: 'table-device', path: '/etc/crypttab', format: 'crypttab', line: 1, from: '/dev/sda3', to: 'UUID=c' },
  },
  {
    path: '/etc/default/grub',
    seed: 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet resume=/dev/sda5"\nGRUB_CMDLINE_LINUX="root=/dev/sda2"\n',
    planned: { ...base, kind: 'kernel-arg-device', path: '/etc/default/grub', format: 'default-grub', arg: 'root', from: '/dev/sda2', to: 'UUID=r' },
  },
  {
    path: '/boot/grub/grub.cfg',
    seed: "menuentry 'D' {\n\tlinux /vmlinuz-6 root=/dev/sda2 ro quiet\n\tinitrd /initrd.img-6\n}\nmenuentry 'm' {\n\tlinux16 /memtest\n}\n",
    planned: { ...base, kind: 'kernel-arg-device', path: '/boot/grub/grub.cfg', format: 'grub-cfg', arg: 'root', from: '/dev/sda2', to: 'UUID=r' },
  },
  {
    path: '/boot/loader/entries/a.conf',
    seed: 'title x\nlinux /vmlinuz\noptions root=/dev/vda3 ro\n',
    planned: { ...base, kind: 'kernel-arg-device', path: '/boot/loader/entries/a.conf', format: 'bls', arg: 'root', from: '/dev/vda3', to: 'UUID=f' },
  },
  {
    path: '/etc/initramfs-tools/modules',
    seed: '# modules\nvmw_pvscsi\nvirtio-pci\n',
    planned: { ...base, kind: 'initramfs-config-modules', generator: 'initramfs-tools', path: '/etc/initramfs-tools/modules', modules: ['virtio_blk', 'virtio_pci'] },
  },
  {
    path: '/etc/dracut.conf.d/90-rehost.conf',
    seed: 'add_drivers+=" virtio_blk "\n',
    planned: { ...base, kind: 'initramfs-config-modules', generator: 'dracut', path: '/etc/dracut.conf.d/90-rehost.conf', modules: ['virtio_blk'] },
  },
  {
    path: '/etc/udev/rules.d/70-rehost-net.rules',
    seed: 'SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:0c:29:12:34:56", NAME="ens160"\n',
    planned: { ...base, kind: 'pin-nic-name', name: 'ens160', mac: '00:0c:29:12:34:56', via: 'udev-rule', path: '/etc/udev/rules.d/70-rehost-net.rules' },
  },
  { path: '/etc/blkid.tab', seed: '<device>/dev/sda2</device>\n', planned: { ...base, kind: 'remove-file', path: '/etc/blkid.tab' } },
];

describe('fuzz realize-config', () => {
  it('mutated guest files: only rehost errors escape; after a successful apply nothing is left to change', async () => {
    let succeeded = 0;
    for (const c of CASES) {
      const report = await fuzz(
        {
          name: `realize-${c.planned.kind}-${c.path.split('/').pop() ?? ''}`,
          seeds: [enc(c.seed)],
          async run(input) {
            const fs = new MemoryFileSystem({ kind: 'ext4' });
            await fs.mkdirp(c.path.slice(0, c.path.lastIndexOf('/')) || '/');
            await fs.writeFile(c.path, input);
            const guest = guestView({ root: 'p2', mounts: {}, open: async () => fs });
            const patches = await realize({ planned: c.planned, guest });
            for (const p of patches) await applyPatch(fs, p);
            const again = await realize({ planned: c.planned, guest });
            for (const p of again) {
              const result = await applyPatch(fs, p);
              if (result.outcome !== 'already') throw new Error(`not idempotent: ${p.kind} on ${c.path} applied again`);
            }
            return patches.length;
          },
        },
        { iterations: defaultIterations(60) },
      );
      expect(report.failures, JSON.stringify(report.failures.slice(0, 3))).toEqual([]);
      expect(report.succeeded + report.rehostErrors).toBe(report.iterations);
      succeeded += report.succeeded;
    }
    // Mutated files that still hold what the plan expects are realized and applied.
    expect(succeeded).toBeGreaterThan(CASES.length);
  });
});
