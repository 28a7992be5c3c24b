// Volume state: a dirty flag set by a byte patch at $Volume's $VOLUME_INFORMATION flags (as
// chkdsk would find it) and a hiberfil.sys whose first bytes say 'hibr' or 'WAKE' are reported;
// ntfsinfo and ntfs-3g's mount refusal are the oracles.

import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDevice } from '../../../src/io/index.js';
import { decodeBootSector, decodeFileRecord, openNtfs, AT_VOLUME_INFORMATION, FIXUP_STRIDE } from '../../../src/fs/ntfs/index.js';
import { requireTool, tempDir } from '../../helpers/tools.js';

function makeVolume(dir: string, name: string, hiberfil?: Uint8Array): string {
  const image = join(dir, name);
  execFileSync('truncate', ['-s', '16M', image]);
  execFileSync('mkntfs', ['-F', '-Q', '-q', image], { stdio: 'ignore' });
  if (hiberfil) {
    const source = join(dir, `${name}.hiberfil`);
    writeFileSync(source, hiberfil);
    execFileSync('ntfscp', [image, source, 'hiberfil.sys'], { stdio: 'ignore' });
  }
  return image;
}

/** Sets VOLUME_IS_DIRTY in $Volume's $VOLUME_INFORMATION (and its $MFTMirr copy), respecting fixups. */
function markDirty(image: string): void {
  const bytes = new Uint8Array(readFileSync(image));
  const { geometry } = decodeBootSector(bytes.subarray(0, 512));
  const recordAt = geometry.mftOffset + 3 * geometry.mftRecordSize;
  const record = decodeFileRecord({ bytes: bytes.slice(recordAt, recordAt + geometry.mftRecordSize), size: geometry.mftRecordSize, origin: recordAt, recordNumber: 3, maxCluster: geometry.totalClusters });
  const info = record.attributes.find((a) => a.type === AT_VOLUME_INFORMATION)!;
  const valueAt = info.offset + (bytes[info.offset + 0x14]! | (bytes[info.offset + 0x15]! << 8));
  const flagsAt = valueAt + 0x0a;
  // A byte in a sector's last two bytes lives in the update sequence array instead.
  const inRecord = flagsAt - recordAt;
  expect(inRecord % FIXUP_STRIDE).toBeLessThan(FIXUP_STRIDE - 2);
  // $MFTMirr holds a copy of records 0-3; ntfs-3g refuses a volume whose copies differ.
  const mirrorAt = geometry.mftMirrOffset + 3 * geometry.mftRecordSize + inRecord;
  for (const at of [flagsAt, mirrorAt]) bytes[at] = bytes[at]! | 0x01;
  writeFileSync(image, bytes);
}

describe('volume state', () => {
  let dir: string;
  beforeAll(() => {
    requireTool('mkntfs');
    requireTool('ntfscp');
    dir = tempDir();
    mkdirSync(dir, { recursive: true });
  });

  it('reports a clean volume as clean', async () => {
    const fs = await openNtfs(new MemoryDevice(new Uint8Array(readFileSync(makeVolume(dir, 'clean.img')))));
    expect([fs.volume.dirty, fs.volume.hibernated, fs.volume.state]).toEqual([false, false, 'clean']);
  });

  it('reports a volume marked dirty, as ntfsinfo reads the flag', async () => {
    const image = makeVolume(dir, 'dirty.img');
    markDirty(image);
    // ntfs-3g refuses a dirty volume ("scheduled for check") unless forced; forced, it prints the flags.
    expect(spawnSync('ntfsinfo', ['-m', image], { encoding: 'utf8' }).stderr).toMatch(/scheduled for check/);
    const info = execFileSync('ntfsinfo', ['-f', '-m', image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(Number(/Volume Flags: (0x[0-9a-f]+)/i.exec(info)![1]) & 1).toBe(1);
    const fs = await openNtfs(new MemoryDevice(new Uint8Array(readFileSync(image))));
    expect(fs.volume.dirty).toBe(true);
    expect(fs.volume.flagNames).toContain('DIRTY');
    expect(fs.volume.state).toBe('dirty');
  });

  it('reports a hibernated volume (hiberfil.sys starting "hibr"), which ntfs-3g refuses to mount', async () => {
    const header = new Uint8Array(8192);
    header.set([0x68, 0x69, 0x62, 0x72]); // 'hibr'
    const image = makeVolume(dir, 'hibr.img', header);
    const mount = tempDir();
    const result = spawnSync('ntfs-3g', ['-o', 'rw', image, mount], { encoding: 'utf8' });
    spawnSync('umount', [mount]);
    expect(result.stderr).toMatch(/hibernated/);
    const fs = await openNtfs(new MemoryDevice(new Uint8Array(readFileSync(image))));
    expect([fs.volume.hibernated, fs.volume.hibernationSignature, fs.volume.state]).toEqual([true, 'hibr', 'hibernated']);
  });

  it('reports a Fast Startup signature ("WAKE") and a dirty hibernated volume', async () => {
    const header = new Uint8Array(4096);
    header.set([0x57, 0x41, 0x4b, 0x45]); // 'WAKE'
    const image = makeVolume(dir, 'wake.img', header);
    markDirty(image);
    const fs = await openNtfs(new MemoryDevice(new Uint8Array(readFileSync(image))));
    expect([fs.volume.hibernationSignature, fs.volume.state]).toEqual(['WAKE', 'dirty-hibernated']);
  });

  it('does not take an all-zero hiberfil.sys for hibernation', async () => {
    const fs = await openNtfs(new MemoryDevice(new Uint8Array(readFileSync(makeVolume(dir, 'zero.img', new Uint8Array(4096))))));
    expect([fs.volume.hibernated, fs.volume.state]).toEqual([false, 'clean']);
  });
});
