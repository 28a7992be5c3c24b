// A reader for the YAML subset configuration files use (netplan, cloud-init): block
// mappings and block sequences by indentation, flow sequences `[a, b]` and flow mappings
// `{a: b}` of scalars, single- and double-quoted scalars, `#` comments, `---`/`...` markers.
// Not supported, and rejected with CorruptError rather than misread: anchors/aliases,
// tags, multi-line (|, >) scalars, tabs in indentation, multiple documents. Scalars stay
// strings except true/false/null and plain integers (YAML 1.2 core schema), which is all
// netplan's keys need. Nesting depth is bounded.

import { CorruptError } from '../../errors.js';

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

const MAX_DEPTH = 64;

interface Line {
  indent: number;
  text: string;
  number: number;
}

/** Strips a comment that starts outside quotes. */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

function isItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** "key: value" → [key, value]; quoted keys allowed. */
function splitKey(text: string): [string, string] | undefined {
  let keyEnd: number;
  let key: string;
  if (text.startsWith('"') || text.startsWith("'")) {
    const close = text.indexOf(text[0] as string, 1);
    if (close < 0) return undefined;
    key = text.slice(1, close);
    keyEnd = close + 1;
    if (text[keyEnd] !== ':') return undefined;
  } else {
    const match = /^([^:]*?):(?:\s|$)/.exec(text);
    if (match === null) return undefined;
    key = (match[1] as string).trim();
    keyEnd = (match[1] as string).length;
  }
  return [key, text.slice(keyEnd + 1).trim()];
}

function isMappingStart(text: string): boolean {
  return !text.startsWith('[') && !text.startsWith('{') && splitKey(text) !== undefined;
}

/** One document's lines and a cursor; each block method consumes the lines it owns. */
class YamlReader {
  private pos = 0;

  constructor(
    private readonly lines: Line[],
    private readonly path: string | undefined,
  ) {}

  read(): YamlValue {
    const first = this.lines[0];
    if (first === undefined) return null;
    const value = this.block(first.indent, 0);
    const rest = this.lines[this.pos];
    if (rest !== undefined) this.fail('unexpected indentation', rest.number);
    return value;
  }

  private fail(message: string, line: number): never {
    throw new CorruptError(`${message} (line ${line})`, { structure: 'YAML', ...(this.path !== undefined ? { path: this.path } : {}) });
  }

  private block(indent: number, depth: number): YamlValue {
    const first = this.lines[this.pos] as Line;
    if (depth > MAX_DEPTH) this.fail('nesting too deep', first.number);
    return isItem(first.text) ? this.sequence(indent, depth) : this.mapping(indent, depth);
  }

  private sequence(indent: number, depth: number): YamlValue[] {
    const out: YamlValue[] = [];
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos] as Line;
      if (line.indent < indent) break;
      if (line.indent > indent) this.fail('unexpected indentation in sequence', line.number);
      if (!isItem(line.text)) break;
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        this.pos++;
        const next = this.lines[this.pos];
        out.push(next !== undefined && next.indent > indent ? this.block(next.indent, depth + 1) : null);
        continue;
      }
      if (isMappingStart(rest)) {
        // "- key: value" opens a mapping whose further keys align with `key`.
        const itemIndent = indent + (line.text.length - rest.length);
        this.lines[this.pos] = { indent: itemIndent, text: rest, number: line.number };
        out.push(this.mapping(itemIndent, depth + 1));
        continue;
      }
      out.push(this.inline(rest, line.number));
      this.pos++;
    }
    return out;
  }

  private mapping(indent: number, depth: number): { [key: string]: YamlValue } {
    const out: { [key: string]: YamlValue } = {};
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos] as Line;
      if (line.indent < indent) break;
      if (line.indent > indent) this.fail('unexpected indentation in mapping', line.number);
      const pair = splitKey(line.text);
      if (pair === undefined) this.fail(`expected "key: value", got ${JSON.stringify(line.text.slice(0, 40))}`, line.number);
      const [key, rest] = pair;
      if (Object.prototype.hasOwnProperty.call(out, key)) this.fail(`duplicate key ${key}`, line.number);
      this.pos++;
      if (rest === '') {
        const next = this.lines[this.pos];
        // A block sequence may sit at the same indentation as its key (common in netplan files).
        if (next !== undefined && (next.indent > indent || (next.indent === indent && isItem(next.text)))) out[key] = this.block(next.indent, depth + 1);
        else out[key] = null;
      } else {
        out[key] = this.inline(rest, line.number);
      }
    }
    return out;
  }

  private inline(text: string, line: number): YamlValue {
    if (/^[&*!]/.test(text)) this.fail('anchors, aliases and tags are not supported', line);
    if (/^[|>][-+0-9]*$/.test(text)) this.fail('block scalars are not supported', line);
    if (text.startsWith('[')) {
      if (!text.endsWith(']')) this.fail('unterminated flow sequence', line);
      return this.flow(text.slice(1, -1), line).map((item) => this.inline(item, line));
    }
    if (text.startsWith('{')) {
      if (!text.endsWith('}')) this.fail('unterminated flow mapping', line);
      const out: { [key: string]: YamlValue } = {};
      for (const item of this.flow(text.slice(1, -1), line)) {
        const pair = splitKey(item.includes(': ') || item.endsWith(':') ? item : `${item}:`);
        if (pair === undefined) this.fail('bad flow mapping entry', line);
        out[pair[0]] = pair[1] === '' ? null : this.inline(pair[1], line);
      }
      return out;
    }
    return this.scalar(text, line);
  }

  private flow(body: string, line: number): string[] {
    const items: string[] = [];
    let depth = 0;
    let quote: string | undefined;
    let current = '';
    for (const c of body) {
      if (quote !== undefined) {
        if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') depth--;
      else if (c === ',' && depth === 0) {
        if (current.trim() !== '') items.push(current.trim());
        current = '';
        continue;
      }
      current += c;
    }
    if (quote !== undefined || depth !== 0) this.fail('unbalanced flow collection', line);
    if (current.trim() !== '') items.push(current.trim());
    return items;
  }

  private scalar(text: string, line: number): YamlValue {
    if (text.startsWith('"')) {
      if (!text.endsWith('"') || text.length < 2) this.fail('unterminated double-quoted scalar', line);
      return text.slice(1, -1).replace(/\\(["\\/nt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
    }
    if (text.startsWith("'")) {
      if (!text.endsWith("'") || text.length < 2) this.fail('unterminated single-quoted scalar', line);
      return text.slice(1, -1).replace(/''/g, "'");
    }
    if (/^(true|True|TRUE)$/.test(text)) return true;
    if (/^(false|False|FALSE)$/.test(text)) return false;
    if (/^(null|Null|NULL|~)$/.test(text)) return null;
    if (/^-?(0|[1-9][0-9]{0,14})$/.test(text)) return Number(text);
    return text;
  }
}

export function parseYaml(source: string, path?: string): YamlValue {
  const lines: Line[] = [];
  let documents = 0;
  const fail = (message: string, line: number): never => {
    throw new CorruptError(`${message} (line ${line})`, { structure: 'YAML', ...(path !== undefined ? { path } : {}) });
  };
  source.split(/\r?\n/).forEach((raw, index) => {
    const number = index + 1;
    const lead = /^[ \t]*/.exec(raw)?.[0] ?? '';
    const text = stripComment(raw.slice(lead.length));
    if (text === '') return;
    if (lead.includes('\t')) fail('tab in indentation', number);
    if (text === '---') {
      if (++documents > 1 || lines.length > 0) fail('multiple YAML documents', number);
      return;
    }
    if (text === '...') return;
    lines.push({ indent: lead.length, text, number });
  });
  return new YamlReader(lines, path).read();
}
