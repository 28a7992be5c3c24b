// Fuzzing what the first boot reads from a guest: a small SYSTEM-and-SOFTWARE-shaped hive
// (Setup, CrashControl, DevicePath, made with hivexregedit over hivex's minimal hive) mutated,
// then the first-boot registry reader and the rules context over it. Only rehost errors may
// escape; a successful read must give the context something it can render without throwing
// anything else.

import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { Hive } from '../../src/registry/index.js';
import { windowsFirstbootDerived } from '../../src/rules/windows-firstboot-context.js';
import { readFirstbootRegistry, renderRunner, runnerCommandLine } from '../../src/windows/firstboot/index.js';
import type { WindowsFacts } from '../../src/windows/types.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { CORPUS, requireTool, scratchDirs } from '../helpers/tools.js';

const scratch = scratchDirs('rehost-fuzz-fb-');

function seedHive(): Uint8Array {
  requireTool('hivexregedit');
  const dir = scratch();
  const hive = join(dir, 'hive');
  copyFileSync(join(CORPUS, 'registry/special/hivex-minimal'), hive);
  chmodSync(hive, 0o644);
  const reg = [
    'Windows Registry Editor Version 5.00', '',
    '[\\Setup]', '"SetupType"=dword:00000000', '"SystemSetupInProgress"=dword:00000000', '"CmdLine"=""', '',
    '[\\ControlSet001]', '', '[\\ControlSet001\\Control]', '',
    '[\\ControlSet001\\Control\\CrashControl]', '"AutoReboot"=dword:00000001', '',
    '[\\Microsoft]', '', '[\\Microsoft\\Windows]', '', '[\\Microsoft\\Windows\\CurrentVersion]',
    `"DevicePath"=hex(2):${[...Buffer.from('%SystemRoot%\\inf', 'utf16le'), 0, 0].map((b) => b.toString(16).padStart(2, '0')).join(',')}`, '',
  ].join('\n');
  writeFileSync(join(dir, 'x.reg'), reg);
  execFileSync('hivexregedit', ['--merge', hive, join(dir, 'x.reg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Uint8Array(readFileSync(hive));
}

const FACTS = {
  os: 'windows', systemRoot: '/Windows', arch: 'x86_64', majorVersion: 10, minorVersion: 0, build: 17763, installationType: 'Server', realTimeIsUniversal: false,
  services: [], classFilters: [], driverBindings: [], devices: [], applications: [], tools: [], groupPolicies: [], network: [],
  activation: { evaluation: false, oemCertificates: [], oemProductId: false, licensingStores: [] }, unsafe: { bitlocker: false, pendingFileRenameOperations: [], hiveLogs: {} }, driveLetters: [],
} as unknown as WindowsFacts;

describe('fuzz: windows first boot', () => {
  it('first-boot registry reading and the context over mutated hives', async () => {
    const seed = seedHive();
    const clean = readFirstbootRegistry({ system: new Hive(seed), software: new Hive(seed), controlSet: 'ControlSet001' });
    expect(clean).toMatchObject({ setupKey: true, setupType: 0, cmdLine: { type: 'REG_SZ', data: '' }, autoReboot: { type: 'REG_DWORD', data: '1' }, devicePath: { type: 'REG_EXPAND_SZ', value: '%SystemRoot%\\inf' } });
    const report = await fuzz(
      {
        name: 'windows-firstboot',
        seeds: [seed],
        run: async (input) => {
          const hive = new Hive(input, { diagnostics: new DiagnosticLog() });
          const registry = readFirstbootRegistry({ system: hive, software: hive, controlSet: 'ControlSet001' });
          const state = { registry, systemWritable: true, runner: false, scripts: [] };
          const drivers = [{ source: '/a.inf', dest: '/Program Files/rehost/drivers/a.inf', sha256: '0'.repeat(64), size: 1 }];
          const { firstboot } = windowsFirstbootDerived({ facts: FACTS, root: 'p1', lineage: ['kvm'], targetAgents: ['QEMU-GA'], input: { state, drivers, driverSource: '/src' } });
          // Whatever was read is rendered (or refused with a rehost error).
          return firstboot.needed ? renderRunner({ ...firstboot.patch, commandLine: runnerCommandLine(firstboot.patch.systemDrive) }) : firstboot.blocked;
        },
      },
      { iterations: defaultIterations(150), focus: seed.length },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
  });
});
