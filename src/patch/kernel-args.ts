// Kernel command-line argument edits, shared by /etc/default/grub variables, grub.cfg `linux`
// lines and BLS `options` lines. An argument's name is what precedes its first '=' (the whole
// argument when there is none), as the kernel's parse_args splits them. Edits work on a token
// list so untouched arguments and their spacing stay as they were.

import { UnsupportedError } from '../errors.js';
import { insertToken, removeToken, type Tokens } from './lines.js';

export type KernelArgEdit =
  /** Sets `name=value` (or a bare flag): replaces the first argument of that name, drops the others, appends when absent. */
  | { op: 'set-arg'; arg: string }
  /** Removes every argument of that name. */
  | { op: 'remove-arg'; name: string };

export function kernelArgName(arg: string): string {
  const eq = arg.indexOf('=');
  return eq < 0 ? arg : arg.slice(0, eq);
}

/** Applies one edit to the arguments tokens[from…]; returns whether anything changed. */
export function editKernelArgs(args: { line: Tokens; from: number; edit: KernelArgEdit }): boolean {
  const { line, from, edit } = args;
  if (line.unterminated) throw new UnsupportedError('kernel arguments with an unterminated quote cannot be edited safely', { kind: 'kernel arguments' });
  const name = edit.op === 'set-arg' ? kernelArgName(edit.arg) : edit.name;
  let changed = false;
  let placed = false;
  for (let i = from; i < line.tokens.length; ) {
    const token = line.tokens[i] as string;
    if (kernelArgName(token) !== name) {
      i++;
      continue;
    }
    if (edit.op === 'set-arg' && !placed) {
      placed = true;
      if (token !== edit.arg) {
        line.tokens[i] = edit.arg;
        changed = true;
      }
      i++;
      continue;
    }
    removeToken(line, i);
    changed = true;
  }
  if (edit.op === 'set-arg' && !placed) {
    insertToken(line, { index: line.tokens.length, token: edit.arg });
    changed = true;
  }
  return changed;
}
