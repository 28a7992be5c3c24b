// Turning a table entry (start and length in sectors) into a Partition's window on the disk.
// Entries that run past the end of the device are kept and clamped, with a warning: a
// truncated image still lets the beginning of a partition be read, and the table's own
// numbers stay visible in `start`/`size`.

import type { BlockDevice } from '../io/block-device.js';
import { SliceDevice } from '../io/slice-device.js';
import type { Diagnostics } from '../diagnostics.js';

export function partitionSlice(args: {
  device: BlockDevice;
  start: number;
  size: number;
  index: number;
  structure: string;
  entryOffset: number;
  diagnostics: Diagnostics;
}): SliceDevice {
  const { device, start, size, index, diagnostics } = args;
  const name = `partition ${index}`;
  if (start + size <= device.size) return new SliceDevice({ base: device, start, size, name });
  diagnostics.report({
    severity: 'warning',
    code: 'partition-past-end',
    message: `${name} (${start}+${size} bytes) extends past the end of the ${device.size}-byte disk; it is cut short`,
    structure: args.structure,
    offset: args.entryOffset,
  });
  const clampedStart = Math.min(start, device.size);
  return new SliceDevice({ base: device, start: clampedStart, size: device.size - clampedStart, name });
}
