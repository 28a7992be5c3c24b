// Alias normalisation shared by depmod (keys of modules.alias.bin) and modprobe (the name
// looked up): '-' becomes '_' except inside a [...] set, as kmod's underscores()/
// alias_normalize do; an unmatched bracket makes the alias invalid.

/** depmod's underscores2: '-' → '_' except inside [...]; undefined for an unmatched bracket. */
export function normalizeAlias(alias: string): string | undefined {
  let out = '';
  for (let i = 0; i < alias.length; i++) {
    const c = alias[i] as string;
    if (c === '-') out += '_';
    else if (c === ']') return undefined;
    else if (c === '[') {
      const close = alias.indexOf(']', i);
      if (close < 0) return undefined;
      out += alias.slice(i, close + 1);
      i = close;
    } else out += c;
  }
  return out;
}

