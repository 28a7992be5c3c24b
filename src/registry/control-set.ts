// The current control set of a SYSTEM hive. Offline hives have no CurrentControlSet link (it
// is created at boot), so it is resolved as Windows does at boot: Select\Current holds N and
// the set is "ControlSet" + N as three digits.

import { NotFoundError } from '../errors.js';
import type { Hive } from './hive.js';
import type { Key } from './key.js';

export function currentControlSetName(hive: Hive): string | undefined {
  const current = hive.find('Select')?.findValue('Current')?.asNumber();
  if (current === undefined) return undefined;
  return `ControlSet${String(current).padStart(3, '0')}`;
}

/** The ControlSetNNN key named by Select\Current; throws NotFoundError when absent. */
export function currentControlSet(hive: Hive): Key {
  const name = currentControlSetName(hive);
  if (name === undefined) throw new NotFoundError('Select\\Current is missing: not a SYSTEM hive?', { kind: 'key', path: 'Select\\Current' });
  return hive.open(name);
}

export function findCurrentControlSet(hive: Hive): Key | undefined {
  const name = currentControlSetName(hive);
  return name === undefined ? undefined : hive.find(name);
}
