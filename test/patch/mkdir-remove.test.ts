// The make-directory, remove-path and make-symlink patch kinds on an in-memory filesystem:
// applied when the precondition holds, 'already' when the result is there, PreconditionError
// (nothing changed) when the target is not what the plan saw; rm -r checks the whole subtree's
// listing hash before removing anything.

import { describe, expect, test } from 'vitest';
import { MemoryFileSystem } from '../../src/fs/memory/index.js';
import { applyPatch, describePatch, listTree, pathState, sha256Hex, treeState, type Patch } from '../../src/patch/index.js';
import { PreconditionError, UnsupportedError } from '../../src/errors.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function guest(): Promise<MemoryFileSystem> {
  return MemoryFileSystem.from({
    opt: {},
    data: { 'a.txt': 'alpha', sub: { 'b.txt': 'beta', deeper: { 'c.txt': 'gamma' } }, link: { symlink: 'a.txt' }, empty: {} },
  });
}

async function snapshot(fs: MemoryFileSystem): Promise<string> {
  return treeState(fs, '/');
}

async function refused(fs: MemoryFileSystem, patch: Patch): Promise<void> {
  const before = await snapshot(fs);
  await expect(applyPatch(fs, patch)).rejects.toBeInstanceOf(PreconditionError);
  expect(await snapshot(fs)).toBe(before);
}

describe('make-directory', () => {
  test('creates one level, then is already there', async () => {
    const fs = await guest();
    const patch: Patch = { kind: 'make-directory', volume: 'p1', path: '/opt/vendor', expect: 'absent', mode: 0o750 };
    expect((await applyPatch(fs, patch)).outcome).toBe('applied');
    expect((await fs.stat('/opt/vendor')).type).toBe('directory');
    expect(((await fs.stat('/opt/vendor')).mode ?? 0) & 0o777).toBe(0o750);
    const again = await applyPatch(fs, patch);
    expect(again).toEqual({ kind: 'make-directory', volume: 'p1', outcome: 'already', targets: [{ path: '/opt/vendor', before: 'directory', after: 'directory' }] });
    expect(describePatch(patch)).toMatch(/make directory p1:\/opt\/vendor \(mode 0750\)/);
  });

  test('refuses a missing parent, a file in the way, and a directory that vanished', async () => {
    const fs = await guest();
    await refused(fs, { kind: 'make-directory', path: '/nope/x', expect: 'absent' });
    await refused(fs, { kind: 'make-directory', path: '/data/a.txt', expect: 'absent' });
    await refused(fs, { kind: 'make-directory', path: '/data/gone', expect: 'directory' });
    await refused(fs, { kind: 'make-directory', path: '/data/a.txt/x', expect: 'absent' });
  });
});

describe('remove-path', () => {
  test('removes a file with the expected content; absent afterwards is already', async () => {
    const fs = await guest();
    const patch: Patch = { kind: 'remove-path', path: '/data/a.txt', expect: { sha256: sha256Hex(enc('alpha')) } };
    expect((await applyPatch(fs, patch)).targets).toEqual([{ path: '/data/a.txt', before: sha256Hex(enc('alpha')), after: 'absent' }]);
    expect(await pathState(fs, '/data/a.txt')).toBe('absent');
    expect((await applyPatch(fs, patch)).outcome).toBe('already');
  });

  test('refuses changed content, a symlink expected as a file, and a non-empty directory expected empty', async () => {
    const fs = await guest();
    await refused(fs, { kind: 'remove-path', path: '/data/a.txt', expect: { sha256: sha256Hex(enc('other')) } });
    await refused(fs, { kind: 'remove-path', path: '/data/link', expect: { sha256: sha256Hex(enc('alpha')) } });
    await refused(fs, { kind: 'remove-path', path: '/data/sub', expect: 'directory' });
    await refused(fs, { kind: 'remove-path', path: '/data/link', expect: { symlink: 'b.txt' } });
  });

  test('removes a symlink and an empty directory', async () => {
    const fs = await guest();
    expect((await applyPatch(fs, { kind: 'remove-path', path: '/data/link', expect: { symlink: 'a.txt' } })).outcome).toBe('applied');
    expect((await applyPatch(fs, { kind: 'remove-path', path: '/data/empty', expect: 'directory' })).outcome).toBe('applied');
    expect(await pathState(fs, '/data/link')).toBe('absent');
    expect(await pathState(fs, '/data/empty')).toBe('absent');
    expect(await pathState(fs, '/data/a.txt')).not.toBe('absent');
  });

  test('rm -r removes the subtree whose listing hash matches, and nothing else', async () => {
    const fs = await guest();
    expect((await listTree(fs, '/data/sub')).map((e) => e.path)).toEqual(['b.txt', 'deeper', 'deeper/c.txt']);
    const tree = (await treeState(fs, '/data/sub')).slice('tree:'.length);
    const patch: Patch = { kind: 'remove-path', path: '/data/sub', expect: { tree } };
    const done = await applyPatch(fs, patch);
    expect(done.targets).toEqual([{ path: '/data/sub', before: `tree:${tree}`, after: 'absent' }]);
    expect(await pathState(fs, '/data/sub')).toBe('absent');
    expect(await pathState(fs, '/data/a.txt')).toBe(sha256Hex(enc('alpha')));
    expect((await applyPatch(fs, patch)).outcome).toBe('already');
    expect(describePatch(patch)).toMatch(/^remove the tree \/data\/sub/);
  });

  test('rm -r refuses a subtree changed anywhere below since the plan', async () => {
    const fs = await guest();
    const tree = (await treeState(fs, '/data/sub')).slice('tree:'.length);
    await fs.writeFile('/data/sub/deeper/c.txt', enc('changed'));
    await refused(fs, { kind: 'remove-path', path: '/data/sub', expect: { tree } });
    const fresh = await guest();
    await fresh.writeFile('/data/sub/deeper/new.txt', enc('x'));
    await refused(fresh, { kind: 'remove-path', path: '/data/sub', expect: { tree } });
  });

  test('never removes the root', async () => {
    const fs = await guest();
    await expect(applyPatch(fs, { kind: 'remove-path', path: '/', expect: { tree: 'x' } })).rejects.toBeInstanceOf(UnsupportedError);
  });
});

describe('make-symlink', () => {
  test('creates a link, is already there the second time, and refuses a different one', async () => {
    const fs = await guest();
    const patch: Patch = { kind: 'make-symlink', path: '/data/sub/to-a', target: '../a.txt', expect: 'absent' };
    expect((await applyPatch(fs, patch)).outcome).toBe('applied');
    expect(await pathState(fs, '/data/sub/to-a')).toBe('symlink:../a.txt');
    expect((await applyPatch(fs, patch)).outcome).toBe('already');
    await refused(fs, { kind: 'make-symlink', path: '/data/link', target: 'elsewhere', expect: 'absent' });
    expect(describePatch(patch)).toMatch(/make symlink \/data\/sub\/to-a -> \.\.\/a\.txt/);
  });
});
