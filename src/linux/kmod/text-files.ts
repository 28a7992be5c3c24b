// Parsers for depmod's text files, for inspection (what a module tree says) and for merging
// an existing tree with added modules: modules.dep ("path: dep dep…"), modules.alias and
// modules.symbols ("alias PATTERN MODULE"), modules.softdep, modules.builtin and
// modules.order (one path per line). Comment and blank lines are skipped.

export interface DepLine {
  path: string;
  deps: string[];
}

export function parseModulesDep(text: string): DepLine[] {
  const out: DepLine[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    out.push({ path: line.slice(0, colon).trim(), deps: line.slice(colon + 1).split(/\s+/).filter((d) => d !== '') });
  }
  return out;
}

export interface AliasLine {
  pattern: string;
  module: string;
}

export function parseModulesAlias(text: string): AliasLine[] {
  const out: AliasLine[] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] !== 'alias' || parts.length < 3) continue;
    out.push({ pattern: parts[1] as string, module: parts[2] as string });
  }
  return out;
}

/** modules.symbols has the same "alias symbol:NAME MODULE" form. */
export const parseModulesSymbols = parseModulesAlias;

export function parseModulesSoftdep(text: string): Array<{ module: string; spec: string }> {
  const out: Array<{ module: string; spec: string }> = [];
  for (const line of text.split('\n')) {
    const m = /^softdep\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (m !== null) out.push({ module: m[1] as string, spec: m[2] as string });
  }
  return out;
}

/** modules.builtin / modules.order: one relative path per line. */
export function parsePathList(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}
