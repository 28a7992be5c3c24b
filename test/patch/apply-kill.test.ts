// `rehost apply` killed with SIGKILL at named stages (REHOST_TEST_KILL_AT makes the process
// kill itself there: after planning, after verification (in place), in the middle of the commit) leaves
// the source byte-identical and never an output that looks complete: at most a
// `.partial-<pid>` file. In place, a kill in the middle of writing is repaired by `rehost undo`
// from the journal synced before the first write. The CLI runs from the TypeScript sources.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { run, sha256File } from '../helpers/tools.js';
import { undo } from '../../src/patch/index.js';
import { NIC, setUpDeviceNameGuest } from './apply-fixtures.js';

const HERE = new URL('.', import.meta.url).pathname;
const REGISTER = join(HERE, 'ts-register.mjs');
const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function rehostKilledAt(stage: string, args: string[]): { signal: NodeJS.Signals | null; status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('node', ['--import', REGISTER, MAIN, 'apply', ...args, '--mac', `${NIC.name}=${NIC.mac}`], {
    encoding: 'utf8',
    env: { ...process.env, REHOST_TEST_KILL_AT: stage },
  });
  return { signal: result.signal, status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
let source: string;
let sourceHash: string;

beforeAll(async () => {
  ({ dir, source, sourceHash } = await setUpDeviceNameGuest({ tempPrefix: 'rehost-apply-kill-' }));
});

function leftovers(name: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith(name));
}

describe('rehost apply killed part way', () => {
  const cases = [
    { stage: 'planned', args: ['-o'], ext: 'qcow2' },
    { stage: 'mid-commit', args: ['-o'], ext: 'qcow2' },
    { stage: 'mid-commit', args: ['-O', 'raw', '-o'], ext: 'raw' },
  ];
  for (const c of cases) {
    test(`killed at ${c.stage} (${c.ext}): source intact, no complete-looking output`, async () => {
      const name = `out-${c.stage}.${c.ext}`;
      const output = join(dir, name);
      const result = rehostKilledAt(c.stage, [source, '--to', 'kvm', ...c.args, output]);
      expect(result.signal, `not killed at ${c.stage}: ${result.stdout}${result.stderr}`).toBe('SIGKILL');
      expect(result.stdout).toBe('');
      expect(existsSync(output)).toBe(false);
      for (const left of leftovers(name)) expect(left).toMatch(new RegExp(`^${name.replace('.', '\\.')}\\.partial-\\d+$`));
      if (c.stage === 'mid-commit') expect(leftovers(name).length).toBe(1);
      else expect(leftovers(name)).toEqual([]);
      expect(await sha256File(source)).toBe(sourceHash);
    });
  }

  for (const format of ['raw', 'qcow2'] as const) {
    test(`in place (${format}), killed in the middle of writing: undo restores the original bytes`, async () => {
      const copy = join(dir, `inplace.${format}`);
      if (format === 'raw') copyFileSync(source, copy);
      else run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', source, copy]);
      const before = await sha256File(copy);
      const journal = join(dir, `inplace-${format}.undo`);
      const result = rehostKilledAt('mid-commit', [copy, '--to', 'kvm', '--in-place', '--undo-journal', journal]);
      expect(result.signal, result.stdout + result.stderr).toBe('SIGKILL');
      expect(existsSync(journal)).toBe(true);
      expect(await sha256File(copy)).not.toBe(before);
      await undo(journal);
      expect(await sha256File(copy)).toBe(before);
    });
  }

  test('in place, killed after verification (before the commit): the image is untouched, no journal', async () => {
    const copy = join(dir, 'inplace-verified.raw');
    copyFileSync(source, copy);
    const journal = join(dir, 'inplace-verified.undo');
    const result = rehostKilledAt('verified', [copy, '--to', 'kvm', '--in-place', '--undo-journal', journal]);
    expect(result.signal).toBe('SIGKILL');
    expect(existsSync(journal)).toBe(false);
    expect(await sha256File(copy)).toBe(sourceHash);
  });
});
