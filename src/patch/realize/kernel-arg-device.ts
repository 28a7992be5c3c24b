// Realizer for 'kernel-arg-device': a kernel argument (root=, resume=) names a device by a
// kernel name the target renumbers; the plan sets it to a stable reference. Three places hold
// kernel arguments, each edited structurally by the existing edits:
//  - /etc/default/grub: GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT (shell-vars.ts; the
//    last assignment of a key is the one the shell keeps, so that is the one read and edited);
//  - grub.cfg: the arguments of `linux`/`linux16`/`linuxefi` lines (boot-entries.ts), limited
//    to the kernels whose lines hold the old value, so no entry gains an argument it lacked
//    (a memtest entry keeps no root=);
//  - a Boot Loader Specification entry: its `options` line.
// Precondition: at least one of those places holds `arg=from` (or every one that holds the
// argument already has `arg=to`).

import { PreconditionError } from '../../errors.js';
import { parseAssignment } from '../shell-vars.js';
import { kernelArgName } from '../kernel-args.js';
import { isCommentOrBlank, splitLines, tokenizeArgs, utf8AsLatin1 } from '../lines.js';
import type { ConfigEdit } from '../config-edit.js';
import type { Patch } from '../types.js';
import { locate, readRegular } from './locate.js';
import type { Realizer } from './types.js';

const GRUB_KEYS = ['GRUB_CMDLINE_LINUX', 'GRUB_CMDLINE_LINUX_DEFAULT'];
const GRUB_LINUX_COMMANDS = new Set(['linux', 'linux16', 'linuxefi']);

/** The value part of an argument given either bare ('/dev/sda2') or whole ('root=/dev/sda2'). */
function valueOf(arg: string, given: string): string {
  return given.startsWith(`${arg}=`) ? given.slice(arg.length + 1) : given;
}

function unquote(token: string): string {
  return token.length >= 2 && (token[0] === '"' || token[0] === "'") && token.endsWith(token[0]) ? token.slice(1, -1) : token;
}

/** The values of every `name=` argument in tokens[from…]. */
function argValues(tokens: string[], name: string): string[] {
  return tokens.filter((t) => kernelArgName(unquote(t)) === name).map((t) => unquote(t).slice(name.length + 1));
}

export const realizeKernelArgDevice: Realizer<'kernel-arg-device'> = async ({ planned, guest }) => {
  const at = await locate({ guest, volume: planned.volume, path: planned.path });
  const { content, sha256 } = await readRegular({ at, what: `kernel argument ${planned.arg}=` });
  const from = utf8AsLatin1(valueOf(planned.arg, planned.from));
  const to = valueOf(planned.arg, planned.to);
  const wanted = `${planned.arg}=${to}`;
  const seen: string[] = [];
  let edit: ConfigEdit;
  const lines = splitLines(content);
  if (planned.format === 'default-grub') {
    const keys: string[] = [];
    for (const key of GRUB_KEYS) {
      const last = lines.map((l) => parseAssignment(l.text)).filter((a) => a?.key === key).pop();
      if (last === undefined || last.dynamic) continue;
      const values = argValues(tokenizeArgs(last.value).tokens, planned.arg);
      seen.push(...values.map((v) => `${key}: ${planned.arg}=${v}`));
      if (values.includes(from)) keys.push(key);
    }
    edit = { format: 'shell-vars', edits: keys.map((key) => ({ key, op: 'set-arg' as const, arg: wanted })) };
  } else if (planned.format === 'grub-cfg') {
    const kernels = new Set<string>();
    for (const line of lines) {
      if (isCommentOrBlank(line.text)) continue;
      const tokens = tokenizeArgs(line.text).tokens;
      if (!GRUB_LINUX_COMMANDS.has(tokens[0] ?? '') || tokens.length < 2) continue;
      const values = argValues(tokens.slice(2), planned.arg);
      seen.push(...values.map((v) => `${tokens[1] as string}: ${planned.arg}=${v}`));
      if (values.includes(from)) kernels.add(Buffer.from(tokens[1] as string, 'latin1').toString('utf8'));
    }
    edit = { format: 'grub-cfg', edits: [...kernels].map((kernel) => ({ op: 'set-arg' as const, arg: wanted, kernel })) };
  } else {
    let holds = false;
    for (const line of lines) {
      const tokens = tokenizeArgs(line.text).tokens;
      if (tokens[0] !== 'options') continue;
      const values = argValues(tokens.slice(1), planned.arg);
      seen.push(...values.map((v) => `options: ${planned.arg}=${v}`));
      holds = holds || values.includes(from);
    }
    edit = { format: 'bls', edits: holds ? [{ op: 'set-arg', arg: wanted }] : [] };
  }
  if (edit.edits.length === 0) {
    const target = utf8AsLatin1(to);
    const done = seen.length > 0 && seen.every((s) => s.endsWith(`${planned.arg}=${target}`));
    if (done) return [];
    throw new PreconditionError(
      `${planned.path}: no ${planned.arg}=${planned.from} to replace (found ${seen.length > 0 ? seen.join(', ') : `no ${planned.arg}= argument`})`,
      { path: planned.path, kind: planned.format, expected: `${planned.arg}=${planned.from}`, found: seen.join(', ') },
    );
  }
  const patch: Patch = {
    kind: 'edit-config',
    volume: at.volume,
    path: at.path,
    expect: { sha256 },
    edit,
    reason: `${planned.arg}=${planned.from} → ${wanted} (${planned.rule})`,
  };
  return [patch];
};
