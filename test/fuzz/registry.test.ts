// Fuzzing hive decoding and log replay with mutated real hives: only rehost errors may
// escape, within the harness's time and memory bounds (loops in subkey lists, cells outside
// the hbins, absurd sizes and counts all have to end as CorruptError or be read safely).

import { describe, expect, it } from 'vitest';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { Hive, HiveEditor, exportReg, loadHive, type Key } from '../../src/registry/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { readCorpus } from '../helpers/tools.js';

function readEverything(hive: Hive): number {
  let seen = 0;
  exportReg(hive);
  const visit = (key: Key, depth: number) => {
    if (depth > 64 || seen > 20000) return;
    seen++;
    void key.className;
    void key.lastWritten;
    key.security();
    for (const value of key.values()) {
      value.typed();
      value.asStrings();
    }
    for (const child of key.subkeys()) visit(child, depth + 1);
  };
  visit(hive.root(), 0);
  return seen;
}

describe('fuzz: registry', () => {
  it('hive decoding', async () => {
    const seeds = ['registry/special/hivex-minimal', 'registry/special/hivex-special', 'registry/special/hivex-rlenvalue_test_hive', 'registry/bcd/windeploy-BCD-efi-locate', 'registry/bcd/windeploy-BCD-bios', 'registry/special/yarp-MultiSzHive', 'registry/special/yarp-BigDataHive'].map((p) => readCorpus(p));
    const report = await fuzz(
      { name: 'regf', seeds, run: async (input) => readEverything(new Hive(input, { diagnostics: new DiagnosticLog() })) },
      { iterations: defaultIterations(300), focus: 12288 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
  });

  it('transaction log replay', async () => {
    const primary = readCorpus('registry/dirty/yarp-NewDirtyHive1/NewDirtyHive');
    const log1 = readCorpus('registry/dirty/yarp-NewDirtyHive1/NewDirtyHive.LOG1');
    const log2 = readCorpus('registry/dirty/yarp-NewDirtyHive1/NewDirtyHive.LOG2');
    const oldPrimary = readCorpus('registry/dirty/yarp-OldDirtyHive/OldDirtyHive');
    const oldLog = readCorpus('registry/dirty/yarp-OldDirtyHive/OldDirtyHive.LOG1');
    const report = await fuzz(
      {
        name: 'regf-log',
        seeds: [log2, oldLog],
        run: async (input) => {
          const isOld = input.length > 516 && input[512] === 0x44;
          const { hive } = isOld
            ? loadHive({ primary: oldPrimary, logs: [{ label: 'LOG1', bytes: input }], diagnostics: new DiagnosticLog() })
            : loadHive({ primary, logs: [{ label: 'LOG1', bytes: log1 }, { label: 'LOG2', bytes: input }], diagnostics: new DiagnosticLog() });
          return readEverything(hive);
        },
      },
      { iterations: defaultIterations(150), focus: 4096 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
  });

  it('editing a damaged hive', async () => {
    const seeds = ['registry/special/hivex-special', 'registry/bcd/windeploy-BCD-efi-locate', 'registry/special/yarp-MultiSzHive'].map((p) => readCorpus(p));
    const report = await fuzz(
      {
        name: 'regf-edit',
        seeds,
        run: async (input) => {
          const hive = new Hive(input, { diagnostics: new DiagnosticLog() });
          const editor = new HiveEditor(hive, { now: () => 1n });
          const first = hive.root().subkeys()[0]?.name;
          editor.createKey('fuzz\\child');
          editor.setBinary('fuzz\\child', 'big', new Uint8Array(20000).fill(1));
          editor.setMultiString('fuzz', 'm', ['a', 'b']);
          if (first !== undefined) editor.deleteKey(first);
          editor.deleteValue('fuzz', 'm');
          return readEverything(new Hive(editor.commit(), { diagnostics: new DiagnosticLog() }));
        },
      },
      { iterations: defaultIterations(150), focus: 8192 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
  });
});
