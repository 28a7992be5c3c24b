// Human-readable one-line descriptions of patches, for plans and reports. Pure.

import type { ConfigEdit } from './config-edit.js';
import { maskPath, stopLinkPath } from './apply.js';
import type { Expect, Patch, RemoveExpect } from './types.js';

function short(hash: string): string {
  return hash.slice(0, 12);
}

function expectText(expect: Expect): string {
  return expect === 'absent' ? 'expects it absent' : `expects sha256 ${short(expect.sha256)}…`;
}

function removeExpectText(expect: RemoveExpect): string {
  if (expect === 'directory') return 'expects an empty directory';
  if ('tree' in expect) return `expects a tree with listing hash ${short(expect.tree)}…`;
  if ('symlink' in expect) return `expects a symlink to ${expect.symlink}`;
  return expectText(expect);
}

function describeEdit(edit: ConfigEdit): string[] {
  return edit.edits.map((e) => {
    const o = e as Record<string, unknown>;
    switch (o.op) {
      case 'set-field':
        return `set ${String(o.field)} = ${String(o.value)} on the entry with ${JSON.stringify((o.where as { field?: string; equals: string }).equals)}`;
      case 'set-option':
        return `set option ${String(o.option)} on ${JSON.stringify((o.where as { equals: string }).equals)}`;
      case 'remove-option':
        return `remove option ${String(o.name)} from ${JSON.stringify((o.where as { equals: string }).equals)}`;
      case 'remove-entry':
        return `remove the entry ${JSON.stringify((o.where as { equals: string }).equals)}`;
      case 'set-entry':
        return `ensure the entry ${(o.fields as string[]).join(' ')}`;
      case 'set':
        return `set ${String(o.key)}="${String(o.value)}"`;
      case 'unset':
        return `remove ${String(o.key)}`;
      case 'set-arg':
        return `set kernel argument ${String(o.arg)}${o.key !== undefined ? ` in ${String(o.key)}` : ''}${o.kernel !== undefined ? ` for ${String(o.kernel)}` : ''}`;
      case 'remove-arg':
        return `remove kernel argument ${String(o.name)}${o.key !== undefined ? ` from ${String(o.key)}` : ''}${o.kernel !== undefined ? ` for ${String(o.kernel)}` : ''}`;
      case 'add-module':
        return `add module ${String(o.module)}`;
      case 'remove-module':
        return `remove module ${String(o.module)}`;
      case 'set-directive':
        return `set "${String(o.directive)} ${String(o.module)}${o.rest ? ` ${String(o.rest)}` : ''}"`;
      case 'remove-directive':
        return `remove "${String(o.directive)} ${String(o.module)}"`;
      default:
        return String(o.op);
    }
  });
}

export function describePatch(patch: Patch): string {
  const on = patch.volume !== undefined ? `${patch.volume}:` : '';
  const why = patch.reason !== undefined ? ` — ${patch.reason}` : '';
  switch (patch.kind) {
    case 'write-file':
      return `${patch.expect === 'absent' ? 'create' : 'replace'} ${on}${patch.path} (${patch.content.length} bytes; ${expectText(patch.expect)})${why}`;
    case 'delete-file':
      return `delete ${on}${patch.path} (${expectText(patch.expect)})${why}`;
    case 'edit-config':
      return `edit ${on}${patch.path} as ${patch.edit.format}: ${describeEdit(patch.edit).join('; ')} (${expectText(patch.expect)})${why}`;
    case 'append-initramfs':
      return `append a cpio segment of ${patch.entries.length} entries to ${on}${patch.path}, original bytes kept (${expectText(patch.expect)})${why}`;
    case 'mask-unit':
      return `mask ${patch.unit}: ${on}${maskPath(patch.unit)} -> /dev/null (${expectText(patch.expect)})${why}`;
    case 'disable-sysv':
      return `disable sysv service ${patch.service}: ${patch.links.map((l) => `${on}${l.path} -> ${stopLinkPath(l.path)}`).join(', ')}${why}`;
    case 'make-directory':
      return `make directory ${on}${patch.path}${patch.mode !== undefined ? ` (mode ${patch.mode.toString(8).padStart(4, '0')})` : ''} (${patch.expect === 'absent' ? 'expects it absent' : 'expects it there'})${why}`;
    case 'remove-path':
      return `${patch.expect !== 'directory' && 'tree' in patch.expect ? 'remove the tree' : 'remove'} ${on}${patch.path} (${removeExpectText(patch.expect)})${why}`;
    case 'make-symlink':
      return `make symlink ${on}${patch.path} -> ${patch.target} (${expectText(patch.expect)})${why}`;
  }
}
