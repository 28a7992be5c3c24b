// Realizer for 'disable-service': a source hypervisor's tools that would fail on the target.
//  - systemd: mask the unit (/etc/systemd/system/<unit> → /dev/null, as `systemctl mask`),
//    expecting what is there now: nothing, or an administrator's unit file (its hash);
//  - sysv: the start links S<NN><service> in /etc/rc[2-5].d become stop links, as
//    `update-rc.d <service> disable` does (found by reading those directories).
// Precondition: the unit (or the init script) is installed; nothing is there that a mask
// could not replace safely (a symlink other than the mask).

import { PreconditionError } from '../../errors.js';
import { maskPath } from '../apply.js';
import type { Expect, Patch, SysvLink } from '../types.js';
import { locate, stateOf } from './locate.js';
import type { GuestView, Realizer } from './types.js';

const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'];
const UNIT_SUFFIX = /\.(service|socket|target|timer|path|mount|automount|swap|slice|scope|device)$/;
/** The runlevels `update-rc.d disable` touches. */
const SYSV_RUNLEVELS = ['2', '3', '4', '5'];
const MAX_RC_ENTRIES = 10_000;

export function unitName(service: string): string {
  return UNIT_SUFFIX.test(service) ? service : `${service}.service`;
}

async function realizeSystemd(args: { service: string; volume: string; rule: string; guest: GuestView }): Promise<Patch[]> {
  const unit = unitName(args.service);
  const mask = await locate({ guest: args.guest, volume: args.volume, path: maskPath(unit) });
  const state = await stateOf(mask);
  if (state === 'symlink:/dev/null') return [];
  let installed = state !== 'absent';
  for (const dir of UNIT_DIRS) {
    if (installed) break;
    const at = await locate({ guest: args.guest, volume: args.volume, path: `${dir}/${unit}` });
    installed = (await stateOf(at)) !== 'absent';
  }
  if (!installed) throw new PreconditionError(`systemd unit ${unit} is not installed in ${UNIT_DIRS.join(', ')}`, { path: unit, kind: 'unit' });
  let expect: Expect;
  if (state === 'absent') expect = 'absent';
  else if (/^[0-9a-f]{64}$/.test(state)) expect = { sha256: state };
  else throw new PreconditionError(`${maskPath(unit)} is ${state}; rehost masks only over nothing or a unit file`, { path: maskPath(unit), found: state });
  return [{ kind: 'mask-unit', volume: mask.volume, unit, expect, reason: `mask ${unit} (${args.rule})` }];
}

async function realizeSysv(args: { service: string; volume: string; rule: string; guest: GuestView }): Promise<Patch[]> {
  const { service, guest } = args;
  if (!/^[A-Za-z0-9@._+-]+$/.test(service)) throw new PreconditionError(`not a sysv service name: ${JSON.stringify(service)}`, { kind: 'sysv' });
  const script = await locate({ guest, volume: args.volume, path: `/etc/init.d/${service}` });
  if ((await stateOf(script)) === 'absent') throw new PreconditionError(`init script /etc/init.d/${service} is not installed`, { path: `/etc/init.d/${service}`, kind: 'sysv' });
  const links: SysvLink[] = [];
  let stopLinks = 0;
  const start = new RegExp(`^S[0-9]{2}${service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const stop = new RegExp(`^K[0-9]{2}${service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  for (const level of SYSV_RUNLEVELS) {
    const dir = await locate({ guest, volume: args.volume, path: `/etc/rc${level}.d` });
    if ((await stateOf(dir)) !== 'directory') continue;
    const entries = await dir.fs.readdir(dir.path);
    if (entries.length > MAX_RC_ENTRIES) throw new PreconditionError(`/etc/rc${level}.d has ${entries.length} entries; that is not a runlevel directory`, { path: `/etc/rc${level}.d` });
    for (const entry of entries) {
      if (stop.test(entry.name)) stopLinks++;
      if (!start.test(entry.name)) continue;
      const stat = await dir.fs.stat(`${dir.path}/${entry.name}`);
      if (stat.type !== 'symlink' || stat.target === undefined) {
        throw new PreconditionError(`/etc/rc${level}.d/${entry.name} is not a symlink`, { path: `/etc/rc${level}.d/${entry.name}`, found: stat.type });
      }
      links.push({ path: `${dir.path}/${entry.name}`, target: stat.target });
    }
  }
  if (links.length === 0) {
    if (stopLinks > 0) return [];
    throw new PreconditionError(`sysv service ${service} has no start or stop links in /etc/rc[2-5].d`, { path: `/etc/init.d/${service}`, kind: 'sysv' });
  }
  const volume = (await locate({ guest, volume: args.volume, path: '/etc/rc2.d' })).volume;
  return [{ kind: 'disable-sysv', volume, service, links, reason: `disable ${service} at boot (${args.rule})` }];
}

export const realizeDisableService: Realizer<'disable-service'> = ({ planned, guest }) => {
  const args = { service: planned.service, volume: planned.volume, rule: planned.rule, guest };
  return planned.via === 'systemd' ? realizeSystemd(args) : realizeSysv(args);
};
