// Kernel-argument edits in boot-loader entries: GRUB's grub.cfg (`linux`, `linux16`,
// `linuxefi` commands: the kernel path, then its arguments) and Boot Loader Specification
// entries (loader/entries/*.conf: the `options` key holds the arguments). Only the argument
// tokens of those lines change; everything else in the file is left as it is.

import { appendLine, isCommentOrBlank, tokenizeArgs, untokenize, type TextLine } from './lines.js';
import { editKernelArgs, type KernelArgEdit } from './kernel-args.js';

export type BootEntryFormat = 'grub-cfg' | 'bls';

/** A kernel-argument edit; `kernel` limits it to entries whose kernel path ends with that text. */
export type BootEntryEdit = KernelArgEdit & { kernel?: string };

const GRUB_LINUX_COMMANDS = new Set(['linux', 'linux16', 'linuxefi']);

export function editBootEntries(args: { format: BootEntryFormat; lines: TextLine[]; edit: BootEntryEdit }): boolean {
  const { format, lines, edit } = args;
  let changed = false;
  let optionsSeen = false;
  const blsKernel = format === 'bls' ? lines.map((l) => tokenizeArgs(l.text)).find((t) => t.tokens[0] === 'linux')?.tokens[1] : undefined;
  if (format === 'bls' && edit.kernel !== undefined && !(blsKernel ?? '').endsWith(edit.kernel)) return false;
  for (const line of lines) {
    if (isCommentOrBlank(line.text)) continue;
    const tokens = tokenizeArgs(line.text);
    const command = tokens.tokens[0] ?? '';
    let from: number;
    if (format === 'grub-cfg') {
      // A `linux` command without a kernel path is no entry: its first argument would become one.
      if (!GRUB_LINUX_COMMANDS.has(command) || tokens.tokens.length < 2) continue;
      if (edit.kernel !== undefined && !(tokens.tokens[1] ?? '').endsWith(edit.kernel)) continue;
      from = 2;
    } else {
      if (command !== 'options') continue;
      optionsSeen = true;
      from = 1;
    }
    if (editKernelArgs({ line: tokens, from, edit })) {
      line.text = untokenize(tokens);
      changed = true;
    }
  }
  if (format === 'bls' && !optionsSeen && edit.op === 'set-arg') {
    appendLine(lines, `options ${edit.arg}`);
    changed = true;
  }
  return changed;
}
