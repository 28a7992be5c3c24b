// Fuzzing the VHD reader: mutated footers, dynamic headers, BATs, sector bitmaps and parent
// locators. Seeds: the dfvfs dynamic and differencing corpus files, qemu-img fixed and dynamic
// images (one of 64 KiB, so whole-file mutations hit its footer), a generated dynamic disk with
// 4 KiB blocks, and a generated differencing disk whose parent is a stand-in zero disk. Each
// input is opened, its allocation mapped and a bounded amount of data read; only rehost errors
// may escape.

import { beforeAll, expect, test } from 'vitest';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { readCorpus, requireTool, run, tempDir } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { ignoreDiagnostics } from '../../src/diagnostics.js';
import { NotFoundError } from '../../src/errors.js';
import { MemoryDevice, ZeroDevice, allocationOf } from '../../src/io/index.js';
import { vhdFormat } from '../../src/image/vhd/index.js';
import type { OpenContext } from '../../src/image/types.js';
import { generateVhd } from '../image/vhd-generator.js';

const seeds: Uint8Array[] = [];

beforeAll(() => {
  requireTool('qemu-img');
  const dir = tempDir('rehost-vhdf-');
  try {
    const raw = join(dir, 'p.raw');
    writePatternDisk(raw, { size: 3 * MIB });
    for (const subformat of ['fixed', 'dynamic']) {
      const out = join(dir, `${subformat}.vhd`);
      run('qemu-img', ['convert', '-f', 'raw', '-O', 'vpc', '-o', `subformat=${subformat}`, raw, out]);
      seeds.push(new Uint8Array(readFileSync(out)));
    }
    // Small seeds, so whole-file mutations often land on footers, BATs and bitmaps.
    const small = join(dir, 'small.vhd');
    run('qemu-img', ['create', '-q', '-f', 'vpc', '-o', 'subformat=fixed,force_size=on', small, '64K']);
    seeds.push(new Uint8Array(readFileSync(small)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const tiny = new Uint8Array(4096).fill(0x3c);
  seeds.push(generateVhd({ size: 64 * 1024, blockSize: 4096, blocks: [0, 3, 4, 9, 15].map((index) => ({ index, data: tiny, present: [0, 1, 4, 7] })) }));
  seeds.push(readCorpus('images/vhd/dfvfs-image.vhd'));
  seeds.push(readCorpus('images/vhd/dfvfs-image-differential.vhd'));
  const data = new Uint8Array(2 * MIB).fill(0x5c);
  seeds.push(generateVhd({
    size: 4 * MIB,
    blocks: [{ index: 0, data, present: [0, 5, 6, 7, 100] }, { index: 1, data }],
    parent: { uniqueId: new Uint8Array(16).fill(1), name: 'parent.vhd', locators: [{ code: 'W2ru', text: '.\\parent.vhd' }, { code: 'MacX', text: 'file:///x/parent.vhd' }] },
  }));
});

const context: OpenContext = {
  filename: 'fuzz.vhd',
  diagnostics: ignoreDiagnostics,
  openFile: async (reference) => { throw new NotFoundError(`no file ${reference}`, { kind: 'file' }); },
  openBacking: async (reference) => {
    if (!reference.endsWith('parent.vhd') && !reference.endsWith('image.vhd')) throw new NotFoundError(`no backing ${reference}`, { kind: 'image' });
    const device = new ZeroDevice(3 * MIB);
    return { format: 'raw', device, virtualSize: device.size, filename: reference, files: [], details: {}, close: async () => {} };
  },
};

const READ_BUDGET = 2 * MIB;
const ITERATIONS = defaultIterations(200);

async function openAndRead(input: Uint8Array): Promise<void> {
  const image = await vhdFormat.open(new MemoryDevice(input), context);
  const runs = await allocationOf(image.device);
  let budget = READ_BUDGET;
  for (const r of runs) {
    if (budget <= 0) break;
    const length = Math.min(r.length, budget);
    await image.device.read(r.offset, length);
    budget -= length;
  }
  if (image.virtualSize > 0) await image.device.read(image.virtualSize - 1, 1);
  await image.close();
}

// Two passes: one concentrated on the first 4 KiB (footer copy, dynamic header, BAT, first
// bitmaps, locators), one over whole files (trailing footers of fixed disks, later bitmaps).
test('fuzz VHD reader: headers', async () => {
  const report = await fuzz({ name: 'vhd-head', seeds, run: openAndRead }, { iterations: ITERATIONS, focus: 4096 });
  expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
}, 60_000 + ITERATIONS * 60); // long runs (npm run test:fuzz) get time in proportion

test('fuzz VHD reader: whole files', async () => {
  const report = await fuzz({ name: 'vhd-whole', seeds, run: openAndRead }, { iterations: ITERATIONS, seed: 0xd15c });
  expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
}, 60_000 + ITERATIONS * 60);

test('the VHD fuzz seeds open', async () => {
  const kinds: string[] = [];
  for (const seed of seeds) {
    const image = await vhdFormat.open(new MemoryDevice(seed.slice()), context);
    await image.device.read(0, image.virtualSize);
    kinds.push(image.subformat ?? '');
  }
  expect(kinds).toEqual(['fixed', 'dynamic', 'fixed', 'dynamic', 'dynamic', 'differencing', 'differencing']);
});
