import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vdiFormat } from '../../src/image/vdi/index.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { allocationOf } from '../../src/io/block-device.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { readCorpus, requireTool, run, tempDir } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';

describe('fuzz: VDI', () => {
  it('header and block map decoding only throws rehost errors', async () => {
    requireTool('qemu-img');
    const dir = tempDir();
    const pattern = join(dir, 'p.raw');
    writePatternDisk(pattern, { size: 3 * MIB + 512 });
    run('qemu-img', ['convert', '-O', 'vdi', '-o', 'static=on', pattern, join(dir, 's.vdi')]);
    run('qemu-img', ['convert', '-O', 'vdi', pattern, join(dir, 'd.vdi')]);
    const seeds = [
      readCorpus('images/vdi/dissect-basic.vdi.gz'),
      new Uint8Array(readFileSync(join(dir, 's.vdi'))),
      new Uint8Array(readFileSync(join(dir, 'd.vdi'))),
    ];
    const report = await fuzz(
      {
        name: 'vdi',
        seeds,
        async run(input) {
          const file = new MemoryDevice(input);
          if (!(await vdiFormat.probe(file))) return undefined;
          const image = await vdiFormat.open(file, {
            filename: 'fuzz.vdi',
            diagnostics: new DiagnosticLog(),
            openFile: async () => {
              throw new Error('unused');
            },
            openBacking: async () => {
              throw new Error('unused');
            },
          });
          // The allocation map visits every block; reads sample the first and last blocks.
          await allocationOf(image.device);
          const size = image.device.size;
          await image.device.read(0, Math.min(2 * MIB, size));
          if (size > MIB) await image.device.read(size - MIB, MIB);
          return image.virtualSize;
        },
      },
      { iterations: defaultIterations(150), focus: 4096 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
    expect(report.succeeded).toBeGreaterThan(0);
  }, 900_000);
});
