// Fuzzing the Windows registry realizer (src/patch/realize/windows-hive.ts) with mutated
// SYSTEM-like hives: a driver install (CDD binding), a StartOverride removal and a value set
// are realized over each mutant; only rehost errors may escape (a corrupt hive is refused as
// CorruptError/PreconditionError, never a crash, a hang or a write of garbage).

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { guestView } from '../../src/patch/realize/guest-view.js';
import { realizeWindowsHives } from '../../src/patch/realize/windows-hive.js';
import { Hive, HiveEditor } from '../../src/registry/index.js';
import type { PlannedPatch } from '../../src/rules/types.js';
import { HostDirectoryFileSystem } from '../../src/windows/drivers/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { readCorpus, tempDir } from '../helpers/tools.js';

const dir = tempDir('rehost-fuzz-winhive-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small SYSTEM-like hive: ControlSet001 with two services (one with StartOverride) and a CDD. */
function seedHive(): Uint8Array {
  const editor = new HiveEditor(new Hive(readCorpus('registry/special/hivex-minimal')), { now: () => 0n });
  editor.createKey('ControlSet001\\Services\\storvsc\\StartOverride');
  editor.setDword('ControlSet001\\Services\\storvsc\\StartOverride', '0', 3);
  editor.setDword('ControlSet001\\Services\\storvsc', 'Start', 3);
  editor.createKey('ControlSet001\\Services\\msahci');
  editor.setDword('ControlSet001\\Services\\msahci', 'Start', 3);
  editor.createKey('ControlSet001\\Control\\CriticalDeviceDatabase\\pci#ven_8086&dev_2922');
  editor.createKey('ControlSet001\\Control\\TimeZoneInformation');
  return editor.commit();
}

const base = { volume: 'p1', precondition: '', rule: 'fuzz', systemRoot: '/Windows' };
const PLANNED: PlannedPatch[] = [
  {
    ...base, kind: 'windows-install-driver', controlSet: 'ControlSet001', service: 'viostor', driverSource: '/none', inf: '/viostor.inf', files: [],
    hardwareIds: ['PCI\\VEN_1AF4&DEV_1001', 'PCI\\VEN_1AF4&DEV_1042'], classGuid: '{4D36E97B-E325-11CE-BFC1-08002BE10318}',
    serviceParams: { type: 1, start: 0, errorControl: 1, group: 'SCSI miniport', imagePath: '\\SystemRoot\\System32\\drivers\\viostor.sys' },
    serviceValues: [{ key: 'Parameters\\PnpInterface', values: [{ name: '5', type: 'REG_DWORD', data: 1 }] }], binding: 'cdd', arch: 'x86',
  },
  { ...base, kind: 'windows-service-start', controlSet: 'ControlSet001', service: 'storvsc', start: 0, clearStartOverride: true },
  { ...base, kind: 'registry-values', hive: 'SYSTEM', key: 'ControlSet001\\Control\\TimeZoneInformation', values: [{ name: 'RealTimeIsUniversal', type: 'REG_DWORD', data: 1 }] },
];

describe('fuzz: windows registry realizer', () => {
  it('mutated SYSTEM hives', async () => {
    const config = join(dir, 'Windows/System32/config');
    mkdirSync(config, { recursive: true });
    const guest = guestView({ root: 'p1', mounts: {}, open: async () => new HostDirectoryFileSystem(dir) });
    const seed = seedHive();
    // The seed itself realizes to one hive write.
    writeFileSync(join(config, 'SYSTEM'), seed);
    expect((await realizeWindowsHives({ planned: PLANNED as never, guest })).length).toBe(1);
    const report = await fuzz(
      {
        name: 'windows-hive-realize',
        seeds: [seed],
        run: async (input) => {
          writeFileSync(join(config, 'SYSTEM'), input);
          return realizeWindowsHives({ planned: PLANNED as never, guest });
        },
      },
      { iterations: defaultIterations(150) },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
  });
});
