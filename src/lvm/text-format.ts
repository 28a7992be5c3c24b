// A parser for LVM2's text configuration format, the language of VG metadata (and lvm.conf):
// `name = value` assignments and `name { … }` sections, nested; values are strings in double
// quotes with backslash escapes, integers (possibly negative), floats, and arrays `[ … ]` of
// those; `#` starts a comment to the end of the line. Grammar: LVM2 libdm/libdm-config.c.
// Bounded: nesting depth, text length and number of nodes are checked, so hostile metadata
// cannot blow the stack or the heap.

import { CorruptError } from '../errors.js';

export type ConfigValue = string | number | ConfigValue[];
export interface ConfigSection {
  [key: string]: ConfigValue | ConfigSection;
}

const MAX_DEPTH = 64;
const MAX_NODES = 1_000_000;

export function isSection(value: ConfigValue | ConfigSection | undefined): value is ConfigSection {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses metadata text into nested plain objects. `origin` names the absolute offset in errors. */
export function parseLvmText(text: string, origin = 0): ConfigSection {
  let pos = 0;
  let nodes = 0;
  const fail = (message: string): never => {
    const line = text.slice(0, pos).split('\n').length;
    throw new CorruptError(`LVM metadata text: ${message} (line ${line})`, { structure: 'LVM metadata text', offset: origin });
  };

  const skip = (): void => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else if (c === 0x23 /* # */) {
        const nl = text.indexOf('\n', pos);
        pos = nl < 0 ? text.length : nl + 1;
      } else return;
    }
  };

  const identifier = (): string => {
    const start = pos;
    while (pos < text.length && /[A-Za-z0-9_.+\-/]/.test(text[pos] as string)) pos++;
    if (pos === start) fail(`expected a name, found ${JSON.stringify(text.slice(pos, pos + 10))}`);
    return text.slice(start, pos);
  };

  const string = (): string => {
    pos++; // opening quote
    let out = '';
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text[pos] as string;
      if (c === '"') {
        pos++;
        return out;
      }
      if (c === '\\') {
        if (pos + 1 >= text.length) fail('unterminated escape');
        out += text[pos + 1];
        pos += 2;
        continue;
      }
      out += c;
      pos++;
    }
  };

  const number = (): number => {
    const start = pos;
    if (text[pos] === '-' || text[pos] === '+') pos++;
    while (pos < text.length && /[0-9.eE]/.test(text[pos] as string)) pos++;
    const value = Number(text.slice(start, pos));
    if (!Number.isFinite(value) || pos === start) fail(`bad number ${JSON.stringify(text.slice(start, pos + 1))}`);
    return value;
  };

  const scalar = (): string | number => {
    const c = text[pos];
    if (c === '"') return string();
    if (c !== undefined && /[-+0-9]/.test(c)) return number();
    return fail(`expected a value, found ${JSON.stringify(text.slice(pos, pos + 10))}`);
  };

  const value = (): ConfigValue => {
    if (++nodes > MAX_NODES) fail('too many values');
    if (text[pos] !== '[') return scalar();
    pos++;
    const items: ConfigValue[] = [];
    for (;;) {
      skip();
      if (text[pos] === ']') {
        pos++;
        return items;
      }
      if (pos >= text.length) fail('unterminated array');
      items.push(scalar());
      skip();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== ']') fail('expected , or ] in array');
    }
  };

  const section = (depth: number, closing: boolean): ConfigSection => {
    if (depth > MAX_DEPTH) fail('sections nested too deeply');
    const out: ConfigSection = Object.create(null) as ConfigSection;
    for (;;) {
      skip();
      if (pos >= text.length) {
        if (closing) fail('unterminated section');
        return out;
      }
      if (text[pos] === '}') {
        if (!closing) fail('unexpected }');
        pos++;
        return out;
      }
      const name = identifier();
      if (++nodes > MAX_NODES) fail('too many values');
      skip();
      if (text[pos] === '{') {
        pos++;
        out[name] = section(depth + 1, true);
      } else if (text[pos] === '=') {
        pos++;
        skip();
        out[name] = value();
      } else {
        fail(`expected = or { after ${name}`);
      }
    }
  };

  return section(0, false);
}
