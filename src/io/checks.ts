// Shared argument checks for devices: a read outside the device is a CorruptError (it almost
// always comes from an on-disk pointer), naming the device and the offset.

import { CorruptError } from '../errors.js';

export function checkRange(range: { offset: number; length: number; size: number; name: string }): void {
  const { offset, length, size, name } = range;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new CorruptError(`invalid read of ${length} bytes at ${offset}`, { structure: name, offset });
  }
  if (offset + length > size) {
    throw new CorruptError(`read of ${length} bytes past the end (size ${size})`, { structure: name, offset });
  }
}
