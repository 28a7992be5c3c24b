// Edits of shell-variable files such as /etc/default/grub and dracut.conf.d: `KEY=value`,
// `KEY="value"`, `KEY='value'`, `KEY+="value"`, optionally after `export`. Each assignment line is parsed into a record
// (key, quote style, decoded value, what follows); an edit re-encodes only the value of the
// line it targets. As in the shell, the last assignment of a key wins, so edits target it.
// Values that expand variables or commands ($, `) cannot be reasoned about and are refused.

import { UnsupportedError } from '../errors.js';
import { appendLine, isCommentOrBlank, tokenizeArgs, untokenize, type TextLine } from './lines.js';
import { editKernelArgs, type KernelArgEdit } from './kernel-args.js';

export type ShellVarEdit =
  | { op: 'set'; key: string; value: string }
  | { op: 'unset'; key: string }
  | ({ key: string } & KernelArgEdit);

interface Assignment {
  /** Text before the value: indentation, `export `, the key and '='. */
  prefix: string;
  key: string;
  quote: '"' | "'" | '';
  value: string;
  /** Text after the value (whitespace, a comment). */
  suffix: string;
  /** The value expands variables or commands. */
  dynamic?: true;
}

function isIdentifier(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    const digit = c >= 48 && c <= 57;
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

/** Parses an assignment line; undefined for anything else (comments, commands, `if`…). */
export function parseAssignment(text: string): Assignment | undefined {
  if (isCommentOrBlank(text)) return undefined;
  let i = text.length - text.trimStart().length;
  if (text.startsWith('export ', i)) {
    i += 7;
    while (text[i] === ' ' || text[i] === '\t') i++;
  }
  const eq = text.indexOf('=', i);
  if (eq < 0) return undefined;
  // `KEY+=value` (dracut.conf.d, bash) appends; the operator stays in the prefix as written.
  const key = text.slice(i, text[eq - 1] === '+' ? eq - 1 : eq);
  if (!isIdentifier(key)) return undefined;
  const prefix = text.slice(0, eq + 1);
  const rest = text.slice(eq + 1);
  const first = rest[0];
  if (first === '"' || first === "'") {
    let j = 1;
    let value = '';
    while (j < rest.length && rest[j] !== first) {
      if (first === '"' && rest[j] === '\\' && j + 1 < rest.length && '"\\$`'.includes(rest[j + 1] as string)) j++;
      else if (first === '"' && (rest[j] === '$' || rest[j] === '`')) return { prefix, key, quote: first, value: '', suffix: '', dynamic: true };
      value += rest[j];
      j++;
    }
    if (j >= rest.length) return undefined; // unterminated: a multi-line value, left alone
    return { prefix, key, quote: first, value, suffix: rest.slice(j + 1) };
  }
  let j = 0;
  while (j < rest.length && rest[j] !== ' ' && rest[j] !== '\t') j++;
  const value = rest.slice(0, j);
  if (value.includes('$') || value.includes('`') || value.includes('\\') || value.includes('"') || value.includes("'")) {
    return { prefix, key, quote: '', value: '', suffix: '', dynamic: true };
  }
  return { prefix, key, quote: '', value, suffix: rest.slice(j) };
}

function encodeValue(value: string, quote: Assignment['quote']): string {
  const plain = value.length > 0 && [...value].every((c) => /[A-Za-z0-9_./,:=+@%-]/.test(c));
  if (quote === '' && plain) return value;
  if (quote === "'" && !value.includes("'")) return `'${value}'`;
  return `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
}

function serialise(a: Assignment): string {
  return `${a.prefix}${encodeValue(a.value, a.quote)}${a.suffix}`;
}

/** Applies one edit to the lines in place; returns whether anything changed. */
export function editShellVars(lines: TextLine[], edit: ShellVarEdit): boolean {
  const indices: number[] = [];
  lines.forEach((line, index) => {
    if (parseAssignment(line.text)?.key === edit.key) indices.push(index);
  });
  if (edit.op === 'unset') {
    for (const index of indices.reverse()) lines.splice(index, 1);
    return indices.length > 0;
  }
  const lastIndex = indices[indices.length - 1];
  if (lastIndex === undefined) {
    if (edit.op === 'remove-arg') return false;
    const value = edit.op === 'set' ? edit.value : edit.arg;
    appendLine(lines, `${edit.key}=${encodeValue(value, '"')}`);
    return true;
  }
  const line = lines[lastIndex] as TextLine;
  const assignment = parseAssignment(line.text) as Assignment;
  if (assignment.dynamic) {
    throw new UnsupportedError(`${edit.key} is computed by the shell ($ or \`); rehost edits only literal values`, { kind: 'shell variable' });
  }
  let value: string;
  if (edit.op === 'set') value = edit.value;
  else {
    const tokens = tokenizeArgs(assignment.value);
    if (!editKernelArgs({ line: tokens, from: 0, edit })) return false;
    value = untokenize(tokens);
  }
  if (value === assignment.value) return false;
  line.text = serialise({ ...assignment, value });
  return true;
}
