// The transaction on a real ext4-in-GPT disk made at test time: patches applied through the
// overlay, verified, and committed three ways; every output is checked by the trusted tools
// (qemu-img check/info/convert, e2fsck -fn, debugfs reading the files back from qemu's view).

import { closeSync, copyFileSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { requireTool, run, sha256File, tempDir } from '../helpers/tools.js';
import { applyAndCommit, openTransaction, undo, readUndoJournal } from '../../src/patch/index.js';
import { CorruptError, PreconditionError, UnsafeStateError, UnsupportedError } from '../../src/errors.js';
import { GUEST_FILES, PART_START, extractPartition, makeGuestDisk } from './guest-disk.js';
import { NEW_LINK, guestPatches, hashOf } from './guest-patches.js';

function debugfsCat(part: string, path: string): Buffer {
  return spawnSync('debugfs', ['-R', `cat ${path}`, part], { maxBuffer: 1 << 28 }).stdout;
}

/** Checks a raw disk (qemu's view of an output): e2fsck -fn clean and the files as patched. */
function checkPatchedRaw(raw: string, dir: string, name: string): void {
  const part = extractPartition(raw, join(dir, `${name}.part`));
  const fsck = spawnSync('e2fsck', ['-fn', part], { encoding: 'utf8' });
  expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
  expect(debugfsCat(part, '/etc/fstab').toString()).toBe('# /etc/fstab\nUUID=0f3c6a7e-1111-4222-8333-444455556666 / ext4 errors=remount-ro 0 1\n/dev/sda5 none swap sw 0 0\n');
  expect(debugfsCat(part, '/etc/default/grub').toString()).toBe(
    'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="root=UUID=0f3c6a7e-1111-4222-8333-444455556666"\n',
  );
  expect(debugfsCat(part, '/etc/initramfs-tools/modules').toString()).toBe('# modules\nvmw_pvscsi\nvirtio_blk\n');
  expect(debugfsCat(part, '/etc/systemd/network/10-eth0.link').toString()).toBe(NEW_LINK);
  const initrd = debugfsCat(part, '/boot/initrd.img-6.1.0-18-amd64');
  const original = GUEST_FILES['boot/initrd.img-6.1.0-18-amd64'] as Uint8Array;
  expect(initrd.length).toBeGreaterThan(original.length + 70_000);
  expect(initrd.subarray(0, original.length).equals(Buffer.from(original))).toBe(true);
  const stat = run('debugfs', ['-R', 'stat /etc/systemd/system/open-vm-tools.service', part]);
  expect(stat).toContain('Type: symlink');
  expect(stat).toContain('Fast link dest: "/dev/null"');
  expect(run('debugfs', ['-R', 'ls /etc/lvm/devices', part])).not.toContain('system.devices');
}

let dir: string;
let disk: { raw: string; qcow2: string };

beforeAll(() => {
  for (const tool of ['mkfs.ext4', 'sgdisk', 'qemu-img', 'e2fsck', 'debugfs']) requireTool(tool);
  dir = tempDir('rehost-patch-');
  disk = makeGuestDisk(dir);
});

describe('transaction', () => {
  test('backed qcow2 commit: check clean, backing recorded, source unchanged, e2fsck clean, files patched', async () => {
    const sourceHash = await sha256File(disk.qcow2);
    const tx = await openTransaction({ imagePath: disk.qcow2 });
    const results = await tx.apply(guestPatches());
    expect(results.map((r) => r.outcome)).toEqual(Array(7).fill('applied'));
    const out = join(dir, 'out.qcow2');
    const journal = await tx.commit({ mode: 'backed', output: out });
    await tx.close();
    expect(journal.verified?.files).toBeGreaterThanOrEqual(7);
    expect(journal.commit?.backing).toEqual({ filename: 'disk.qcow2', format: 'qcow2' });
    expect(journal.patches[0]?.targets[0]?.before).toBe(hashOf('etc/fstab'));
    expect(await sha256File(disk.qcow2)).toBe(sourceHash);

    const check = JSON.parse(run('qemu-img', ['check', '--output=json', out])) as Record<string, number>;
    expect(check['check-errors'] ?? 0).toBe(0);
    expect(check.corruptions ?? 0).toBe(0);
    expect(check.leaks ?? 0).toBe(0);
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', out])) as Record<string, unknown>;
    expect(info['backing-filename']).toBe('disk.qcow2');
    expect(info['backing-filename-format']).toBe('qcow2');
    // Only the changed chunks are stored.
    expect(Number(info['actual-size'])).toBeLessThan(2 * 1024 * 1024);

    const raw = join(dir, 'out.raw');
    run('qemu-img', ['convert', '-O', 'raw', out, raw]);
    checkPatchedRaw(raw, dir, 'backed');

    // Re-applying the same plan to the output changes nothing.
    const again = await openTransaction({ imagePath: out });
    expect((await again.apply(guestPatches())).map((r) => r.outcome)).toEqual(Array(7).fill('already'));
    expect(again.overlay.clean).toBe(true);
    await again.close();
  });

  test('standalone vmdk commit: qemu reads the same guest as the backed output', async () => {
    const tx = await openTransaction({ imagePath: disk.raw });
    await tx.apply(guestPatches());
    const out = join(dir, 'out.vmdk');
    const journal = await tx.commit({ mode: 'standalone', output: out, format: 'vmdk' });
    await tx.close();
    expect(journal.commit?.format).toBe('vmdk');
    const check = spawnSync('qemu-img', ['check', out], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const raw = join(dir, 'out-vmdk.raw');
    run('qemu-img', ['convert', '-O', 'raw', out, raw]);
    checkPatchedRaw(raw, dir, 'vmdk');
  });

  test('backed over a vmdk source in another directory; one transaction committed as raw/vpc/vhdx/qcow2/vmdk holds one guest (qemu-img compare)', async () => {
    const vmdk = join(dir, 'source.vmdk');
    run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', disk.raw, vmdk]);
    const sourceHash = await sha256File(vmdk);
    run('mkdir', ['-p', join(dir, 'sub')]);
    const backed = join(dir, 'sub', 'over-vmdk.qcow2');
    const tx = await openTransaction({ imagePath: vmdk });
    await tx.apply(guestPatches());
    const journal = await tx.commit({ mode: 'backed', output: backed });
    await tx.close();
    expect(journal.commit?.backing).toEqual({ filename: '../source.vmdk', format: 'vmdk' });
    const info = JSON.parse(run('qemu-img', ['info', '--output=json', backed])) as Record<string, unknown>;
    expect(info['backing-filename-format']).toBe('vmdk');
    expect(resolve(String(info['full-backing-filename']))).toBe(vmdk);
    expect(await sha256File(vmdk)).toBe(sourceHash);
    const raw = join(dir, 'over-vmdk.raw');
    run('qemu-img', ['convert', '-O', 'raw', backed, raw]);
    checkPatchedRaw(raw, dir, 'over-vmdk');
    // The same transaction, committed again side by side in every writable format: qemu sees one guest.
    const t = await openTransaction({ imagePath: disk.raw });
    await t.apply(guestPatches());
    const reference = join(dir, 'reference.qcow2');
    await t.commit({ mode: 'backed', output: reference });
    const referenceRaw = join(dir, 'reference.raw');
    run('qemu-img', ['convert', '-O', 'raw', reference, referenceRaw]);
    checkPatchedRaw(referenceRaw, dir, 'reference');
    for (const [format, qemuName] of [['raw', 'raw'], ['vhd', 'vpc'], ['vhdx', 'vhdx'], ['qcow2', 'qcow2'], ['vmdk', 'vmdk']] as const) {
      const out = join(dir, `standalone.${format}`);
      await t.commit({ mode: 'standalone', output: out, format });
      const compare = spawnSync('qemu-img', ['compare', '-f', qemuName, '-F', 'raw', out, referenceRaw], { encoding: 'utf8' });
      expect(compare.status, `${format}: ${compare.stdout}${compare.stderr}`).toBe(0);
    }
    await t.close();
  });

  test('recheck sees the patched volumes; a failing recheck aborts the commit with no output', async () => {
    const tx = await openTransaction({ imagePath: disk.qcow2 });
    await tx.apply(guestPatches());
    const out = join(dir, 'rechecked.qcow2');
    await expect(
      tx.commit(
        { mode: 'backed', output: out },
        {
          recheck: async (volumes) => {
            expect(volumes.map((v) => `${v.id}:${v.filesystem.kind}`)).toEqual(['p1:ext4']);
            throw new PreconditionError('re-plan proposes more patches');
          },
        },
      ),
    ).rejects.toThrow(/re-plan/);
    expect(readdirSync(dir).filter((n) => n.startsWith('rechecked'))).toEqual([]);
    const journal = await tx.commit({ mode: 'backed', output: out }, { recheck: async () => {} });
    await tx.close();
    // The change journal is plain JSON for reports.
    const json = JSON.parse(JSON.stringify(journal)) as typeof journal;
    expect(json.patches.map((p) => p.kind)).toEqual(['edit-config', 'edit-config', 'edit-config', 'delete-file', 'write-file', 'mask-unit', 'append-initramfs']);
    expect(json.patches[3]?.targets[0]).toEqual({ path: '/etc/lvm/devices/system.devices', before: hashOf('etc/lvm/devices/system.devices'), after: 'absent' });
    expect(json.patches.every((p) => p.description.length > 0)).toBe(true);
  });

  test('a precondition failing halfway through the plan writes nothing of the user\'s', async () => {
    const patches = guestPatches();
    patches.splice(4, 0, { kind: 'write-file', volume: 'p1', path: '/etc/hostname', expect: { sha256: '0'.repeat(64) }, content: new Uint8Array([1]) });
    const image = join(dir, 'halfway.raw');
    copyFileSync(disk.raw, image);
    const before = await sha256File(image);
    for (const commit of [{ mode: 'backed', output: join(dir, 'halfway.qcow2') }, { mode: 'in-place' }] as const) {
      await expect(applyAndCommit({ imagePath: image, patches, commit })).rejects.toThrow(PreconditionError);
    }
    expect(readdirSync(dir).filter((n) => n.startsWith('halfway'))).toEqual(['halfway.raw']);
    expect(await sha256File(image)).toBe(before);
  });

  test('in place on raw, then undo: original sha256 back; undo twice is harmless', async () => {
    const image = join(dir, 'inplace.raw');
    copyFileSync(disk.raw, image);
    const original = await sha256File(image);
    const tx = await openTransaction({ imagePath: image });
    await tx.apply(guestPatches());
    const journal = await tx.commit({ mode: 'in-place' });
    await tx.close();
    const journalPath = journal.commit?.journalPath as string;
    expect(journalPath).toBe(`${image}.rehost-undo`);
    expect(await sha256File(image)).not.toBe(original);
    checkPatchedRaw(image, dir, 'inplace');
    const header = (await readUndoJournal(journalPath)).header;
    expect(header.ranges.length).toBeGreaterThan(0);
    expect(header.ranges.every((r) => r.offset >= PART_START)).toBe(true);

    // A second in-place commit would overwrite the journal: refused.
    const tx2 = await openTransaction({ imagePath: image });
    await expect(tx2.commit({ mode: 'in-place' })).rejects.toThrow(PreconditionError);
    await tx2.close();

    const result = await undo(journalPath);
    expect(result.restored).toBe(header.ranges.length);
    expect(await sha256File(image)).toBe(original);
    expect((await undo(journalPath)).untouched).toBe(header.ranges.length);
    expect(await sha256File(image)).toBe(original);
  });

  test('undo refuses a tampered journal and an image changed since', async () => {
    const image = join(dir, 'tamper.raw');
    copyFileSync(disk.raw, image);
    const tx = await openTransaction({ imagePath: image });
    await tx.apply(guestPatches().slice(0, 1));
    const journalPath = (await tx.commit({ mode: 'in-place' })).commit?.journalPath as string;
    await tx.close();
    const bad = join(dir, 'bad.journal');
    const copy = readFileSync(journalPath);
    copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0xff;
    writeFileSync(bad, copy);
    await expect(undo(bad)).rejects.toThrow(CorruptError);
    writeFileSync(bad, 'not a journal');
    await expect(undo(bad)).rejects.toThrow(CorruptError);
    // Scribble over the first changed range: undo refuses before writing.
    const { header } = await readUndoJournal(journalPath);
    const first = header.ranges[0] as { offset: number };
    run('dd', ['if=/dev/urandom', `of=${image}`, 'bs=1', 'count=16', `seek=${first.offset}`, 'conv=notrunc', 'status=none']);
    await expect(undo(journalPath)).rejects.toThrow(PreconditionError);
  });

  test('refusals before any write: unclean ext, ext needing recovery, XFS, LUKS', async () => {
    for (const [name, command, word] of [
      ['dirty', 'ssv state 0', /not cleanly unmounted/],
      ['recovery', 'feature needs_recovery', /needs recovery/],
    ] as const) {
      const image = join(dir, `${name}.raw`);
      copyFileSync(disk.raw, image);
      const part = extractPartition(image, join(dir, `${name}.part`));
      run('debugfs', ['-w', '-R', command, part]);
      run('dd', [`if=${part}`, `of=${image}`, 'bs=1M', `seek=${PART_START / (1024 * 1024)}`, 'conv=notrunc', 'status=none']);
      const before = await sha256File(image);
      const t1 = await openTransaction({ imagePath: image });
      const failure = t1.apply(guestPatches());
      await expect(failure).rejects.toThrow(UnsafeStateError);
      await expect(failure).rejects.toThrow(word);
      expect(t1.overlay.clean).toBe(true);
      await t1.close();
      expect(await sha256File(image)).toBe(before);
    }

    for (const [name, magic, error, word] of [
      ['xfs', Buffer.from('XFSB'), UnsupportedError, /xfs/],
      ['luks', Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]), UnsafeStateError, /encrypted/],
    ] as const) {
      const path = join(dir, `${name}.raw`);
      copyFileSync(disk.raw, path);
      const fd = openSync(path, 'r+');
      writeSync(fd, magic, 0, magic.length, PART_START);
      closeSync(fd);
      const t = await openTransaction({ imagePath: path });
      const failure = t.apply(guestPatches());
      await expect(failure).rejects.toThrow(error);
      await expect(failure).rejects.toThrow(word);
      expect(t.overlay.clean).toBe(true);
      await t.close();
    }
  });
});
