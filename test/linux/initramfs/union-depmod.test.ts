// The patch scenario end to end on real modules: an initramfs holding the Debian kernel's
// drivers/ata modules (gzip-compressed, lib -> usr/lib), virtio modules added from outside,
// index files regenerated for the union with initramfsDepmodInput + depmod(), and the
// result compared with the host's `depmod -b` on a staging tree of the same union. The
// appended segment then has to give the kernel's merged view the new files.

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendSegment, fileEntry, initramfsDepmodInput, openInitramfs } from '../../../src/linux/initramfs/index.js';
import { KmodIndex, type DepmodModule, depmod, readModuleInfo } from '../../../src/linux/kmod/index.js';
import { requireTool, tempDir } from '../../helpers/tools.js';

const REPO = new URL('../../../', import.meta.url).pathname;

function walk(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(dir, join(base, e.name)) : [join(base, e.name)]));
}

describe('regenerating module indexes for an initramfs plus added modules', () => {
  it('matches the host depmod on the union and lands in the merged tree', async () => {
    for (const tool of ['depmod', 'cpio', 'gzip']) requireTool(tool);
    const [root, kver] = execFileSync(join(REPO, 'fixtures/scripts/fetch-debian-kernel.sh'), { encoding: 'utf8' }).trim().split(' ') as [string, string];
    const source = join(root, 'lib/modules', kver);
    const dir = tempDir('rehost-union-');

    // The original initramfs: ata modules and the tree's metadata under usr/lib, lib -> usr/lib.
    const tree = join(dir, 'tree');
    const modDir = join(tree, 'usr/lib/modules', kver);
    cpSync(join(source, 'kernel/drivers/ata'), join(modDir, 'kernel/drivers/ata'), { recursive: true });
    for (const f of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) cpSync(join(source, f), join(modDir, f));
    symlinkSync('usr/lib', join(tree, 'lib'));
    const original = new Uint8Array(execFileSync('sh', ['-c', 'find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -c'], { cwd: tree, maxBuffer: 1 << 28 }));
    const image = openInitramfs(original);

    // Modules to add.
    const addedPaths = [...walk(join(source, 'kernel/drivers/virtio')).map((p) => `kernel/drivers/virtio/${p}`), 'kernel/drivers/block/virtio_blk.ko'];
    const extra: DepmodModule[] = addedPaths.map((path) => ({ path, info: readModuleInfo({ bytes: new Uint8Array(readFileSync(join(source, path))), path }) }));
    const output = depmod(initramfsDepmodInput({ tree: image.tree, kernelVersion: kver, extra }));

    // The host's depmod on the same union.
    const staging = join(dir, 'staging');
    const stage = join(staging, 'lib/modules', kver);
    cpSync(join(source, 'kernel/drivers/ata'), join(stage, 'kernel/drivers/ata'), { recursive: true });
    for (const path of addedPaths) {
      mkdirSync(join(stage, path, '..'), { recursive: true });
      cpSync(join(source, path), join(stage, path));
    }
    for (const f of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) cpSync(join(source, f), join(stage, f));
    execFileSync('depmod', ['-b', staging, kver]);
    for (const name of ['modules.dep', 'modules.alias', 'modules.softdep', 'modules.devname'] as const) {
      expect(output[name], name).toBe(readFileSync(join(stage, name), 'utf8'));
    }
    for (const name of ['modules.dep.bin', 'modules.alias.bin', 'modules.symbols.bin', 'modules.builtin.bin', 'modules.builtin.alias.bin'] as const) {
      expect(Buffer.from(output[name] as Uint8Array).equals(readFileSync(join(stage, name))), name).toBe(true);
    }

    // The appended segment: new modules and regenerated indexes under usr/lib/modules.
    const base = `usr/lib/modules/${kver}`;
    const entries = [
      ...addedPaths.map((path) => fileEntry({ path: `${base}/${path}`, data: new Uint8Array(readFileSync(join(source, path))) })),
      ...Object.entries(output).map(([name, content]) => fileEntry({ path: `${base}/${name}`, data: typeof content === 'string' ? new TextEncoder().encode(content) : content })),
    ];
    const patched = openInitramfs(appendSegment({ original, entries }));
    const names = patched.modules().map((m) => m.name);
    expect(names).toContain('virtio_blk');
    expect(names).toContain('ahci');
    const depBin = new KmodIndex(await patched.fs.readFile(`/lib/modules/${kver}/modules.dep.bin`));
    expect(depBin.lookup('virtio_blk')[0]?.value).toMatch(/^kernel\/drivers\/block\/virtio_blk\.ko: /);
    rmSync(dir, { recursive: true, force: true });
  });
});
