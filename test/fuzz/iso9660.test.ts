// Mutation fuzzing of the ISO 9660 reader (descriptors, directory records, SUSP/Rock Ridge
// with CE continuations, Joliet names), seeded with the corpus images and small images made
// here by xorriso (Rock Ridge + Joliet) and genisoimage (Rock Ridge with deep relocation).
// Each input is opened in every name space it offers and walked with bounds.

import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryDevice } from '../../src/io/index.js';
import { openIso9660, type IsoNames } from '../../src/fs/iso9660/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { readCorpus, scratchDirs } from '../helpers/tools.js';
import { makeIso } from '../fs/iso9660-fixtures.js';

const scratch = scratchDirs('rehost-isofuzz-');

function seeds(): Uint8Array[] {
  const dir = scratch();
  const src = join(dir, 's');
  mkdirSync(join(src, 'deep/a/b/c/d/e/f/g/h/i'), { recursive: true });
  writeFileSync(join(src, 'deep/a/b/c/d/e/f/g/h/i/x.inf'), '[Version]\n');
  writeFileSync(join(src, 'Ünïcødé name that is rather long to need a continuation area.txt'), 'u');
  symlinkSync('deep/a/b', join(src, 'link'));
  return [
    readCorpus('iso/dfvfs-iso9660.raw'),
    readCorpus('iso/dfvfs-iso9660-level1.raw.xz'),
    new Uint8Array(readFileSync(makeIso({ source: src, output: join(dir, 'a.iso'), flavour: 'xorriso-rr-joliet' }))),
    new Uint8Array(readFileSync(makeIso({ source: src, output: join(dir, 'b.iso'), flavour: 'genisoimage-rr' }))),
  ];
}

async function walkAll(input: Uint8Array): Promise<void> {
  for (const names of [undefined, 'joliet', 'plain'] as Array<IsoNames | undefined>) {
    let fs;
    try {
      fs = await openIso9660(new MemoryDevice(input), names ? { names } : {});
    } catch (error) {
      if (names === undefined) throw error;
      continue;
    }
    let budget = 400;
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (depth > 12) return;
      for (const e of await fs.readdir(dir)) {
        if (--budget < 0) return;
        const path = `${dir === '/' ? '' : dir}/${e.name}`;
        await fs.stat(path);
        if (e.type === 'directory') await walk(path, depth + 1);
        else if (e.type === 'file') await fs.readFile(path);
        else if (e.type === 'symlink') await fs.exists(`${path}/x`);
      }
    };
    await walk('/', 0);
  }
}

describe('fuzz iso9660', () => {
  it('only rehost errors escape', async () => {
    const report = await fuzz({ name: 'iso9660', seeds: seeds(), run: walkAll }, { iterations: defaultIterations(150), focus: 128 * 1024 });
    expect(report.failures, JSON.stringify(report.failures, null, 1)).toEqual([]);
  }, 120_000);
});
