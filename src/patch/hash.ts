// Content hashes used by preconditions and journals: lowercase hex SHA-256.

import { createHash } from 'node:crypto';

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
