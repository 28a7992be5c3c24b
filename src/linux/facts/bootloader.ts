// Boot loader configuration, read as text (no grub scripting is evaluated):
// - grub2 grub.cfg (GRUB manual, "Shell-like scripting"): `menuentry 'title' … {` blocks,
//   nested in `submenu` blocks, with `linux`/`linux16`/`linuxefi` (kernel + command line) and
//   `initrd`/`initrd16`/`initrdefi` lines; `set default=`.
// - /etc/default/grub and /etc/sysconfig/grub: shell assignments (GRUB_CMDLINE_LINUX,
//   GRUB_CMDLINE_LINUX_DEFAULT, GRUB_DEFAULT, GRUB_ENABLE_BLSCFG, GRUB_DISABLE_LINUX_UUID).
// - Boot Loader Specification entries (/boot/loader/entries/*.conf, uapi-group.org BLS):
//   "key value" lines: title, version, linux, initrd (repeatable), options.
// - grub legacy menu.lst / grub.conf: `default=`, `title`, `root (hd0,0)`, `kernel PATH ARGS`,
//   `initrd PATH`.
// Quoting in grub.cfg follows the shell: '…' literal, "…" with backslash escapes.

import { parseCmdline, type CmdlineFacts } from './device-names.js';
import { parseShellAssignments } from './release.js';

export interface BootEntry {
  title: string;
  kernel?: string;
  initrd: string[];
  cmdline?: CmdlineFacts;
  /** Titles of enclosing submenus, outermost first. */
  submenu?: string[];
  /** BLS: the entry file and its version field. */
  file?: string;
  /** BLS: the options line refers to grubenv's $kernelopts (RHEL 8), so part of the command line lives there. */
  usesKernelopts?: boolean;
  version?: string;
}

export interface Grub2Config {
  path: string;
  entries: BootEntry[];
  default?: string;
  /** The config only hands over to another one (`configfile`), as Fedora's ESP stub does. */
  configfile?: string;
  /** Uses `blscfg`: the real entries are in /boot/loader/entries. */
  blscfg: boolean;
}

/** Splits one grub.cfg line into words (shell-like quoting). */
export function grubWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let started = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      current += line.slice(i + 1, end < 0 ? undefined : end);
      started = true;
      i = end < 0 ? line.length : end + 1;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) i++;
        current += line[i];
        i++;
      }
      started = true;
      i++;
    } else if (c === '\\' && i + 1 < line.length) {
      current += line[i + 1];
      started = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (started) words.push(current);
      current = '';
      started = false;
      i++;
    } else if (c === '#' && !started) {
      break;
    } else {
      current += c;
      started = true;
      i++;
    }
  }
  if (started) words.push(current);
  return words;
}

/** Re-joins words the way the kernel will see them (grub passes them space-separated). */
function joinArgs(words: string[]): string {
  return words.map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(' ');
}

export function parseGrubCfg(text: string, path: string): Grub2Config {
  const config: Grub2Config = { path, entries: [], blscfg: false };
  // A stack of open blocks: menuentry, submenu, or any other `{` (if/function bodies).
  const stack: Array<{ kind: 'menuentry' | 'submenu' | 'other'; entry?: BootEntry; title?: string }> = [];
  for (const rawLine of text.split('\n')) {
    const words = grubWords(rawLine.trim());
    if (words.length === 0) continue;
    const first = words[0] as string;
    const opens = words[words.length - 1] === '{' || rawLine.trimEnd().endsWith('{');
    if (first === '}' || (words.length === 1 && first.startsWith('}'))) {
      const closed = stack.pop();
      if (closed?.kind === 'menuentry' && closed.entry !== undefined) config.entries.push(closed.entry);
      continue;
    }
    if (first === 'menuentry' && opens) {
      const title = words[1] ?? '';
      const submenus = stack.filter((b) => b.kind === 'submenu').map((b) => b.title as string);
      const entry: BootEntry = { title, initrd: [] };
      if (submenus.length > 0) entry.submenu = submenus;
      stack.push({ kind: 'menuentry', entry });
      continue;
    }
    if (first === 'submenu' && opens) {
      stack.push({ kind: 'submenu', title: words[1] ?? '' });
      continue;
    }
    if (opens && (first === 'if' || first === 'function' || first === 'elif' || first === 'else' || first === 'while' || first === 'for')) {
      // `if …; then` has no brace in grub; only functions use braces. Count what opens one.
      if (words[words.length - 1] === '{') stack.push({ kind: 'other' });
      continue;
    }
    const current = [...stack].reverse().find((b) => b.kind === 'menuentry')?.entry;
    if (current !== undefined && /^linux(16|efi)?$/.test(first) && words[1] !== undefined) {
      current.kernel = words[1];
      current.cmdline = parseCmdline(joinArgs(words.slice(2)));
    } else if (current !== undefined && /^initrd(16|efi)?$/.test(first)) {
      current.initrd.push(...words.slice(1));
    } else if (first === 'set' && /^default=/.test(words[1] ?? '') && stack.length === 0) {
      config.default = (words[1] as string).slice('default='.length);
    } else if (first === 'configfile' && words[1] !== undefined) {
      config.configfile = words[1];
    } else if (first === 'blscfg') {
      config.blscfg = true;
    }
  }
  return config;
}

export interface DefaultGrub {
  path: string;
  cmdlineLinux?: CmdlineFacts;
  cmdlineLinuxDefault?: CmdlineFacts;
  default?: string;
  enableBlscfg?: boolean;
  disableLinuxUuid?: boolean;
  terminal?: string;
  serialCommand?: string;
}

export function parseDefaultGrub(text: string, path: string): DefaultGrub {
  const kv = parseShellAssignments(text);
  const facts: DefaultGrub = { path };
  const linux = kv.get('GRUB_CMDLINE_LINUX');
  if (linux !== undefined) facts.cmdlineLinux = parseCmdline(linux);
  const linuxDefault = kv.get('GRUB_CMDLINE_LINUX_DEFAULT');
  if (linuxDefault !== undefined) facts.cmdlineLinuxDefault = parseCmdline(linuxDefault);
  if (kv.has('GRUB_DEFAULT')) facts.default = kv.get('GRUB_DEFAULT') as string;
  if (kv.has('GRUB_ENABLE_BLSCFG')) facts.enableBlscfg = kv.get('GRUB_ENABLE_BLSCFG') === 'true';
  if (kv.has('GRUB_DISABLE_LINUX_UUID')) facts.disableLinuxUuid = kv.get('GRUB_DISABLE_LINUX_UUID') === 'true';
  if (kv.has('GRUB_TERMINAL')) facts.terminal = kv.get('GRUB_TERMINAL') as string;
  if (kv.has('GRUB_SERIAL_COMMAND')) facts.serialCommand = kv.get('GRUB_SERIAL_COMMAND') as string;
  return facts;
}

/** One BLS entry file; `kernelopts` (from grubenv) substitutes `$kernelopts` in options. */
export function parseBlsEntry(args: { text: string; file: string; kernelopts?: string }): BootEntry {
  const { text, file, kernelopts } = args;
  const entry: BootEntry = { title: '', initrd: [], file };
  let options: string | undefined;
  for (const line of text.split('\n')) {
    const match = /^\s*([a-z_-]+)\s+(.*?)\s*$/.exec(line);
    if (match === null || line.trim().startsWith('#')) continue;
    const key = match[1] as string;
    const value = match[2] as string;
    if (key === 'title') entry.title = value;
    else if (key === 'version') entry.version = value;
    else if (key === 'linux') entry.kernel = value;
    else if (key === 'initrd') entry.initrd.push(...value.split(/\s+/));
    else if (key === 'options') options = options === undefined ? value : `${options} ${value}`;
  }
  if (options !== undefined) {
    if (/\$kernelopts\b/.test(options)) entry.usesKernelopts = true;
    const expanded = kernelopts === undefined ? options : options.replace(/\$kernelopts\b/g, kernelopts);
    entry.cmdline = parseCmdline(expanded);
  }
  return entry;
}

/** grubenv: a 1024-byte block of "key=value" lines padded with '#'. */
export function parseGrubenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

export interface GrubLegacyConfig {
  path: string;
  default?: number;
  entries: Array<BootEntry & { root?: string }>;
}

export function parseGrubLegacy(text: string, path: string): GrubLegacyConfig {
  const config: GrubLegacyConfig = { path, entries: [] };
  let current: (BootEntry & { root?: string }) | undefined;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-z]+)\s*[= ]?\s*(.*)$/.exec(line);
    if (match === null) continue;
    const key = match[1] as string;
    const value = (match[2] as string).trim();
    if (key === 'title') {
      current = { title: value, initrd: [] };
      config.entries.push(current);
    } else if (key === 'default' && current === undefined && /^\d+$/.test(value)) {
      config.default = Number(value);
    } else if (current !== undefined && key === 'root') {
      current.root = value;
    } else if (current !== undefined && key === 'kernel') {
      const [kernel, ...args] = value.split(/\s+/);
      // "(hd0,0)/vmlinuz-…": the device prefix is grub's, not a path.
      current.kernel = (kernel ?? '').replace(/^\([^)]*\)/, '');
      current.cmdline = parseCmdline(args.join(' '));
    } else if (current !== undefined && key === 'initrd') {
      current.initrd.push(value.replace(/^\([^)]*\)/, ''));
    }
  }
  return config;
}
