// Fuzzes every NTFS decoder from real seeds (the Windows-made corpus volume, a mkntfs volume
// with files, the fragmented ntfs-3g volume's attribute lists): boot sectors, FILE records,
// run lists, INDX blocks, attribute lists, LZNT1 units, and whole volumes opened, walked and
// read. Only rehost errors may escape, within the harness's time and memory bounds.

import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDevice } from '../../src/io/index.js';
import {
  applyFixups, decodeAttributeList, decodeBootSector, decodeFileRecord, decodeIndexEntries, decodeRuns, decompressLznt1, openNtfs,
  encodeAttributeListEntry, decodeBootSector as bootOf, type NtfsFileSystem,
} from '../../src/fs/ntfs/index.js';
import { defaultIterations, fuzz, type FuzzReport } from '../helpers/fuzz.js';
import { readCorpus, tempDir } from '../helpers/tools.js';
import { ntfsFixture } from '../fs/ntfs/fixtures.js';

const ITERATIONS = defaultIterations(150);

function expectClean(report: FuzzReport): void {
  expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
}

/** A small mkntfs volume with a few files, written with ntfscp (no mount needed). */
function smallVolume(): Uint8Array {
  const dir = tempDir();
  const image = join(dir, 'small.img');
  execFileSync('truncate', ['-s', '4M', image]);
  execFileSync('mkntfs', ['-F', '-Q', '-q', '-c', '1024', image], { stdio: 'ignore' });
  for (let i = 0; i < 3; i++) {
    const source = join(dir, `f${i}`);
    writeFileSync(source, 'x'.repeat(100 + i * 3000));
    execFileSync('ntfscp', [image, source, `file${i}.txt`], { stdio: 'ignore' });
  }
  return new Uint8Array(readFileSync(image));
}

async function exercise(fs: NtfsFileSystem, device: MemoryDevice): Promise<void> {
  for (const entry of (await fs.walk('/')).slice(0, 200)) {
    if (entry.type === 'file' && entry.size < 4 * 1024 * 1024) await fs.readFile(entry.path);
  }
  const names = await fs.readdir('/');
  for (const entry of names.slice(0, 20)) await fs.stat('/' + entry.name);
  // Subtree walks go through directory indexes instead of the catalog.
  const fresh = await openNtfs(new MemoryDevice(device.bytes));
  for (const entry of names.filter((e) => e.type === 'directory').slice(0, 5)) await fresh.walk('/' + entry.name);
}

describe('NTFS fuzzing', () => {
  let corpus: Uint8Array;
  let small: Uint8Array;
  let corpusFs: NtfsFileSystem;
  const records: Uint8Array[] = [];
  const runLists: Uint8Array[] = [];
  const indexBlocks: Uint8Array[] = [];
  const attributeLists: Uint8Array[] = [];
  const compressedUnits: Uint8Array[] = [];

  beforeAll(async () => {
    corpus = readCorpus('ntfs/dissect-ntfs.bin.gz');
    small = smallVolume();
    corpusFs = await openNtfs(new MemoryDevice(corpus));
    const { mftRecordSize: rs } = corpusFs.volume;
    for (const n of [0, 3, 5, 9, 10, 33, 44, 45]) records.push(await corpusFs.mft.rawRecord(n));
    for (const n of [0, 33, 44]) {
      const file = await corpusFs.mft.loadFile(n);
      for (const a of file.attributes) {
        if (a.resident) continue;
        const header = a.offset - corpusFs.mft.deviceOffset(n);
        const raw = await corpusFs.mft.rawRecord(n);
        applyFixups({ bytes: raw, size: rs, origin: 0, structure: 'seed' });
        const view = new DataView(raw.buffer);
        const length = view.getUint32(header + 4, true);
        runLists.push(raw.slice(header + view.getUint16(header + 0x20, true), header + length));
      }
    }
    // INDX blocks of "Large Directory" (record 45) as stored.
    const large = await corpusFs.mft.loadFile(45);
    const allocation = large.attributes.find((a) => a.type === 0xa0)!;
    for (const run of allocation.runs.slice(0, 2)) indexBlocks.push(corpus.slice(run.lcn * 4096, run.lcn * 4096 + 4096));
    // Compressed units of Large.txt / Random.bin (record 44 / 33): their stored clusters.
    for (const n of [44, 33]) {
      const data = (await corpusFs.mft.loadFile(n)).attributes.find((a) => a.type === 0x80)!;
      const run = data.runs.find((r) => r.lcn >= 0)!;
      compressedUnits.push(corpus.slice(run.lcn * 4096, (run.lcn + Math.min(run.length, 16)) * 4096));
    }
    // Attribute lists from the fragmented ntfs-3g volume ($MFT's own and frag.bin's).
    const fragImage = ntfsFixture('ntfs-make-fragmented.sh');
    const fragFs = await openNtfs(new MemoryDevice(new Uint8Array(readFileSync(fragImage))));
    for (const path of ['/$MFT', '/frag.bin']) {
      const file = await fragFs.mft.loadFile((await fragFs.stat(path)).inode!);
      // The list as the encoder writes it (the same bytes ntfs-3g wrote, entry by entry).
      const parts = (file.attributeList ?? []).map((e) => encodeAttributeListEntry(e));
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
      if (bytes.length > 0) attributeLists.push(bytes);
      records.push(await fragFs.mft.rawRecord(file.record.recordNumber));
    }
    expect(attributeLists.length).toBeGreaterThan(0);
  });

  it('boot sectors', async () => {
    expectClean(await fuzz({ name: 'ntfs-boot', seeds: [corpus.slice(0, 512), small.slice(0, 512)], run: async (b) => decodeBootSector(b) }, { iterations: ITERATIONS }));
  });

  it('FILE records', async () => {
    const run = async (b: Uint8Array) => decodeFileRecord({ bytes: b, size: 1024, origin: 0, recordNumber: 1, maxCluster: 1 << 20 });
    expectClean(await fuzz({ name: 'ntfs-record', seeds: records, run }, { iterations: ITERATIONS * 2 }));
  });

  it('run lists', async () => {
    const run = async (b: Uint8Array) => decodeRuns({ bytes: b, at: 0, end: b.length, startVcn: 0, origin: 0, maxCluster: 1 << 20 });
    expectClean(await fuzz({ name: 'ntfs-runs', seeds: runLists, run }, { iterations: ITERATIONS }));
  });

  it('INDX blocks', async () => {
    const run = async (b: Uint8Array) => {
      const copy = b.slice();
      if (copy.length < 4096) return;
      applyFixups({ bytes: copy, size: 4096, origin: 0, structure: 'INDX' });
      return decodeIndexEntries({ bytes: copy, headerAt: 0x18, limit: 4096, origin: 0, structure: 'INDX' });
    };
    expectClean(await fuzz({ name: 'ntfs-indx', seeds: indexBlocks, run }, { iterations: ITERATIONS }));
  });

  it('attribute lists', async () => {
    expectClean(await fuzz({ name: 'ntfs-attrlist', seeds: attributeLists, run: async (b) => decodeAttributeList(b, 0) }, { iterations: ITERATIONS }));
  });

  it('LZNT1 units', async () => {
    expectClean(await fuzz({ name: 'ntfs-lznt1', seeds: compressedUnits, run: async (b) => decompressLznt1(b, new Uint8Array(65536)) }, { iterations: ITERATIONS }));
  });

  it('whole volumes: open, walk, stat and read', async () => {
    const run = async (b: Uint8Array) => {
      const device = new MemoryDevice(b);
      return exercise(await openNtfs(device), device);
    };
    // Mutations go to the boot sector and the head of $MFT, where every structure starts.
    const head = bootOf(small.subarray(0, 512)).geometry.mftOffset + 48 * 1024;
    expectClean(await fuzz({ name: 'ntfs-volume', seeds: [small], run }, { iterations: ITERATIONS, focus: head }));
  });
});
