// `rehost undo JOURNAL` through its commander registration (the lead wires it into main.ts):
// restores an image committed in place and reports what it did; a bad journal exits 2.

import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, expect, test, vi } from 'vitest';
import { registerApplyCommands } from '../../src/cli/commands/apply.js';
import { applyAndCommit } from '../../src/patch/index.js';
import { sha256File, tempDir } from '../helpers/tools.js';
import { makeGuestDisk } from './guest-disk.js';
import { guestPatches } from './guest-patches.js';

async function rehost(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const program = new Command().exitOverride();
  registerApplyCommands(program);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'rehost', ...args]);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { stdout, stderr, exitCode };
}

afterEach(() => vi.restoreAllMocks());

test('rehost undo restores the original bytes; a corrupt journal is refused with exit 2', async () => {
  const dir = tempDir('rehost-undo-cli-');
  const { raw } = makeGuestDisk(dir);
  const image = join(dir, 'guest.raw');
  copyFileSync(raw, image);
  const original = await sha256File(image);
  const journal = await applyAndCommit({ imagePath: image, patches: guestPatches(), commit: { mode: 'in-place' } });
  expect(await sha256File(image)).not.toBe(original);

  const result = await rehost(['undo', journal.commit?.journalPath as string, '--json']);
  expect(result.exitCode, result.stderr).toBe(0);
  const parsed = JSON.parse(result.stdout) as { image: string; restored: number };
  expect(parsed.image).toBe(image);
  expect(parsed.restored).toBeGreaterThan(0);
  expect(await sha256File(image)).toBe(original);

  const bad = join(dir, 'bad.journal');
  writeFileSync(bad, 'REHOST-UNDO 1\n{"version":2}\n');
  const refused = await rehost(['undo', bad]);
  expect(refused.exitCode).toBe(2);
  expect(refused.stderr).toContain('journal header is malformed');
});
