// The block-device contract every layer builds on: positional reads that return exactly the
// bytes asked for or throw — never a short read, never silent zeros — and, for images, an
// optional map of which ranges hold data, so converters and audits can skip holes.

export interface BlockDevice {
  /** Size in bytes. */
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`, or throws. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Describes `[offset, offset+length)` as runs that hold data or read as zeros. Devices that
   * cannot tell (a plain file) leave this out; callers then treat everything as data.
   */
  allocation?(offset: number, length: number): Promise<AllocationRun[]>;
  close?(): Promise<void>;
}

export interface WritableBlockDevice extends BlockDevice {
  write(offset: number, data: Uint8Array): Promise<void>;
  flush(): Promise<void>;
}

export interface AllocationRun {
  offset: number;
  length: number;
  /** 'data': stored bytes (may still be zero); 'zero': known to read as zeros (a hole). */
  kind: 'data' | 'zero';
}

export function isWritable(device: BlockDevice): device is WritableBlockDevice {
  return typeof (device as Partial<WritableBlockDevice>).write === 'function';
}

/** Merges adjacent runs of the same kind; keeps order. */
export function coalesceRuns(runs: AllocationRun[]): AllocationRun[] {
  const out: AllocationRun[] = [];
  for (const run of runs) {
    if (run.length <= 0) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.kind === run.kind && last.offset + last.length === run.offset) {
      last.length += run.length;
    } else {
      out.push({ ...run });
    }
  }
  return out;
}

/** The allocation map of a device, or one data run when the device cannot tell. */
export async function allocationOf(device: BlockDevice, offset = 0, length = device.size - offset): Promise<AllocationRun[]> {
  if (device.allocation) return coalesceRuns(await device.allocation(offset, length));
  return length > 0 ? [{ offset, length, kind: 'data' }] : [];
}
