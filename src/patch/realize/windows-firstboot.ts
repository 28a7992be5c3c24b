// Realizer for 'windows-firstboot': the runner (src/windows/firstboot/runner.ts) in
// C:\Program Files\rehost and the staged driver set in its drivers folder. The registry side
// (SYSTEM Setup\SetupType=1 + CmdLine, CrashControl\AutoReboot=0, SOFTWARE DevicePath) is
// planned as 'registry-values' patches next to this one (packs/windows-platform.json), so it
// joins every other edit of the same hive in ONE write-file per hive (windows-hive.ts:
// HiveEditor in memory, expect = sha256 of the hive read). What this realizer re-checks there,
// reading the hives as they are before any patch: Windows is not itself in Setup
// (SystemSetupInProgress 0, SetupType 0), CmdLine and AutoReboot are what the plan saw (the
// runner puts them back) — or the hook is already ours (a repeat realizes to nothing).

import { ignoreDiagnostics } from '../../diagnostics.js';
import { PreconditionError } from '../../errors.js';
import { jsonEqual } from '../../rules/condition.js';
import { readFirstbootRegistry } from '../../windows/firstboot/registry.js';
import { FIRSTBOOT_DIR, FIRSTBOOT_DRIVERS, FIRSTBOOT_RUNNER, runnerCommandLine } from '../../windows/firstboot/paths.js';
import { renderRunner } from '../../windows/firstboot/runner.js';
import { openWindowsHive } from '../../windows/locate.js';
import type { Patch } from '../types.js';
import type { Realizer } from './types.js';
import { directoryPatches } from './directories.js';
import { newFilePatch, sourceFilePatches } from './windows-firstboot-files.js';

export const realizeWindowsFirstboot: Realizer<'windows-firstboot'> = async ({ planned, guest }) => {
  const fs = await guest.fs(planned.volume);
  const diagnostics = ignoreDiagnostics;
  const system = await openWindowsHive({ fs, systemRoot: planned.systemRoot, name: 'SYSTEM', diagnostics });
  if (system === undefined) throw new PreconditionError(`${planned.systemRoot}/System32/config/SYSTEM is missing`, { path: `${planned.systemRoot}/System32/config/SYSTEM` });
  if (system.hive.logState === 'unreplayed') throw new PreconditionError('the SYSTEM hive is dirty and its logs could not be replayed', { path: system.path });
  const software = await openWindowsHive({ fs, systemRoot: planned.systemRoot, name: 'SOFTWARE', diagnostics });
  const registry = readFirstbootRegistry({ system: system.hive, ...(software !== undefined ? { software: software.hive } : {}), controlSet: planned.controlSet });
  const commandLine = runnerCommandLine(planned.systemDrive);

  const armed = registry.setupType === 1 && registry.cmdLine !== undefined && registry.cmdLine.data === commandLine;
  if (!armed) {
    if (!registry.setupKey || !registry.crashControlKey) throw new PreconditionError('SYSTEM\\Setup or Control\\CrashControl is missing', { path: system.path });
    if ((registry.systemSetupInProgress ?? 0) !== 0 || (registry.setupType ?? 0) !== 0) {
      throw new PreconditionError(`Windows uses its Setup hook itself (SetupType ${registry.setupType}, SystemSetupInProgress ${registry.systemSetupInProgress})`, { path: system.path });
    }
    if (!jsonEqual(registry.cmdLine, planned.originalCmdLine)) throw new PreconditionError(`Setup\\CmdLine is ${JSON.stringify(registry.cmdLine)}, the plan saw ${JSON.stringify(planned.originalCmdLine)}`, { path: system.path });
    if (!jsonEqual(registry.autoReboot, planned.originalAutoReboot)) {
      throw new PreconditionError(`CrashControl AutoReboot is ${JSON.stringify(registry.autoReboot)}, the plan saw ${JSON.stringify(planned.originalAutoReboot)}`, { path: system.path });
    }
  }
  const rule = planned.rule;
  const out: Patch[] = [];
  // Nothing staged (the target needs nothing from the driver source): no drivers folder, no pnputil step.
  const noDrivers = planned.drivers.length === 0;
  // Every folder the staged files need (vendor packages keep their own subfolders), each level once.
  const dirs = noDrivers ? [FIRSTBOOT_DIR] : [...new Set([`${FIRSTBOOT_DIR}/${FIRSTBOOT_DRIVERS}`, ...planned.drivers.map((f) => f.dest.slice(0, f.dest.lastIndexOf('/')))])].sort();
  const made = new Set<string>();
  for (const dir of dirs) {
    for (const p of await directoryPatches({ fs, volume: planned.volume, dir, reason: `rehost first-boot folder (${rule})` })) {
      if (p.kind === 'make-directory' && made.has(p.path)) continue;
      if (p.kind === 'make-directory') made.add(p.path);
      out.push(p);
    }
  }
  const runner = renderRunner({
    pnputil: planned.pnputil,
    ...(noDrivers ? { noDrivers } : {}),
    maxRetries: planned.maxRetries,
    commandLine,
    originalCmdLine: planned.originalCmdLine,
    originalAutoReboot: planned.originalAutoReboot,
  });
  out.push(...(await newFilePatch({ fs, volume: planned.volume, path: `${FIRSTBOOT_DIR}/${FIRSTBOOT_RUNNER}`, content: runner, reason: `first-boot runner (${rule})` })));
  out.push(...(await sourceFilePatches({ fs, volume: planned.volume, driverSource: planned.driverSource, files: planned.drivers, reason: `staged driver (${rule})` })));

  return out;
};
