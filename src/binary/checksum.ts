// Checksums used by the formats: CRC-32 (IEEE, GPT and zip), CRC-32C (Castagnoli, VHDX and
// ext4 metadata), and the one's-complement byte sum of the VHD footer.

function table(polynomial: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? polynomial ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

const CRC32_TABLE = table(0xedb88320);
const CRC32C_TABLE = table(0x82f63b78);

function crc(t: Uint32Array, data: Uint8Array, seed: number): number {
  let c = ~seed >>> 0;
  for (let i = 0; i < data.length; i++) c = (t[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32 (IEEE 802.3); `seed` continues a previous result. */
export function crc32(data: Uint8Array, seed = 0): number {
  return crc(CRC32_TABLE, data, seed);
}

/** CRC-32C (Castagnoli). */
export function crc32c(data: Uint8Array, seed = 0): number {
  return crc(CRC32C_TABLE, data, seed);
}

/** The VHD footer/header checksum: one's complement of the byte sum. */
export function onesComplementByteSum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum = (sum + (data[i] as number)) >>> 0;
  return ~sum >>> 0;
}
