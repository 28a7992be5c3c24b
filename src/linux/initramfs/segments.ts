// The kernel's view of an initramfs file (init/initramfs.c unpack_to_rootfs, flush_buffer;
// Documentation/driver-api/early-userspace/buffer-format.rst): a sequence of segments, each
// either uncompressed newc/crc cpio archives starting at a 4-byte aligned offset, or one
// compressed stream (detected by magic) whose output is itself cpio archives. Zero bytes
// between segments and between archives are padding. After a compressed stream the walk
// continues with whatever follows (more archives, another compressed stream). We return
// every segment with its archives so the merged tree and its provenance are both available.

import { type Compression, DEFAULT_MAX_OUTPUT, decompressStream, detectCompression } from '../../compress/index.js';
import { CorruptError, RehostError, UnsupportedError } from '../../errors.js';
import { type CpioArchive, type CpioEntry, readCpioArchive } from '../../fs/cpio/index.js';

export interface InitramfsSegment {
  /** Offset of the segment's first byte in the initramfs file. */
  offset: number;
  /** Bytes the segment occupies in the file: for compressed, the stream; for uncompressed, its archives and the zero padding after them. */
  length: number;
  compression: Compression | 'none';
  /** Size after decompression (equals `length` minus padding for uncompressed). */
  decompressedLength: number;
  archives: CpioArchive[];
  /** The entries of all of the segment's archives, in order. */
  entries: CpioEntry[];
}

export interface ParseInitramfsOptions {
  /** Bound on the total decompressed size of all segments (decompression bombs). */
  maxOutput?: number;
  /** Absolute offset of `data[0]` (for error messages when the file is a slice). */
  baseOffset?: number;
}

const ZERO = 0;
const ASCII_ZERO = 0x30;

/** Reads consecutive cpio archives from `data[start…]`, skipping zero padding between them. */
function readArchives(args: { data: Uint8Array; start: number; baseOffset: number; where: string }): { archives: CpioArchive[]; end: number } {
  const { data, baseOffset } = args;
  const archives: CpioArchive[] = [];
  let pos = args.start;
  // Bounded: each archive is at least one header long, padding advances one byte at a time.
  while (pos < data.length) {
    const byte = data[pos] as number;
    if (byte === ZERO) {
      pos++;
      continue;
    }
    if (byte !== ASCII_ZERO) break;
    if (pos % 4 !== 0) throw new CorruptError(`cpio archive at an unaligned offset in ${args.where}`, { structure: 'initramfs', offset: baseOffset + pos });
    const archive = readCpioArchive(data, { start: pos, baseOffset });
    if (archive.format !== 'newc' && archive.format !== 'crc') {
      throw new UnsupportedError(`the kernel unpacks only newc/crc cpio, found ${archive.format}`, { structure: 'initramfs', offset: baseOffset + pos });
    }
    archives.push(archive);
    pos = archive.end;
  }
  return { archives, end: pos };
}

/** Every segment, or a CorruptError/UnsupportedError at the first bad one. */
export function parseInitramfs(data: Uint8Array, options: ParseInitramfsOptions = {}): InitramfsSegment[] {
  const segments: InitramfsSegment[] = [];
  walkSegments({ data, options, segments });
  return segments;
}

/**
 * For inspecting damaged files: the segments before the first bad one, and the error that
 * stopped the walk (the kernel too keeps what it unpacked before an error).
 */
export function salvageInitramfs(data: Uint8Array, options: ParseInitramfsOptions = {}): { segments: InitramfsSegment[]; error?: RehostError } {
  const segments: InitramfsSegment[] = [];
  try {
    walkSegments({ data, options, segments });
    return { segments };
  } catch (error) {
    if (error instanceof RehostError) return { segments, error };
    throw error;
  }
}

function walkSegments(args: { data: Uint8Array; options: ParseInitramfsOptions; segments: InitramfsSegment[] }): void {
  const { data, options, segments } = args;
  const base = options.baseOffset ?? 0;
  let budget = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
  let pos = 0;
  // Bounded: each round consumes at least one byte.
  while (pos < data.length) {
    if (data[pos] === ZERO) {
      pos++;
      continue;
    }
    if (data[pos] === ASCII_ZERO) {
      const { archives, end } = readArchives({ data, start: pos, baseOffset: base, where: 'the initramfs' });
      // The segment includes the zero padding after its archives (GNU cpio pads to 512 bytes).
      segments.push({ offset: pos, length: end - pos, compression: 'none', decompressedLength: end - pos, archives, entries: archives.flatMap((a) => a.entries) });
      pos = end;
      continue;
    }
    const format = detectCompression(data, pos);
    if (format === undefined) throw new CorruptError('neither cpio nor a known compression magic', { structure: 'initramfs', offset: base + pos });
    if (format === 'lzo') throw new UnsupportedError('lzo-compressed initramfs segments are not supported', { structure: 'initramfs', offset: base + pos });
    const stream = decompressStream(data, { start: pos, baseOffset: base, maxOutput: budget, format });
    budget -= stream.output.length;
    const { archives, end } = readArchives({ data: stream.output, start: 0, baseOffset: 0, where: `the ${format} segment at ${base + pos}` });
    if (end < stream.output.length) {
      throw new CorruptError(`junk inside the ${format} segment after its cpio archives`, { structure: `initramfs ${format} segment`, offset: base + pos, innerOffset: end });
    }
    segments.push({ offset: pos, length: stream.consumed, compression: format, decompressedLength: stream.output.length, archives, entries: archives.flatMap((a) => a.entries) });
    pos += stream.consumed;
  }
}
