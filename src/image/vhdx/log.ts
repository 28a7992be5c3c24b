// VHDX log replay ([MS-VHDX] 2.3). A header with a non-zero LogGuid means metadata updates may
// sit in the log without having reached their final place. We find the active sequence (the
// chain of valid, consecutive entries with the highest sequence number whose head's Tail
// points into it), then apply its data and zero descriptors, tail to head, onto an in-memory
// overlay of the file — never the file itself — and read everything through that view.
// Quirks relied on: an entry may wrap around the end of the circular log (qemu reads it
// sector by sector with wrap-around); FlushedFileOffset can lie past the end of the file,
// which then reads as zeros up to it.

import type { AllocationRun, BlockDevice } from '../../io/block-device.js';
import { OverlayDevice } from '../../io/overlay-device.js';
import { checkRange } from '../../io/checks.js';
import { CorruptError, UnsupportedError } from '../../errors.js';
import { bytes, crc32c, decodeGuid, magic, struct, u32le, u64leBig, assertWithin } from '../../binary/index.js';
import { type VhdxHeader, MIB } from './structures.js';

const LOG_SECTOR = 4096;
/** Bound on the log we read into memory and on the bytes a replay may stage. */
const MAX_LOG_LENGTH = 256 * MIB;
const MAX_REPLAY_BYTES = 512 * MIB;

export const VhdxLogEntryHeader = struct('VHDX log entry header', {
  signature: magic('loge'),  // 0x00
  checksum: u32le,           // 0x04 CRC-32C over EntryLength bytes
  entryLength: u32le,        // 0x08 multiple of 4 KiB
  tail: u32le,               // 0x0c log offset of the sequence's first entry
  sequenceNumber: u64leBig,  // 0x10
  descriptorCount: u32le,    // 0x18
  reserved: u32le,           // 0x1c
  logGuid: bytes(16),        // 0x20 must equal the header's LogGuid
  flushedFileOffset: u64leBig, // 0x30 file size when the entry was written
  lastFileOffset: u64leBig,    // 0x38 the file must be at least this long
});

const DESCRIPTOR_SIZE = 32;

interface LogEntry {
  logOffset: number;
  sequenceNumber: bigint;
  tail: number;
  entryLength: number;
  flushedFileOffset: number;
  lastFileOffset: number;
  writes: Array<{ fileOffset: number; data?: Uint8Array; zeroLength?: number }>;
}

/** Reads `length` bytes of the circular log from `at`, wrapping at its end. */
function logSlice({ log, at, length }: { log: Uint8Array; at: number; length: number }): Uint8Array {
  if (at + length <= log.length) return log.subarray(at, at + length);
  const out = new Uint8Array(length);
  for (let done = 0; done < length; ) {
    const pos = (at + done) % log.length;
    const take = Math.min(length - done, log.length - pos);
    out.set(log.subarray(pos, pos + take), done);
    done += take;
  }
  return out;
}

/** Decodes the entry at `at`, or undefined when it is not a valid entry of this log. */
function entryAt({ log, at, logGuid }: { log: Uint8Array; at: number; logGuid: Uint8Array }): LogEntry | undefined {
  const first = log.subarray(at, at + LOG_SECTOR);
  if (first[0] !== 0x6c || first[1] !== 0x6f || first[2] !== 0x67 || first[3] !== 0x65) return undefined; // "loge"
  const header = VhdxLogEntryHeader.decode(first);
  const { entryLength, descriptorCount } = header;
  if (entryLength < LOG_SECTOR || entryLength % LOG_SECTOR !== 0 || entryLength > log.length) return undefined;
  if (!header.logGuid.every((b, i) => b === logGuid[i])) return undefined;
  if (header.tail % LOG_SECTOR !== 0 || header.tail >= log.length) return undefined;
  const descriptorSectors = Math.ceil((VhdxLogEntryHeader.size + descriptorCount * DESCRIPTOR_SIZE) / LOG_SECTOR);
  if (descriptorSectors * LOG_SECTOR > entryLength) return undefined;
  const entry = logSlice({ log, at, length: entryLength }).slice();
  const view = new DataView(entry.buffer);
  const stored = view.getUint32(4, true);
  view.setUint32(4, 0, true);
  if (crc32c(entry) !== stored) return undefined;
  const writes: LogEntry['writes'] = [];
  let dataSector = descriptorSectors;
  for (let i = 0; i < descriptorCount; i++) {
    const d = VhdxLogEntryHeader.size + i * DESCRIPTOR_SIZE;
    const signature = String.fromCharCode(...entry.subarray(d, d + 4));
    const sequence = view.getBigUint64(d + 24, true);
    if (sequence !== header.sequenceNumber) return undefined;
    const rawOffset = view.getBigUint64(d + 16, true);
    if (rawOffset > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const fileOffset = Number(rawOffset);
    if (signature === 'zero') {
      const rawLength = view.getBigUint64(d + 8, true);
      if (rawLength > BigInt(MAX_REPLAY_BYTES)) return undefined;
      const zeroLength = Number(rawLength);
      if (zeroLength % LOG_SECTOR !== 0 || fileOffset % LOG_SECTOR !== 0) return undefined;
      writes.push({ fileOffset, zeroLength });
    } else if (signature === 'desc') {
      if (fileOffset % LOG_SECTOR !== 0 || (dataSector + 1) * LOG_SECTOR > entryLength) return undefined;
      const s = dataSector * LOG_SECTOR;
      if (String.fromCharCode(...entry.subarray(s, s + 4)) !== 'data') return undefined;
      const high = view.getUint32(s + 4, true);
      const low = view.getUint32(s + 4092, true);
      if ((BigInt(high) << 32n) + BigInt(low) !== header.sequenceNumber) return undefined;
      const data = new Uint8Array(LOG_SECTOR);
      data.set(entry.subarray(d + 8, d + 16), 0); // LeadingBytes
      data.set(entry.subarray(s + 8, s + 4092), 8);
      data.set(entry.subarray(d + 4, d + 8), 4092); // TrailingBytes
      writes.push({ fileOffset, data });
      dataSector++;
    } else {
      return undefined;
    }
  }
  const limit = BigInt(Number.MAX_SAFE_INTEGER);
  if (header.flushedFileOffset > limit || header.lastFileOffset > limit) return undefined;
  return {
    logOffset: at,
    sequenceNumber: header.sequenceNumber,
    tail: header.tail,
    entryLength,
    flushedFileOffset: Number(header.flushedFileOffset),
    lastFileOffset: Number(header.lastFileOffset),
    writes,
  };
}

/** The entries to replay, tail first, or an empty list when the log holds no active sequence. */
export function activeSequence(log: Uint8Array, logGuid: Uint8Array): LogEntry[] {
  let best: LogEntry[] = [];
  // Each position is decoded once, so a hostile log costs O(log size), not its square.
  const decoded = new Map<number, LogEntry | undefined>();
  const decodeAt = (at: number): LogEntry | undefined => {
    if (!decoded.has(at)) decoded.set(at, entryAt({ log, at, logGuid }));
    return decoded.get(at);
  };
  for (let start = 0; start < log.length; start += LOG_SECTOR) {
    const sequence: LogEntry[] = [];
    let at = start;
    // A sequence cannot hold more entries than the log has sectors: the bound ends wrap-around loops.
    for (let guard = 0; guard < log.length / LOG_SECTOR; guard++) {
      const entry = decodeAt(at);
      const previous = sequence[sequence.length - 1];
      if (!entry || (previous && entry.sequenceNumber !== previous.sequenceNumber + 1n)) break;
      sequence.push(entry);
      at = (at + entry.entryLength) % log.length;
      if (at === start) break;
    }
    const head = sequence[sequence.length - 1];
    if (!head) continue;
    const tailIndex = sequence.findIndex((e) => e.logOffset === head.tail);
    if (tailIndex < 0) continue;
    const bestHead = best[best.length - 1];
    if (!bestHead || head.sequenceNumber > bestHead.sequenceNumber) best = sequence.slice(tailIndex);
  }
  return best;
}

/** A device that reads as zeros past the end of its base (a file the log says grew). */
class ZeroExtendedDevice implements BlockDevice {
  constructor(private readonly base: BlockDevice, readonly size: number) {}
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange({ offset, length, size: this.size, name: 'VHDX replayed file' });
    if (offset + length <= this.base.size) return this.base.read(offset, length);
    const out = new Uint8Array(length);
    if (offset < this.base.size) out.set(await this.base.read(offset, this.base.size - offset), 0);
    return out;
  }
  async allocation(offset: number, length: number): Promise<AllocationRun[]> {
    return [{ offset, length, kind: 'data' }];
  }
}

export interface ReplayResult {
  device: BlockDevice;
  entries: number;
}

/** Returns the file as it reads once the log is replayed (the file itself when nothing to do). */
export async function replayLog(args: { file: BlockDevice; header: VhdxHeader; headerOffset: number }): Promise<ReplayResult> {
  const { file, header, headerOffset } = args;
  const where = { structure: 'VHDX log', offset: header.logOffset };
  if (header.logVersion !== 0) {
    throw new UnsupportedError(`VHDX log version ${header.logVersion} is not 0`, { structure: 'VHDX header', offset: headerOffset });
  }
  if (header.logLength === 0 || header.logLength % MIB !== 0 || header.logOffset % MIB !== 0 || header.logLength > MAX_LOG_LENGTH) {
    throw new CorruptError(`log of ${header.logLength} bytes at ${header.logOffset} is not a whole number of MiB`, where);
  }
  assertWithin({ offset: header.logOffset, length: header.logLength, limit: file.size }, where);
  const log = await file.read(header.logOffset, header.logLength);
  const entries = activeSequence(log, header.logGuid);
  if (entries.length === 0) {
    throw new CorruptError(`the header names log ${decodeGuid(header.logGuid)} but the log holds no valid sequence of its entries; the image cannot be made consistent`, where);
  }
  const head = entries[entries.length - 1] as LogEntry;
  if (head.lastFileOffset > file.size) {
    throw new CorruptError(`the log says the file must be at least ${head.lastFileOffset} bytes, but it has ${file.size} (truncated)`, where);
  }
  let size = Math.max(file.size, head.flushedFileOffset);
  let staged = 0;
  for (const entry of entries) {
    for (const w of entry.writes) {
      size = Math.max(size, w.fileOffset + (w.data?.length ?? w.zeroLength ?? 0));
      staged += w.data?.length ?? w.zeroLength ?? 0;
    }
  }
  if (staged > MAX_REPLAY_BYTES || !Number.isSafeInteger(size) || size > file.size + MAX_REPLAY_BYTES) {
    throw new UnsupportedError(`replaying the VHDX log would stage ${staged} bytes, more than the ${MAX_REPLAY_BYTES} allowed in memory`, where);
  }
  const overlay = new OverlayDevice(size === file.size ? file : new ZeroExtendedDevice(file, size), { chunkSize: LOG_SECTOR });
  for (const entry of entries) {
    for (const w of entry.writes) {
      if (w.data) await overlay.write(w.fileOffset, w.data);
      else if (w.zeroLength) {
        const zeros = new Uint8Array(Math.min(w.zeroLength, MIB));
        for (let done = 0; done < w.zeroLength; done += zeros.length) {
          await overlay.write(w.fileOffset + done, zeros.subarray(0, Math.min(zeros.length, w.zeroLength - done)));
        }
      }
    }
  }
  return { device: overlay, entries: entries.length };
}
