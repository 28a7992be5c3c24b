// The FAT writer inside rehost's transaction: a GPT disk whose EFI System Partition is FAT32
// (mkfs.fat --offset, filled by mtools) is opened by openTransaction; the ESP repair (copy
// bootmgfw.efi to \EFI\Boot\bootx64.efi, creating \EFI\Boot; rewrite BCD with another size)
// goes through the overlay, is verified, committed as a standalone raw image; the source is
// unchanged, and on the output fsck.fat is clean and mtools reads the new files.

import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool, scratchDirs, sha256File } from '../../helpers/tools.js';
import { openTransaction } from '../../../src/patch/transaction.js';
import { bytesOf, fsck, mtools, requireFatTools } from './fixtures.js';

const scratch = scratchDirs('rehost-fatt-');
const MIB = 1024 * 1024;

describe('FAT ESP through a transaction', () => {
  it('repairs the ESP on a GPT disk; source untouched; output fsck-clean', async () => {
    requireFatTools();
    requireTool('sgdisk');
    const dir = scratch();
    const disk = join(dir, 'disk.raw');
    const fd = openSync(disk, 'w');
    writeSync(fd, new Uint8Array(1), 0, 1, 64 * MIB - 1);
    closeSync(fd);
    execFileSync('sgdisk', ['-n', '1:2048:+40M', '-t', '1:ef00', disk], { stdio: 'ignore' });
    execFileSync('mkfs.fat', ['-F', '32', '--offset', '2048', '-i', '12345678', '-n', 'SYSTEM', disk, String(40 * 1024)], { stdio: 'ignore' });
    const esp = `${disk}@@${MIB}`;
    const boot = bytesOf('bootmgfw', 200_000);
    writeFileSync(join(dir, 'bootmgfw'), boot);
    writeFileSync(join(dir, 'bcd'), bytesOf('bcd', 32_768));
    mtools('mmd', ['-i', esp, '::/EFI', '::/EFI/Microsoft', '::/EFI/Microsoft/Boot']);
    mtools('mcopy', ['-i', esp, join(dir, 'bootmgfw'), '::/EFI/Microsoft/Boot/bootmgfw.efi']);
    mtools('mcopy', ['-i', esp, join(dir, 'bcd'), '::/EFI/Microsoft/Boot/BCD']);
    const sourceHash = await sha256File(disk);

    const tx = await openTransaction({ imagePath: disk });
    const volume = (await tx.volumes()).find((v) => v.filesystem.kind === 'vfat');
    expect(volume?.filesystem).toMatchObject({ kind: 'vfat', readable: true, uuid: '1234-5678' });
    const fs = await tx.writableFileSystem(volume?.id as string);
    expect(await fs.exists('/EFI/Boot/bootx64.efi')).toBe(false);
    await fs.mkdir('/EFI/Boot');
    await fs.writeFile('/EFI/Boot/bootx64.efi', await fs.readFile('/efi/microsoft/boot/BOOTMGFW.EFI'));
    await fs.writeFile('/EFI/Microsoft/Boot/BCD', bytesOf('bcd-new', 45_056));
    const out = join(dir, 'out.raw');
    await tx.commit({ mode: 'standalone', output: out, format: 'raw' });
    await tx.close();
    expect(await sha256File(disk)).toBe(sourceHash);

    // fsck.fat wants the partition alone.
    const part = join(dir, 'esp.img');
    execFileSync('dd', [`if=${out}`, `of=${part}`, 'bs=1M', 'skip=1', 'count=40'], { stdio: 'ignore' });
    const check = fsck(part);
    expect(check.code, check.output).toBe(0);
    expect(check.output).not.toMatch(/wrong|differ|dirty|reclaim|orphan/i);
    expect(Buffer.from(execFileSync('mtype', ['-i', part, '::/EFI/Boot/BOOTX64.EFI'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } })).equals(Buffer.from(boot))).toBe(true);
    expect(Buffer.from(execFileSync('mtype', ['-i', part, '::/EFI/Microsoft/Boot/BCD'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' } })).equals(Buffer.from(bytesOf('bcd-new', 45_056)))).toBe(true);
  });
});
