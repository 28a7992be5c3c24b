// Realizer for 'initramfs-config-modules': makes the guest's own future initramfs rebuilds
// (a kernel update on the target) keep the target's boot-storage drivers, so the appended
// segment is not the only thing that boots it.
//  - initramfs-tools: one module per line in /etc/initramfs-tools/modules (initramfs.conf(5)),
//    added by the structured module-list edit; a missing file is created with just those lines;
//  - dracut: a drop-in /etc/dracut.conf.d/<name>.conf with `add_drivers+=" … "` (dracut.conf(5):
//    the leading and trailing spaces keep the list separable when several drop-ins add to it).
// Precondition: the module list is a regular file (or absent); the dracut drop-in is absent or
// already holds exactly this content.

import { PreconditionError } from '../../errors.js';
import { sha256Hex } from '../hash.js';
import { sameModule } from '../module-lists.js';
import { isCommentOrBlank, splitLines, tokenize } from '../lines.js';
import type { Patch } from '../types.js';
import { locate, readRegular, stateOf } from './locate.js';
import type { Realizer } from './types.js';

const MODULE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function dracutDropIn(modules: readonly string[]): string {
  return `# Written by rehost: boot-storage drivers the target platform needs in the initramfs.\nadd_drivers+=" ${modules.join(' ')} "\n`;
}

export const realizeModuleConfig: Realizer<'initramfs-config-modules'> = async ({ planned, guest }) => {
  for (const module of planned.modules) {
    if (!MODULE_NAME.test(module)) throw new PreconditionError(`not a kernel module name: ${JSON.stringify(module)}`, { kind: 'module' });
  }
  if (planned.modules.length === 0) return [];
  const at = await locate({ guest, volume: planned.volume, path: planned.path });
  const state = await stateOf(at);
  const reason = `keep ${planned.modules.join(', ')} in future ${planned.generator} images (${planned.rule})`;
  if (planned.generator === 'dracut') {
    const content = new Uint8Array(Buffer.from(dracutDropIn(planned.modules), 'utf8'));
    if (state === sha256Hex(content)) return [];
    if (state !== 'absent') throw new PreconditionError(`${planned.path} exists with other content; rehost will not overwrite it`, { path: planned.path, found: state, expected: 'absent' });
    return [{ kind: 'write-file', volume: at.volume, path: at.path, expect: 'absent', content, mode: 0o644, reason }];
  }
  if (state === 'absent') {
    const content = new Uint8Array(Buffer.from(`# Written by rehost.\n${planned.modules.join('\n')}\n`, 'utf8'));
    return [{ kind: 'write-file', volume: at.volume, path: at.path, expect: 'absent', content, mode: 0o644, reason }];
  }
  const { content, sha256 } = await readRegular({ at, what: 'initramfs-tools module list' });
  const listed = splitLines(content)
    .filter((l) => !isCommentOrBlank(l.text))
    .map((l) => tokenize(l.text).tokens[0] ?? '');
  const missing = planned.modules.filter((m) => !listed.some((l) => sameModule(l, m)));
  if (missing.length === 0) return [];
  const patch: Patch = {
    kind: 'edit-config',
    volume: at.volume,
    path: at.path,
    expect: { sha256 },
    edit: { format: 'modules-list', edits: missing.map((module) => ({ op: 'add-module' as const, module })) },
    reason,
  };
  return [patch];
};
