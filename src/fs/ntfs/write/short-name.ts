// DOS 8.3 short names, generated the way Windows does for a volume with 8.3 creation on:
// a long name that already is a valid 8.3 name (compared case-insensitively) becomes one
// $FILE_NAME in the Win32&DOS namespace; any other gets a separate DOS-namespace alias made of
// the uppercased name with spaces, extra dots and characters DOS forbids dropped or replaced
// by '_', the first six characters of the base, "~N" (N = 1..4), and the first three
// characters of the extension; after four collisions the base becomes two characters and four
// hex digits of a hash of the long name, then "~N" (Windows' own hash function is not
// documented; ours is FNV-1a, so the hashed names differ from Windows', as they may).
// Spec: Microsoft "Naming Files, Paths, and Namespaces" (short names), fsutil 8dot3name
// documentation; ntfs-3g dir.c (ntfs_set_ntfs_dos_name: a DOS name equal to the uppercased
// long name makes one Win32&DOS name, otherwise a DOS name whose link counts in link_count).

/** Characters allowed in a DOS name besides A-Z and 0-9. */
const DOS_SPECIALS = "!#$%&'()-@^_`{}~";

function dosChar(c: string): string | undefined {
  if (/[A-Z0-9]/.test(c) || DOS_SPECIALS.includes(c)) return c;
  if (c === ' ' || c === '.') return undefined; // dropped
  return '_'; // forbidden in DOS names (+,;=[] and anything outside ASCII)
}

/** True when `name` is itself a valid 8.3 name (case aside): then no separate alias is made. */
export function isShortName(name: string): boolean {
  const upper = name.toUpperCase();
  const dot = upper.indexOf('.');
  const base = dot < 0 ? upper : upper.slice(0, dot);
  const ext = dot < 0 ? '' : upper.slice(dot + 1);
  if (base.length < 1 || base.length > 8 || ext.length > 3 || ext.includes('.')) return false;
  if (dot >= 0 && ext.length === 0) return false;
  for (const c of base + ext) if (dosChar(c) !== c) return false;
  return true;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The DOS alias for `longName` that `taken` (case-insensitive test against the directory's
 * names) does not hold yet. Throws when every candidate is taken (over 36,000 collisions).
 */
export function generateShortName(longName: string, taken: (candidate: string) => boolean): string {
  const upper = longName.toUpperCase();
  const lastDot = upper.lastIndexOf('.');
  const hasExt = lastDot > 0;
  const mapChars = (s: string): string => [...s].map(dosChar).filter((c): c is string => c !== undefined).join('');
  let base = mapChars(hasExt ? upper.slice(0, lastDot) : upper);
  const ext = hasExt ? mapChars(upper.slice(lastDot + 1)).slice(0, 3) : '';
  if (base.length === 0) base = '_';
  const suffix = ext ? `.${ext}` : '';
  for (let n = 1; n <= 4; n++) {
    const candidate = `${base.slice(0, 6)}~${n}${suffix}`;
    if (!taken(candidate)) return candidate;
  }
  const hash = fnv1a(longName);
  for (let round = 0; round < 4096; round++) {
    const hex = ((hash + round * 0x9e37) & 0xffff).toString(16).toUpperCase().padStart(4, '0');
    for (let n = 1; n <= 9; n++) {
      const candidate = `${base.slice(0, 2)}${hex}~${n}${suffix}`;
      if (!taken(candidate)) return candidate;
    }
  }
  throw new RangeError(`no free 8.3 name for "${longName}"`);
}
