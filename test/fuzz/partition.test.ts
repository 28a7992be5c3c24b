import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { encodeGpt, encodeMbr, readPartitionTable } from '../../src/partition/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { readCorpus, requireTool, run, tempDir } from '../helpers/tools.js';

function disk(size: number, writes: Array<{ offset: number; bytes: Uint8Array }>): Uint8Array {
  const out = new Uint8Array(size);
  for (const w of writes) out.set(w.bytes, w.offset);
  return out;
}

describe('fuzz: partition tables', () => {
  it('MBR/GPT decoding only throws rehost errors', async () => {
    requireTool('sgdisk');
    requireTool('sfdisk');
    const dir = tempDir();
    const gptPath = join(dir, 'gpt.img');
    run('truncate', ['-s', '2M', gptPath]);
    run('sgdisk', ['-a', '8', '-n', '1:40:+256K', '-t', '1:ef00', '-c', '1:esp', '-n', '2:0:+512K', '-t', '2:8e00', '-n', '3:0:0', '-t', '3:0700', gptPath]);
    const mbrPath = join(dir, 'mbr.img');
    run('truncate', ['-s', '2M', mbrPath]);
    run('sfdisk', [mbrPath], { input: 'label: dos\nstart=1, size=100, type=83\nstart=200, size=3000, type=5\nsize=100, type=82\nsize=100, type=7\nsize=100, type=8e\n' });
    const small4k = disk(64 * 4096, encodeGpt({ diskGuid: '3f2504e0-4f89-11d3-9a0c-0305e82c3301', diskSectors: 64, sectorSize: 4096, entryCount: 16, partitions: [{ typeGuid: '0fc63daf-8483-4772-8e79-3d69d8477de4', guid: '3f2504e0-4f89-11d3-9a0c-0305e82c3302', firstLba: 6, lastLba: 40 }] }));
    const smallMbr = disk(64 * 1024, encodeMbr({ primary: [{ type: 0x0f, startLba: 4, sectorCount: 100 }], logical: [{ ebrLba: 4, startLba: 5, sectorCount: 3, type: 0x83 }, { ebrLba: 10, startLba: 11, sectorCount: 3, type: 0x83 }, { ebrLba: 20, startLba: 21, sectorCount: 3, type: 0x83 }] }));
    const seeds = [
      readCorpus('images/raw/dfvfs-mbr.raw.gz').slice(0, 256 * 1024),
      new Uint8Array(readFileSync(gptPath)),
      new Uint8Array(readFileSync(mbrPath)),
      small4k,
      smallMbr,
    ];
    const report = await fuzz(
      {
        name: 'partition',
        seeds,
        async run(input) {
          const table = await readPartitionTable(new MemoryDevice(input), { diagnostics: new DiagnosticLog() });
          for (const p of table.partitions) if (p.device.size > 0) await p.device.read(0, Math.min(512, p.device.size));
          return table;
        },
      },
      { iterations: defaultIterations(300), focus: 48 * 1024 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
    expect(report.succeeded).toBeGreaterThan(0);
  }, 900_000);
});
