// Deterministic VM identity and sharding. A VM's key is its primary file's path relative to
// the fleet root ('/' separated), so the id (sha1 of the key) is the same on every machine that
// mounts the fleet at any path; the shard of a VM is read from its id, so every process of a
// sharded run agrees on the split without talking to the others.

import { createHash } from 'node:crypto';
import { relative, sep } from 'node:path';
import { PreconditionError } from '../errors.js';

export function vmId(key: string): string {
  return createHash('sha1').update(key, 'utf8').digest('hex').slice(0, 16);
}

export function keyOf(root: string, path: string): string {
  const rel = relative(root, path);
  return rel.split(sep).join('/') || '.';
}

export interface Shard {
  /** 0-based, as Kubernetes' JOB_COMPLETION_INDEX. */
  index: number;
  count: number;
}

/** Parses "I/N" with 0 ≤ I < N. */
export function parseShard(text: string): Shard {
  const match = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  if (!match) throw new PreconditionError(`shard must be I/N (0-based), got "${text}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index >= count) throw new PreconditionError(`shard ${index}/${count} is out of range (0 ≤ I < N)`);
  return { index, count };
}

export function inShard(id: string, shard: Shard): boolean {
  // The first 32 bits of a sha1 are uniform enough for an even split.
  return parseInt(id.slice(0, 8), 16) % shard.count === shard.index;
}
