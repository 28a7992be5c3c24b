// The NTFS reader against the corpus volumes (made by Windows) and the oracles ntfs-3g and
// libfsntfs produced for them: every directory listing (names, MFT numbers, sizes) equals
// ntfsls -R -l, every non-empty file's sha256 equals ntfscat's, and the volume facts equal
// ntfsinfo / fsntfsinfo.

import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDevice } from '../../../src/io/index.js';
import { DiagnosticLog } from '../../../src/diagnostics.js';
import { applyFixups, openNtfs, probeNtfs, decodeBootSector, type NtfsFileSystem } from '../../../src/fs/ntfs/index.js';
import { CORPUS, extractCorpus, readCorpus, requireTool, tempDir } from '../../helpers/tools.js';
import { diffListings, ntfscatSha, ourListing, parseNtfsls, sha256 } from './oracle.js';

const ORACLE = join(CORPUS, 'oracle/ntfs');

function withFixups(mft: Uint8Array, recordSize: number): Uint8Array {
  const out = mft.slice();
  for (let at = 0; at + recordSize <= out.length; at += recordSize) {
    if (out[at] === 0x46 && out[at + 1] === 0x49 && out[at + 2] === 0x4c && out[at + 3] === 0x45) {
      applyFixups({ bytes: out, at, size: recordSize, origin: 0, structure: 'test' });
    }
  }
  return out;
}

describe('dissect-ntfs.bin (a Windows-made volume)', () => {
  let fs: NtfsFileSystem;
  let image: string;
  const log = new DiagnosticLog();

  beforeAll(async () => {
    requireTool('ntfscat');
    image = extractCorpus('ntfs/dissect-ntfs.bin.gz', tempDir());
    fs = await openNtfs(new MemoryDevice(new Uint8Array(readFileSync(image))), { diagnostics: log });
  });

  it('reports the volume facts ntfsinfo and fsntfsinfo print', () => {
    expect(fs.volume).toMatchObject({
      version: '3.1',
      label: 'New Volume',
      serial: '9c60667f60665fce',
      sectorSize: 512,
      clusterSize: 4096,
      mftRecordSize: 1024,
      indexRecordSize: 4096,
      totalClusters: 1791,
      flags: 0x80,
      dirty: false,
      hibernated: false,
      state: 'clean',
    });
    expect(log.warnings()).toEqual([]);
  });

  it('lists every directory as ntfsls -R -l -a -s -i does', async () => {
    const expected = parseNtfsls(readFileSync(join(ORACLE, 'dissect-ntfs.bin.ntfsls.txt'), 'utf8'));
    const actual = await ourListing(fs);
    const problems = diffListings(expected, actual);
    expect(problems.slice(0, 20)).toEqual([]);
    const count = [...expected.values()].reduce((n, m) => n + m.size, 0);
    expect(count).toBeGreaterThan(2000);
  });

  it('hashes every file as ntfscat does (and as the sha256 oracle says)', async () => {
    const oracle = new Map<string, string>();
    for (const line of readFileSync(join(ORACLE, 'dissect-ntfs.bin.sha256.txt'), 'utf8').split('\n')) {
      const m = /^([0-9a-f]{64})\s+(.*)$/.exec(line);
      if (m) oracle.set(m[2]!, m[1]!);
    }
    const EMPTY = sha256(new Uint8Array(0));
    for (const [path, hash] of oracle) {
      // The oracle hashed ntfscat's (empty) output for deleted files fls still sees; those do not exist.
      if (hash === EMPTY && !(await fs.exists(path))) continue;
      expect(sha256(await fs.readFile(path)), path).toBe(hash);
    }
    let compared = 0;
    for (const entry of await fs.walk('/')) {
      if (entry.type !== 'file' || entry.size === 0) continue;
      let ours = await fs.readFile(entry.path);
      // ntfscat prints $MFT with every record's fixups applied (ntfs-3g reads it through its
      // record layer); the file's raw bytes still carry the update sequence numbers.
      if (entry.path === '/$MFT' || entry.path === '/$MFTMirr') ours = withFixups(ours, fs.volume.mftRecordSize);
      expect(sha256(ours), entry.path).toBe(ntfscatSha(image, entry.path));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(10);
  });

  it('looks paths up case-insensitively, in Windows form too, and stats them', async () => {
    const a = await fs.stat('/directory/FILE 1.TXT');
    expect(a.name).toBe('File 1.txt');
    expect(a.type).toBe('file');
    // Windows keeps descriptors in $Secure: the file holds only its security id.
    expect(a.extra.securityId).toBe(267);
    expect(a.extra.securityDescriptor).toBeUndefined();
    expect(a.extra.objectId?.objectId).toBe('0bc48c16-d125-11ec-986f-000c29ca2f29');
    expect((await fs.stat('C:\\Large Directory\\Directory 10')).type).toBe('directory');
    expect(await fs.exists('/nope')).toBe(false);
    expect(await fs.exists('/File.txt/below')).toBe(false);
    await expect(fs.readFile('/Directory')).rejects.toMatchObject({ errno: 'EISDIR' });
    await expect(fs.stat('/missing/x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const names = (await fs.readdir('/Large Directory')).map((e) => e.name);
    expect(names.length).toBe(parseNtfsls(readFileSync(join(ORACLE, 'dissect-ntfs.bin.ntfsls.txt'), 'utf8')).get('/Large Directory')!.size);
  });
});

describe('dissect-boot_2m.bin (2 MiB clusters, first 2 MiB only)', () => {
  it('decodes the 0xF4 sectors-per-cluster byte as 2 MiB clusters', async () => {
    const bytes = readCorpus('ntfs/dissect-boot_2m.bin.gz');
    const { geometry } = decodeBootSector(bytes.subarray(0, 512));
    expect(geometry.clusterSize).toBe(2 * 1024 * 1024);
    expect(geometry.mftRecordSize).toBe(1024);
    expect(await probeNtfs(new MemoryDevice(bytes))).toBe(true);
    // ntfs-3g and libfsntfs fail on it (I/O error: the MFT lies past the 2 MiB kept): so must we, cleanly.
    await expect(openNtfs(new MemoryDevice(bytes))).rejects.toMatchObject({ code: 'CORRUPT' });
  });
});
