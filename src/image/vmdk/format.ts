// Opening VMDK images read-only (VMware Virtual Disk Format 1.1 and 5.0; qemu's block/vmdk.c
// for what real files look like). Three entry points, told apart by content: a hosted sparse
// extent opened directly (monolithicSparse, streamOptimized: "KDMV" with an embedded
// descriptor), an ESX sparse extent ("COWD"), or a text descriptor naming extent files
// (monolithicFlat, twoGbMaxExtent*, vmfs*, snapshots). A parent (parentFileNameHint) is opened
// through the context, which bounds chain depth and catches loops; its CID is checked against
// the child's parentCID. seSparse extents are recognised and refused with their header fields.

import type { BlockDevice } from '../../io/block-device.js';
import { SliceDevice } from '../../io/slice-device.js';
import { ZeroDevice } from '../../io/zero-device.js';
import { CorruptError, UnsupportedError } from '../../errors.js';
import type { DiskImage, ImageFormat, OpenContext } from '../types.js';
import { CowdHeader, COWD_GTES_PER_GT, decodeCowdHeader, isCowdHeader } from './cowd-header.js';
import { looksLikeDescriptor, MAX_DESCRIPTOR_BYTES, NO_PARENT_CID, parseDescriptor, type DescriptorExtent, type VmdkDescriptor } from './descriptor.js';
import { ParentView, VmdkDiskDevice, type PlacedExtent } from './disk.js';
import { MARKER_TYPE, MetadataMarker } from './markers.js';
import { isSeSparseHeader, rejectSeSparse } from './sesparse-header.js';
import { openFirstFound } from './host-path.js';
import { SparseExtent, type SparseLayout } from './sparse-extent.js';
import {
  decodeSparseHeader,
  GD_AT_END,
  isSparseExtentHeader,
  MAX_CAPACITY_BYTES,
  SECTOR,
  SPARSE_FLAGS,
  SparseExtentHeader,
} from './sparse-header.js';

/** Facts about one sparse extent file, for details and for building its device. */
interface SparseFile {
  layout: SparseLayout;
  header?: SparseExtentHeader;
  /** The embedded descriptor, when the extent carries one. */
  descriptor?: VmdkDescriptor;
}

export const vmdkFormat: ImageFormat = {
  name: 'vmdk',
  async probe(file: BlockDevice): Promise<boolean> {
    if (file.size < 4) return false;
    const head = await file.read(0, Math.min(file.size, 4096));
    if (isSparseExtentHeader(head) || isCowdHeader(head) || isSeSparseHeader(head)) return true;
    return file.size <= MAX_DESCRIPTOR_BYTES && looksLikeDescriptor(head);
  },

  async open(file: BlockDevice, context: OpenContext): Promise<DiskImage> {
    const head = await file.read(0, Math.min(file.size, SECTOR));
    if (isSeSparseHeader(head)) rejectSeSparse(head, 0);
    if (isSparseExtentHeader(head) || isCowdHeader(head)) return openExtentFile(file, context);
    if (file.size > MAX_DESCRIPTOR_BYTES) {
      throw new CorruptError(`descriptor file of ${file.size} bytes exceeds ${MAX_DESCRIPTOR_BYTES}`, { structure: 'VMDK descriptor', offset: 0 });
    }
    const bytes = await file.read(0, file.size);
    if (!looksLikeDescriptor(bytes)) throw new CorruptError('not a VMDK descriptor or sparse extent', { structure: 'VMDK descriptor', offset: 0 });
    return openDescriptor({ descriptor: parseDescriptor(bytes, 0), context, files: [context.filename] });
  },
};

/** A sparse extent opened by itself: monolithicSparse, streamOptimized, or one COWD file. */
async function openExtentFile(file: BlockDevice, context: OpenContext): Promise<DiskImage> {
  const sparse = await readSparseFile(file, context.filename);
  const size = sparse.layout.capacitySectors * SECTOR;
  const descriptor = sparse.descriptor;
  if (descriptor) {
    const listed = descriptor.extents.reduce((sum, e) => sum + e.sectors, 0);
    if (descriptor.extents.length > 0 && listed !== sparse.layout.capacitySectors) {
      context.diagnostics.report({
        severity: 'warning',
        code: 'vmdk-descriptor-capacity',
        message: `embedded descriptor lists ${listed} sectors, the sparse header ${sparse.layout.capacitySectors}; using the header`,
        structure: 'VMDK descriptor',
        path: context.filename,
      });
    }
  }
  if (sparse.header && sparse.header.uncleanShutdown !== 0) {
    context.diagnostics.report({
      severity: 'warning',
      code: 'vmdk-unclean-shutdown',
      message: 'the sparse extent was not closed cleanly (uncleanShutdown is set); its grain tables may lag behind its grains',
      structure: 'VMDK sparse extent header',
      offset: SparseExtentHeader.offsetOf('uncleanShutdown'),
      path: context.filename,
    });
  }
  const parent = await openParent({ descriptor, context, size });
  let extent: SparseExtent;
  try {
    extent = await SparseExtent.open({ file, layout: sparse.layout, fallback: parent.view, name: context.filename });
  } catch (error) {
    await parent.image?.close();
    throw error;
  }
  const createType = descriptor?.createType || (sparse.layout.kind === 'cowd' ? 'vmfsSparse' : sparse.layout.compressed ? 'streamOptimized' : 'monolithicSparse');
  return buildImage({
    device: new VmdkDiskDevice([{ start: 0, device: extent }], context.filename),
    context,
    createType,
    descriptor,
    parent,
    files: [context.filename],
    extents: [extentDetails({ sparse, sectors: sparse.layout.capacitySectors, type: sparse.layout.kind === 'cowd' ? 'VMFSSPARSE' : 'SPARSE', filename: context.filename })],
    sparse,
  });
}

async function openDescriptor(args: { descriptor: VmdkDescriptor; context: OpenContext; files: string[] }): Promise<DiskImage> {
  const { descriptor, context, files } = args;
  if (descriptor.extents.length === 0) throw new CorruptError('descriptor lists no extents', { structure: 'VMDK descriptor', offset: 0 });
  const size = descriptor.extents.reduce((sum, e) => sum + e.sectors * SECTOR, 0);
  if (size > MAX_CAPACITY_BYTES) throw new CorruptError(`extents add up to ${size} bytes, an absurd capacity`, { structure: 'VMDK descriptor', offset: 0 });
  if (descriptor.ignoredLines.length > 0) {
    context.diagnostics.report({
      severity: 'warning',
      code: 'vmdk-descriptor-line',
      message: `${descriptor.ignoredLines.length} descriptor line(s) were not understood and skipped`,
      structure: 'VMDK descriptor',
      offset: descriptor.ignoredLines[0] as number,
      path: context.filename,
    });
  }
  const parent = await openParent({ descriptor, context, size });
  try {
    return await openExtents({ descriptor, context, files, parent });
  } catch (error) {
    await parent.image?.close();
    throw error;
  }
}

async function openExtents(args: { descriptor: VmdkDescriptor; context: OpenContext; files: string[]; parent: OpenedParent }): Promise<DiskImage> {
  const { descriptor, context, files, parent } = args;
  // A file named by several extent lines (a flat file in pieces) is opened once.
  const opened = new Map<string, Promise<BlockDevice & { readonly path: string }>>();
  const placed: PlacedExtent[] = [];
  const details: Array<Record<string, unknown>> = [];
  let firstSparse: SparseFile | undefined;
  let start = 0;
  for (const entry of descriptor.extents) {
    const length = entry.sectors * SECTOR;
    const where = { structure: 'VMDK descriptor extent line', offset: entry.lineOffset, path: context.filename };
    let device: BlockDevice;
    let sparse: SparseFile | undefined;
    if (entry.type === 'ZERO') {
      device = new ZeroDevice(length);
    } else if (entry.type === 'VMFSRDM' || entry.type === 'VMFSRAW') {
      throw new UnsupportedError(`VMDK ${entry.type} extents map a raw device and cannot be read from an image`, where);
    } else {
      const reference = entry.filename as string;
      if (!opened.has(reference)) opened.set(reference, openFirstFound(reference, (name) => context.openFile(name)));
      const file = await (opened.get(reference) as Promise<BlockDevice & { readonly path: string }>);
      if (!files.includes(file.path)) files.push(file.path);
      if (entry.type === 'FLAT' || entry.type === 'VMFS') {
        device = new SliceDevice({ base: file, start: entry.offset * SECTOR, size: length, name: `VMDK flat extent ${entry.filename}` });
      } else {
        sparse = await readSparseFile(file, file.path);
        firstSparse ??= sparse;
        const fallback = new SliceDevice({ base: parent.view, start, size: length, name: 'VMDK parent' });
        device = await SparseExtent.open({ file, layout: sparse.layout, fallback, name: file.path });
      }
    }
    placed.push({ start, device });
    details.push(extentDetails({ sparse, sectors: entry.sectors, type: entry.type, filename: entry.filename, offset: entry.offset, access: entry.access }));
    start += length;
  }
  return buildImage({
    device: new VmdkDiskDevice(placed, context.filename),
    context,
    createType: descriptor.createType,
    descriptor,
    parent,
    files,
    extents: details,
    sparse: firstSparse,
  });
}

/** Reads the header (and the footer, for a stream whose grain directory is at the end) of a sparse extent file. */
async function readSparseFile(file: BlockDevice, name: string): Promise<SparseFile> {
  if (file.size < SECTOR) throw new CorruptError(`sparse extent of ${file.size} bytes is truncated`, { structure: 'VMDK sparse extent header', offset: 0, path: name });
  const head = await file.read(0, SECTOR);
  if (isSeSparseHeader(head)) rejectSeSparse(head, 0);
  if (isCowdHeader(head)) {
    const cowd = decodeCowdHeader(head, 0);
    const gtSpan = cowd.grainSize * COWD_GTES_PER_GT;
    if (cowd.numGDEntries < Math.ceil(cowd.numSectors / gtSpan)) {
      throw new CorruptError(`${cowd.numGDEntries} grain directory entries cannot map ${cowd.numSectors} sectors`, {
        structure: 'VMDK COWD header',
        offset: CowdHeader.offsetOf('numGDEntries'),
        path: name,
      });
    }
    return {
      layout: {
        kind: 'cowd',
        capacitySectors: cowd.numSectors,
        grainSectors: cowd.grainSize,
        gtesPerGt: COWD_GTES_PER_GT,
        gdOffset: cowd.gdOffset * SECTOR,
        gdEntries: Math.ceil(cowd.numSectors / gtSpan),
        compressed: false,
      },
    };
  }
  if (!isSparseExtentHeader(head)) throw new CorruptError('extent is not a sparse extent (no KDMV or COWD magic)', { structure: 'VMDK sparse extent header', offset: 0, path: name });
  let header = decodeSparseHeader(head, 0);
  let headerOrigin = 0;
  if (header.gdOffset === GD_AT_END) {
    // Stream-optimized: footer marker, footer (the real header), end-of-stream marker.
    const footerAt = file.size - 3 * SECTOR;
    if (footerAt < SECTOR || file.size % SECTOR !== 0) {
      throw new CorruptError('stream-optimized extent has no room for its footer', { structure: 'VMDK footer', offset: Math.max(0, footerAt), path: name });
    }
    const tail = await file.read(footerAt, 3 * SECTOR);
    const marker = MetadataMarker.decode(tail, { origin: footerAt });
    const eos = MetadataMarker.decode(tail, { at: 2 * SECTOR, origin: footerAt });
    if (marker.size !== 0 || marker.type !== MARKER_TYPE.footer || eos.numSectors !== 0 || eos.size !== 0 || eos.type !== MARKER_TYPE.endOfStream) {
      throw new CorruptError('stream-optimized extent does not end with a footer marker, footer and end-of-stream marker', { structure: 'VMDK footer', offset: footerAt, path: name });
    }
    header = decodeSparseHeader(tail.subarray(SECTOR, 2 * SECTOR), footerAt + SECTOR);
    headerOrigin = footerAt + SECTOR;
    if (header.gdOffset === GD_AT_END) {
      throw new CorruptError('footer has no grain directory offset either', { structure: 'VMDK footer', offset: headerOrigin + SparseExtentHeader.offsetOf('gdOffset'), path: name });
    }
  }
  if (header.gdOffset * BigInt(SECTOR) >= BigInt(file.size)) {
    throw new CorruptError(`grain directory at sector ${header.gdOffset} lies outside the file of ${file.size} bytes`, {
      structure: 'VMDK sparse extent header',
      offset: headerOrigin + SparseExtentHeader.offsetOf('gdOffset'),
      path: name,
    });
  }
  const compressed = (header.flags & SPARSE_FLAGS.compressedGrains) !== 0;
  if (compressed && (header.flags & SPARSE_FLAGS.markers) === 0) {
    throw new UnsupportedError('compressed grains without grain markers are not supported', { structure: 'VMDK sparse extent header', offset: headerOrigin + SparseExtentHeader.offsetOf('flags'), path: name });
  }
  const gtSpan = header.grainSize * header.numGTEsPerGT;
  const sparse: SparseFile = {
    header,
    layout: {
      kind: 'hosted',
      capacitySectors: header.capacity,
      grainSectors: header.grainSize,
      gtesPerGt: header.numGTEsPerGT,
      gdOffset: Number(header.gdOffset) * SECTOR,
      gdEntries: Math.ceil(header.capacity / gtSpan),
      compressed,
    },
  };
  const descriptor = await readEmbeddedDescriptor({ file, header, name });
  if (descriptor) sparse.descriptor = descriptor;
  return sparse;
}

async function readEmbeddedDescriptor(args: { file: BlockDevice; header: SparseExtentHeader; name: string }): Promise<VmdkDescriptor | undefined> {
  const { file, header, name } = args;
  if (header.descriptorOffset === 0 || header.descriptorSize === 0) return undefined;
  const offset = header.descriptorOffset * SECTOR;
  const length = header.descriptorSize * SECTOR;
  const where = { structure: 'VMDK sparse extent header', offset: SparseExtentHeader.offsetOf('descriptorOffset'), path: name };
  if (length > MAX_DESCRIPTOR_BYTES) throw new CorruptError(`embedded descriptor of ${length} bytes exceeds ${MAX_DESCRIPTOR_BYTES}`, where);
  if (offset + length > file.size) throw new CorruptError(`embedded descriptor ${offset}+${length} lies outside the file of ${file.size} bytes`, where);
  const bytes = await file.read(offset, length);
  // Split sparse extents reserve the area but leave it empty.
  if (bytes[0] === 0) return undefined;
  return parseDescriptor(bytes, offset);
}

interface OpenedParent {
  image?: DiskImage;
  reference?: string;
  /** The parent disk at the child's size, or zeros. */
  view: BlockDevice;
}

async function openParent(args: { descriptor: VmdkDescriptor | undefined; context: OpenContext; size: number }): Promise<OpenedParent> {
  const { descriptor, context, size } = args;
  const reference = descriptor?.parentFileNameHint;
  if (reference === undefined || reference === '') {
    if (descriptor?.parentCid !== undefined && descriptor.parentCid !== NO_PARENT_CID) {
      context.diagnostics.report({
        severity: 'warning',
        code: 'vmdk-parent-missing-hint',
        message: `parentCID is ${descriptor.parentCid.toString(16)} but no parentFileNameHint names the parent; reading as a standalone disk`,
        structure: 'VMDK descriptor',
        path: context.filename,
      });
    }
    return { view: new ZeroDevice(size) };
  }
  const image = await openFirstFound(reference, (name) => context.openBacking(name));
  const parentCid = image.details.cid;
  if (image.format === 'vmdk' && typeof parentCid === 'number' && descriptor?.parentCid !== undefined && parentCid !== descriptor.parentCid) {
    context.diagnostics.report({
      severity: 'warning',
      code: 'vmdk-parent-cid-mismatch',
      message: `parentCID ${descriptor.parentCid.toString(16)} does not match the parent's CID ${parentCid.toString(16)}: the parent changed after this child was made`,
      structure: 'VMDK descriptor',
      path: context.filename,
    });
  }
  return { image, reference, view: new ParentView(image.device, size) };
}

function extentDetails(args: { sparse: SparseFile | undefined; sectors: number; type: DescriptorExtent['type']; filename: string | undefined; offset?: number; access?: string }): Record<string, unknown> {
  const { sparse } = args;
  return {
    access: args.access ?? 'RW',
    type: args.type,
    sectors: args.sectors,
    virtualSize: args.sectors * SECTOR,
    ...(args.filename !== undefined ? { filename: args.filename } : {}),
    ...(args.offset ? { offset: args.offset } : {}),
    ...(sparse ? { grainSize: sparse.layout.grainSectors * SECTOR, compressed: sparse.layout.compressed } : {}),
    ...(sparse?.header ? { sparseVersion: sparse.header.version, flags: sparse.header.flags, uncleanShutdown: sparse.header.uncleanShutdown !== 0 } : {}),
  };
}

function buildImage(args: {
  device: BlockDevice;
  context: OpenContext;
  createType: string;
  descriptor: VmdkDescriptor | undefined;
  parent: OpenedParent;
  files: string[];
  extents: Array<Record<string, unknown>>;
  sparse: SparseFile | undefined;
}): DiskImage {
  const { device, context, createType, descriptor, parent, files, extents, sparse } = args;
  const ddb = descriptor?.ddb ?? {};
  const details: Record<string, unknown> = {
    createType,
    ...(descriptor?.version !== undefined ? { version: descriptor.version } : {}),
    ...(descriptor?.cid !== undefined ? { cid: descriptor.cid } : {}),
    ...(descriptor?.parentCid !== undefined ? { parentCid: descriptor.parentCid } : {}),
    ...(ddb.adapterType !== undefined ? { adapterType: ddb.adapterType } : {}),
    ...(ddb.virtualHWVersion !== undefined ? { hardwareVersion: ddb.virtualHWVersion } : {}),
    ...(ddb['geometry.cylinders'] !== undefined
      ? { geometry: { cylinders: Number(ddb['geometry.cylinders']), heads: Number(ddb['geometry.heads']), sectors: Number(ddb['geometry.sectors']) } }
      : {}),
    ...(sparse ? { grainSize: sparse.layout.grainSectors * SECTOR } : {}),
    ...(sparse?.header ? { sparseVersion: sparse.header.version } : {}),
    ...(descriptor?.parentFileNameHint !== undefined ? { parentFileNameHint: descriptor.parentFileNameHint } : {}),
    ddb,
    extents,
  };
  return {
    format: 'vmdk',
    subformat: createType,
    device,
    virtualSize: device.size,
    filename: context.filename,
    ...(parent.image ? { backing: parent.image } : {}),
    ...(parent.reference !== undefined ? { backingFilename: parent.reference } : {}),
    files,
    details,
    close: async () => {
      await parent.image?.close();
    },
  };
}
