// Realizer for 'bcd-delete-element': one element key of a BCD object deleted from the BCD store
// (a regf hive; its .LOG files replayed first, as for the system hives). virt-v2v deletes
// graphicsmodedisabled (16000046) from the default entry of a UEFI guest's store so Windows
// Boot Manager draws on the target's UEFI graphics. The result is one write-file of the whole
// store expecting the hash read; an element already gone needs nothing.

import { HiveEditor } from '../../registry/index.js';
import type { Patch } from '../types.js';
import { locate } from './locate.js';
import type { Realizer } from './types.js';
import { loadGuestHive } from './windows-hive.js';

export const realizeBcdDeleteElement: Realizer<'bcd-delete-element'> = async ({ planned, guest }) => {
  const at = await locate({ guest, volume: planned.volume, path: planned.path });
  const { loaded, sha256 } = await loadGuestHive({ at, label: 'BCD' });
  const editor = new HiveEditor(loaded.hive);
  if (!editor.deleteKey(`Objects\\${planned.object}\\Elements\\${planned.element}`)) return [];
  const patch: Patch = { kind: 'write-file', volume: at.volume, path: at.path, expect: { sha256 }, content: editor.commit(), reason: `BCD ${planned.object}: delete element ${planned.element} (${planned.rule})` };
  return [patch];
};
