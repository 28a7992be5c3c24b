// The qcow2 image format (docs/interop/qcow2.txt): probe by magic, open read-only. Opening
// decodes the header and its extensions, refuses what cannot be read faithfully (encryption,
// external data files, unknown incompatible features), loads and validates the L1 table, and
// opens the backing image through the context (which resolves the name relative to this file,
// bounds the chain and detects cycles). Dirty and corrupt flags are tolerated with a warning:
// for reading, a dirty image only has stale refcounts, which the reader never uses.

import type { BlockDevice } from '../../io/block-device.js';
import { CorruptError, UnsupportedError } from '../../errors.js';
import type { DiskImage, ImageFormat, OpenContext } from '../types.js';
import { decodeHeader, featureBits, HEADER_READ_SIZE, QCOW2_HEADER_V2, QCOW2_MAGIC, type Qcow2Header } from './header.js';
import { decodeExtensions, type HeaderExtensions } from './extensions.js';
import { standardOffset } from './l2-entry.js';
import { Qcow2Device } from './device.js';
import { ReadAheadDevice } from '../../io/read-ahead-device.js';

const utf8 = new TextDecoder('utf-8');

export const qcow2Format: ImageFormat = {
  name: 'qcow2',
  async probe(file: BlockDevice): Promise<boolean> {
    if (file.size < 8) return false;
    const head = await file.read(0, 8);
    if (!QCOW2_MAGIC.every((b, i) => head[i] === b)) return false;
    const version = new DataView(head.buffer, head.byteOffset, 8).getUint32(4);
    return version >= 2;
  },
  open: openQcow2,
};

async function openQcow2(file: BlockDevice, context: OpenContext): Promise<DiskImage> {
  const { header, extensions, backingFilename } = await readHeader(file);
  const where = { structure: 'qcow2 header', path: context.filename };
  if (header.unknownIncompatible !== 0n) {
    const names = featureBits(header.unknownIncompatible).map((bit) => {
      const name = extensions.featureNames.get(`incompatible:${bit}`);
      return name !== undefined ? `bit ${bit} (${name})` : `bit ${bit}`;
    });
    throw new UnsupportedError(`qcow2 incompatible features not supported: ${names.join(', ')}`, { ...where, offset: 0x48, feature: names.join(', ') });
  }
  if (header.externalDataFile || extensions.externalDataFile !== undefined) {
    throw new UnsupportedError(`qcow2 with an external data file${extensions.externalDataFile ? ` (${extensions.externalDataFile})` : ''} is not supported`, {
      ...where,
      offset: 0x48,
      feature: 'external data file',
    });
  }
  if (header.dirty) {
    context.diagnostics.report({
      severity: 'warning',
      code: 'qcow2-dirty',
      message: 'qcow2 image is marked dirty (not closed cleanly; refcounts may be stale); reading it anyway',
      structure: 'qcow2 header',
      offset: 0x48,
      path: context.filename,
    });
  }
  if (header.corrupt) {
    context.diagnostics.report({
      severity: 'warning',
      code: 'qcow2-corrupt',
      message: 'qcow2 image is marked corrupt by qemu; reading it anyway',
      structure: 'qcow2 header',
      offset: 0x48,
      path: context.filename,
    });
  }

  const l1 = await readL1(file, header);
  let backing: DiskImage | undefined;
  if (backingFilename !== undefined) {
    backing = await context.openBacking(backingFilename, extensions.backingFormat !== undefined ? { format: extensions.backingFormat } : {});
  }
  try {
    const qcow2 = new Qcow2Device({ file, header, l1, ...(backing ? { backing: backing.device } : {}) });
    const allocatedBytes = await qcow2.allocatedBytes();
    const device = new ReadAheadDevice(qcow2);
    const details: Record<string, unknown> = {
      version: header.version,
      compat: header.version === 2 ? '0.10' : '1.1',
      clusterSize: header.clusterSize,
      compressionType: header.compressionType,
      extendedL2: header.extendedL2,
      refcountBits: 2 ** header.refcountOrder,
      lazyRefcounts: (header.compatibleFeatures & 1n) !== 0n,
      dirty: header.dirty,
      corrupt: header.corrupt,
      snapshots: header.nbSnapshots,
      allocatedBytes,
      fileSize: file.size,
    };
    if (backingFilename !== undefined) details.backingFilename = backingFilename;
    if (extensions.backingFormat !== undefined) details.backingFormat = extensions.backingFormat;
    return {
      format: 'qcow2',
      device,
      virtualSize: header.size,
      filename: context.filename,
      ...(backing ? { backing } : {}),
      ...(backingFilename !== undefined ? { backingFilename } : {}),
      files: [context.filename],
      details,
      close: async () => {
        await backing?.close();
        await file.close?.();
      },
    };
  } catch (error) {
    await backing?.close();
    throw error;
  }
}

/** Decodes the header, its extensions and the backing file name from the first cluster. */
export async function readHeader(file: BlockDevice): Promise<{ header: Qcow2Header & { unknownIncompatible: bigint }; extensions: HeaderExtensions; backingFilename?: string }> {
  const head = await file.read(0, Math.min(file.size, HEADER_READ_SIZE));
  const header = decodeHeader(head, file.size);
  const areaSize = Math.min(header.clusterSize, file.size);
  const area = await file.read(0, areaSize);
  const extensionsStart = header.version === 2 ? QCOW2_HEADER_V2.size : header.headerLength;
  const extensionsEnd = header.backingFileOffset > extensionsStart ? Math.min(header.backingFileOffset, areaSize) : areaSize;
  const extensions = decodeExtensions({ area, start: extensionsStart, end: extensionsEnd });
  if (header.backingFileOffset === 0) return { header, extensions };
  const raw = area.subarray(header.backingFileOffset, header.backingFileOffset + header.backingFileSize);
  const backingFilename = utf8.decode(raw);
  if (backingFilename.length === 0 || backingFilename.includes('\0')) {
    throw new CorruptError('backing file name is empty or holds a NUL byte', { structure: 'qcow2 header', offset: header.backingFileOffset });
  }
  return { header, extensions, backingFilename };
}

/** Reads the L1 table and checks every L2 table offset: aligned, inside the file (0 = none). */
export async function readL1(file: BlockDevice, header: Qcow2Header): Promise<Float64Array> {
  const l1 = new Float64Array(header.l1Size);
  if (header.l1Size === 0) return l1;
  const bytes = await file.read(header.l1TableOffset, header.l1Size * 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < header.l1Size; i++) {
    const hi = view.getUint32(i * 8);
    const lo = view.getUint32(i * 8 + 4);
    const offset = standardOffset(hi, lo);
    if (offset === 0) continue;
    const at = header.l1TableOffset + i * 8;
    if (offset % header.clusterSize !== 0) {
      throw new CorruptError(`L1 entry ${i}: L2 table offset ${offset} is not cluster aligned`, { structure: 'qcow2 L1 table', offset: at });
    }
    if (offset + header.clusterSize > file.size) {
      throw new CorruptError(`L1 entry ${i}: L2 table at ${offset} lies outside the file of ${file.size} bytes`, { structure: 'qcow2 L1 table', offset: at });
    }
    l1[i] = offset;
  }
  return l1;
}
