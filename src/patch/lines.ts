// Line-oriented text kept byte-for-byte: a config file is decoded as latin1 (one char per byte,
// so any bytes round-trip exactly, UTF-8 included), split into lines that remember their own
// line ending, edited as records, and re-serialised by concatenation. Untouched lines come
// back identical, including CRLF endings and a missing final newline.

export interface TextLine {
  text: string;
  /** '\n', '\r\n' or '' (the last line of a file without a final newline). */
  eol: string;
}

export function decodeLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Text from the patch author (UTF-8) as the latin1 string whose bytes are its UTF-8 encoding. */
export function utf8AsLatin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

export function splitLines(bytes: Uint8Array): TextLine[] {
  const text = decodeLatin1(bytes);
  const lines: TextLine[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      lines.push({ text: text.slice(start), eol: '' });
      break;
    }
    const cr = nl > start && text[nl - 1] === '\r';
    lines.push({ text: text.slice(start, cr ? nl - 1 : nl), eol: cr ? '\r\n' : '\n' });
    start = nl + 1;
  }
  return lines;
}

export function joinLines(lines: readonly TextLine[]): Uint8Array {
  return new Uint8Array(Buffer.from(lines.map((l) => l.text + l.eol).join(''), 'latin1'));
}

/** Appends a line, first ending an unterminated last line with the file's own line ending. */
export function appendLine(lines: TextLine[], text: string): void {
  const eol = lines.find((l) => l.eol !== '')?.eol ?? '\n';
  const last = lines[lines.length - 1];
  if (last && last.eol === '') last.eol = eol;
  lines.push({ text, eol });
}

/**
 * A line split into whitespace-separated tokens, keeping the whitespace between them, so a
 * token can be replaced, removed or added without touching the rest of the line.
 */
export interface Tokens {
  /** gaps[0] is the leading whitespace; gaps[i+1] follows tokens[i]; gaps.length = tokens.length + 1. */
  gaps: string[];
  tokens: string[];
  /** A quote opened in the last token is never closed (only from tokenizeArgs). */
  unterminated?: true;
}

/** Plain whitespace-separated fields (fstab, crypttab, module lists: no quoting there). */
export function tokenize(text: string): Tokens {
  return split(text, false);
}

/** Arguments where quotes ("…" and '…') keep whitespace inside one token, as the shell and GRUB do. */
export function tokenizeArgs(text: string): Tokens {
  return split(text, true);
}

function split(text: string, quoting: boolean): Tokens {
  const gaps: string[] = [];
  const tokens: string[] = [];
  let i = 0;
  const whitespace = (c: string | undefined): boolean => c === ' ' || c === '\t';
  let gapStart = 0;
  while (i < text.length) {
    while (i < text.length && whitespace(text[i])) i++;
    gaps.push(text.slice(gapStart, i));
    if (i >= text.length) return { gaps, tokens };
    const start = i;
    let quote: string | undefined;
    while (i < text.length && (quote !== undefined || !whitespace(text[i]))) {
      const c = text[i];
      if (!quoting) {
        i++;
        continue;
      }
      if (quote === undefined && (c === '"' || c === "'")) quote = c;
      else if (c === quote) quote = undefined;
      else if (c === '\\' && quote !== "'") i++;
      i++;
    }
    tokens.push(text.slice(start, Math.min(i, text.length)));
    if (quote !== undefined) return { gaps: [...gaps, ''], tokens, unterminated: true };
    gapStart = i;
  }
  gaps.push(text.slice(gapStart));
  return { gaps, tokens };
}

export function untokenize(line: Tokens): string {
  let out = line.gaps[0] ?? '';
  line.tokens.forEach((token, i) => {
    out += token + (line.gaps[i + 1] ?? '');
  });
  return out;
}

/** Removes token `index` together with the whitespace before it (or after it, for the first token). */
export function removeToken(line: Tokens, index: number): void {
  if (index > 0) line.gaps.splice(index, 1);
  else line.gaps.splice(1, 1);
  line.tokens.splice(index, 1);
}

/** Inserts a token after `index - 1` with one space before it, keeping the trailing whitespace last. */
export function insertToken(line: Tokens, at: { index: number; token: string }): void {
  const { index, token } = at;
  if (line.tokens.length === 0) {
    line.tokens.push(token);
    line.gaps.splice(1, 0, '');
    return;
  }
  line.tokens.splice(index, 0, token);
  line.gaps.splice(index, 0, ' ');
}

export function isCommentOrBlank(text: string): boolean {
  const trimmed = text.trimStart();
  return trimmed === '' || trimmed.startsWith('#');
}
