// Finding a partition by its Linux-style number, in the codebase's lookup pair: `find`
// returns undefined, `open` throws NotFoundError.

import { NotFoundError } from '../errors.js';
import type { Partition, PartitionTable } from './types.js';

export function findPartition(table: PartitionTable, index: number): Partition | undefined {
  return table.partitions.find((p) => p.index === index);
}

export function openPartition(table: PartitionTable, index: number): Partition {
  const partition = findPartition(table, index);
  if (!partition) {
    throw new NotFoundError(`no partition ${index} in the ${table.scheme} table (have ${table.partitions.map((p) => p.index).join(', ') || 'none'})`, { kind: 'partition' });
  }
  return partition;
}
