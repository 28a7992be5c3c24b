// Fuzzing the guest-write patch kinds (make-directory, remove-path, make-symlink, write-file)
// on an in-memory guest: each input is read as a program of operations over a small set of
// paths, with preconditions that are sometimes current and sometimes stale. Only rehost
// errors may escape; a patch that applied must find its result there the second time
// ('already'); a refused patch must leave the tree exactly as it was.

import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../src/fs/memory/index.js';
import { PreconditionError } from '../../src/errors.js';
import { applyPatch, pathState, sha256Hex, treeState, type Patch, type RemoveExpect } from '../../src/patch/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';

const PATHS = ['/a', '/a/b', '/a/b/c', '/a/f', '/a/b/g', '/d', '/d/h', '/a/b/c/i'];
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function currentRemoveExpect(fs: MemoryFileSystem, path: string): Promise<RemoveExpect | undefined> {
  const state = await pathState(fs, path);
  if (state === 'absent') return undefined;
  if (state === 'directory') return (await fs.readdir(path)).length === 0 ? 'directory' : { tree: (await treeState(fs, path)).slice('tree:'.length) };
  if (state.startsWith('symlink:')) return { symlink: state.slice('symlink:'.length) };
  return { sha256: state };
}

/** Decodes one operation from two bytes: op kind, path, and whether the precondition is stale. */
async function patchOf(fs: MemoryFileSystem, op: number, arg: number): Promise<Patch> {
  const path = PATHS[arg % PATHS.length] as string;
  const stale = (op & 0x80) !== 0;
  const state = await pathState(fs, path);
  switch (op % 4) {
    case 0:
      return { kind: 'make-directory', path, expect: stale === (state === 'absent') ? 'directory' : 'absent', mode: 0o700 + (arg % 0o100) };
    case 1: {
      const expect = (await currentRemoveExpect(fs, path)) ?? { sha256: sha256Hex(enc('nothing')) };
      return { kind: 'remove-path', path, expect: stale ? { tree: sha256Hex(enc(String(arg))) } : expect };
    }
    case 2:
      return { kind: 'make-symlink', path, target: `t${arg % 3}`, expect: stale || state === 'absent' ? 'absent' : { sha256: state } };
    default: {
      const content = enc(`content ${arg % 5}`);
      return { kind: 'write-file', path, content, expect: stale || state === 'absent' ? 'absent' : { sha256: state } };
    }
  }
}

async function runProgram(input: Uint8Array): Promise<void> {
  const fs = await MemoryFileSystem.from({ a: { b: { 'g': 'gee' } }, d: {} });
  for (let i = 0; i + 1 < input.length && i < 64; i += 2) {
    const patch = await patchOf(fs, input[i] as number, input[i + 1] as number);
    const before = await treeState(fs, '/');
    let applied = false;
    try {
      applied = (await applyPatch(fs, patch)).outcome === 'applied';
    } catch (error) {
      if (error instanceof PreconditionError && (await treeState(fs, '/')) !== before) throw new Error(`a refused ${patch.kind} on ${'path' in patch ? patch.path : '?'} changed the tree`);
      if (error instanceof PreconditionError) continue;
      throw error;
    }
    if (applied) {
      const after = await treeState(fs, '/');
      const again = await applyPatch(fs, patch);
      if (again.outcome !== 'already' || (await treeState(fs, '/')) !== after) throw new Error(`${patch.kind} on ${'path' in patch ? patch.path : '?'} is not idempotent`);
    }
  }
}

describe('fuzz guest-write patch kinds', () => {
  it('only rehost errors escape; applied patches are idempotent; refusals change nothing', async () => {
    const seeds = [
      new Uint8Array([0, 0, 0, 1, 0, 2, 3, 3, 1, 2, 1, 0]),
      new Uint8Array([3, 4, 2, 6, 1, 5, 0x81, 1, 0x83, 3, 1, 4, 1, 6]),
      new Uint8Array([0, 5, 0, 6, 3, 6, 1, 5, 2, 7, 0x80, 0, 1, 1]),
    ];
    const report = await fuzz({ name: 'guest-write-patches', seeds, run: runProgram }, { iterations: defaultIterations(150), seed: 11 });
    expect(report.succeeded).toBeGreaterThan(0);
    expect(report.failures, JSON.stringify(report.failures.slice(0, 5), null, 2)).toEqual([]);
  });
});
