// In-place commits into qcow2 through a real Transaction: a copy of the example image
// (fixtures/example/debian-mini.qcow2) gets files written through ext, is committed in place,
// and the oracles read it: qemu-img check (no errors, no leaks), debugfs reads the files back,
// e2fsck -fn is clean; undo gives the original sha256 back. Then the kill test: a child process
// commits in place and is SIGKILLed before the journal, between every phase and in the middle
// of one; after each kill `qemu-img check` must tell the truth (never a corruption: at most
// leaked clusters, since refcounts are raised before references and lowered after), and `rehost
// undo` must restore the original bytes.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { requireTool, run, runKilledAt, scratchDirs, sha256File } from '../helpers/tools.js';
import { openTransaction, undo, readUndoJournal, sha256Hex } from '../../src/patch/index.js';
import { CorruptError, PreconditionError } from '../../src/errors.js';
import { runCommandInProcess } from '../helpers/cli.js';
import { registerApplyCommands } from '../../src/cli/commands/apply.js';
import { BIG_SIZE, bigFile, examplePatches, NOTE } from './commit-in-place-qcow2-patches.js';

const HERE = new URL('.', import.meta.url).pathname;
const EXAMPLE = new URL('../../fixtures/example/debian-mini.qcow2', import.meta.url).pathname;
const REGISTER = join(HERE, 'ts-register.mjs');
const CHILD = join(HERE, 'commit-in-place-qcow2-child.ts');
const newDir = scratchDirs('rehost-commit-qcow2-');
let dir: string;

/** Partition 2 (the ext root) of the example image starts at sector 4096 and holds 122880 sectors. */
const ROOT_START = 4096 * 512;
const ROOT_SIZE = 122880 * 512;

/** The root filesystem of a qcow2 guest, extracted for debugfs and e2fsck. */
function extractRoot(image: string, name: string): string {
  const raw = join(dir, `${name}.raw`);
  run('qemu-img', ['convert', '-O', 'raw', image, raw]);
  const part = join(dir, `${name}.root`);
  run('dd', [`if=${raw}`, `of=${part}`, 'bs=512', `skip=${ROOT_START / 512}`, `count=${ROOT_SIZE / 512}`, 'status=none']);
  rmSync(raw);
  return part;
}

function checkStatus(image: string): number {
  return spawnSync('qemu-img', ['check', image], { encoding: 'utf8' }).status ?? -1;
}

beforeAll(() => {
  for (const tool of ['qemu-img', 'debugfs', 'e2fsck']) requireTool(tool);
  dir = newDir();
});

describe('in place into the example qcow2', () => {
  test('files written through ext: qemu-img check clean, debugfs reads them, e2fsck -fn clean; undo restores the sha256', async () => {
    const image = join(dir, 'example.qcow2');
    copyFileSync(EXAMPLE, image);
    const original = await sha256File(image);
    const tx = await openTransaction({ imagePath: image });
    await tx.apply(examplePatches());
    const started = performance.now();
    const journal = await tx.commit({ mode: 'in-place' });
    const ms = performance.now() - started;
    await tx.close();
    expect(ms).toBeLessThan(20_000);
    expect(journal.commit?.format).toBe('qcow2');
    expect(journal.commit?.qcow2?.allocated).toBeGreaterThan(0);
    const journalPath = journal.commit?.journalPath as string;
    expect(journalPath).toBe(`${image}.rehost-undo`);
    expect(journal.undo?.version).toBe(2);

    expect(checkStatus(image), run('qemu-img', ['check', image])).toBe(0);
    const part = extractRoot(image, 'example');
    expect(run('debugfs', ['-R', 'cat /etc/rehost-in-place.txt', part])).toBe(new TextDecoder().decode(NOTE));
    const big = join(dir, 'big.out');
    run('debugfs', ['-R', `dump /rehost-big.bin ${big}`, part]);
    expect(Buffer.compare(readFileSync(big), bigFile(BIG_SIZE, 7))).toBe(0);
    run('e2fsck', ['-fn', part]);

    // Through the CLI, as a user would undo it.
    const result = await runCommandInProcess(registerApplyCommands, ['undo', journalPath, '--json']);
    expect(result.exitCode ?? 0, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { truncated: number }).truncated).toBeGreaterThan(0);
    expect(await sha256File(image)).toBe(original);
    expect(checkStatus(image)).toBe(0);
  });
});

/** Runs the child; it stops at write number `killAt` (or 'applied') and waits there to be killed. */
function runChild(options: { args: string[]; killAt?: string; bigSize?: number }): Promise<{ lines: string[]; killed: boolean; stderr: string }> {
  const { args, killAt, bigSize } = options;
  const extra = bigSize !== undefined ? [String(bigSize)] : [];
  return runKilledAt('node', ['--import', REGISTER, CHILD, ...args, killAt ?? 'never', ...extra], killAt !== undefined ? `at ${killAt}` : undefined);
}

/**
 * Kills the child at the first write of every phase (or of the phases `only` names) (so the phases before are complete and
 * synced), in the middle of the data phase and at the last write; after each kill qemu-img
 * check must find no corruption and undo must restore the original. Returns check's exit
 * status per kill point ("N:phase").
 */
async function killAtEveryPhase(args: { source: string; name: string; bigSize?: number; only?: string[] }): Promise<Record<string, number>> {
  const { source, name, bigSize } = args;
  // A full run first, to learn how many writes each phase has.
  const probe = join(dir, `${name}-probe.qcow2`);
  copyFileSync(source, probe);
  const original = await sha256File(probe);
  const full = await runChild({ args: [probe, `${probe}.undo`], ...(bigSize !== undefined ? { bigSize } : {}) });
  expect(full.lines, full.stderr).toContain('done');
  const writes = full.lines.filter((l) => l.startsWith('write ')).map((l) => l.split(' ')[2] as string);
  expect(checkStatus(probe)).toBe(0);
  const points = new Set<number>();
  if (args.only !== undefined) {
    for (const phase of args.only) points.add(writes.indexOf(phase) + 1);
  } else {
    for (const phase of new Set(writes)) points.add(writes.indexOf(phase) + 1);
    points.add(Math.ceil(writes.filter((p) => p === 'data').length / 2));
    points.add(writes.length);
  }
  expect(points.has(0), `phases ${args.only?.join(', ')} all written: ${[...new Set(writes)].join(', ')}`).toBe(false);
  const seen: Record<string, number> = {};
  for (const point of [...points].sort((a, b) => a - b)) {
    const image = join(dir, `${name}-kill-${point}.qcow2`);
    copyFileSync(source, image);
    const journalPath = `${image}.undo`;
    const result = await runChild({ args: [image, journalPath], killAt: String(point), ...(bigSize !== undefined ? { bigSize } : {}) });
    expect(result.killed, `${result.lines.join(',')} ${result.stderr}`).toBe(true);
    expect(existsSync(journalPath)).toBe(true);
    // The truth: metadata is never corrupt, at worst clusters leaked (exit 3).
    const status = checkStatus(image);
    expect([0, 3], `qemu-img check after a kill at write ${point} (${writes[point - 1]})`).toContain(status);
    seen[`${point}:${writes[point - 1]}`] = status;
    const { header } = await readUndoJournal(journalPath);
    expect(header.version).toBe(2);
    await undo(journalPath);
    expect(await sha256File(image), `undo after a kill at write ${point}`).toBe(original);
    rmSync(image);
  }
  return seen;
}

describe('killed in-place qcow2 commit', () => {
  test('the example image: killed before the journal, between phases and mid-phase; check tells the truth, undo restores', async () => {
    const seen = await killAtEveryPhase({ source: EXAMPLE, name: 'example' });
    expect(Object.keys(seen).map((k) => k.split(':')[1])).toEqual(expect.arrayContaining(['data', 'refcount-blocks', 'L2-tables']));
    // Leaks are expected exactly while refcounts are raised but the references not yet written.
    expect(Object.values(seen)).toContain(3);
    const original = await sha256File(EXAMPLE);

    // Killed after the journal, before the first write: undo finds every range untouched.
    const early = join(dir, 'kill-first.qcow2');
    copyFileSync(EXAMPLE, early);
    const killedEarly = await runChild({ args: [early, `${early}.undo`], killAt: 'first-phase' });
    expect(killedEarly.killed).toBe(true);
    expect(await sha256File(early)).toBe(original);
    const restored = await undo(`${early}.undo`);
    expect(restored.restored).toBe(0);
    expect(await sha256File(early)).toBe(original);

    // Killed before the commit: no journal, nothing written.
    const image = join(dir, 'kill-applied.qcow2');
    copyFileSync(EXAMPLE, image);
    const result = await runChild({ args: [image, `${image}.undo`], killAt: 'applied' });
    expect(result.killed).toBe(true);
    expect(existsSync(`${image}.undo`)).toBe(false);
    expect(await sha256File(image)).toBe(original);
  });

  test('512-byte clusters: new L2 tables and refcount blocks, a grown refcount table; killed after the table switch, in L1, in the decrements', async () => {
    const small = join(dir, 'example-512.qcow2');
    run('qemu-img', ['convert', '-O', 'qcow2', '-o', 'cluster_size=512,refcount_bits=64', EXAMPLE, small]);
    // A 2.5 MiB file outgrows what the one-cluster refcount table covers (2 MiB of file).
    // Killed right after the header switched to the new table, at the first L1 entry, and
    // at the first refcount decrement (the old table and replaced compressed clusters).
    const seen = await killAtEveryPhase({ source: small, name: 'small', bigSize: 2560 * 1024, only: ['header', 'L1-table', 'refcount-decrements'] });
    expect(Object.keys(seen).length).toBe(3);
  });
});

describe('undo journal version 2', () => {
  const hex = (bytes: Uint8Array): string => sha256Hex(bytes);
  /** A journal written by hand: magic line, header JSON, data. */
  function handJournal(args: { path: string; magic: string; header: object; data: Uint8Array }): void {
    writeFileSync(args.path, Buffer.concat([Buffer.from(`${args.magic}${JSON.stringify(args.header)}\n`), args.data]));
  }

  test('a version 1 journal (raw, no length change) is still undone', async () => {
    const image = join(dir, 'v1.raw');
    const old = new Uint8Array(4096).fill(1);
    const now = new Uint8Array(4096).fill(2);
    writeFileSync(image, Buffer.concat([new Uint8Array(4096), now, new Uint8Array(4096)]));
    const journal = join(dir, 'v1.journal');
    handJournal({
      path: journal,
      magic: 'REHOST-UNDO 1\n',
      header: { version: 1, image, imageSize: 12288, createdAt: 'x', ranges: [{ offset: 4096, length: 4096, oldSha256: hex(old), newSha256: hex(now) }], dataSha256: hex(old) },
      data: old,
    });
    expect((await undo(journal)).restored).toBe(1);
    expect(Buffer.compare(readFileSync(image).subarray(4096, 8192), old)).toBe(0);
  });

  test('malformed v2 headers, overlapping ranges, a wrong image length and foreign bytes are refused', async () => {
    const image = join(dir, 'v2.raw');
    const old = new Uint8Array(4096).fill(1);
    const mid = new Uint8Array(4096).fill(3);
    const now = new Uint8Array(4096).fill(2);
    const base = { version: 2, image, format: 'qcow2', imageSize: 12288, committedSize: 16384, createdAt: 'x', dataSha256: hex(old) };
    const range = { offset: 4096, length: 4096, oldSha256: hex(old), newSha256: hex(now), states: [hex(mid)] };
    const journal = join(dir, 'v2.journal');
    const bad = async (header: object, options: { data?: Uint8Array; magic?: string } = {}): Promise<void> => {
      handJournal({ path: journal, magic: options.magic ?? 'REHOST-UNDO 2\n', header, data: options.data ?? old });
      await expect(undo(journal)).rejects.toThrow(CorruptError);
    };
    await bad({ ...base, version: 1, ranges: [range] });
    await bad({ ...base, ranges: [range] }, { magic: 'REHOST-UNDO 1\n' });
    await bad({ ...base, committedSize: 100, ranges: [range] });
    await bad({ ...base, ranges: [{ ...range, states: ['nope'] }] });
    await bad({ ...base, ranges: [{ ...range, offset: 10000 }] }); // past imageSize
    await bad({ ...base, dataSha256: hex(Buffer.concat([old, old])), ranges: [range, { ...range, offset: 6144 }] }, { data: Buffer.concat([old, old]) });
    await expect(undo(journal)).rejects.toThrow(/overlap/);

    // A good journal: an interrupted commit left the intermediate state and appended 4 KiB.
    handJournal({ path: journal, magic: 'REHOST-UNDO 2\n', header: { ...base, ranges: [range] }, data: old });
    writeFileSync(image, Buffer.concat([new Uint8Array(4096), mid, new Uint8Array(4096), new Uint8Array(8192)]));
    await expect(undo(journal)).rejects.toThrow(PreconditionError); // 20 KiB: longer than committed
    writeFileSync(image, Buffer.concat([new Uint8Array(4096), mid]));
    await expect(undo(journal)).rejects.toThrow(PreconditionError); // shorter than before
    writeFileSync(image, Buffer.concat([new Uint8Array(4096), new Uint8Array(4096).fill(9), new Uint8Array(8192)]));
    await expect(undo(journal)).rejects.toThrow(/changed since/);
    writeFileSync(image, Buffer.concat([new Uint8Array(4096), mid, new Uint8Array(8192)]));
    const result = await undo(journal);
    expect(result).toMatchObject({ restored: 1, untouched: 0, truncated: 4096 });
    expect(Buffer.compare(readFileSync(image), Buffer.concat([new Uint8Array(4096), old, new Uint8Array(4096)]))).toBe(0);
  });
});
