// Dirty hives: transaction log replay (new format HvLE and old format DIRT) onto a copy,
// compared with the hive Windows itself recovered; the real dirty Dell SYSTEM hive replayed
// through both its logs and read back by hivex; a dirty hive without logs reads with a
// warning and refuses writes.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { UnsafeStateError, CorruptError } from '../../src/errors.js';
import { Hive, HiveEditor, exportReg, loadHive, parseLog, recoverHive, marvin32 } from '../../src/registry/index.js';
import { readCorpus, requireTool, run, tempDir } from '../helpers/tools.js';
import { hiveBytes } from './corpus.js';

const logs = (...paths: string[]) => paths.map((path) => ({ label: path.split('/').pop()!, bytes: readCorpus(path) }));

describe('transaction log replay', () => {
  it('new format (.LOG1 + .LOG2) equals the hive Windows 10 recovered', () => {
    const primary = readCorpus('registry/dirty/yarp-NewDirtyHive1/NewDirtyHive');
    const before = primary.slice();
    const diagnostics = new DiagnosticLog();
    const { hive, recovery } = loadHive({ primary, logs: logs('registry/dirty/yarp-NewDirtyHive1/NewDirtyHive.LOG1', 'registry/dirty/yarp-NewDirtyHive1/NewDirtyHive.LOG2'), diagnostics });
    expect(recovery.state).toBe('replayed');
    expect(recovery.appliedSequences).toEqual([2, 3, 4, 5]);
    expect(hive.header.dirty).toBe(false);
    expect(hive.header.checksumValid).toBe(true);
    const recovered = new Hive(readCorpus('registry/dirty/yarp-NewDirtyHive1/RecoveredHive_Windows10'));
    expect(Buffer.from(exportReg(hive)).equals(Buffer.from(exportReg(recovered)))).toBe(true);
    // The input is never modified.
    expect(Buffer.from(primary).equals(Buffer.from(before))).toBe(true);
    // Dirty: 5 keys / 2 values before; Windows' result: 5 keys / 1 value.
    expect(hive.root().subkeys().length).toBe(recovered.root().subkeys().length);
  });

  it('old format (DIRT vector) equals the hive Windows 7 recovered', () => {
    const { hive, recovery } = loadHive({ primary: readCorpus('registry/dirty/yarp-OldDirtyHive/OldDirtyHive'), logs: logs('registry/dirty/yarp-OldDirtyHive/OldDirtyHive.LOG1') });
    expect(recovery.state).toBe('replayed');
    expect(recovery.appliedPages).toBeGreaterThan(0);
    const recovered = new Hive(readCorpus('registry/dirty/yarp-OldDirtyHive/RecoveredHive_Windows7'));
    expect(Buffer.from(exportReg(hive)).equals(Buffer.from(exportReg(recovered)))).toBe(true);
    // Replay changes something: the unreplayed export differs.
    expect(Buffer.from(exportReg(new Hive(readCorpus('registry/dirty/yarp-OldDirtyHive/OldDirtyHive')))).equals(Buffer.from(exportReg(recovered)))).toBe(false);
  });

  it('real Dell SYSTEM: applies LOG1 2107–2110 then LOG2 2111–2130, and hivex reads the result as we do', () => {
    requireTool('hivexregedit');
    const diagnostics = new DiagnosticLog();
    const { hive, recovery } = loadHive({
      primary: hiveBytes('registry/system/win10-x64-dell-dirty/SYSTEM.xz'),
      logs: logs('registry/system/win10-x64-dell-dirty/SYSTEM.LOG1.xz', 'registry/system/win10-x64-dell-dirty/SYSTEM.LOG2.xz'),
      diagnostics,
    });
    expect(recovery.appliedSequences).toEqual(Array.from({ length: 24 }, (_, i) => 2107 + i));
    expect(hive.header.primarySequence).toBe(2130);
    expect(hive.header.secondarySequence).toBe(2130);
    const dir = tempDir();
    const path = join(dir, 'SYSTEM');
    writeFileSync(path, hive.bytes);
    const theirs = run('hivexregedit', ['--export', path, '\\']);
    expect(Buffer.from(exportReg(hive)).equals(Buffer.from(theirs, 'latin1'))).toBe(true);
    // The replayed hive is not the stale primary.
    expect(Buffer.from(exportReg(hive)).equals(Buffer.from(exportReg(new Hive(hiveBytes('registry/system/win10-x64-dell-dirty/SYSTEM.xz')))))).toBe(false);
  });

  it('LOG headers: entries and sequences as the oracle lists them, hashes verified', () => {
    const log1 = parseLog(readCorpus('registry/system/win10-x64-dell-dirty/SYSTEM.LOG1.xz'));
    expect(log1.format).toBe('new');
    if (log1.format === 'new') expect(log1.entries.map((e) => e.sequence)).toEqual([2107, 2108, 2109, 2110]);
    const old = parseLog(readCorpus('registry/dirty/yarp-OldDirtyHive/OldDirtyHive.LOG1'));
    expect(old.format).toBe('old');
  });

  it('a log entry with a broken hash ends the replay there', () => {
    const log2 = readCorpus('registry/dirty/yarp-NewDirtyHive1/NewDirtyHive.LOG2');
    // Corrupt the page data of the second entry (the first is 7680 bytes from offset 512).
    log2[512 + 7680 + 600] = log2[512 + 7680 + 600]! ^ 0xff;
    const { recovery } = loadHive({ primary: readCorpus('registry/dirty/yarp-NewDirtyHive1/NewDirtyHive'), logs: [...logs('registry/dirty/yarp-NewDirtyHive1/NewDirtyHive.LOG1'), { label: 'NewDirtyHive.LOG2', bytes: log2 }] });
    expect(recovery.appliedSequences).toEqual([2, 3]);
  });

  it('Marvin32 matches the hashes Windows stored', () => {
    const log = readCorpus('registry/dirty/yarp-NewDirtyHive1/NewDirtyHive.LOG2');
    const view = new DataView(log.buffer, log.byteOffset);
    expect(marvin32(log.subarray(512, 512 + 32))).toBe(view.getBigUint64(512 + 32, true));
    expect(marvin32(log.subarray(512 + 40, 512 + 7680))).toBe(view.getBigUint64(512 + 24, true));
  });

  it('a base block with a bad checksum is restored from the log', () => {
    const diagnostics = new DiagnosticLog();
    const { hive } = loadHive({ primary: readCorpus('corrupt/regf/yarp-BadBaseBlockHive/BadBaseBlockHive'), logs: logs('corrupt/regf/yarp-BadBaseBlockHive/BadBaseBlockHive.LOG1'), diagnostics });
    expect(hive.header.checksumValid).toBe(true);
    expect(diagnostics.entries.map((d) => d.code)).toContain('REGF_BASE_BLOCK_RESTORED');
    expect(() => loadHive({ primary: readCorpus('corrupt/regf/yarp-BadBaseBlockHive/BadBaseBlockHive') })).toThrow(CorruptError);
  });

  it('dirty without logs: reads with a warning, writes refuse with UnsafeStateError', () => {
    const diagnostics = new DiagnosticLog();
    const { hive, recovery } = loadHive({ primary: hiveBytes('registry/system/win10-1709-x64-vmware/SYSTEM.xz'), diagnostics });
    expect(recovery.state).toBe('unreplayed');
    expect(diagnostics.warnings().map((d) => d.code)).toContain('REGF_DIRTY_UNREPLAYED');
    expect(hive.open('Select').value('Current').asNumber()).toBe(1);
    expect(() => new HiveEditor(hive)).toThrow(UnsafeStateError);
    // A clean hive is passed through untouched.
    const clean = hiveBytes('registry/special/hivex-minimal');
    expect(recoverHive({ primary: clean }).bytes).toBe(clean);
  });
});
