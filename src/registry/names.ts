// Key and value names as stored in nk/vk cells: either Latin-1 (the "compressed" flag, one
// byte per character) or UTF-16LE. Windows compares names case-insensitively by upper-casing
// each UTF-16 unit (RtlUpcaseUnicodeChar); toUpperCase() on single units is the same for every
// character a real hive uses, and we apply it per unit so lengths never change.

const utf16 = new TextDecoder('utf-16le');

export function decodeLatin1(bytes: Uint8Array, start: number, length: number): string {
  if (length <= 64) {
    let text = '';
    for (let i = 0; i < length; i++) text += String.fromCharCode(bytes[start + i] as number);
    return text;
  }
  return String.fromCharCode.apply(null, Array.from(bytes.subarray(start, start + length)));
}

export function decodeUtf16(bytes: Uint8Array, start: number, length: number): string {
  const even = length & ~1;
  if (even <= 64) {
    let text = '';
    for (let i = 0; i < even; i += 2) text += String.fromCharCode((bytes[start + i] as number) | ((bytes[start + i + 1] as number) << 8));
    return text;
  }
  return utf16.decode(bytes.subarray(start, start + even));
}

/** Upper-cases one name the way the registry compares names: unit by unit. */
export function upcaseName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x61) out += name[i];
    else if (c <= 0x7a) out += String.fromCharCode(c - 32);
    else if (c < 0x80) out += name[i];
    else {
      const up = name[i]!.toUpperCase();
      out += up.length === 1 ? up : name[i];
    }
  }
  return out;
}

export function namesEqual(a: string, b: string): boolean {
  return a.length === b.length && (a === b || upcaseName(a) === upcaseName(b));
}

/** True when every character fits one byte, so the name can be stored compressed. */
export function isLatin1(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) > 0xff) return false;
  return true;
}

/** The lh hash of a name: for each upper-cased UTF-16 unit, hash = hash * 37 + unit (mod 2^32). */
export function lhHash(name: string): number {
  const up = upcaseName(name);
  let hash = 0;
  for (let i = 0; i < up.length; i++) hash = (Math.imul(hash, 37) + up.charCodeAt(i)) >>> 0;
  return hash;
}

/** The lf hint: the first four characters of the name (as stored bytes; 0 padded). */
export function lfHint(name: string): number {
  let hint = 0;
  for (let i = 0; i < 4 && i < name.length; i++) hint |= (name.charCodeAt(i) & 0xff) << (8 * i);
  return hint >>> 0;
}
