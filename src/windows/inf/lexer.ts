// The lexical layer of an INF file, after Microsoft's "General Syntax Rules for INF Files":
// `[section]` headers (names case-insensitive; a section written twice is one section, its
// lines in file order, as SetupAPI merges them), `key = value, value, ...` lines, `;` comments
// outside double quotes, `"..."` quoting with `""` for a literal quote, and a backslash as the
// last character of a line continuing it on the next. Whitespace around fields is dropped,
// whitespace inside quotes is kept. String substitution (%strkey%) is left to the document so
// the raw fields stay available.
//
// Windows is lenient and so are we where it is: an unterminated quote runs to the end of the
// line, text after a section's `]` is ignored (both reported). A non-comment line before the
// first section, a section header without `]`, an over-long section name or NUL characters
// (a binary file) make SetupOpenInfFile fail, so they throw CorruptError naming line and offset.

import { CorruptError } from '../../errors.js';
import type { Diagnostics } from '../../diagnostics.js';
import type { InfEncoding } from './encoding.js';
import type { InfLine, InfSection } from './types.js';

/** SetupAPI's MAX_SECT_NAME_LEN. */
export const MAX_SECTION_NAME = 255;
/** SetupAPI's MAX_INF_STRING_LENGTH: longer logical lines are reported. */
export const MAX_LINE_LENGTH = 4096;

export interface LexedInf {
  sections: InfSection[];
}

interface Physical {
  text: string;
  line: number;
  /** Character index in the decoded text. */
  index: number;
}

export function lexInf(args: { text: string; encoding: InfEncoding; bomLength: number; diagnostics: Diagnostics; path?: string }): LexedInf {
  const { text, diagnostics, path } = args;
  const byteOffset = offsetMapper(args);
  const where = (p: Physical) => ({ structure: `INF line ${p.line}`, offset: byteOffset(p.index), ...(path ? { path } : {}) });
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const line = text.slice(0, nul).split(/\r\n|\r|\n/).length;
    throw new CorruptError('INF text contains a NUL character (not a text file)', { structure: `INF line ${line}`, offset: byteOffset(nul), ...(path ? { path } : {}) });
  }
  const sections: InfSection[] = [];
  const byName = new Map<string, InfSection>();
  let current: InfSection | undefined;
  const physical = splitPhysical(text);
  for (let i = 0; i < physical.length; i++) {
    const first = physical[i] as Physical;
    let content = stripComment(first.text, () => diagnostics.report({ severity: 'warning', code: 'inf-unterminated-quote', message: `unterminated quote on line ${first.line}`, ...where(first) }));
    // Line continuation: a trailing backslash (outside quotes) joins the next physical line.
    while (endsWithContinuation(content) && i + 1 < physical.length) {
      i++;
      const next = physical[i] as Physical;
      content = content.replace(/\\\s*$/, '') + stripComment(next.text, () => undefined);
    }
    const trimmed = content.trim();
    if (trimmed === '') continue;
    if (trimmed.length > MAX_LINE_LENGTH) {
      diagnostics.report({ severity: 'warning', code: 'inf-long-line', message: `line ${first.line} is ${trimmed.length} characters (SetupAPI's limit is ${MAX_LINE_LENGTH})`, ...where(first) });
    }
    if (trimmed.startsWith('[')) {
      const close = trimmed.indexOf(']');
      if (close < 0) throw new CorruptError(`section header without ']' on line ${first.line}`, where(first));
      const name = trimmed.slice(1, close).trim();
      if (name.length > MAX_SECTION_NAME) throw new CorruptError(`section name longer than ${MAX_SECTION_NAME} characters on line ${first.line}`, where(first));
      if (trimmed.slice(close + 1).trim() !== '') {
        diagnostics.report({ severity: 'warning', code: 'inf-text-after-section', message: `text after the section header on line ${first.line} is ignored`, ...where(first) });
      }
      const key = name.toLowerCase();
      const existing = byName.get(key);
      if (existing) {
        current = existing;
      } else {
        current = { name, lines: [], line: first.line, offset: byteOffset(first.index) };
        byName.set(key, current);
        sections.push(current);
      }
      continue;
    }
    if (!current) throw new CorruptError(`line ${first.line} is outside any section`, where(first));
    current.lines.push({ ...splitLine(content), line: first.line, offset: byteOffset(first.index) });
  }
  return { sections };
}

function splitPhysical(text: string): Physical[] {
  const out: Physical[] = [];
  const re = /\r\n|\r|\n/g;
  let start = 0;
  let line = 1;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push({ text: text.slice(start, m.index), line, index: start });
    start = m.index + m[0].length;
    line++;
  }
  if (start < text.length) out.push({ text: text.slice(start), line, index: start });
  return out;
}

/** The line up to its first `;` outside quotes. */
function stripComment(line: string, onUnterminated: () => void): string {
  let inQuote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') inQuote = !inQuote; // `""` toggles twice: still inside, as it should.
    else if (c === ';' && !inQuote) return line.slice(0, i);
  }
  if (inQuote) onUnterminated();
  return line;
}

function endsWithContinuation(content: string): boolean {
  const t = content.trimEnd();
  if (!t.endsWith('\\')) return false;
  // A backslash inside an open quote is text, not a continuation.
  let inQuote = false;
  for (let i = 0; i < t.length - 1; i++) if (t[i] === '"') inQuote = !inQuote;
  return !inQuote;
}

interface Field {
  chars: string[];
  quoted: boolean[];
}

function finish(field: Field): string {
  let start = 0;
  let end = field.chars.length;
  while (start < end && !field.quoted[start] && /\s/.test(field.chars[start] as string)) start++;
  while (end > start && !field.quoted[end - 1] && /\s/.test(field.chars[end - 1] as string)) end--;
  return field.chars.slice(start, end).join('');
}

/** Splits one logical line (comment already removed) into key, fields and the whole value. */
export function splitLine(content: string): { key?: string; values: string[]; text: string } {
  let key: string | undefined;
  let rest = content;
  const eq = unquotedIndex(content, '=');
  if (eq >= 0) {
    key = fields(content.slice(0, eq), false)[0] ?? '';
    rest = content.slice(eq + 1);
  }
  const values = fields(rest, true);
  // A line with nothing after '=' has no values (`Key =`), as SetupGetFieldCount reports.
  const normalized = values.length === 1 && values[0] === '' && rest.trim() === '' ? [] : values;
  return { ...(key !== undefined ? { key } : {}), values: normalized, text: fields(rest, false)[0] ?? '' };
}

function unquotedIndex(s: string, ch: string): number {
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') inQuote = !inQuote;
    else if (s[i] === ch && !inQuote) return i;
  }
  return -1;
}

function fields(s: string, splitCommas: boolean): string[] {
  const out: string[] = [];
  let field: Field = { chars: [], quoted: [] };
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '"') {
      if (inQuote && s[i + 1] === '"') {
        field.chars.push('"');
        field.quoted.push(true);
        i++;
      } else {
        inQuote = !inQuote;
      }
      continue;
    }
    if (c === ',' && !inQuote && splitCommas) {
      out.push(finish(field));
      field = { chars: [], quoted: [] };
      continue;
    }
    field.chars.push(c);
    field.quoted.push(inQuote);
  }
  out.push(finish(field));
  return out;
}

/** Maps a character index of the decoded text to a byte offset in the file. */
function offsetMapper(args: { text: string; encoding: InfEncoding; bomLength: number }): (index: number) => number {
  const { text, encoding, bomLength } = args;
  if (encoding === 'utf-16le' || encoding === 'utf-16be') return (index) => bomLength + index * 2;
  if (encoding === 'windows-1252') return (index) => index;
  const encoder = new TextEncoder();
  // Incremental: lines are visited in order, so each character is encoded about once.
  let lastIndex = 0;
  let lastBytes = 0;
  return (index) => {
    if (index < lastIndex) {
      lastIndex = 0;
      lastBytes = 0;
    }
    lastBytes += encoder.encode(text.slice(lastIndex, index)).length;
    lastIndex = index;
    return bomLength + lastBytes;
  };
}
