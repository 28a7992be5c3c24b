// A commit killed with SIGKILL at several points (before commit, at the first and a later
// progress report of the writer) leaves the source intact and no output that looks complete:
// at most a `.partial-<pid>` file. In place, a kill mid-write is repaired by `undo` from the
// journal synced before the first write. The commit runs in a child process on the TypeScript
// sources (ts-register.mjs), which prints where it is and pauses there, so the kill lands
// mid-write.

import { copyFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { requireTool, run, runKilledAt, sha256File, tempDir } from '../helpers/tools.js';
import { undo } from '../../src/patch/index.js';
import { makeGuestDisk } from './guest-disk.js';

const HERE = new URL('.', import.meta.url).pathname;
const REGISTER = join(HERE, 'ts-register.mjs');
const CHILD = join(HERE, 'commit-child.ts');

/** Runs the child; kills it when it prints the line `killAt` (never, when undefined). Returns the lines seen and whether it was killed. */
function runChild(args: string[], killAt?: string): Promise<{ lines: string[]; killed: boolean; code: number | null; stderr: string }> {
  return runKilledAt('node', ['--import', REGISTER, CHILD, ...args], killAt);
}

let dir: string;
let disk: { raw: string; qcow2: string };
let sourceHash: string;

beforeAll(async () => {
  for (const tool of ['mkfs.ext4', 'sgdisk', 'qemu-img']) requireTool(tool);
  dir = tempDir('rehost-patch-kill-');
  disk = makeGuestDisk(dir);
  sourceHash = await sha256File(disk.qcow2);
});

function leftovers(folder: string, output: string): string[] {
  return readdirSync(folder).filter((name) => name.startsWith(output));
}

describe('killed commit', () => {
  const points = { backed: ['applied', 'progress 1', 'progress 3'], standalone: ['progress 2'] };
  for (const mode of ['backed', 'standalone'] as const) {
    test(`${mode}: killed at ${points[mode].join(', ')} → source intact, no complete output`, async () => {
      const folder = join(dir, mode);
      run('mkdir', ['-p', folder]);
      for (const killAt of points[mode]) {
        const output = join(folder, `out-${killAt.replace(' ', '')}.qcow2`);
        const result = await runChild([disk.qcow2, mode, output], killAt);
        expect(result.killed, `child never reached "${killAt}": ${result.lines.join(',')} ${result.stderr}`).toBe(true);
        expect(result.lines).not.toContain('done');
        expect(existsSync(output)).toBe(false);
        for (const name of leftovers(folder, `out-${killAt.replace(' ', '')}.qcow2`)) expect(name).toMatch(/\.qcow2\.partial-\d+$/);
        if (killAt !== 'applied') expect(leftovers(folder, `out-${killAt.replace(' ', '')}.qcow2`).length).toBe(1);
        expect(await sha256File(disk.qcow2)).toBe(sourceHash);
      }
      // Not killed: the output is complete and qemu-img finds it clean.
      const output = join(folder, 'out-complete.qcow2');
      const result = await runChild([disk.qcow2, mode, output]);
      expect(result.lines, result.stderr).toContain('done');
      expect(leftovers(folder, 'out-complete.qcow2')).toEqual(['out-complete.qcow2']);
      run('qemu-img', ['check', output]);
      expect(await sha256File(disk.qcow2)).toBe(sourceHash);
    });
  }

  test('in place: killed after the journal, mid-write → undo gives the original sha256 back', async () => {
    const original = await sha256File(disk.raw);
    for (const killAt of ['progress 1', 'progress 2']) {
      const image = join(dir, `inplace-${killAt.replace(' ', '')}.raw`);
      const journal = `${image}.undo`;
      copyFileSync(disk.raw, image);
      const result = await runChild([image, 'in-place', journal], killAt);
      expect(result.killed, `${result.lines.join(',')} ${result.stderr}`).toBe(true);
      expect(existsSync(journal)).toBe(true);
      expect(await sha256File(image)).not.toBe(original);
      const restored = await undo(journal);
      expect(restored.untouched).toBeGreaterThan(0);
      expect(await sha256File(image)).toBe(original);
      rmSync(image);
    }
    // Killed before the commit began: nothing written, no journal.
    const image = join(dir, 'inplace-applied.raw');
    copyFileSync(disk.raw, image);
    const result = await runChild([image, 'in-place', `${image}.undo`], 'applied');
    expect(result.killed).toBe(true);
    expect(existsSync(`${image}.undo`)).toBe(false);
    expect(await sha256File(image)).toBe(original);
  });
});
