// Realizer for 'table-device': an fstab(5) or crypttab(5) entry names its device by a kernel
// name (/dev/sda2) that the target's hardware renumbers; the plan replaces that source field
// by a stable reference (UUID=…). The edit is the structured table edit (table.ts), addressed
// by the device field itself, so spacing, comments and every other line stay as they are.
// Precondition: line `line` (1-based, as the facts number them) still holds `from` in its
// device field (fstab: spec, the first; crypttab: device, the second), or already holds `to`.

import { PreconditionError } from '../../errors.js';
import { isCommentOrBlank, splitLines, tokenize, utf8AsLatin1 } from '../lines.js';
import type { Patch } from '../types.js';
import { locate, readRegular } from './locate.js';
import type { Realizer } from './types.js';

const DEVICE_FIELD = { fstab: { name: 'spec', index: 0 }, crypttab: { name: 'device', index: 1 } } as const;

export const realizeTableDevice: Realizer<'table-device'> = async ({ planned, guest }) => {
  const at = await locate({ guest, volume: planned.volume, path: planned.path });
  const { content, sha256 } = await readRegular({ at, what: `${planned.format} device` });
  const lines = splitLines(content);
  const line = lines[planned.line - 1];
  const field = DEVICE_FIELD[planned.format];
  const found = line === undefined || isCommentOrBlank(line.text) ? undefined : tokenize(line.text).tokens[field.index];
  const from = utf8AsLatin1(planned.from);
  const to = utf8AsLatin1(planned.to);
  if (found !== from && found !== to) {
    throw new PreconditionError(
      `${planned.path} line ${planned.line}: the ${field.name} field is ${found === undefined ? 'not there' : JSON.stringify(found)}, the plan expected ${JSON.stringify(planned.from)}`,
      { path: planned.path, kind: planned.format, found: found ?? null, expected: planned.from },
    );
  }
  const patch: Patch = {
    kind: 'edit-config',
    volume: at.volume,
    path: at.path,
    expect: { sha256 },
    edit: { format: planned.format, edits: [{ op: 'set-field', where: { field: field.name, equals: planned.from }, field: field.name, value: planned.to }] },
    reason: `${planned.format} line ${planned.line}: ${planned.from} → ${planned.to} (${planned.rule})`,
  };
  return [patch];
};
