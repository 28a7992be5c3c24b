// Every patch kind on an in-memory filesystem: it applies when the precondition holds, refuses
// (PreconditionError, nothing written) when it does not, and applying it twice changes nothing.

import { describe, expect, test } from 'vitest';
import { MemoryFileSystem } from '../../src/fs/memory/index.js';
import { applyPatch, describePatch, pathState, sha256Hex, type Patch } from '../../src/patch/index.js';
import { fileEntry, parseInitramfs } from '../../src/linux/initramfs/index.js';
import { PreconditionError, UnsupportedError } from '../../src/errors.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = async (fs: MemoryFileSystem, path: string): Promise<string> => new TextDecoder().decode(await fs.readFile(path));

const FSTAB = '# static\n/dev/sda1 / ext4 errors=remount-ro 0 1\n';
const INITRD = new Uint8Array(1001).map((_, i) => (i * 7) & 0xff); // not 4-aligned: padding is exercised

async function guest(): Promise<MemoryFileSystem> {
  return MemoryFileSystem.from({
    etc: {
      fstab: FSTAB,
      hostname: 'old\n',
      'lvm-devices': 'x',
      systemd: { system: {} },
      'rc2.d': { 'S01open-vm-tools': { symlink: '../init.d/open-vm-tools' } },
      'rc3.d': { 'S01open-vm-tools': { symlink: '../init.d/open-vm-tools' } },
      'init.d': { 'open-vm-tools': '#!/bin/sh\n' },
    },
    boot: { 'initrd.img-6.1': INITRD },
  });
}

/** Applies, checks the result, re-applies (must be 'already' and change nothing), returns the snapshot. */
async function applyTwice(fs: MemoryFileSystem, patch: Patch, paths: string[]): Promise<void> {
  const first = await applyPatch(fs, patch);
  expect(first.outcome).toBe('applied');
  const snapshot = await Promise.all(paths.map((p) => pathState(fs, p)));
  const second = await applyPatch(fs, patch);
  expect(second.outcome).toBe('already');
  expect(await Promise.all(paths.map((p) => pathState(fs, p)))).toEqual(snapshot);
  for (const t of first.targets) expect(await pathState(fs, t.path)).toBe(t.after);
  expect(describePatch(patch).length).toBeGreaterThan(10);
}

async function expectRefused(fs: MemoryFileSystem, patch: Patch, paths: string[]): Promise<void> {
  const before = await Promise.all(paths.map((p) => pathState(fs, p)));
  await expect(applyPatch(fs, patch)).rejects.toThrow(PreconditionError);
  expect(await Promise.all(paths.map((p) => pathState(fs, p)))).toEqual(before);
}

describe('write-file', () => {
  test('create absent file (with parents), replace by hash, refuse otherwise', async () => {
    const fs = await guest();
    await applyTwice(fs, { kind: 'write-file', path: '/etc/systemd/network/10-eth0.link', expect: 'absent', content: enc('[Match]\n') }, ['/etc/systemd/network/10-eth0.link']);
    expect(await text(fs, '/etc/systemd/network/10-eth0.link')).toBe('[Match]\n');
    await applyTwice(fs, { kind: 'write-file', path: '/etc/hostname', expect: { sha256: sha256Hex(enc('old\n')) }, content: enc('new\n') }, ['/etc/hostname']);
    expect(await text(fs, '/etc/hostname')).toBe('new\n');
    await expectRefused(fs, { kind: 'write-file', path: '/etc/hostname', expect: { sha256: sha256Hex(enc('other\n')) }, content: enc('x\n') }, ['/etc/hostname']);
    await expectRefused(fs, { kind: 'write-file', path: '/etc/fstab', expect: 'absent', content: enc('x\n') }, ['/etc/fstab']);
  });

  test('a replaced file keeps its mode and owner', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/etc');
    await fs.writeFile('/etc/shadow', enc('a'), { mode: 0o640, uid: 0, gid: 42 });
    await applyPatch(fs, { kind: 'write-file', path: '/etc/shadow', expect: { sha256: sha256Hex(enc('a')) }, content: enc('b') });
    const st = await fs.stat('/etc/shadow');
    expect((st.mode ?? 0) & 0o7777).toBe(0o640);
    expect(st.gid).toBe(42);
  });
});

describe('delete-file', () => {
  test('deletes by hash, idempotent, refuses a changed file', async () => {
    const fs = await guest();
    await expectRefused(fs, { kind: 'delete-file', path: '/etc/lvm-devices', expect: { sha256: sha256Hex(enc('y')) } }, ['/etc/lvm-devices']);
    await applyTwice(fs, { kind: 'delete-file', path: '/etc/lvm-devices', expect: { sha256: sha256Hex(enc('x')) } }, ['/etc/lvm-devices']);
    expect(await fs.exists('/etc/lvm-devices')).toBe(false);
  });
});

describe('edit-config', () => {
  const patch = (sha: string): Patch => ({
    kind: 'edit-config',
    path: '/etc/fstab',
    expect: { sha256: sha },
    edit: { format: 'fstab', edits: [{ op: 'set-field', where: { equals: '/' }, field: 'spec', value: 'UUID=r' }] },
  });
  test('edits, is idempotent, preserves the rest byte-for-byte', async () => {
    const fs = await guest();
    await applyTwice(fs, patch(sha256Hex(enc(FSTAB))), ['/etc/fstab']);
    expect(await text(fs, '/etc/fstab')).toBe('# static\nUUID=r / ext4 errors=remount-ro 0 1\n');
  });
  test('a file the plan did not see is refused unless the edit is already in it', async () => {
    const fs = await guest();
    await fs.writeFile('/etc/fstab', enc('# changed\n/dev/sda1 / ext4 defaults 0 1\n'));
    await expectRefused(fs, patch(sha256Hex(enc(FSTAB))), ['/etc/fstab']);
    await fs.writeFile('/etc/fstab', enc('# changed\n/dev/sdb1 /srv ext4 defaults 0 1\n'));
    await expectRefused(fs, patch(sha256Hex(enc(FSTAB))), ['/etc/fstab']);
    await fs.writeFile('/etc/fstab', enc('UUID=r / ext4 defaults 0 1\n'));
    expect((await applyPatch(fs, patch(sha256Hex(enc(FSTAB))))).outcome).toBe('already');
    await fs.unlink('/etc/fstab');
    await expect(applyPatch(fs, patch(sha256Hex(enc(FSTAB))))).rejects.toThrow(PreconditionError);
  });
});

describe('append-initramfs', () => {
  test('original bytes kept as prefix, segment appended aligned, idempotent', async () => {
    const fs = await guest();
    const entries = [fileEntry({ path: 'usr/lib/modules/6.1/kernel/virtio_blk.ko', data: enc('module') })];
    const patch: Patch = { kind: 'append-initramfs', path: '/boot/initrd.img-6.1', expect: { sha256: sha256Hex(INITRD) }, entries };
    await applyTwice(fs, patch, ['/boot/initrd.img-6.1']);
    const now = await fs.readFile('/boot/initrd.img-6.1');
    expect(Buffer.from(now.subarray(0, INITRD.length)).equals(Buffer.from(INITRD))).toBe(true);
    expect(now.subarray(INITRD.length, 1004)).toEqual(new Uint8Array(3));
    const segments = parseInitramfs(now.subarray(1004));
    expect(segments.length).toBe(1);
    await expectRefused(fs, { ...patch, expect: { sha256: sha256Hex(enc('another')) } } as Patch, ['/boot/initrd.img-6.1']);
  });
});

describe('mask-unit and disable-sysv', () => {
  test('mask: symlink to /dev/null, idempotent; an existing override is refused unless expected', async () => {
    const fs = await guest();
    await applyTwice(fs, { kind: 'mask-unit', unit: 'open-vm-tools.service', expect: 'absent' }, ['/etc/systemd/system/open-vm-tools.service']);
    expect((await fs.stat('/etc/systemd/system/open-vm-tools.service')).target).toBe('/dev/null');
    await fs.writeFile('/etc/systemd/system/vmtoolsd.service', enc('[Unit]\n'));
    await expectRefused(fs, { kind: 'mask-unit', unit: 'vmtoolsd.service', expect: 'absent' }, ['/etc/systemd/system/vmtoolsd.service']);
    await applyTwice(fs, { kind: 'mask-unit', unit: 'vmtoolsd.service', expect: { sha256: sha256Hex(enc('[Unit]\n')) } }, ['/etc/systemd/system/vmtoolsd.service']);
    await expect(applyPatch(fs, { kind: 'mask-unit', unit: '../evil', expect: 'absent' })).rejects.toThrow(UnsupportedError);
  });

  test('sysv: S links become K links; all checked before any change', async () => {
    const fs = await guest();
    const links = [
      { path: '/etc/rc2.d/S01open-vm-tools', target: '../init.d/open-vm-tools' },
      { path: '/etc/rc3.d/S01open-vm-tools', target: '../init.d/open-vm-tools' },
    ];
    const paths = ['/etc/rc2.d/S01open-vm-tools', '/etc/rc2.d/K01open-vm-tools', '/etc/rc3.d/S01open-vm-tools', '/etc/rc3.d/K01open-vm-tools'];
    await expectRefused(fs, { kind: 'disable-sysv', service: 'open-vm-tools', links: [...links, { path: '/etc/rc5.d/S01open-vm-tools', target: '../init.d/open-vm-tools' }] }, paths);
    await applyTwice(fs, { kind: 'disable-sysv', service: 'open-vm-tools', links }, paths);
    expect(await pathState(fs, '/etc/rc2.d/K01open-vm-tools')).toBe('symlink:../init.d/open-vm-tools');
    expect(await fs.exists('/etc/rc3.d/S01open-vm-tools')).toBe(false);
  });
});
