// The ext images of the shared corpus (nobody here wrote them): our listing and file reads
// agree with debugfs rdump run now, and with the stored oracle sha256 lists.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticLog } from '../../../src/diagnostics.js';
import { openExt } from '../../../src/fs/ext/index.js';
import { FileDevice } from '../../../src/io/index.js';
import { CORPUS, extractCorpus, tempDir } from '../../helpers/tools.js';
import { debugfsView } from './images.js';
import { compareWalks, walk } from './walk.js';

const images = ['ext/dfvfs-ext2.raw.gz', 'ext/dissect-ext4.bin.xz', 'ext/dissect-ext4_symlink_test1.bin.xz'];

describe('corpus ext images vs debugfs and the stored oracles', () => {
  for (const relative of images) {
    it(relative, async () => {
      const dir = tempDir('rehost-ext-corpus-');
      const image = extractCorpus(relative, dir);
      const log = new DiagnosticLog();
      const fs = await openExt(await FileDevice.open(image), { diagnostics: log });
      const ours = await walk(fs);
      await fs.close();
      const oracle = debugfsView(image, join(dir, 'rdump'));
      const problems = compareWalks(ours, oracle);
      expect(problems, problems.join('\n')).toEqual([]);
      const name = relative.split('/').pop()!.replace(/\.(gz|xz)$/, '');
      const stored = readFileSync(join(CORPUS, 'oracle/ext', `${name}.sha256.txt`), 'utf8');
      let checked = 0;
      for (const line of stored.split('\n')) {
        const m = /^([0-9a-f]{64})\s+(\/.*)$/.exec(line);
        if (!m) continue;
        const entry = ours.get(m[2] as string);
        // The stored list also names symlinks and fls's virtual $OrphanFiles (debugfs cat gives
        // empty output for both); only regular files have contents to compare.
        if (entry?.type !== 'file') continue;
        expect(entry.sha256, m[2]).toBe(m[1]);
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
      console.log(`${relative}: ${ours.size} entries agree with debugfs, ${checked} sha256 agree with the stored oracle`);
    });
  }
});
