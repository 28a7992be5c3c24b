import { describe, expect, it } from 'vitest';
import { struct, u32le, u64le, u64leBig, magic, ascii, utf16, bytes, u16be } from '../../src/binary/struct.js';
import { crc32, crc32c, onesComplementByteSum } from '../../src/binary/checksum.js';
import { decodeGuid, encodeGuid } from '../../src/binary/guid.js';
import { CorruptError } from '../../src/errors.js';

const HBIN = struct('HBIN', {
  signature: magic('hbin'), // 0x00
  offset: u32le,            // 0x04
  size: u32le,              // 0x08
  reserved: bytes(8),       // 0x0c
  timestamp: u64leBig,      // 0x14
  spare: u32le,             // 0x1c
});

describe('struct', () => {
  it('computes size and offsets from field order', () => {
    expect(HBIN.size).toBe(0x20);
    expect(HBIN.offsetOf('size')).toBe(0x08);
    expect(HBIN.offsetOf('timestamp')).toBe(0x14);
  });

  it('round-trips encode and decode', () => {
    const value = { signature: new Uint8Array([104, 98, 105, 110]), offset: 4096, size: 8192, reserved: new Uint8Array(8), timestamp: 0x01d2_0000_0000_0000n, spare: 7 };
    const encoded = HBIN.encode(value);
    expect(HBIN.decode(encoded)).toEqual(value);
  });

  it('rejects a bad signature with the structure and absolute offset', () => {
    const buffer = new Uint8Array(0x40);
    try {
      HBIN.decode(buffer, { at: 0x10, origin: 0x1000 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CorruptError);
      expect((error as CorruptError).detail).toMatchObject({ structure: 'HBIN', offset: 0x1010 });
    }
  });

  it('rejects truncated input', () => {
    expect(() => HBIN.decode(new Uint8Array(0x1f))).toThrow(CorruptError);
  });

  it('rejects 64-bit values beyond 2^53', () => {
    const S = struct('S', { big: u64le });
    const buf = new Uint8Array(8).fill(0xff);
    expect(() => S.decode(buf)).toThrow(/larger than 2\^53/);
    new DataView(buf.buffer).setBigUint64(0, 2n ** 53n - 1n, true);
    expect(S.decode(buf).big).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('decodes text fields and big-endian integers', () => {
    const S = struct('T', { name: ascii(8), wide: utf16(8), be: u16be });
    const out = S.encode({ name: 'abc', wide: 'xy', be: 0x1234 });
    expect(Array.from(out.subarray(16))).toEqual([0x12, 0x34]);
    expect(S.decode(out)).toEqual({ name: 'abc', wide: 'xy', be: 0x1234 });
  });
});

describe('checksums and GUIDs', () => {
  const text = new TextEncoder().encode('123456789');
  it('matches the published check values', () => {
    expect(crc32(text)).toBe(0xcbf43926);
    expect(crc32c(text)).toBe(0xe3069283);
    expect(onesComplementByteSum(new Uint8Array([1, 2, 3]))).toBe(~6 >>> 0);
  });
  it('round-trips mixed-endian GUIDs', () => {
    const guid = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
    const raw = encodeGuid(guid);
    expect(raw[0]).toBe(0x28);
    expect(decodeGuid(raw)).toBe(guid);
  });
});
