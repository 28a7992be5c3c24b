// Data runs ("mapping pairs"): the compact list that maps a non-resident attribute's virtual
// clusters (VCN) to logical clusters (LCN) on the volume. Each run is a header byte (low
// nibble: size of the length field, high nibble: size of the signed LCN delta), the length,
// then the delta from the previous run's LCN. A zero-size delta is a sparse run (no clusters).
// A 0x00 header ends the list. Spec: libyal libfsntfs "Data runs"; ntfs-3g runlist.c.
// Quirks relied on: deltas are signed and may go backwards; the LCN chain restarts at 0 in
// every attribute extent (each extent's list is decoded on its own, from its lowest VCN).

import { CorruptError } from '../../errors.js';

export const SPARSE_LCN = -1;

/** One run: `length` clusters starting at `vcn`, stored from `lcn` (SPARSE_LCN for a hole). */
export interface DataRun {
  vcn: number;
  lcn: number;
  length: number;
}

const STRUCTURE = 'NTFS data run';

/**
 * Decodes the mapping pairs in `bytes[at, end)` starting at `startVcn`. `origin` is the
 * absolute offset of `bytes[0]`. `maxCluster` bounds LCNs (the volume's cluster count).
 */
export function decodeRuns(args: { bytes: Uint8Array; at: number; end: number; startVcn: number; origin: number; maxCluster: number }): DataRun[] {
  const { bytes, end, origin, maxCluster } = args;
  let at = args.at;
  let vcn = args.startVcn;
  let lcn = 0;
  const runs: DataRun[] = [];
  if (end > bytes.length) throw new CorruptError('run list extends past its attribute', { structure: STRUCTURE, offset: origin + at });
  while (at < end) {
    const header = bytes[at]!;
    if (header === 0) return runs;
    const lengthSize = header & 0x0f;
    const deltaSize = header >>> 4;
    if (lengthSize === 0 || lengthSize > 8 || deltaSize > 8 || at + 1 + lengthSize + deltaSize > end) {
      throw new CorruptError(`bad run header 0x${header.toString(16)}`, { structure: STRUCTURE, offset: origin + at });
    }
    let length = 0;
    for (let i = lengthSize - 1; i >= 0; i--) length = length * 256 + bytes[at + 1 + i]!;
    if (length === 0 || length > Number.MAX_SAFE_INTEGER / 2 || bytes[at + lengthSize]! >= 0x80) {
      throw new CorruptError(`run length ${length} is invalid`, { structure: STRUCTURE, offset: origin + at + 1 });
    }
    let runLcn = SPARSE_LCN;
    if (deltaSize > 0) {
      let delta = 0;
      const from = at + 1 + lengthSize;
      for (let i = deltaSize - 1; i >= 0; i--) delta = delta * 256 + bytes[from + i]!;
      if (bytes[from + deltaSize - 1]! >= 0x80) delta -= 2 ** (8 * deltaSize);
      lcn += delta;
      if (lcn < 0 || lcn + length > maxCluster) {
        throw new CorruptError(`run of ${length} clusters at LCN ${lcn} lies outside the volume`, { structure: STRUCTURE, offset: origin + at });
      }
      runLcn = lcn;
    }
    runs.push({ vcn, lcn: runLcn, length });
    vcn += length;
    if (vcn > Number.MAX_SAFE_INTEGER / 2) throw new CorruptError('run list VCN overflow', { structure: STRUCTURE, offset: origin + at });
    at += 1 + lengthSize + deltaSize;
  }
  throw new CorruptError('run list has no terminator', { structure: STRUCTURE, offset: origin + end });
}

function signedSize(value: number): number {
  for (let size = 1; size <= 8; size++) {
    const limit = 2 ** (8 * size - 1);
    if (value >= -limit && value < limit) return size;
  }
  throw new RangeError(`value ${value} does not fit 8 bytes`);
}

function writeSigned(out: number[], value: number, size: number): void {
  let v = value < 0 ? 2 ** (8 * size) + value : value;
  for (let i = 0; i < size; i++) {
    out.push(v % 256);
    v = Math.floor(v / 256);
  }
}

/** Encodes runs (contiguous VCNs, as decodeRuns returns them) into mapping pairs with the terminator. */
export function encodeRuns(runs: readonly DataRun[]): Uint8Array {
  const out: number[] = [];
  let previousLcn = 0;
  for (const run of runs) {
    const lengthSize = signedSize(run.length);
    if (run.lcn === SPARSE_LCN) {
      out.push(lengthSize);
      writeSigned(out, run.length, lengthSize);
      continue;
    }
    const delta = run.lcn - previousLcn;
    const deltaSize = signedSize(delta);
    out.push(lengthSize | (deltaSize << 4));
    writeSigned(out, run.length, lengthSize);
    writeSigned(out, delta, deltaSize);
    previousLcn = run.lcn;
  }
  out.push(0);
  return Uint8Array.from(out);
}

/** Bytes of real (non-sparse) clusters the runs map. */
export function storedBytes(runs: readonly DataRun[], clusterSize: number): number {
  let clusters = 0;
  for (const run of runs) if (run.lcn !== SPARSE_LCN) clusters += run.length;
  return clusters * clusterSize;
}
