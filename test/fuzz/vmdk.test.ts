// Fuzzing the VMDK reader: mutated hosted sparse extents (the corpus monolithicSparse images,
// a qemu streamOptimized file, rehost's own streamOptimized with footer) opened and read, and
// mutated text descriptors (flat, split sparse, ZERO extents, parents) opened against
// in-memory extent files. Only rehost errors may escape, within time and memory bounds.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { readCorpus, requireTool, run, tempDir } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';
import { ignoreDiagnostics } from '../../src/diagnostics.js';
import { NotFoundError } from '../../src/errors.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { allocationOf } from '../../src/io/block-device.js';
import type { OpenContext } from '../../src/image/types.js';
import { writeImageFile } from '../../src/image/convert.js';
import { openImage } from '../../src/image/open.js';
import { parseDescriptor, vmdkFormat } from '../../src/image/vmdk/index.js';

let dir: string;
const sparseSeeds: Uint8Array[] = [];
const files = new Map<string, Uint8Array>();

beforeAll(async () => {
  requireTool('qemu-img');
  dir = tempDir('rehost-vmdk-fuzz-');
  sparseSeeds.push(readCorpus('images/vmdk/dfvfs-ext2.vmdk'), readCorpus('images/vmdk/dfvfs-image.vmdk'));
  const pattern = join(dir, 'p.raw');
  writePatternDisk(pattern, { size: 3 * MIB });
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', pattern, join(dir, 'q.vmdk')]);
  sparseSeeds.push(new Uint8Array(readFileSync(join(dir, 'q.vmdk'))));
  const source = await openImage(pattern, { format: 'raw' });
  await writeImageFile({ source: source.device, outputPath: join(dir, 'r.vmdk'), format: 'vmdk', subformat: 'streamOptimized' });
  await source.close();
  sparseSeeds.push(new Uint8Array(readFileSync(join(dir, 'r.vmdk'))));
  // A child with zeroed-grain entries over a parent (the parent is faked in memory below).
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', pattern, join(dir, 'base.vmdk')]);
  run('qemu-img', ['create', '-f', 'vmdk', '-o', 'zeroed_grain=on', '-b', 'base.vmdk', '-F', 'vmdk', join(dir, 'child.vmdk')]);
  run('qemu-io', ['-f', 'vmdk', '-c', 'write -z 0 128k', '-c', 'write -P 9 1M 192k', join(dir, 'child.vmdk')]);
  sparseSeeds.push(new Uint8Array(readFileSync(join(dir, 'child.vmdk'))));
  // Extent files the descriptor seeds name.
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=twoGbMaxExtentSparse', pattern, join(dir, 's.vmdk')]);
  files.set('s-s001.vmdk', new Uint8Array(readFileSync(join(dir, 's-s001.vmdk'))));
  files.set('flat.bin', new Uint8Array(2 * MIB).fill(0x5a));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const context: OpenContext = {
  filename: 'fuzz.vmdk',
  diagnostics: ignoreDiagnostics,
  async openFile(reference) {
    const bytes = files.get(reference);
    if (!bytes) throw new NotFoundError(`no file ${reference}`, { path: reference });
    return Object.assign(new MemoryDevice(bytes, reference), { path: reference });
  },
  async openBacking(reference) {
    if (reference !== 'base.vmdk') throw new NotFoundError(`no parent ${reference}`, { path: reference });
    const device = new MemoryDevice(new Uint8Array(3 * MIB).fill(0x3c), reference);
    return { format: 'vmdk', device, virtualSize: device.size, filename: reference, files: [reference], details: { cid: 1 }, close: async () => {} };
  },
};

/** Opens, maps the whole disk and reads its first 4 MiB and the sectors at each end. */
async function exercise(input: Uint8Array): Promise<void> {
  const file = new MemoryDevice(input, 'fuzz.vmdk');
  if (!(await vmdkFormat.probe(file))) return;
  const image = await vmdkFormat.open(file, context);
  const { device } = image;
  await allocationOf(device);
  await device.read(0, Math.min(device.size, 4 * MIB));
  if (device.size >= 512) await device.read(device.size - 512, 512);
  await image.close();
}

const descriptorSeeds = [
  '# Disk DescriptorFile\nversion=1\nCID=6b46f44b\nparentCID=ffffffff\ncreateType="twoGbMaxExtentSparse"\n\n# Extent description\nRW 6144 SPARSE "s-s001.vmdk"\n\n#DDB\nddb.adapterType = "ide"\n',
  '# Disk DescriptorFile\nversion=1\nCID=b0d0c52f\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 2048 FLAT "flat.bin" 0\nRW 1024 FLAT "flat.bin" 1024\nRW 4096 ZERO\nddb.geometry.cylinders = "20"\n',
  '# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=87654321\ncreateType="monolithicSparse"\nparentFileNameHint="base.vmdk"\nRW 6144 SPARSE "s-s001.vmdk"\n',
].map((s) => new TextEncoder().encode(s));

const ITERATIONS = defaultIterations(150);
/** `npm run test:fuzz` runs 20 000 iterations: allow them the time they take. */
const TIMEOUT = Math.max(120_000, ITERATIONS * 20);

describe('fuzz vmdk', () => {
  test('sparse extents: header, grain directory and grain tables', async () => {
    const report = await fuzz({ name: 'vmdk-sparse', seeds: sparseSeeds, run: exercise }, { iterations: ITERATIONS, focus: 96 * 1024 });
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
  }, TIMEOUT);

  test('descriptors: opened against in-memory extents, and parsed alone', async () => {
    const report = await fuzz({ name: 'vmdk-descriptor', seeds: descriptorSeeds, run: exercise }, { iterations: ITERATIONS });
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
    const parse = await fuzz({ name: 'vmdk-descriptor-parse', seeds: descriptorSeeds, run: async (input) => parseDescriptor(input) }, { iterations: ITERATIONS });
    expect(parse.failures, JSON.stringify(parse.failures, null, 2)).toEqual([]);
  }, TIMEOUT);
});
