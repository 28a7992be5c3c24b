// One structured edit of a line-oriented config file, dispatched on the file's format. The
// file is parsed into lines, each edit changes records in place, and the result is the same
// bytes wherever no edit landed.

import { splitLines, joinLines, utf8AsLatin1 } from './lines.js';
import { editTable, type TableEdit, type TableFormat } from './table.js';
import { editShellVars, type ShellVarEdit } from './shell-vars.js';
import { editBootEntries, type BootEntryEdit, type BootEntryFormat } from './boot-entries.js';
import { editModprobe, editModuleList, type ModprobeEdit, type ModuleListEdit } from './module-lists.js';

export type ConfigEdit =
  | { format: TableFormat; edits: TableEdit[] }
  | { format: 'shell-vars'; edits: ShellVarEdit[] }
  | { format: BootEntryFormat; edits: BootEntryEdit[] }
  | { format: 'modules-list'; edits: ModuleListEdit[] }
  | { format: 'modprobe'; edits: ModprobeEdit[] };

/** Values in edits are UTF-8 text; lines are latin1 views of bytes, so convert every string field. */
function toLatin1<T>(edit: T): T {
  return JSON.parse(JSON.stringify(edit), (_key, value: unknown) => (typeof value === 'string' ? utf8AsLatin1(value) : value)) as T;
}

/** The edited file; `changed` is false when every edit was already in effect. */
export function applyConfigEdit(content: Uint8Array, config: ConfigEdit): { content: Uint8Array; changed: boolean } {
  const lines = splitLines(content);
  let changed = false;
  for (const raw of config.edits) {
    const edit = toLatin1(raw);
    let did: boolean;
    switch (config.format) {
      case 'fstab':
      case 'crypttab':
        did = editTable({ format: config.format, lines, edit: edit as TableEdit });
        break;
      case 'shell-vars':
        did = editShellVars(lines, edit as ShellVarEdit);
        break;
      case 'grub-cfg':
      case 'bls':
        did = editBootEntries({ format: config.format, lines, edit: edit as BootEntryEdit });
        break;
      case 'modules-list':
        did = editModuleList(lines, edit as ModuleListEdit);
        break;
      case 'modprobe':
        did = editModprobe(lines, edit as ModprobeEdit);
        break;
    }
    changed = changed || did;
  }
  return { content: changed ? joinLines(lines) : content, changed };
}
