// The write gate: each unsafe state refused with UnsafeStateError and a reason, before any
// byte is written; $LogFile states decided as ntfs-3g decides them.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openNtfsWritable } from '../../../../src/fs/ntfs/index.js';
import { logFileState } from '../../../../src/fs/ntfs/write/index.js';
import { encodeFixups } from '../../../../src/fs/ntfs/fixups.js';
import { UnsafeStateError } from '../../../../src/errors.js';
import { OverlayDevice, type MemoryDevice } from '../../../../src/io/index.js';
import { tempDir } from '../../../helpers/tools.js';
import { corpusVolume, dataOffset, makeVolume, memoryOf, patchRecord } from './helpers.js';

const LOGFILE_SIZE = 64 * 4096;

/** A restart page as Windows writes it (fixups applied), with the given client list and flags. */
function restartPage(args: { inUse: number; flags: number; lsn: bigint }): Uint8Array {
  const page = new Uint8Array(4096);
  const v = new DataView(page.buffer);
  page.set([0x52, 0x53, 0x54, 0x52]); // RSTR
  v.setUint16(4, 0x1e, true);
  v.setUint16(6, 4096 / 512 + 1, true);
  v.setUint32(0x10, 4096, true);
  v.setUint32(0x14, 4096, true);
  v.setUint16(0x18, 0x30, true);
  v.setUint16(0x1a, 1, true);
  v.setUint16(0x1c, 1, true);
  v.setBigUint64(0x30, args.lsn, true);
  v.setUint16(0x30 + 8, 1, true);
  v.setUint16(0x30 + 0xa, 0xffff, true);
  v.setUint16(0x30 + 0xc, args.inUse, true);
  v.setUint16(0x30 + 0xe, args.flags, true);
  encodeFixups({ bytes: page, size: 4096, usn: 7 });
  return page;
}

function logWith(pages: Uint8Array[]): Uint8Array {
  const log = new Uint8Array(LOGFILE_SIZE).fill(0xff);
  pages.forEach((p, i) => log.set(p, i * 4096));
  return log;
}

describe('$LogFile state (ntfs-3g rules)', () => {
  it('decides empty, clean, dirty and invalid', () => {
    expect(logFileState(new Uint8Array(LOGFILE_SIZE).fill(0xff), LOGFILE_SIZE).state).toBe('empty');
    expect(logFileState(logWith([restartPage({ inUse: 0xffff, flags: 0, lsn: 5n })]), LOGFILE_SIZE).state).toBe('clean');
    expect(logFileState(logWith([restartPage({ inUse: 0, flags: 2, lsn: 5n })]), LOGFILE_SIZE).state).toBe('clean');
    expect(logFileState(logWith([restartPage({ inUse: 0, flags: 0, lsn: 5n })]), LOGFILE_SIZE).state).toBe('dirty');
    // The newer of the two restart pages decides.
    expect(logFileState(logWith([restartPage({ inUse: 0xffff, flags: 0, lsn: 5n }), restartPage({ inUse: 0, flags: 0, lsn: 9n })]), LOGFILE_SIZE).state).toBe('dirty');
    expect(logFileState(logWith([restartPage({ inUse: 0, flags: 0, lsn: 5n }), restartPage({ inUse: 0xffff, flags: 0, lsn: 9n })]), LOGFILE_SIZE).state).toBe('clean');
    const garbage = logWith([]);
    garbage.fill(0x11, 0, 4096);
    expect(logFileState(garbage, LOGFILE_SIZE).state).toBe('invalid');
    const torn = logWith([restartPage({ inUse: 0xffff, flags: 0, lsn: 5n })]);
    torn[511] = torn[511]! ^ (0xff); // breaks the fixup of the first sector
    expect(logFileState(torn, LOGFILE_SIZE).state).toBe('invalid');
    expect(logFileState(new Uint8Array(8192).fill(0xff), 8192).state).toBe('invalid'); // too small
  });
});

describe('write gate', () => {
  const dir = tempDir();
  const base = makeVolume(dir, 'gate.img', 8);

  async function refusal(device: MemoryDevice): Promise<string> {
    const overlay = new OverlayDevice(device);
    const error = await openNtfsWritable(overlay).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeStateError);
    return (error as Error).message;
  }

  it('accepts a fresh mkntfs volume and the Windows-made corpus volume', async () => {
    await openNtfsWritable(new OverlayDevice(memoryOf(base)));
    await openNtfsWritable(new OverlayDevice(memoryOf(corpusVolume(dir))));
  });

  it('refuses a dirty volume', async () => {
    const device = memoryOf(base);
    await patchRecord(device, 3, (r) => {
      // $VOLUME_INFORMATION (0x70): flags at value offset 0x0a.
      let at = r[0x14]! | (r[0x15]! << 8);
      while ((r[at]! | (r[at + 1]! << 8)) !== 0x70) at += r[at + 4]! | (r[at + 5]! << 8);
      const value = at + (r[at + 0x14]! | (r[at + 0x15]! << 8));
      r[value + 0x0a] = r[value + 0x0a]! | (1);
    });
    expect(await refusal(device)).toMatch(/dirty/);
  });

  it('refuses NTFS versions before 3.0', async () => {
    const device = memoryOf(base);
    await patchRecord(device, 3, (r) => {
      let at = r[0x14]! | (r[0x15]! << 8);
      while ((r[at]! | (r[at + 1]! << 8)) !== 0x70) at += r[at + 4]! | (r[at + 5]! << 8);
      const value = at + (r[at + 0x14]! | (r[at + 0x15]! << 8));
      r[value + 8] = 1;
      r[value + 9] = 2;
    });
    expect(await refusal(device)).toMatch(/version 1\.2/);
  });

  it('refuses a hibernated volume (hiberfil.sys "hibr") and Fast Startup ("wake")', async () => {
    for (const signature of ['hibr', 'wake']) {
      const image = join(dir, `hib-${signature}.img`);
      execFileSync('cp', [base, image]);
      const local = join(dir, 'hiberfil.sys');
      writeFileSync(local, Buffer.concat([Buffer.from(signature), Buffer.alloc(8192)]));
      execFileSync('ntfscp', ['-q', image, local, 'hiberfil.sys']);
      expect(await refusal(memoryOf(image))).toMatch(/hiberfil\.sys/);
    }
  });

  it('refuses a $LogFile with pending work, accepts a cleanly shut-down one', async () => {
    const dirty = memoryOf(base);
    await dirty.write(await dataOffset(dirty, 2), restartPage({ inUse: 0, flags: 0, lsn: 77n }));
    expect(await refusal(dirty)).toMatch(/LogFile/);
    const clean = memoryOf(base);
    await clean.write(await dataOffset(clean, 2), restartPage({ inUse: 0xffff, flags: 0, lsn: 77n }));
    await openNtfsWritable(new OverlayDevice(clean));
    const garbage = memoryOf(base);
    await garbage.write(await dataOffset(garbage, 2), new Uint8Array(4096).fill(0x42));
    expect(await refusal(garbage)).toMatch(/LogFile/);
  });

  it('refuses BitLocker', async () => {
    const device = memoryOf(base);
    await device.write(3, new TextEncoder().encode('-FVE-FS-'));
    expect(await refusal(device)).toMatch(/BitLocker/);
  });
});
