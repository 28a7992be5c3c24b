// Drives the initramfs realizer on a lab guest through the library (until `rehost apply`
// exists): a Transaction on the disk, a GuestView over its volumes (root = the ext volume
// holding /etc/fstab, no other mounts on the lab guests), a hand-written PlannedPatch for the
// kernel and initramfs the guest has, realize, apply, commit. Also usable as a script:
//   node --import ./test/patch/ts-register.mjs test/patch/realize-initramfs-lab.ts DISK OUT.qcow2 mod1,mod2
// prints the journal's summary as JSON.

import { openFileSystem } from '../../src/fs/open.js';
import type { Volume } from '../../src/fs/discover.js';
import { GuestFs } from '../../src/linux/facts/guest-fs.js';
import { realizeInitramfsModules } from '../../src/patch/realize/initramfs.js';
import type { GuestView } from '../../src/patch/realize/types.js';
import { type ChangeJournal, Transaction } from '../../src/patch/transaction.js';
import type { Patch } from '../../src/patch/types.js';
import type { PlannedPatch } from '../../src/rules/types.js';

export type PlannedInitramfs = Extract<PlannedPatch, { kind: 'initramfs-add-modules' }>;

/** The root volume: the first ext volume that has /etc/fstab. */
export async function findRootVolume(volumes: readonly Volume[]): Promise<Volume> {
  for (const volume of volumes) {
    if (!volume.filesystem.kind.startsWith('ext')) continue;
    const fs = await openFileSystem(volume.device, { kind: volume.filesystem.kind });
    try {
      if (await fs.exists('/etc/fstab')) return volume;
    } finally {
      await fs.close?.();
    }
  }
  throw new Error('no ext root volume with /etc/fstab');
}

export async function transactionGuest(tx: Transaction): Promise<GuestView> {
  const root = await findRootVolume(await tx.volumes());
  return {
    root: root.id,
    mounts: { '/': root.id },
    fs: (volume) => tx.writableFileSystem(volume),
    resolve: (guestPath) => ({ volume: root.id, path: guestPath }),
  };
}

/** The planned patch a rule would make for the guest's only kernel. */
export async function planFor(args: { guest: GuestView; modules: string[] }): Promise<PlannedInitramfs> {
  const fs = await args.guest.fs(args.guest.root);
  const g = new GuestFs({ root: fs });
  const boot = (await g.list('/boot')).map((e) => e.name);
  const kernel = boot.find((n) => n.startsWith('vmlinuz-'))?.slice('vmlinuz-'.length);
  if (kernel === undefined) throw new Error('no kernel in /boot');
  const initramfs = `/boot/initrd.img-${kernel}`;
  const size = (await fs.stat(initramfs)).size;
  return {
    kind: 'initramfs-add-modules',
    volume: args.guest.root,
    kernel,
    initramfs,
    generator: 'unknown',
    modules: args.modules,
    expectSize: size,
    precondition: `${initramfs} is ${size} bytes and lacks ${args.modules.join(', ')}`,
    rule: 'test.initramfs-add-modules',
  };
}

/** Realize + apply + commit backed to `output`; returns the journal and the patch. */
export async function applyModules(args: { disk: string; output: string; modules: string[] }): Promise<{ journal: ChangeJournal; patches: Patch[]; planned: PlannedInitramfs }> {
  const tx = await Transaction.open({ imagePath: args.disk });
  try {
    const guest = await transactionGuest(tx);
    const planned = await planFor({ guest, modules: args.modules });
    const patches = await realizeInitramfsModules({ planned, guest });
    await tx.apply(patches);
    const journal = await tx.commit({ mode: 'backed', output: args.output });
    return { journal, patches, planned };
  } finally {
    await tx.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\/test\//, '/test/'))) {
  const [disk, output, modules] = process.argv.slice(2);
  if (disk === undefined || output === undefined) throw new Error('usage: realize-initramfs-lab.ts DISK OUT.qcow2 [mod,mod]');
  const started = Date.now();
  const { journal, patches } = await applyModules({ disk, output, modules: (modules ?? 'virtio_blk,virtio_scsi,virtio_pci').split(',') });
  const entries = patches.flatMap((p) => (p.kind === 'append-initramfs' ? p.entries.map((e) => `${e.name} ${e.data.length}`) : []));
  process.stdout.write(`${JSON.stringify({ ms: Date.now() - started, entries, patches: journal.patches.map((p) => p.description), commit: journal.commit }, null, 1)}\n`);
}
