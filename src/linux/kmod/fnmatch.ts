// fnmatch(3) without flags, as libkmod uses it for alias patterns: '*' any run, '?' any one
// character, '[...]' a set with ranges and '!' or '^' negation, '\' escaping the next
// character. Iterative with one backtrack point for '*', so the time is O(pattern × text).

function matchSet(pattern: string, p: number, c: string): { matched: boolean; next: number } | undefined {
  let i = p + 1;
  let negate = false;
  if (pattern[i] === '!' || pattern[i] === '^') {
    negate = true;
    i++;
  }
  let matched = false;
  let first = true;
  while (i < pattern.length && (first || pattern[i] !== ']')) {
    first = false;
    let lo = pattern[i] as string;
    if (lo === '\\' && i + 1 < pattern.length) lo = pattern[++i] as string;
    if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
      const hi = pattern[i + 2] as string;
      if (c >= lo && c <= hi) matched = true;
      i += 3;
    } else {
      if (c === lo) matched = true;
      i++;
    }
  }
  if (i >= pattern.length) return undefined; // no closing ']': the '[' is literal
  return { matched: matched !== negate, next: i + 1 };
}

export function fnmatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = ++p;
      starT = t;
      continue;
    }
    if (pc !== undefined) {
      if (pc === '?') {
        p++;
        t++;
        continue;
      }
      if (pc === '[') {
        const set = matchSet(pattern, p, text[t] as string);
        if (set === undefined) {
          if (text[t] === '[') {
            p++;
            t++;
            continue;
          }
        } else if (set.matched) {
          p = set.next;
          t++;
          continue;
        }
      } else {
        let literal = pc;
        let width = 1;
        if (pc === '\\' && p + 1 < pattern.length) {
          literal = pattern[p + 1] as string;
          width = 2;
        }
        if (literal === text[t]) {
          p += width;
          t++;
          continue;
        }
      }
    }
    if (starP < 0) return false;
    p = starP;
    t = ++starT;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
