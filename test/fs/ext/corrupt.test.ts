// Every corrupted e2fsprogs regression image must give a rehost error or a read, never a crash,
// a hang, or unbounded memory: libext2fs runs in a bounded worker (src/fs/ext/engine.ts).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticLog } from '../../../src/diagnostics.js';
import { isRehostError } from '../../../src/errors.js';
import { openExt } from '../../../src/fs/ext/index.js';
import { MemoryDevice } from '../../../src/io/memory-device.js';
import { CORPUS, readCorpus } from '../../helpers/tools.js';
import { walk } from './walk.js';

const images = readdirSync(join(CORPUS, 'corrupt/ext')).filter((n) => n.endsWith('.gz')).sort();

describe('corrupted ext images (e2fsprogs tests)', () => {
  it('has the 13 images', () => {
    expect(images.length).toBe(13);
  });
  for (const name of images) {
    it(name, async () => {
      const device = new MemoryDevice(readCorpus(`corrupt/ext/${name}`));
      const log = new DiagnosticLog();
      const began = performance.now();
      let outcome: string;
      try {
        const fs = await openExt(device, { diagnostics: log, limits: { operationTimeoutMs: 5000 } });
        try {
          const entries = await walk(fs, { maxEntries: 5000 }).catch((error: unknown) => {
            if (!isRehostError(error)) throw error;
            return error;
          });
          outcome = entries instanceof Map ? `read ${entries.size} entries` : `error while walking: ${(entries as Error).message}`;
        } finally {
          await fs.close();
        }
      } catch (error) {
        if (!isRehostError(error)) throw error;
        outcome = `error: ${error.code} ${error.message}`;
      }
      const ms = performance.now() - began;
      console.log(`${name}: ${outcome} (${ms.toFixed(0)} ms; ${log.entries.map((d) => d.code).join(',')})`);
      expect(ms).toBeLessThan(15_000);
    });
  }
});
