// Issue 12's matrix: every real SYSTEM hive of the corpus (cases.ts, each with its test
// SOFTWARE hive) × every target platform, through plan/apply with the virtio-win-shaped test
// driver source. For each pair that can be written: the output re-plans to nothing, `rehost
// check` finds the NTFS volume clean, every file apply wrote reads back byte-exact through
// ntfscat (ntfs-3g), and the hive change — keys added / removed / changed with their values,
// from `hivexregedit --export` before and after, for SYSTEM and SOFTWARE — equals the golden
// file test/windows/golden-inject/<case>-<target>.json. The goldens were generated with
// REHOST_UPDATE_GOLDEN=1 and each one was read against conversion-facts.md §a.3.
// A target none of whose selectable boot controllers this Windows can drive is refused before
// any write (golden: the reasons); vmware-esxi (default pvscsi) and xen-hvm (default xen-vbd)
// also run restricted to the emulated controller the guest's own inbox drivers serve
// (lsilogic-sas, xen-ide), as `--controller` would.
// The Windows 10 1709 hive is dirty without logs: every target that would write it must be
// refused before any write (its golden records which outcome each target gets). The same hive
// with its sequence numbers reconciled (what a clean flush leaves; test-only) runs the whole
// matrix as a second Windows 8+ hive.
// One volume per hive, built once; apply is standalone (-o), so the input image is shared
// read-only across targets and checked unchanged at the end.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerCheckCommands } from '../../src/cli/commands/check.js';
import { applyPlan, PlanBlockedError, type PlanApplyResult } from '../../src/patch/plan-apply.js';
import { packPlanner } from '../../src/patch/plan-apply-planner.js';
import { baseBlockChecksum, recoverHive } from '../../src/registry/index.js';
import type { PlannedPatch } from '../../src/rules/index.js';
import { runCommandInProcess } from '../helpers/cli.js';
import { sha256File, tempDir } from '../helpers/tools.js';
import { CASES, type WindowsCase } from './cases.js';
import { exportKeys, hiveOut, inboxFiles, ntfscat, partitionOf, readCorpusXz, rulesAndCatalog, virtioSource } from './inject-helpers.js';
import { buildWindowsDisk } from './volume.js';

/** Every target with its default boot controllers; then the two whose default (pvscsi, xen-vbd) no
 *  inbox Windows driver serves, with the emulated controller the guest's own drivers boot on. */
const TARGETS: { target: string; controllers?: string[] }[] = [
  ...['kvm', 'vmware-esxi', 'hyperv-gen1', 'hyperv-gen2', 'azure', 'aws-nitro', 'gce', 'xen-hvm'].map((target) => ({ target })),
  { target: 'vmware-esxi', controllers: ['lsilogic-sas'] },
  { target: 'xen-hvm', controllers: ['xen-ide'] },
];
const GOLDEN_DIR = new URL('./golden-inject/', import.meta.url).pathname;
const UPDATE = process.env.REHOST_UPDATE_GOLDEN === '1';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

let source: string;
beforeAll(() => {
  const dir = tempDir('rehost-matrix-src-');
  dirs.push(dir);
  source = virtioSource(dir);
});

interface MatrixCase {
  id: string;
  testCase: WindowsCase;
  /** The SYSTEM hive placed on the volume instead of the corpus file (reconciled variant). */
  system?: Uint8Array;
  /** Dirty without logs: writing it must be refused. */
  refused: boolean;
}

/** The 1709 hive as a clean flush leaves it: secondary sequence = primary, checksum fixed. */
function reconciled1709(): Uint8Array {
  const hive = new Uint8Array(readCorpusXz('registry/system/win10-1709-x64-vmware/SYSTEM.xz'));
  const view = new DataView(hive.buffer);
  view.setUint32(8, view.getUint32(4, true), true);
  view.setUint32(0x1fc, baseBlockChecksum(hive), true);
  return hive;
}

const MATRIX: MatrixCase[] = [
  ...CASES.map((c) => ({ id: c.id, testCase: c, refused: c.id === 'win10-1709-x64-vmware' })),
  { id: 'win10-1709-x64-vmware-reconciled', testCase: CASES.find((c) => c.id === 'win10-1709-x64-vmware')!, system: reconciled1709(), refused: false },
];

/** The hive as Windows would read it at boot: logs replayed (for the Dell hive), else the file. */
function effectiveSystem(m: MatrixCase, dir: string): string {
  const primary = m.system ?? new Uint8Array(readCorpusXz(m.testCase.system));
  const logs = m.testCase.logs.map((l, i) => ({ label: `LOG${i + 1}`, bytes: new Uint8Array(readCorpusXz(l)) }));
  const recovered = m.system ? primary : recoverHive({ primary, logs }).bytes;
  const out = join(dir, 'SYSTEM.before');
  writeFileSync(out, recovered);
  return out;
}

type KeyMap = Map<string, string>;
interface HiveChange {
  added: Record<string, string[]>;
  removed: Record<string, string[]>;
  changed: Record<string, { before: string[]; after: string[] }>;
}

/**
 * hivexregedit prints string values as hex(1) (SZ), hex(2) (EXPAND_SZ) and hex(7) (MULTI_SZ)
 * UTF-16LE bytes; for the reviewer they are decoded (sz:"…", expand_sz:"…", multi_sz:[…])
 * when the bytes are NUL-terminated UTF-16LE, else left as printed.
 */
function readable(line: string): string {
  const m = /^(".*?"|@)=hex\(([127])\):([0-9a-f,]*)$/.exec(line);
  if (!m) return line;
  const bytes = Buffer.from((m[3] as string).split(',').filter((b) => b !== '').map((b) => parseInt(b, 16)));
  if (bytes.length % 2 !== 0 || bytes.length < 2 || bytes.readUInt16LE(bytes.length - 2) !== 0) return line;
  const text = bytes.subarray(0, bytes.length - 2).toString('utf16le');
  if (m[2] === '7') return `${m[1]}=multi_sz:${JSON.stringify(text.split('\0').filter((s, i, all) => !(s === '' && i === all.length - 1)))}`;
  return `${m[1]}=${m[2] === '1' ? 'sz' : 'expand_sz'}:${JSON.stringify(text)}`;
}

const lines = (s: string | undefined): string[] => (s === undefined || s === '' ? [] : s.split('\n').map(readable));

/** Keys added / removed with all their values; changed keys with the value lines that differ. */
function hiveChange(before: KeyMap, after: KeyMap): HiveChange {
  const change: HiveChange = { added: {}, removed: {}, changed: {} };
  for (const k of [...after.keys()].sort()) {
    if (!before.has(k)) change.added[k] = lines(after.get(k));
    else if (before.get(k) !== after.get(k)) {
      const b = lines(before.get(k));
      const a = lines(after.get(k));
      change.changed[k] = { before: b.filter((l) => !a.includes(l)), after: a.filter((l) => !b.includes(l)) };
    }
  }
  for (const k of [...before.keys()].sort()) if (!after.has(k)) change.removed[k] = lines(before.get(k));
  return change;
}

/** A planned patch as `kind:what`. */
function plannedLabel(p: PlannedPatch): string {
  const what = 'service' in p ? `${p.service}${'start' in p ? `=${p.start}` : ''}` : p.kind === 'registry-values' ? `${p.hive}\\${p.key}` : p.kind === 'windows-firstboot-script' ? p.name : '';
  return `${p.kind}:${what}`;
}

function golden(name: string, actual: unknown): void {
  const file = join(GOLDEN_DIR, `${name}.json`);
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`no golden ${file}: run with REHOST_UPDATE_GOLDEN=1`);
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}

async function expectCheckClean(image: string): Promise<void> {
  const { stdout, exitCode } = await runCommandInProcess(registerCheckCommands, ['check', image, '--json']);
  expect(exitCode ?? 0, stdout).toBe(0);
  expect((JSON.parse(stdout) as { problems: unknown[] }).problems).toEqual([]);
}

for (const m of MATRIX) {
  describe(m.id, () => {
    let disk: string;
    let dir: string;
    let diskHash: string;
    let systemBefore: KeyMap;
    let softwareBefore: KeyMap;
    const refusals: Record<string, string[]> = {};

    beforeAll(async () => {
      const built = buildWindowsDisk({
        testCase: m.testCase,
        diskSignature: '0x5eed1234',
        extra: [...inboxFiles(), ...(m.system ? [{ path: 'Windows/System32/config/SYSTEM', bytes: m.system }] : [])],
      });
      disk = built.disk;
      dir = built.dir;
      dirs.push(dir);
      diskHash = await sha256File(disk);
      if (m.refused) return;
      const part = partitionOf(disk, join(dir, 'input.ntfs'));
      systemBefore = exportKeys(effectiveSystem(m, dir));
      softwareBefore = exportKeys(hiveOut(part, 'SOFTWARE', join(dir, 'SOFTWARE.before')));
      rmSync(part);
    }, 120_000);

    afterAll(async () => {
      // Standalone apply never touches its input.
      expect(await sha256File(disk)).toBe(diskHash);
      if (m.refused) golden(`${m.id}-refusals`, refusals);
    });

    for (const { target, controllers } of TARGETS) {
      const label = controllers ? `${target}+${controllers.join('+')}` : target;
      test(`→ ${label}`, async () => {
        const { catalog, packs } = await rulesAndCatalog();
        const output = join(dir, `${label}.raw`);
        const planner = () => packPlanner({ catalog, packs, drivers: source, ...(controllers ? { options: { controllers } } : {}) });
        let result: PlanApplyResult;
        try {
          result = await applyPlan({ imagePath: disk, target, planner: planner(), commit: { mode: 'standalone', output, format: 'raw' } });
        } catch (e) {
          if (!(e instanceof PlanBlockedError)) throw e;
          // Refused before any write: the reasons are the golden.
          expect(existsSync(output)).toBe(false);
          const reasons = e.reasons.map((r) => r.split(source).join('<source>'));
          if (m.refused) {
            refusals[label] = reasons;
            // The dirty hive, unless the plan is refused anyway (no boot driver for the target).
            expect(reasons.some((r) => /SYSTEM hive is dirty/.test(r)) || reasons.every((r) => /would not find its boot disk/.test(r)), reasons.join('\n')).toBe(true);
          } else golden(`${m.id}-${label}`, { outcome: 'blocked', reasons });
          return;
        }
        if (m.refused) {
          // Dirty without logs: only a plan that writes nothing may go through.
          refusals[label] = [result.outcome];
          expect(result.outcome).toBe('nothing-to-do');
          return;
        }
        const plan = result.plans[0]!.plan;
        const written = result.outcome === 'applied' ? result.patches : [];
        const image = result.outcome === 'applied' ? output : disk;
        const part = partitionOf(image, join(dir, `${label}.ntfs`));
        try {
          // Every file written reads back byte-exact through ntfs-3g.
          for (const p of written) {
            if (p.kind !== 'write-file') continue;
            expect(ntfscat(part, p.path).equals(Buffer.from(p.content)), `${p.path} byte-exact`).toBe(true);
          }
          const systemAfter = exportKeys(hiveOut(part, 'SYSTEM', join(dir, `${label}.SYSTEM`)));
          const softwareAfter = exportKeys(hiveOut(part, 'SOFTWARE', join(dir, `${label}.SOFTWARE`)));
          golden(`${m.id}-${label}`, {
            outcome: result.outcome,
            planned: plan.patches.map(plannedLabel),
            advice: plan.results.filter((r) => r.outcome === 'advice').map((r) => r.rule).sort(),
            written: written.map((p) => `${p.kind} ${'path' in p ? p.path : ''}${p.kind === 'write-file' ? ` (${p.content.length} bytes)` : ''}`),
            system: hiveChange(systemBefore, systemAfter),
            software: hiveChange(softwareBefore, softwareAfter),
          });
          if (result.outcome === 'applied') {
            await expectCheckClean(output);
            // Re-plan on the output: nothing proposed, nothing blocked.
            const again = await applyPlan({ imagePath: output, target, planner: planner(), commit: { mode: 'standalone', output: join(dir, `${label}.again.raw`), format: 'raw' } });
            expect(again.outcome).toBe('nothing-to-do');
            expect(again.plans.map((p) => ({ patches: p.plan.patches, blocked: p.plan.blocked }))).toEqual([{ patches: [], blocked: [] }]);
          }
        } finally {
          rmSync(part, { force: true });
          rmSync(output, { force: true });
          rmSync(join(dir, `${label}.again.raw`), { force: true });
        }
      }, 120_000);
    }
  });
}
