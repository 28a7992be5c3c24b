// The iteration order of kmod's hash table (libkmod/shared hash.c), which is the order depmod
// writes modules.symbols in (output_symbols walks depmod->symbols with hash_iter): keys go to
// bucket `hash_superfast(key) & (n_buckets - 1)` (Paul Hsieh's SuperFastHash, 32-bit, 16-bit
// reads little-endian as on x86), each bucket kept sorted by strcmp, buckets walked in index
// order. depmod creates its symbol table with 2048 buckets (depmod_init).

/** Paul Hsieh's SuperFastHash as kmod computes it (hash_superfast), over the key's bytes. */
export function hashSuperfast(key: Uint8Array): number {
  let len = key.length;
  let hash = len >>> 0;
  const rem = len & 3;
  len >>>= 2;
  let at = 0;
  const u16 = (i: number): number => (key[i] as number) | ((key[i + 1] as number) << 8);
  for (; len > 0; len--) {
    hash = (hash + u16(at)) >>> 0;
    const tmp = ((u16(at + 2) << 11) ^ hash) >>> 0;
    hash = ((hash << 16) ^ tmp) >>> 0;
    at += 4;
    hash = (hash + (hash >>> 11)) >>> 0;
  }
  // key[2] is a (signed) char in C; module symbol names are ASCII, where that makes no difference.
  const signedByte = (i: number): number => ((key[i] as number) << 24) >> 24;
  switch (rem) {
    case 3:
      hash = (hash + u16(at)) >>> 0;
      hash = (hash ^ (hash << 16)) >>> 0;
      hash = (hash ^ (signedByte(at + 2) << 18)) >>> 0;
      hash = (hash + (hash >>> 11)) >>> 0;
      break;
    case 2:
      hash = (hash + u16(at)) >>> 0;
      hash = (hash ^ (hash << 11)) >>> 0;
      hash = (hash + (hash >>> 17)) >>> 0;
      break;
    case 1:
      hash = (hash + signedByte(at)) >>> 0;
      hash = (hash ^ (hash << 10)) >>> 0;
      hash = (hash + (hash >>> 1)) >>> 0;
      break;
  }
  hash = (hash ^ (hash << 3)) >>> 0;
  hash = (hash + (hash >>> 5)) >>> 0;
  hash = (hash ^ (hash << 4)) >>> 0;
  hash = (hash + (hash >>> 17)) >>> 0;
  hash = (hash ^ (hash << 25)) >>> 0;
  hash = (hash + (hash >>> 6)) >>> 0;
  return hash;
}

const encoder = new TextEncoder();

function strcmp(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** `keys` in the order kmod's hash_iter visits a table of `buckets` buckets holding them. */
export function kmodHashOrder(keys: Iterable<string>, buckets = 2048): string[] {
  const mask = buckets - 1;
  const items = [...keys].map((key) => {
    const bytes = encoder.encode(key);
    return { key, bytes, bucket: hashSuperfast(bytes) & mask };
  });
  items.sort((a, b) => a.bucket - b.bucket || strcmp(a.bytes, b.bytes));
  return items.map((i) => i.key);
}
