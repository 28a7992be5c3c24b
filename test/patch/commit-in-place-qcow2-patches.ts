// The patches the qcow2 in-place tests (and their kill-test child process) apply to a copy of
// fixtures/example/debian-mini.qcow2: a small note and a 700 KiB file of pseudo-random bytes on
// the ext root (partition 2), enough to need new clusters in the qcow2.

import type { Patch } from '../../src/patch/index.js';

export const NOTE = new TextEncoder().encode('written in place by rehost\n');
export const BIG_SIZE = 700 * 1024;

export function bigFile(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** `bigSize`: bytes of the big file (default BIG_SIZE). */
export function examplePatches(bigSize = BIG_SIZE): Patch[] {
  return [
    { kind: 'write-file', volume: 'p2', path: '/etc/rehost-in-place.txt', expect: 'absent', content: NOTE },
    { kind: 'write-file', volume: 'p2', path: '/rehost-big.bin', expect: 'absent', content: bigFile(bigSize, 7) },
  ];
}
