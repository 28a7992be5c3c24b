// Structured edits of whitespace-separated tables: fstab(5) and crypttab(5). Each non-comment
// line is an entry whose fields are tokens; an edit addresses an entry by a field (by default
// the entry's key: the mount point in fstab, the mapping name in crypttab) and replaces one
// token, so the spacing, comments and every other line stay byte-for-byte.

import { PreconditionError, UnsupportedError } from '../errors.js';
import { appendLine, insertToken, isCommentOrBlank, tokenize, untokenize, type TextLine, type Tokens } from './lines.js';

export type TableFormat = 'fstab' | 'crypttab';

export const TABLE_FIELDS = {
  fstab: ['spec', 'file', 'vfstype', 'mntops', 'freq', 'passno'],
  crypttab: ['name', 'device', 'keyfile', 'options'],
} as const;

/** What fills a missing trailing field when a later one is set (the formats' own defaults). */
const DEFAULTS: Record<TableFormat, readonly string[]> = {
  fstab: ['', '', 'auto', 'defaults', '0', '0'],
  crypttab: ['', '', 'none', 'luks'],
};

const KEY_FIELD: Record<TableFormat, string> = { fstab: 'file', crypttab: 'name' };
const OPTIONS_FIELD: Record<TableFormat, string> = { fstab: 'mntops', crypttab: 'options' };

/** Which entries an edit addresses: `field` (default: the key field) equal to `equals`. */
export interface TableMatch {
  field?: string;
  equals: string;
}

export type TableEdit =
  | { op: 'set-field'; where: TableMatch; field: string; value: string }
  | { op: 'set-option'; where: TableMatch; option: string }
  | { op: 'remove-option'; where: TableMatch; name: string }
  | { op: 'remove-entry'; where: TableMatch }
  /** Adds an entry when none has its key; an entry with that key gets these fields. */
  | { op: 'set-entry'; fields: string[] };

function fieldIndex(format: TableFormat, field: string): number {
  const index = (TABLE_FIELDS[format] as readonly string[]).indexOf(field);
  if (index < 0) throw new UnsupportedError(`${format} has no field ${field}; fields: ${TABLE_FIELDS[format].join(', ')}`, { kind: 'field' });
  return index;
}

function checkToken(format: TableFormat, value: string): void {
  if (value === '' || /[\s]/.test(value)) {
    throw new UnsupportedError(`${format} field value ${JSON.stringify(value)} is empty or holds whitespace (write spaces as \\040)`, { kind: 'field' });
  }
}

interface Entry {
  index: number;
  tokens: Tokens;
}

function entries(lines: readonly TextLine[]): Entry[] {
  const out: Entry[] = [];
  lines.forEach((line, index) => {
    if (!isCommentOrBlank(line.text)) out.push({ index, tokens: tokenize(line.text) });
  });
  return out;
}

function matching({ format, all, where }: { format: TableFormat; all: Entry[]; where: TableMatch }): Entry[] {
  const i = fieldIndex(format, where.field ?? KEY_FIELD[format]);
  return all.filter((e) => e.tokens.tokens[i] === where.equals);
}

function setToken({ format, tokens, index, value }: { format: TableFormat; tokens: Tokens; index: number; value: string }): boolean {
  if (tokens.tokens[index] === value) return false;
  while (tokens.tokens.length < index) insertToken(tokens, { index: tokens.tokens.length, token: DEFAULTS[format][tokens.tokens.length] ?? '0' });
  if (tokens.tokens.length === index) insertToken(tokens, { index, token: value });
  else tokens.tokens[index] = value;
  return true;
}

function optionName(option: string): string {
  const eq = option.indexOf('=');
  return eq < 0 ? option : option.slice(0, eq);
}

export function editTable(args: { format: TableFormat; lines: TextLine[]; edit: TableEdit }): boolean {
  const { format, lines, edit } = args;
  const all = entries(lines);
  const commit = (entry: Entry): void => {
    (lines[entry.index] as TextLine).text = untokenize(entry.tokens);
  };
  if (edit.op === 'set-entry') {
    edit.fields.forEach((f) => checkToken(format, f));
    const keyIndex = fieldIndex(format, KEY_FIELD[format]);
    const key = edit.fields[keyIndex];
    if (key === undefined) throw new UnsupportedError(`a ${format} entry needs its ${KEY_FIELD[format]} field`, { kind: 'field' });
    const found = matching({ format, all, where: { equals: key } })[0];
    if (!found) {
      appendLine(lines, edit.fields.join('\t'));
      return true;
    }
    let changed = false;
    edit.fields.forEach((value, i) => {
      changed = setToken({ format, tokens: found.tokens, index: i, value }) || changed;
    });
    if (changed) commit(found);
    return changed;
  }
  const found = matching({ format, all, where: edit.where });
  if (edit.op === 'remove-entry') {
    for (const entry of [...found].reverse()) lines.splice(entry.index, 1);
    return found.length > 0;
  }
  if (found.length === 0) {
    // An edit that rewrote the very field it matched on is already done when the new value is there.
    const whereField = edit.where.field ?? KEY_FIELD[format];
    if (edit.op === 'set-field' && whereField === edit.field && matching({ format, all, where: { field: edit.field, equals: edit.value } }).length > 0) {
      return false;
    }
    throw new PreconditionError(`no ${format} entry with ${whereField} = ${edit.where.equals}`, { kind: format });
  }
  let changed = false;
  for (const entry of found) {
    let entryChanged = false;
    if (edit.op === 'set-field') {
      checkToken(format, edit.value);
      entryChanged = setToken({ format, tokens: entry.tokens, index: fieldIndex(format, edit.field), value: edit.value });
    } else {
      const index = fieldIndex(format, OPTIONS_FIELD[format]);
      const current = entry.tokens.tokens[index];
      const options = current === undefined || current === '' ? [] : current.split(',');
      const name = edit.op === 'set-option' ? optionName(edit.option) : edit.name;
      let next = options.filter((o) => optionName(o) !== name);
      if (edit.op === 'set-option') {
        checkToken(format, edit.option);
        const at = options.findIndex((o) => optionName(o) === name);
        next = at < 0 ? [...options, edit.option] : options.flatMap((o, i) => (i === at ? [edit.option] : optionName(o) === name ? [] : [o]));
      }
      const value = next.length > 0 ? next.join(',') : format === 'fstab' ? 'defaults' : '';
      if (value !== (current ?? '')) {
        entryChanged = value === '' ? dropOptions(entry.tokens, index) : setToken({ format, tokens: entry.tokens, index, value });
      }
    }
    if (entryChanged) commit(entry);
    changed = changed || entryChanged;
  }
  return changed;
}

/** crypttab's options field may be left out entirely when empty. */
function dropOptions(tokens: Tokens, index: number): boolean {
  if (tokens.tokens.length !== index + 1) return false;
  tokens.tokens.pop();
  const trailing = tokens.gaps.pop() ?? '';
  tokens.gaps[tokens.gaps.length - 1] = trailing;
  return true;
}
