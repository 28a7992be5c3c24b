// The initramfs realizer on the real initramfs images of the VMware-built lab guests
// (initramfs-tools and dracut; test/linux/facts/lab-guest.ts), without booting: realize the
// virtio drivers into a Transaction's overlay and check the segment against trusted tools —
// the host's `depmod -b` on a staging tree of the same union (as
// ../shared/guests/make-virtio-segment.sh does) must write the same index files, host `cpio`
// must unpack the segment to the same files, host `modprobe -d STAGE --show-depends` must
// resolve the added driver with our indexes, and re-inspection must see the modules inside
// the initramfs. Also the refusals: a changed initramfs size, a module the tree lacks.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PreconditionError, UnsupportedError } from '../../src/errors.js';
import type { CpioTree, TreeNode } from '../../src/fs/cpio/index.js';
import { S_IFDIR, S_IFMT } from '../../src/fs/cpio/index.js';
import { GuestFs } from '../../src/linux/facts/guest-fs.js';
import { inspectKernels } from '../../src/linux/facts/kernels.js';
import { buildSegment, openInitramfs } from '../../src/linux/initramfs/index.js';
import { ignoreDiagnostics } from '../../src/diagnostics.js';
import { realizeInitramfsModules } from '../../src/patch/realize/initramfs.js';
import type { GuestView } from '../../src/patch/realize/types.js';
import { Transaction } from '../../src/patch/transaction.js';
import type { AppendInitramfsPatch } from '../../src/patch/types.js';
import { labGuest, type GuestFlavour } from '../linux/facts/lab-guest.js';
import { requireTool, scratchDirs } from '../helpers/tools.js';
import { type PlannedInitramfs, planFor, transactionGuest } from './realize-initramfs-lab.js';

const scratch = scratchDirs('rehost-realize-initramfs-');
const WANTED = ['virtio_blk', 'virtio_scsi', 'virtio_pci'];
/** Measured closure (../shared/guests/README.md): none of these is in the VMware-era initramfs. */
const EXPECTED_NEW = ['virtio', 'virtio_blk', 'virtio_pci', 'virtio_pci_legacy_dev', 'virtio_pci_modern_dev', 'virtio_ring', 'virtio_scsi'];
const INDEX_FILES = [
  'modules.dep',
  'modules.dep.bin',
  'modules.alias',
  'modules.alias.bin',
  'modules.softdep',
  'modules.symbols',
  'modules.symbols.bin',
  'modules.builtin.bin',
  'modules.builtin.alias.bin',
  'modules.devname',
];

/** Writes a directory of the merged cpio tree to the host (regular files and directories). */
function writeTree(node: TreeNode, dest: string): void {
  mkdirSync(dest, { recursive: true });
  // Bounded by the tree, which has no directory cycles (symlinks are not followed).
  for (const [name, child] of node.children ?? []) {
    const type = child.mode & S_IFMT;
    if (type === S_IFDIR) writeTree(child, join(dest, name));
    else if (child.children === undefined && (type & 0o100000) !== 0 && type !== 0o120000) writeFileSync(join(dest, name), child.content.data);
  }
}

const isModule = (name: string): boolean => /\.ko(\.(xz|zst|gz))?$/.test(name);
const moduleName = (path: string): string => (path.split('/').pop() as string).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');

/**
 * Builds the staging tree make-virtio-segment.sh builds (the initramfs's module directory plus
 * the segment's module files), runs the host's `depmod -b` there, and checks that every index
 * file the merged tree will hold (ours where the segment ships one, else the original's) is
 * byte-identical to depmod's. Leaves our files in the stage for modprobe/modinfo checks.
 */
function compareWithHostDepmod(args: { original: Uint8Array; patch: AppendInitramfsPatch; kver: string; moduleDir: string }): { stage: string; kdir: string } {
  requireTool('depmod');
  const { patch, kver, moduleDir } = args;
  const dir = scratch();
  const tree: CpioTree = openInitramfs(args.original).tree;
  const stage = join(dir, 'stage');
  const kdir = join(stage, 'lib/modules', kver);
  writeTree(tree.find(moduleDir, true) as TreeNode, kdir);
  for (const e of patch.entries) {
    if (!isModule(e.name)) continue;
    const dest = join(kdir, e.name.slice(moduleDir.length + 1));
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, e.data);
  }
  const before = new Map(INDEX_FILES.map((f) => [f, tree.find(`${moduleDir}/${f}`, true)?.content.data]));
  execFileSync('depmod', ['-b', stage, kver]);
  const ours = new Map(patch.entries.map((e) => [e.name.slice(moduleDir.length + 1), e.data]));
  const produced = readdirSync(kdir).filter((f) => f.startsWith('modules.') && f !== 'modules.order' && f !== 'modules.builtin' && f !== 'modules.builtin.modinfo');
  expect(produced.sort()).toEqual([...INDEX_FILES].sort());
  const changed: string[] = [];
  for (const name of INDEX_FILES) {
    const host = new Uint8Array(readFileSync(join(kdir, name)));
    // What the merged tree will hold: our file when we ship one, else the original's.
    const mine = ours.get(name) ?? before.get(name);
    expect(mine, `${name} missing from the merged tree`).toBeDefined();
    expect(Buffer.from(mine as Uint8Array).equals(Buffer.from(host)), `${name} differs from depmod's`).toBe(true);
    if (ours.has(name)) changed.push(name);
  }
  // The files a new module changes are shipped; the built-in indexes are not.
  expect(changed.sort()).toEqual(expect.arrayContaining(['modules.alias', 'modules.alias.bin', 'modules.dep', 'modules.dep.bin', 'modules.symbols', 'modules.symbols.bin']));
  for (const [name, data] of ours) if (!isModule(name) && data.length > 0) writeFileSync(join(kdir, name), data);
  return { stage, kdir };
}

for (const flavour of ['initramfs-tools', 'dracut'] as GuestFlavour[]) {
  describe(`initramfs realizer on the VMware ${flavour} lab guest`, () => {
    let tx: Transaction;
    let guest: GuestView;
    let planned: PlannedInitramfs;
    let patch: AppendInitramfsPatch;
    let original: Uint8Array;
    let kver: string;
    let moduleDir: string;

    beforeAll(async () => {
      const lab = labGuest(flavour, { source: 'vmware' });
      tx = await Transaction.open({ imagePath: lab.disk });
      guest = await transactionGuest(tx);
      planned = await planFor({ guest, modules: WANTED });
      kver = planned.kernel;
      original = await (await guest.fs(guest.root)).readFile(planned.initramfs);
      const patches = await realizeInitramfsModules({ planned, guest });
      expect(patches).toHaveLength(1);
      patch = patches[0] as AppendInitramfsPatch;
      moduleDir = `usr/lib/modules/${kver}`;
      // A clean machine builds the lab guest first (up to 3 min for dracut).
    }, 600_000);
    afterAll(async () => {
      await tx?.close();
    });

    it('adds exactly the modules.dep closure minus what the initramfs has, under usr/lib and never a lib entry', () => {
      expect(patch.kind).toBe('append-initramfs');
      const added = patch.entries.filter((e) => isModule(e.name));
      expect(added.map((e) => moduleName(e.name)).sort()).toEqual(EXPECTED_NEW);
      const before = new Set(openInitramfs(original).modules().map((m) => m.name));
      for (const e of added) expect(before.has(moduleName(e.name))).toBe(false);
      for (const e of patch.entries) {
        expect(e.name.startsWith(`${moduleDir}/`), e.name).toBe(true);
        expect(e.name === 'lib' || e.name.startsWith('lib/')).toBe(false);
      }
      // Entries sorted, directories before their contents, every parent a real directory.
      const names = patch.entries.map((e) => e.name);
      expect(names).toEqual([...names].sort());
      const tree = openInitramfs(original).tree;
      const dirs = new Set(patch.entries.filter((e) => (e.mode & S_IFMT) === S_IFDIR).map((e) => e.name));
      for (const e of patch.entries) {
        const parent = dirname(e.name);
        expect(dirs.has(parent) || (tree.find(parent, false)?.mode ?? 0) & S_IFDIR, `${e.name}: parent ${parent}`).toBeTruthy();
      }
    });

    it('is deterministic: a second realization gives the same segment bytes', async () => {
      const [again] = (await realizeInitramfsModules({ planned, guest })) as AppendInitramfsPatch[];
      expect(again?.expect).toEqual(patch.expect);
      expect(Buffer.from(buildSegment(again?.entries ?? [])).equals(Buffer.from(buildSegment(patch.entries)))).toBe(true);
    }, 60_000);

    it('regenerates index files byte-identical to the host depmod on the same staging tree', () => {
      const { stage, kdir } = compareWithHostDepmod({ original, patch, kver, moduleDir });
      // modprobe resolves the added driver through our .bin files (written over depmod's).
      const deps = execFileSync('modprobe', ['-d', stage, '-S', kver, '--show-depends', 'virtio_blk'], { encoding: 'utf8' });
      for (const m of ['virtio_ring', 'virtio', 'virtio_blk']) expect(deps).toMatch(new RegExp(`/${m}\\.ko`));
      const alias = execFileSync('modprobe', ['-d', stage, '-S', kver, '--resolve-alias', 'pci:v00001AF4d00001042sv00001AF4sd00000002bc01sc00i00'], { encoding: 'utf8' });
      expect(alias.trim()).toBe('virtio_pci');
      const info = execFileSync('modinfo', ['-b', stage, '-k', kver, '-F', 'filename', 'virtio_scsi'], { encoding: 'utf8' });
      expect(info.trim()).toBe(join(kdir, 'kernel/drivers/scsi/virtio_scsi.ko'));
    }, 120_000);

    it('applies: original bytes a prefix, segment 4-byte aligned, host cpio unpacks the same files, the kernel view sees the modules', async () => {
      requireTool('cpio');
      await tx.apply([patch]);
      const fs = await guest.fs(guest.root);
      const after = await fs.readFile(planned.initramfs);
      expect(Buffer.from(after.subarray(0, original.length)).equals(Buffer.from(original))).toBe(true);
      const start = original.length + ((4 - (original.length % 4)) % 4);
      expect(after.subarray(original.length, start).every((b) => b === 0)).toBe(true);
      const segment = after.subarray(start);
      expect(Buffer.from(segment).equals(Buffer.from(buildSegment(patch.entries)))).toBe(true);
      const dir = scratch();
      execFileSync('cpio', ['-i', '-d', '--quiet', '--no-absolute-filenames'], { cwd: dir, input: segment });
      for (const e of patch.entries) {
        if ((e.mode & S_IFMT) === S_IFDIR) continue;
        expect(Buffer.from(readFileSync(join(dir, e.name))).equals(Buffer.from(e.data)), e.name).toBe(true);
      }
      const merged = openInitramfs(after);
      const names = new Set(merged.modules().map((m) => m.name));
      for (const m of EXPECTED_NEW) expect(names.has(m), m).toBe(true);
      expect(merged.tree.find('lib', false)?.target).toBe('usr/lib');

      // Re-inspection reads the written initramfs: the drivers are now inside it.
      const kernels = await inspectKernels({ guest: new GuestFs({ root: fs }), diagnostics: ignoreDiagnostics });
      const kernel = kernels.find((k) => k.version === kver);
      expect(kernel?.drivers.virtio_blk).toBe('initramfs');
      expect(kernel?.drivers.virtio_scsi).toBe('initramfs');
      expect(kernel?.drivers.virtio_pci).toBe('initramfs');

      // Realizing again proposes nothing (the plan after apply is empty), and applying the
      // same patch again is a no-op.
      const again = await realizeInitramfsModules({ planned: { ...planned, expectSize: after.length }, guest });
      expect(again).toEqual([]);
      const [entry] = await tx.apply([patch]);
      expect(entry?.outcome).toBe('already');
    }, 120_000);

    it('refuses with a PreconditionError when the initramfs is not the size the plan read', async () => {
      const fs = await guest.fs(guest.root);
      const size = (await fs.stat(planned.initramfs)).size;
      await expect(realizeInitramfsModules({ planned: { ...planned, expectSize: size + 1 }, guest })).rejects.toBeInstanceOf(PreconditionError);
      await expect(realizeInitramfsModules({ planned: { ...planned, initramfs: '/boot/initrd.img-none' }, guest })).rejects.toBeInstanceOf(PreconditionError);
      // An initramfs whose modules are for another kernel than the plan's.
      await expect(realizeInitramfsModules({ planned: { ...planned, expectSize: size, kernel: '6.1.0-99-amd64' }, guest })).rejects.toThrow(/module tree|not for kernel/);
    });

    it('refuses with an UnsupportedError naming a module the tree lacks', async () => {
      const fs = await guest.fs(guest.root);
      const size = (await fs.stat(planned.initramfs)).size;
      const error = await realizeInitramfsModules({ planned: { ...planned, expectSize: size, modules: ['virtio_blk', 'no_such_driver'] }, guest }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedError);
      expect((error as Error).message).toContain('no_such_driver');
    });
  });
}

describe('initramfs realizer with xz-compressed modules in the guest tree', () => {
  it('ships the .ko.xz files as the guest has them and indexes them as depmod does', async () => {
    requireTool('xz');
    const lab = labGuest('initramfs-tools', { source: 'vmware' });
    const tx = await Transaction.open({ imagePath: lab.disk });
    try {
      const guest = await transactionGuest(tx);
      const fs = await tx.writableFileSystem(guest.root);
      const first = await planFor({ guest, modules: WANTED });
      const kver = first.kernel;
      // Turn the guest's virtio modules into .ko.xz (as Fedora/SUSE/Ubuntu ship them), in the overlay only.
      const tree = `/usr/lib/modules/${kver}`;
      const depText = new TextDecoder().decode(await fs.readFile(`${tree}/modules.dep`));
      const virtio = new Set(depText.split('\n').map((l) => l.split(':')[0] as string).filter((p) => EXPECTED_NEW.includes(moduleName(p))));
      expect(virtio.size).toBe(EXPECTED_NEW.length);
      const xzBytes = new Map<string, Uint8Array>();
      for (const rel of virtio) {
        const xz = new Uint8Array(execFileSync('xz', ['-c', '--check=crc32'], { input: await fs.readFile(`${tree}/${rel}`) }));
        xzBytes.set(`${rel}.xz`, xz);
        await fs.writeFile(`${tree}/${rel}.xz`, xz);
        await fs.unlink(`${tree}/${rel}`);
      }
      const rewritten = depText
        .split('\n')
        .map((line) => line.replace(/[^\s:]+\.ko\b/g, (p) => (virtio.has(p) ? `${p}.xz` : p)))
        .join('\n');
      await fs.writeFile(`${tree}/modules.dep`, new TextEncoder().encode(rewritten));

      const planned = await planFor({ guest, modules: WANTED });
      const original = await fs.readFile(planned.initramfs);
      const [patch] = (await realizeInitramfsModules({ planned, guest })) as AppendInitramfsPatch[];
      const moduleDir = `usr/lib/modules/${kver}`;
      const shipped = (patch?.entries ?? []).filter((e) => isModule(e.name));
      expect(shipped.map((e) => e.name.slice(moduleDir.length + 1)).sort()).toEqual([...xzBytes.keys()].sort());
      for (const e of shipped) expect(Buffer.from(e.data).equals(Buffer.from(xzBytes.get(e.name.slice(moduleDir.length + 1)) as Uint8Array)), e.name).toBe(true);
      const { stage } = compareWithHostDepmod({ original, patch: patch as AppendInitramfsPatch, kver, moduleDir });
      const deps = execFileSync('modprobe', ['-d', stage, '-S', kver, '--show-depends', 'virtio_scsi'], { encoding: 'utf8' });
      expect(deps).toMatch(/virtio_scsi\.ko\.xz/);
    } finally {
      await tx.close();
    }
  }, 600_000);
});
