// The partition layer's contracts: a table read from a guest disk lists its partitions, each
// with a window (SliceDevice) onto the disk. Numbering follows Linux (sdaN): GPT partitions
// keep their entry slot number, MBR primaries are 1–4 by slot, logical partitions start at 5.

import type { BlockDevice } from '../io/block-device.js';
import type { Diagnostics } from '../diagnostics.js';

export type PartitionScheme = 'mbr' | 'gpt' | 'none';

export interface Partition {
  /** 1-based, as Linux numbers them: GPT entry slot; MBR primary slot 1–4, logical from 5. */
  index: number;
  /** Byte offset of the partition on the disk. */
  start: number;
  /** Size in bytes as the table records it (the device may be shorter when the disk is truncated). */
  size: number;
  /** Human name of the type ("Linux filesystem", "EFI System", "NTFS/exFAT/HPFS"…). */
  type: string;
  /** GPT type GUID (lower case) or MBR type byte as '0x83'. */
  typeId: string;
  /** GPT unique partition GUID. */
  guid?: string;
  /** GPT partition name (UTF-16 in the entry). */
  name?: string;
  /** MBR active flag (0x80). */
  bootable?: boolean;
  /** GPT attribute bits as a decimal string of the u64 (bigint). */
  attributes?: string;
  /** MBR only: how the entry is held (the extended container itself is listed, as Linux does). */
  kind?: 'primary' | 'extended' | 'logical';
  /** The partition's bytes. */
  device: BlockDevice;
}

export interface PartitionTable {
  scheme: PartitionScheme;
  /** MBR disk signature as '0x1234abcd', or the GPT disk GUID. */
  diskId?: string;
  /** Logical sector size the table is laid out in. */
  sectorSize: number;
  partitions: Partition[];
}

export interface ReadPartitionTableOptions {
  diagnostics?: Diagnostics;
  /**
   * Logical sector size. By default MBR uses 512 and GPT is looked for at 512 then 4096.
   */
  sectorSize?: number;
}

/** One piece of an encoded table: bytes to write at an absolute disk offset. */
export interface SectorWrite {
  offset: number;
  bytes: Uint8Array;
}
