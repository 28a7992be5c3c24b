// An INF file as sections of lines plus its string table, with %strkey% substitution.
// Section and string names are case-insensitive. Strings come from [Strings.<LANGID>] when a
// language is asked for and that section exists, else [Strings] (SetupAPI picks the section
// for the system locale and falls back to the undecorated one). `%%` is a literal percent;
// `%<number>%` is a dirid, left for the caller to resolve to a directory; an unknown %strkey%
// is kept as written and reported, as Windows leaves it unsubstituted.

import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import { decodeInfBytes, type InfEncoding } from './encoding.js';
import { lexInf } from './lexer.js';
import type { InfLine, InfSection } from './types.js';

export interface ParseInfOptions {
  diagnostics?: Diagnostics;
  /** LANGID in 4 hex digits ('0409') to prefer [Strings.0409]. */
  language?: string;
  /** Host or guest path, for messages. */
  path?: string;
}

export interface ExpandOptions {
  /** Resolves a `%dirid%` token; return undefined to keep the token as written. */
  dirid?: (dirid: number) => string | undefined;
}

export class InfDocument {
  readonly sections: readonly InfSection[];
  readonly encoding: InfEncoding;
  readonly path?: string;
  readonly diagnostics: Diagnostics;
  private readonly byName: Map<string, InfSection>;
  private readonly strings: Map<string, string>;

  constructor(args: { sections: InfSection[]; encoding: InfEncoding; language?: string; diagnostics: Diagnostics; path?: string }) {
    this.sections = args.sections;
    this.encoding = args.encoding;
    this.diagnostics = args.diagnostics;
    if (args.path !== undefined) this.path = args.path;
    this.byName = new Map(args.sections.map((s) => [s.name.toLowerCase(), s]));
    this.strings = new Map();
    const chosen = (args.language !== undefined ? this.section(`Strings.${args.language}`) : undefined) ?? this.section('Strings');
    for (const line of chosen?.lines ?? []) {
      if (line.key === undefined) continue;
      const key = line.key.toLowerCase();
      if (this.strings.has(key)) {
        this.warn('inf-duplicate-string', `string ${line.key} is defined again on line ${line.line}; the first definition is used`, line);
        continue;
      }
      this.strings.set(key, line.text);
    }
  }

  section(name: string): InfSection | undefined {
    return this.byName.get(name.toLowerCase());
  }

  hasSection(name: string): boolean {
    return this.byName.has(name.toLowerCase());
  }

  /** Lines of a section whose key matches (case-insensitive), in file order. */
  entries(section: string, key: string): InfLine[] {
    const k = key.toLowerCase();
    return (this.section(section)?.lines ?? []).filter((l) => l.key?.toLowerCase() === k);
  }

  /** The first line with that key, or undefined. */
  entry(section: string, key: string): InfLine | undefined {
    return this.entries(section, key)[0];
  }

  string(key: string): string | undefined {
    return this.strings.get(key.toLowerCase());
  }

  /** Substitutes %strkey% tokens (and dirids through `options.dirid`) in one field. */
  expand(value: string, options: ExpandOptions = {}, at?: InfLine): string {
    if (!value.includes('%')) return value;
    let out = '';
    let i = 0;
    while (i < value.length) {
      const c = value[i] as string;
      if (c !== '%') {
        out += c;
        i++;
        continue;
      }
      const close = value.indexOf('%', i + 1);
      if (close < 0) {
        out += value.slice(i);
        break;
      }
      const name = value.slice(i + 1, close);
      i = close + 1;
      if (name === '') {
        out += '%';
      } else if (/^-?\d+$/.test(name)) {
        out += options.dirid?.(Number(name)) ?? `%${name}%`;
      } else {
        const found = this.string(name);
        if (found === undefined) {
          this.warn('inf-unknown-string', `%${name}% is not defined in [Strings]`, at);
          out += `%${name}%`;
        } else {
          out += found;
        }
      }
    }
    return out;
  }

  warn(code: string, message: string, at?: InfLine): void {
    this.diagnostics.report({
      severity: 'warning',
      code,
      message,
      ...(at ? { structure: `INF line ${at.line}`, offset: at.offset } : {}),
      ...(this.path !== undefined ? { path: this.path } : {}),
    });
  }
}

/** Parses INF bytes (any encoding SetupAPI accepts) or already-decoded text. */
export function parseInf(input: Uint8Array | string, options: ParseInfOptions = {}): InfDocument {
  const diagnostics = options.diagnostics ?? ignoreDiagnostics;
  const decoded = typeof input === 'string' ? { text: input, encoding: 'utf-8' as const, bomLength: 0 } : decodeInfBytes({ bytes: input, diagnostics, ...(options.path !== undefined ? { path: options.path } : {}) });
  const { sections } = lexInf({ ...decoded, diagnostics, ...(options.path !== undefined ? { path: options.path } : {}) });
  return new InfDocument({
    sections,
    encoding: decoded.encoding,
    diagnostics,
    ...(options.language !== undefined ? { language: options.language } : {}),
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
}
