// The registry side of the first boot, as data read from and written to the hives:
//  - SYSTEM\Setup: SetupType and CmdLine (the hook), SystemSetupInProgress (refuse when set:
//    Windows is itself in the middle of Setup/OOBE and owns the hook);
//  - SYSTEM\<ControlSet>\Control\CrashControl\AutoReboot (0 while the first boot runs, so a
//    stop error stays on screen instead of rebooting in a loop);
//  - SOFTWARE\Microsoft\Windows\CurrentVersion\DevicePath (the staged drivers' folder appended,
//    keeping the value's type, as virt-v2v does; nothing is created when the value is missing).
// readFirstbootRegistry() reads them; the writes are planned as 'registry-values' patches
// (rules/windows-firstboot-context.ts) so they join the other edits of the same hive.

import { type Hive, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ } from '../../registry/index.js';
import { DEVICE_PATH_ENTRY } from './paths.js';
import type { OriginalValue } from './types.js';

export const SETUP_KEY = 'Setup';
export const DEVICE_PATH_KEY = 'Microsoft\\Windows\\CurrentVersion';

export interface FirstbootRegistry {
  setupKey: boolean;
  setupType?: number;
  systemSetupInProgress?: number;
  /** undefined when the value has a type rehost does not put back (refused). */
  cmdLine?: OriginalValue;
  crashControlKey: boolean;
  autoReboot?: OriginalValue;
  /** SOFTWARE DevicePath (undefined: no SOFTWARE hive or no value). */
  devicePath?: { type: 'REG_SZ' | 'REG_EXPAND_SZ'; value: string };
}

const TYPE_NAMES: Record<number, OriginalValue['type']> = { [REG_SZ]: 'REG_SZ', [REG_EXPAND_SZ]: 'REG_EXPAND_SZ', [REG_MULTI_SZ]: 'REG_MULTI_SZ', [REG_DWORD]: 'REG_DWORD' };

/** A value as it is now (absent, or one of the types the runner can put back). */
export function originalValue(hive: Hive, key: string, name: string): OriginalValue | undefined {
  const value = hive.find(key)?.findValue(name);
  if (value === undefined) return { type: 'absent', data: '' };
  const type = TYPE_NAMES[value.type];
  if (type === undefined) return undefined;
  if (type === 'REG_DWORD') {
    const n = value.asNumber();
    return n === undefined ? undefined : { type, data: String(n) };
  }
  if (type === 'REG_MULTI_SZ') return { type, data: value.asStrings().join('\n') };
  return { type, data: value.asString() };
}

function dword(hive: Hive, key: string, name: string): number | undefined {
  const value = hive.find(key)?.findValue(name);
  return value?.type === REG_DWORD ? value.asNumber() : undefined;
}

export function readFirstbootRegistry(args: { system: Hive; software?: Hive; controlSet: string }): FirstbootRegistry {
  const { system, software } = args;
  const crash = `${args.controlSet}\\Control\\CrashControl`;
  const out: FirstbootRegistry = {
    setupKey: system.find(SETUP_KEY) !== undefined,
    setupType: dword(system, SETUP_KEY, 'SetupType'),
    systemSetupInProgress: dword(system, SETUP_KEY, 'SystemSetupInProgress'),
    cmdLine: originalValue(system, SETUP_KEY, 'CmdLine'),
    crashControlKey: system.find(crash) !== undefined,
    autoReboot: originalValue(system, crash, 'AutoReboot'),
  };
  const dp = software?.find(DEVICE_PATH_KEY)?.findValue('DevicePath');
  if (dp !== undefined && (dp.type === REG_SZ || dp.type === REG_EXPAND_SZ)) out.devicePath = { type: dp.type === REG_SZ ? 'REG_SZ' : 'REG_EXPAND_SZ', value: dp.asString() };
  return out;
}

/** Whether a DevicePath already lists the entry (case-insensitive, as Windows compares paths). */
export function devicePathHas(value: string, entry: string = DEVICE_PATH_ENTRY): boolean {
  return value.split(';').some((part) => part.trim().toLowerCase() === entry.toLowerCase());
}

/** DevicePath with the entry appended (unchanged when it is there). */
export function appendDevicePath(value: string, entry: string = DEVICE_PATH_ENTRY): string {
  if (devicePathHas(value, entry)) return value;
  return value === '' ? entry : `${value.replace(/;+$/, '')};${entry}`;
}
