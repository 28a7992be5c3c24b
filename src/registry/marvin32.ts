// Marvin32, the keyed 64-bit hash Windows uses to protect new-format transaction log entries
// (Hash-1 over the dirty page references and pages, Hash-2 over the entry's first 32 bytes),
// with the fixed seed 82 EF 4D 88 7A 4E 55 C5 (read as one big-endian u64: low lane 0x7A4E55C5). Algorithm as published with .NET's
// Marvin.ComputeHash: two 32-bit lanes, four add-rotate-xor steps per 4-byte block, a 0x80
// padding byte after the tail, two final rounds; the result is (high << 32) | low.

const rotl = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;

export const LOG_HASH_SEED = 0x82ef4d887a4e55c5n;

export function marvin32(data: Uint8Array, seed: bigint = LOG_HASH_SEED): bigint {
  let lo = Number(seed & 0xffffffffn);
  let hi = Number(seed >> 32n);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const blocks = data.length >>> 2;
  for (let i = 0; i < blocks; i++) {
    lo = (lo + view.getUint32(i * 4, true)) >>> 0;
    // The Marvin block function, inlined for speed.
    hi = (hi ^ lo) >>> 0; lo = rotl(lo, 20);
    lo = (lo + hi) >>> 0; hi = rotl(hi, 9);
    hi = (hi ^ lo) >>> 0; lo = rotl(lo, 27);
    lo = (lo + hi) >>> 0; hi = rotl(hi, 19);
  }
  const tail = blocks * 4;
  let final = 0x80;
  switch (data.length & 3) {
    case 1: final = 0x8000 | data[tail]!; break;
    case 2: final = 0x800000 | data[tail]! | (data[tail + 1]! << 8); break;
    case 3: final = (0x80000000 | data[tail]! | (data[tail + 1]! << 8) | (data[tail + 2]! << 16)) >>> 0; break;
  }
  lo = (lo + final) >>> 0;
  for (let round = 0; round < 2; round++) {
    hi = (hi ^ lo) >>> 0; lo = rotl(lo, 20);
    lo = (lo + hi) >>> 0; hi = rotl(hi, 9);
    hi = (hi ^ lo) >>> 0; lo = rotl(lo, 27);
    lo = (lo + hi) >>> 0; hi = rotl(hi, 19);
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}
