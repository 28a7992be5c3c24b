// Carries out one patch on a writable filesystem. Every patch first reads the current state
// of its target: when the patch's result is already there it does nothing ('already'), when
// the state is what the patch expects it writes, and anything else is a PreconditionError,
// raised before the first write. So applying a patch twice changes nothing.

import { PreconditionError, UnsupportedError } from '../errors.js';
import { dirnamePath, splitPath } from '../fs/path.js';
import type { WritableFileSystem, WriteFileOptions } from '../fs/types.js';
import { appendSegment, buildSegment } from '../linux/initramfs/index.js';
import { applyConfigEdit } from './config-edit.js';
import { sha256Hex } from './hash.js';
import { expectedState, listTree, pathState, statOrAbsent, treeState } from './state.js';
import type {
  AppendInitramfsPatch,
  DeleteFilePatch,
  DisableSysvPatch,
  EditConfigPatch,
  MakeDirectoryPatch,
  MakeSymlinkPatch,
  MaskUnitPatch,
  Patch,
  PatchResult,
  PatchTarget,
  RemoveExpect,
  RemovePathPatch,
  WriteFilePatch,
} from './types.js';

export const SYSTEMD_ADMIN_DIR = '/etc/systemd/system';

function refuse({ patch, path, found, expected }: { patch: Patch; path: string; found: string; expected: string }): PreconditionError {
  return new PreconditionError(`${patch.kind}: ${path} is not as the plan expected (found ${found}, expected ${expected})`, {
    path,
    kind: patch.kind,
    found,
    expected,
  });
}

function result(patch: Patch, done: { outcome: PatchResult['outcome']; targets: PatchTarget[] }): PatchResult {
  const { outcome, targets } = done;
  return { kind: patch.kind, ...(patch.volume !== undefined ? { volume: patch.volume } : {}), outcome, targets };
}

/** Creates the missing directories above `path` (mode 0755, root-owned, as package managers do). */
async function ensureParents(fs: WritableFileSystem, path: string): Promise<void> {
  const parts = splitPath(dirnamePath(path));
  let current = '';
  for (const part of parts) {
    current += `/${part}`;
    const stat = await statOrAbsent(fs, current);
    if (!stat) await fs.mkdir(current, { mode: 0o755, uid: 0, gid: 0 });
  }
}

/** The owner and mode of the file being replaced, so a rewrite keeps them. */
async function keepOwnership(fs: WritableFileSystem, path: string, mode?: number): Promise<WriteFileOptions> {
  const stat = await statOrAbsent(fs, path);
  const options: WriteFileOptions = {};
  const m = mode ?? (stat?.mode !== undefined ? stat.mode & 0o7777 : 0o644);
  options.mode = m;
  options.uid = stat?.uid ?? 0;
  options.gid = stat?.gid ?? 0;
  return options;
}

async function writeFilePatch(fs: WritableFileSystem, patch: WriteFilePatch): Promise<PatchResult> {
  const before = await pathState(fs, patch.path);
  const after = sha256Hex(patch.content);
  if (before === after) return result(patch, { outcome: 'already', targets: [{ path: patch.path, before, after }] });
  const expected = expectedState(patch.expect);
  if (before !== expected) throw refuse({ patch, path: patch.path, found: before, expected });
  const options = await keepOwnership(fs, patch.path, patch.mode);
  await ensureParents(fs, patch.path);
  await fs.writeFile(patch.path, patch.content, options);
  return result(patch, { outcome: 'applied', targets: [{ path: patch.path, before, after }] });
}

async function deleteFilePatch(fs: WritableFileSystem, patch: DeleteFilePatch): Promise<PatchResult> {
  const before = await pathState(fs, patch.path);
  if (before === 'absent') return result(patch, { outcome: 'already', targets: [{ path: patch.path, before, after: 'absent' }] });
  if (before !== patch.expect.sha256) throw refuse({ patch, path: patch.path, found: before, expected: patch.expect.sha256 });
  await fs.unlink(patch.path);
  return result(patch, { outcome: 'applied', targets: [{ path: patch.path, before, after: 'absent' }] });
}

async function editConfigPatch(fs: WritableFileSystem, patch: EditConfigPatch): Promise<PatchResult> {
  const before = await pathState(fs, patch.path);
  if (before === 'absent' || before.startsWith('symlink:') || before === 'directory' || before === 'other') {
    throw refuse({ patch, path: patch.path, found: before, expected: patch.expect.sha256 });
  }
  const content = await fs.readFile(patch.path);
  if (before !== patch.expect.sha256) {
    // Not the file the plan saw: acceptable only when the edits are all in effect already.
    let edited;
    try {
      edited = applyConfigEdit(content, patch.edit);
    } catch (error) {
      if (error instanceof PreconditionError || error instanceof UnsupportedError) throw refuse({ patch, path: patch.path, found: before, expected: patch.expect.sha256 });
      throw error;
    }
    if (edited.changed) throw refuse({ patch, path: patch.path, found: before, expected: patch.expect.sha256 });
    return result(patch, { outcome: 'already', targets: [{ path: patch.path, before, after: before }] });
  }
  const edited = applyConfigEdit(content, patch.edit);
  if (!edited.changed) return result(patch, { outcome: 'already', targets: [{ path: patch.path, before, after: before }] });
  const options = await keepOwnership(fs, patch.path);
  await fs.writeFile(patch.path, edited.content, options);
  return result(patch, { outcome: 'applied', targets: [{ path: patch.path, before, after: sha256Hex(edited.content) }] });
}

/** True when `current` is the original (hash `originalSha256`) with `segment` appended as appendSegment does. */
function isAppended({ current, segment, originalSha256 }: { current: Uint8Array; segment: Uint8Array; originalSha256: string }): boolean {
  if (current.length < segment.length) return false;
  const prefixEnd = current.length - segment.length;
  for (let i = 0; i < segment.length; i++) if (current[prefixEnd + i] !== segment[i]) return false;
  for (let pad = 0; pad <= 3 && pad <= prefixEnd; pad++) {
    const originalLength = prefixEnd - pad;
    if ((4 - (originalLength % 4)) % 4 !== pad) continue;
    if (current.subarray(originalLength, prefixEnd).some((b) => b !== 0)) continue;
    if (sha256Hex(current.subarray(0, originalLength)) === originalSha256) return true;
  }
  return false;
}

async function appendInitramfsPatch(fs: WritableFileSystem, patch: AppendInitramfsPatch): Promise<PatchResult> {
  const before = await pathState(fs, patch.path);
  if (before === 'absent' || before.startsWith('symlink:') || before === 'directory' || before === 'other') {
    throw refuse({ patch, path: patch.path, found: before, expected: patch.expect.sha256 });
  }
  const current = await fs.readFile(patch.path);
  if (before !== patch.expect.sha256) {
    if (isAppended({ current, segment: buildSegment(patch.entries), originalSha256: patch.expect.sha256 })) {
      return result(patch, { outcome: 'already', targets: [{ path: patch.path, before, after: before }] });
    }
    throw refuse({ patch, path: patch.path, found: before, expected: patch.expect.sha256 });
  }
  const next = appendSegment({ original: current, entries: patch.entries });
  const options = await keepOwnership(fs, patch.path);
  await fs.writeFile(patch.path, next, options);
  return result(patch, { outcome: 'applied', targets: [{ path: patch.path, before, after: sha256Hex(next) }] });
}

export function maskPath(unit: string): string {
  if (unit === '' || unit.includes('/') || unit === '.' || unit === '..') {
    throw new UnsupportedError(`not a systemd unit name: ${JSON.stringify(unit)}`, { kind: 'unit' });
  }
  return `${SYSTEMD_ADMIN_DIR}/${unit}`;
}

async function maskUnitPatch(fs: WritableFileSystem, patch: MaskUnitPatch): Promise<PatchResult> {
  const path = maskPath(patch.unit);
  const before = await pathState(fs, path);
  const after = 'symlink:/dev/null';
  if (before === after) return result(patch, { outcome: 'already', targets: [{ path, before, after }] });
  const expected = expectedState(patch.expect);
  if (before !== expected) throw refuse({ patch, path, found: before, expected });
  if (before !== 'absent') await fs.unlink(path);
  await ensureParents(fs, path);
  await fs.symlink('/dev/null', path, { uid: 0, gid: 0 });
  return result(patch, { outcome: 'applied', targets: [{ path, before, after }] });
}

/** The stop link `update-rc.d disable` makes for a start link: /etc/rc2.d/S01x -> /etc/rc2.d/K01x. */
export function stopLinkPath(startLink: string): string {
  const parts = splitPath(startLink);
  const name = parts.pop() ?? '';
  if (!/^S[0-9]{2}./.test(name)) throw new UnsupportedError(`not a sysv start link: ${startLink}`, { kind: 'sysv link' });
  return `/${[...parts, `K${name.slice(1)}`].join('/')}`;
}

async function disableSysvPatch(fs: WritableFileSystem, patch: DisableSysvPatch): Promise<PatchResult> {
  // Check every link before changing any, so a refusal leaves nothing half done.
  const todo: { start: string; stop: string; link: string }[] = [];
  const targets: PatchTarget[] = [];
  for (const link of patch.links) {
    const stop = stopLinkPath(link.path);
    const linkState = `symlink:${link.target}`;
    const startState = await pathState(fs, link.path);
    const stopState = await pathState(fs, stop);
    if (startState === 'absent' && stopState === linkState) {
      targets.push({ path: link.path, before: 'absent', after: 'absent' }, { path: stop, before: linkState, after: linkState });
      continue;
    }
    if (startState !== linkState) throw refuse({ patch, path: link.path, found: startState, expected: linkState });
    if (stopState !== 'absent') throw refuse({ patch, path: stop, found: stopState, expected: 'absent' });
    todo.push({ start: link.path, stop, link: link.target });
    targets.push({ path: link.path, before: linkState, after: 'absent' }, { path: stop, before: 'absent', after: linkState });
  }
  for (const step of todo) {
    await fs.unlink(step.start);
    await fs.symlink(step.link, step.stop, { uid: 0, gid: 0 });
  }
  return result(patch, { outcome: todo.length > 0 ? 'applied' : 'already', targets });
}

async function makeDirectoryPatch(fs: WritableFileSystem, patch: MakeDirectoryPatch): Promise<PatchResult> {
  const before = await pathState(fs, patch.path);
  if (before === 'directory') return result(patch, { outcome: 'already', targets: [{ path: patch.path, before, after: 'directory' }] });
  if (before !== patch.expect) throw refuse({ patch, path: patch.path, found: before, expected: patch.expect });
  // One level per patch: a missing parent means the plan left out a level (or it vanished).
  const parent = dirnamePath(patch.path);
  const parentStat = await statOrAbsent(fs, parent);
  if (parentStat?.type !== 'directory') throw refuse({ patch, path: parent, found: parentStat?.type ?? 'absent', expected: 'directory' });
  await fs.mkdir(patch.path, { mode: patch.mode ?? 0o755, uid: 0, gid: 0 });
  return result(patch, { outcome: 'applied', targets: [{ path: patch.path, before, after: 'directory' }] });
}

function removeExpectText(expect: RemoveExpect): string {
  if (expect === 'directory') return 'an empty directory';
  if ('tree' in expect) return `tree:${expect.tree}`;
  if ('symlink' in expect) return `symlink:${expect.symlink}`;
  return expect.sha256;
}

async function removePathPatch(fs: WritableFileSystem, patch: RemovePathPatch): Promise<PatchResult> {
  const { path, expect } = patch;
  if (path === '/' || path === '') throw new UnsupportedError('refusing to remove the root directory of a volume', { path: '/' });
  const before = await pathState(fs, path);
  if (before === 'absent') return result(patch, { outcome: 'already', targets: [{ path, before, after: 'absent' }] });
  const expected = removeExpectText(expect);
  if (before !== 'directory') {
    if (before !== expected) throw refuse({ patch, path, found: before, expected });
    await fs.unlink(path);
    return result(patch, { outcome: 'applied', targets: [{ path, before, after: 'absent' }] });
  }
  const entries = await listTree(fs, path);
  if (expect === 'directory') {
    if (entries.length > 0) throw refuse({ patch, path, found: `a directory of ${entries.length} entries`, expected });
    await fs.rmdir(path);
    return result(patch, { outcome: 'applied', targets: [{ path, before, after: 'absent' }] });
  }
  const found = await treeState(fs, path);
  if (found !== expected) throw refuse({ patch, path, found, expected });
  // Children before their directories: the listing has parents first, so walk it backwards.
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i] as (typeof entries)[number];
    const full = `${path === '/' ? '' : path}/${entry.path}`;
    if (entry.state === 'directory') await fs.rmdir(full);
    else await fs.unlink(full);
  }
  await fs.rmdir(path);
  return result(patch, { outcome: 'applied', targets: [{ path, before: found, after: 'absent' }] });
}

async function makeSymlinkPatch(fs: WritableFileSystem, patch: MakeSymlinkPatch): Promise<PatchResult> {
  const before = await pathState(fs, patch.path);
  const after = `symlink:${patch.target}`;
  if (before === after) return result(patch, { outcome: 'already', targets: [{ path: patch.path, before, after }] });
  const expected = expectedState(patch.expect);
  if (before !== expected) throw refuse({ patch, path: patch.path, found: before, expected });
  if (before !== 'absent') await fs.unlink(patch.path);
  await ensureParents(fs, patch.path);
  await fs.symlink(patch.target, patch.path, { uid: 0, gid: 0 });
  return result(patch, { outcome: 'applied', targets: [{ path: patch.path, before, after }] });
}

export async function applyPatch(fs: WritableFileSystem, patch: Patch): Promise<PatchResult> {
  switch (patch.kind) {
    case 'write-file':
      return writeFilePatch(fs, patch);
    case 'delete-file':
      return deleteFilePatch(fs, patch);
    case 'edit-config':
      return editConfigPatch(fs, patch);
    case 'append-initramfs':
      return appendInitramfsPatch(fs, patch);
    case 'mask-unit':
      return maskUnitPatch(fs, patch);
    case 'disable-sysv':
      return disableSysvPatch(fs, patch);
    case 'make-directory':
      return makeDirectoryPatch(fs, patch);
    case 'remove-path':
      return removePathPatch(fs, patch);
    case 'make-symlink':
      return makeSymlinkPatch(fs, patch);
  }
}
