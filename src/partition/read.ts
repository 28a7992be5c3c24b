// Reading a disk's partition table: MBR at LBA 0; a protective MBR (type 0xEE), or an
// unsigned sector 0 with a GPT header behind it, means GPT. The GPT sector size is found by
// looking for "EFI PART" at LBA 1 (then in the last LBA) for 512 and then 4096-byte sectors.

import type { BlockDevice } from '../io/block-device.js';
import { CorruptError } from '../errors.js';
import { ignoreDiagnostics } from '../diagnostics.js';
import type { Diagnostics } from '../diagnostics.js';
import type { Partition, PartitionTable, ReadPartitionTableOptions } from './types.js';
import { decodeMbrSector, looksLikePartitionTable, readMbrPartitions } from './mbr.js';
import { gptPartitions, hasGptSignature, readGpt, GPT_REVISION_1_0 } from './gpt.js';

const SECTOR_SIZES = [512, 4096];

async function signatureAt(device: BlockDevice, offset: number): Promise<boolean> {
  if (offset < 0 || offset + 8 > device.size) return false;
  return hasGptSignature(await device.read(offset, 8));
}

/** Finds the sector size whose LBA 1 or last LBA holds a GPT header signature. */
async function findGptSectorSize(device: BlockDevice, candidates: number[]): Promise<number | undefined> {
  for (const size of candidates) if (await signatureAt(device, size)) return size;
  for (const size of candidates) {
    const last = Math.floor(device.size / size) - 1;
    if (last >= 2 && (await signatureAt(device, last * size))) return size;
  }
  return undefined;
}

export async function readPartitionTable(device: BlockDevice, options: ReadPartitionTableOptions = {}): Promise<PartitionTable> {
  const diagnostics = options.diagnostics ?? ignoreDiagnostics;
  const candidates = options.sectorSize !== undefined ? [options.sectorSize] : SECTOR_SIZES;
  if (device.size < 512) return { scheme: 'none', sectorSize: candidates[0] as number, partitions: [] };
  const sector0 = await device.read(0, 512);
  const mbr = decodeMbrSector(sector0, 0);
  const protective = mbr.signed && mbr.entries.some((e) => e.partitionType === 0xee);

  if (protective || !mbr.signed) {
    const sectorSize = await findGptSectorSize(device, candidates);
    if (sectorSize !== undefined) {
      if (!protective) {
        diagnostics.report({
          severity: 'warning',
          code: 'gpt-without-protective-mbr',
          message: 'a GPT header is present but sector 0 holds no protective MBR',
          structure: 'MBR',
          offset: 0,
        });
      }
      const gpt = await readGpt({ device, sectorSize, diagnostics });
      if (gpt.header.revision !== GPT_REVISION_1_0) {
        diagnostics.report({
          severity: 'info',
          code: 'gpt-revision',
          message: `GPT header revision 0x${gpt.header.revision.toString(16)} (expected 0x00010000)`,
          structure: 'GPT header',
          offset: gpt.headerLba * sectorSize + 8,
        });
      }
      if (protective && mbr.entries.some((e) => e.partitionType !== 0 && e.partitionType !== 0xee)) {
        // A hybrid MBR (Boot Camp, some installers) also lists partitions for MBR-only readers;
        // the GPT is the authority and is what is returned.
        diagnostics.report({
          severity: 'info',
          code: 'hybrid-mbr',
          message: 'the protective MBR also lists non-GPT partitions (hybrid MBR); the GPT is used',
          structure: 'MBR',
          offset: 446,
        });
      }
      const partitions = gptPartitions({ device, gpt, sectorSize, diagnostics });
      reportOverlaps(partitions, diagnostics);
      return { scheme: 'gpt', diskId: gpt.diskGuid, sectorSize, partitions };
    }
    if (protective) throw new CorruptError('protective MBR (type 0xEE) but no GPT header at LBA 1 or in the last LBA', { structure: 'GPT header', offset: 512 });
  }

  const sectorSize = options.sectorSize ?? 512;
  if (!looksLikePartitionTable(sector0, mbr)) return { scheme: 'none', sectorSize, partitions: [] };
  const partitions = await readMbrPartitions({ device, mbr, sectorSize, diagnostics });
  reportOverlaps(partitions, diagnostics);
  return { scheme: 'mbr', diskId: `0x${mbr.diskSignature.toString(16).padStart(8, '0')}`, sectorSize, partitions };
}

/** Overlapping partitions are legal to read but almost always a damaged table: warn. */
function reportOverlaps(partitions: Partition[], diagnostics: Diagnostics): void {
  const data = partitions.filter((p) => p.kind !== 'extended' && p.size > 0).sort((a, b) => a.start - b.start);
  for (let i = 1; i < data.length; i++) {
    const previous = data[i - 1] as Partition;
    const current = data[i] as Partition;
    if (current.start < previous.start + previous.size) {
      diagnostics.report({
        severity: 'warning',
        code: 'partition-overlap',
        message: `partition ${current.index} (from byte ${current.start}) overlaps partition ${previous.index} (ending at byte ${previous.start + previous.size})`,
        structure: 'partition table',
      });
    }
  }
}
