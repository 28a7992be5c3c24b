// The self-checking pattern disk (dissect.hypervisor's idea): every MiB i holds the byte
// i & 0xff, some MiBs are left as holes, and the last MiB is partial so sizes that are not a
// multiple of the cluster size are exercised. Images made from it by qemu-img must read back
// to the same bytes.

import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

export const MIB = 1024 * 1024;

export interface PatternOptions {
  /** Size in bytes (default 64 MiB + 512 bytes). */
  size?: number;
  /** MiB indexes left as holes (default every one with i % 4 === 2, and MiB 0 kept). */
  isHole?: (mib: number) => boolean;
}

export function patternByte(mib: number): number {
  return (mib & 0xff) || 0xa5;
}

export function writePatternDisk(path: string, options: PatternOptions = {}): number {
  const size = options.size ?? 64 * MIB + 512;
  const isHole = options.isHole ?? ((i: number) => i % 4 === 2);
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
    const buffer = Buffer.alloc(MIB);
    for (let i = 0; i * MIB < size; i++) {
      if (isHole(i)) continue;
      buffer.fill(patternByte(i));
      // A recognisable header per MiB guards against misplaced clusters of equal bytes.
      buffer.writeUInt32LE(i, 0);
      buffer.writeUInt32LE(0xfeedf00d, 4);
      const length = Math.min(MIB, size - i * MIB);
      writeSync(fd, buffer, 0, length, i * MIB);
    }
  } finally {
    closeSync(fd);
  }
  return size;
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function bytesOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
