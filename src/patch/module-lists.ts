// Edits of module lists: one-module-per-line files (initramfs-tools' /etc/initramfs-tools/modules,
// /etc/modules, modules-load.d/*.conf: `name [parameters]`) and modprobe.d(5) directives
// (`blacklist name`, `options name …`, `install name …`, `softdep name …`). Module names compare
// with '-' and '_' equal, as kmod does. Lines not addressed stay byte-for-byte.

import { appendLine, isCommentOrBlank, tokenize, untokenize, type TextLine } from './lines.js';

export type ModuleListEdit = { op: 'add-module'; module: string; parameters?: string } | { op: 'remove-module'; module: string };

export type ModprobeEdit =
  /** Ensures `directive module rest`: the first such (directive, module) line gets `rest`, or a line is appended. */
  | { op: 'set-directive'; directive: string; module: string; rest?: string }
  | { op: 'remove-directive'; directive: string; module: string };

export function sameModule(a: string, b: string): boolean {
  return a.replaceAll('-', '_') === b.replaceAll('-', '_');
}

export function editModuleList(lines: TextLine[], edit: ModuleListEdit): boolean {
  const hits: number[] = [];
  lines.forEach((line, index) => {
    if (isCommentOrBlank(line.text)) return;
    const name = tokenize(line.text).tokens[0];
    if (name !== undefined && sameModule(name, edit.module)) hits.push(index);
  });
  if (edit.op === 'remove-module') {
    for (const index of hits.reverse()) lines.splice(index, 1);
    return hits.length > 0;
  }
  if (hits.length > 0) return false;
  appendLine(lines, edit.parameters ? `${edit.module} ${edit.parameters}` : edit.module);
  return true;
}

export function editModprobe(lines: TextLine[], edit: ModprobeEdit): boolean {
  const hits: number[] = [];
  lines.forEach((line, index) => {
    if (isCommentOrBlank(line.text)) return;
    const tokens = tokenize(line.text).tokens;
    if (tokens[0] === edit.directive && tokens[1] !== undefined && sameModule(tokens[1], edit.module)) hits.push(index);
  });
  if (edit.op === 'remove-directive') {
    for (const index of hits.reverse()) lines.splice(index, 1);
    return hits.length > 0;
  }
  const wanted = edit.rest ? `${edit.directive} ${edit.module} ${edit.rest}` : `${edit.directive} ${edit.module}`;
  const first = hits[0];
  if (first === undefined) {
    appendLine(lines, wanted);
    return true;
  }
  const line = lines[first] as TextLine;
  const tokens = tokenize(line.text);
  const current = tokens.tokens.slice(2).join(' ');
  if (current === (edit.rest ?? '').trim().split(/[ \t]+/).filter(Boolean).join(' ')) return false;
  // Keep the line's indentation and the directive/module tokens; the rest is replaced.
  const head = { gaps: tokens.gaps.slice(0, 2), tokens: tokens.tokens.slice(0, 2) };
  line.text = untokenize({ gaps: [...head.gaps, ''], tokens: head.tokens }) + (edit.rest ? ` ${edit.rest}` : '');
  return true;
}
