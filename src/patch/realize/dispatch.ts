// realize(): one PlannedPatch → the concrete patches that carry it out, by kind. Each
// realizer reads the guest through the GuestView and re-checks the plan's precondition there.

import type { PlannedPatch } from '../../rules/types.js';
import { PreconditionError } from '../../errors.js';
import type { ConfigEdit } from '../config-edit.js';
import type { EditConfigPatch, Patch } from '../types.js';
import { realizeDisableService } from './disable-service.js';
import { realizeInitramfsModules } from './initramfs.js';
import { realizeKernelArgDevice } from './kernel-arg-device.js';
import { realizeModuleConfig } from './module-config.js';
import { realizePinNicName } from './pin-nic-name.js';
import { realizeRemoveFile } from './remove-file.js';
import { realizeBcdDeleteElement } from './bcd-element.js';
import { realizeCopyFile } from './copy-file.js';
import { realizeTableDevice } from './table-device.js';
import type { GuestView } from './types.js';
import { isWindowsHivePlanned, realizeWindowsOne, realizeWindowsPlan } from './windows-plan.js';
import { realizeWindowsFirstboot } from './windows-firstboot.js';
import { realizeWindowsFirstbootScript } from './windows-firstboot-script.js';

export function realize(args: { planned: PlannedPatch; guest: GuestView }): Promise<Patch[]> {
  const { planned, guest } = args;
  switch (planned.kind) {
    case 'initramfs-add-modules':
      return realizeInitramfsModules({ planned, guest });
    case 'initramfs-config-modules':
      return realizeModuleConfig({ planned, guest });
    case 'table-device':
      return realizeTableDevice({ planned, guest });
    case 'kernel-arg-device':
      return realizeKernelArgDevice({ planned, guest });
    case 'remove-file':
      return realizeRemoveFile({ planned, guest });
    case 'pin-nic-name':
      return realizePinNicName({ planned, guest });
    case 'disable-service':
      return realizeDisableService({ planned, guest });
    case 'windows-install-driver':
    case 'windows-service-start':
    case 'registry-values':
    case 'windows-class-filter-remove':
      return realizeWindowsOne({ planned, guest });
    case 'copy-file':
      return realizeCopyFile({ planned, guest });
    case 'bcd-delete-element':
      return realizeBcdDeleteElement({ planned, guest });
    case 'windows-firstboot':
      return realizeWindowsFirstboot({ planned, guest });
    case 'windows-firstboot-script':
      return realizeWindowsFirstbootScript({ planned, guest });
  }
}

/**
 * Every planned patch realized in plan order; the first precondition that fails stops it.
 * Each realizer reads the guest as it is before any patch, so edits of one file (two fstab
 * lines, root= and resume=) are merged into one edit-config patch expecting that file's
 * original hash: applied one after the other, the second would find the first's result.
 */
export async function realizeAll(args: { planned: readonly PlannedPatch[]; guest: GuestView }): Promise<Patch[]> {
  const out: Patch[] = [];
  const edits = new Map<string, EditConfigPatch>();
  // Windows registry patches write whole hives: realized together, one write per hive.
  const windows = args.planned.filter(isWindowsHivePlanned);
  for (const planned of args.planned.filter((p) => !isWindowsHivePlanned(p))) {
    for (const patch of await realize({ planned, guest: args.guest })) {
      if (patch.kind !== 'edit-config') {
        out.push(patch);
        continue;
      }
      const key = `${patch.volume ?? ''}:${patch.path}`;
      const first = edits.get(key);
      if (first === undefined) {
        const copy: EditConfigPatch = { ...patch, edit: { ...patch.edit, edits: [...patch.edit.edits] } as ConfigEdit };
        edits.set(key, copy);
        out.push(copy);
        continue;
      }
      if (first.edit.format !== patch.edit.format || first.expect.sha256 !== patch.expect.sha256) {
        throw new PreconditionError(`${patch.path} is planned as ${first.edit.format} and ${patch.edit.format}, or changed while realizing`, { path: patch.path });
      }
      (first.edit.edits as unknown[]).push(...patch.edit.edits);
      if (patch.reason !== undefined) first.reason = first.reason === undefined ? patch.reason : `${first.reason}; ${patch.reason}`;
    }
  }
  if (windows.length > 0) out.push(...(await realizeWindowsPlan({ planned: windows, guest: args.guest })));
  return out;
}
