// Transaction logs of a dirty hive and their replay onto a copy of the primary file in memory
// (the input bytes are never modified). Spec: msuhanov "Windows registry file format
// specification", sections "Transaction log files" and "Dirty state of a hive".
// - New format (Windows 8.1+, .LOG1/.LOG2, base block file type 6): log entries "HvLE" from
//   offset 512, each with dirty page references and pages, protected by two Marvin32 hashes.
//   Entries are applied in sequence order starting at the log's base block primary sequence
//   number (not below the primary file's secondary sequence number), continuing across the two
//   logs while numbers increase by one; a bad hash or size ends the replay there.
// - Old format (.LOG, or .LOG1/.LOG2 with file type 1 or 2): a "DIRT" vector at offset 512, one
//   bit per 512-byte page of hive bins data, followed (from the next sector) by the dirty pages
//   in bit order. Applied when its base block timestamp matches the primary's.
// A primary base block with a wrong checksum is replaced by a valid log's base block copy.

import { CorruptError } from '../errors.js';
import type { Diagnostics } from '../diagnostics.js';
import { ignoreDiagnostics } from '../diagnostics.js';
import { BASE_BLOCK_SIZE, HBIN_START, REGF_BASE_BLOCK, baseBlockChecksum, decodeBaseBlock, type BaseBlockInfo } from './base-block.js';
import { marvin32 } from './marvin32.js';

const SECTOR = 512;
const HVLE = 0x454c7648; // 'HvLE'
const DIRT = 0x54524944; // 'DIRT'
/** Hive bins larger than this in a log entry are treated as corrupt (real hives are < 2 GiB). */
const MAX_HIVE_BINS = 0x7ffff000;

export interface LogEntry {
  sequence: number;
  hiveBinsDataSize: number;
  flags: number;
  /** (offset relative to the hive bins, bytes) */
  pages: { offset: number; data: Uint8Array }[];
}

export type ParsedLog =
  | { format: 'new'; label: string; base: BaseBlockInfo; baseValid: boolean; entries: LogEntry[] }
  | { format: 'old'; label: string; base: BaseBlockInfo; baseValid: boolean; pages: { offset: number; data: Uint8Array }[] }
  | { format: 'empty'; label: string };

/** Reads one transaction log file; a log too damaged to use is returned as 'empty' with a diagnostic. */
export function parseLog(bytes: Uint8Array, options: { label?: string; diagnostics?: Diagnostics } = {}): ParsedLog {
  const label = options.label ?? 'log';
  const diagnostics = options.diagnostics ?? ignoreDiagnostics;
  if (bytes.length < SECTOR || bytes[0] !== 0x72 || bytes[1] !== 0x65 || bytes[2] !== 0x67 || bytes[3] !== 0x66) {
    if (bytes.some((b) => b !== 0)) diagnostics.report({ severity: 'warning', code: 'REGF_LOG_UNUSABLE', message: `${label}: no regf base block`, structure: 'log base block', offset: 0 });
    return { format: 'empty', label };
  }
  const base = decodeBaseBlock(bytes, { structure: `${label} base block` });
  const baseValid = base.checksumValid && !base.dirty;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (base.fileType === 6) return { format: 'new', label, base, baseValid, entries: readEntries(bytes, view, label, diagnostics) };
  if (bytes.length >= SECTOR + 4 && view.getUint32(SECTOR, true) === DIRT) {
    return { format: 'old', label, base, baseValid, pages: readDirtyVector(bytes, base, label, diagnostics) };
  }
  return { format: 'empty', label };
}

function readEntries(bytes: Uint8Array, view: DataView, label: string, diagnostics: Diagnostics): LogEntry[] {
  const entries: LogEntry[] = [];
  let at = SECTOR;
  while (at + 40 <= bytes.length && view.getUint32(at, true) === HVLE) {
    const size = view.getUint32(at + 4, true);
    const stop = (why: string) => diagnostics.report({ severity: 'info', code: 'REGF_LOG_ENTRY_END', message: `${label}: log entry ends the replay: ${why}`, structure: 'HvLE log entry', offset: at });
    if (size < SECTOR || size % SECTOR !== 0 || at + size > bytes.length) {
      stop(`size ${size}`);
      break;
    }
    const hiveBinsDataSize = view.getUint32(at + 16, true);
    const count = view.getUint32(at + 20, true);
    if (hiveBinsDataSize % 4096 !== 0 || hiveBinsDataSize === 0 || hiveBinsDataSize > MAX_HIVE_BINS) {
      stop(`hive bins data size ${hiveBinsDataSize}`);
      break;
    }
    if (marvin32(bytes.subarray(at + 40, at + size)) !== view.getBigUint64(at + 24, true) || marvin32(bytes.subarray(at, at + 32)) !== view.getBigUint64(at + 32, true)) {
      stop('hash mismatch');
      break;
    }
    if (40 + count * 8 > size) {
      stop(`${count} page references do not fit`);
      break;
    }
    const pages: LogEntry['pages'] = [];
    let data = at + 40 + count * 8;
    let ok = true;
    for (let i = 0; i < count; i++) {
      const offset = view.getUint32(at + 40 + i * 8, true);
      const pageSize = view.getUint32(at + 44 + i * 8, true);
      if (data + pageSize > at + size || offset + pageSize > hiveBinsDataSize || pageSize % SECTOR !== 0) {
        ok = false;
        break;
      }
      pages.push({ offset, data: bytes.subarray(data, data + pageSize) });
      data += pageSize;
    }
    if (!ok) {
      stop('a dirty page lies outside the entry or the hive bins');
      break;
    }
    entries.push({ sequence: view.getUint32(at + 12, true), hiveBinsDataSize, flags: view.getUint32(at + 8, true), pages });
    at += size;
  }
  return entries;
}

function readDirtyVector(bytes: Uint8Array, base: BaseBlockInfo, label: string, diagnostics: Diagnostics): { offset: number; data: Uint8Array }[] {
  const bits = Math.floor(base.hiveBinsDataSize / SECTOR);
  const vectorBytes = Math.ceil(bits / 8);
  let page = Math.ceil((SECTOR + 4 + vectorBytes) / SECTOR) * SECTOR;
  const pages: { offset: number; data: Uint8Array }[] = [];
  for (let bit = 0; bit < bits; bit++) {
    if (((bytes[SECTOR + 4 + (bit >>> 3)] ?? 0) & (1 << (bit & 7))) === 0) continue;
    if (page + SECTOR > bytes.length) {
      diagnostics.report({ severity: 'warning', code: 'REGF_LOG_TRUNCATED', message: `${label}: dirty pages end before the dirty vector does`, structure: 'dirty pages', offset: page });
      break;
    }
    pages.push({ offset: bit * SECTOR, data: bytes.subarray(page, page + SECTOR) });
    page += SECTOR;
  }
  return pages;
}

export interface RecoveryResult {
  /** The recovered hive file (a new buffer), or the input itself when nothing was done. */
  bytes: Uint8Array;
  /** Whether the primary needed recovery. */
  dirty: boolean;
  /** 'clean': not dirty; 'replayed': logs applied (or nothing pending); 'unreplayed': dirty, no usable log. */
  state: 'clean' | 'replayed' | 'unreplayed';
  /** Sequence numbers of the new-format entries applied, in order. */
  appliedSequences: number[];
  /** Old-format pages applied. */
  appliedPages: number;
  /** Which logs contributed. */
  usedLogs: string[];
}

export interface RecoverInput {
  primary: Uint8Array;
  /** The hive's transaction logs (.LOG, .LOG1, .LOG2) with labels, in that order. */
  logs?: { label: string; bytes: Uint8Array }[];
  diagnostics?: Diagnostics;
}

/** Replays the logs of a dirty hive onto a copy; a clean hive is returned as is. */
export function recoverHive(input: RecoverInput): RecoveryResult {
  const diagnostics = input.diagnostics ?? ignoreDiagnostics;
  const primary = input.primary;
  if (primary.length < BASE_BLOCK_SIZE) throw new CorruptError(`truncated: ${primary.length} bytes is less than a base block`, { structure: 'regf base block', offset: 0 });
  const base = decodeBaseBlock(primary);
  const result: RecoveryResult = { bytes: primary, dirty: false, state: 'clean', appliedSequences: [], appliedPages: 0, usedLogs: [] };
  if (base.checksumValid && !base.dirty) return result;
  result.dirty = true;
  const logs = (input.logs ?? []).map((log) => parseLog(log.bytes, { label: log.label, diagnostics }));
  const usable = logs.filter((log): log is Exclude<ParsedLog, { format: 'empty' }> => log.format !== 'empty' && log.baseValid);
  if (usable.length === 0) {
    result.state = 'unreplayed';
    diagnostics.report({ severity: 'warning', code: 'REGF_DIRTY_UNREPLAYED', message: `the hive is dirty (sequence numbers ${base.primarySequence}/${base.secondarySequence}${base.checksumValid ? '' : ', bad checksum'}) and no usable transaction log was given: reading the last flushed state`, structure: 'regf base block', offset: 4 });
    if (!base.checksumValid) throw new CorruptError('base block checksum is wrong and no transaction log can restore it', { structure: 'regf base block checksum', offset: 0x1fc });
    return result;
  }
  let work: Uint8Array = primary.slice();
  const headerOf = () => new DataView(work.buffer, work.byteOffset, BASE_BLOCK_SIZE);
  const newLogs = usable.filter((log): log is Extract<ParsedLog, { format: 'new' }> => log.format === 'new').sort((a, b) => a.base.primarySequence - b.base.primarySequence);
  if (!base.checksumValid) {
    // Restore the base block from the log with the latest entries.
    const source = newLogs.length > 0 ? newLogs[newLogs.length - 1]! : usable[0]!;
    work.set(logBaseBytes(input.logs ?? [], source.label), 0);
    headerOf().setUint32(REGF_BASE_BLOCK.offsetOf('fileType'), 0, true);
    diagnostics.report({ severity: 'warning', code: 'REGF_BASE_BLOCK_RESTORED', message: `base block restored from ${source.label}`, structure: 'regf base block', offset: 0 });
  }
  const current = decodeBaseBlock(work);
  let last: number | undefined;
  for (const log of newLogs) {
    for (const entry of log.entries) {
      const expected = last === undefined ? log.base.primarySequence : last + 1;
      if (last === undefined && entry.sequence < current.secondarySequence) continue;
      if (entry.sequence < expected) continue;
      if (entry.sequence !== expected) break;
      // New hbins arrive as dirty pages, so an entry cannot grow the hive by more than it carries.
      const carried = entry.pages.reduce((n, page) => n + page.data.length, 0);
      if (HBIN_START + entry.hiveBinsDataSize > work.length + carried) {
        diagnostics.report({ severity: 'warning', code: 'REGF_LOG_ENTRY_END', message: `${log.label}: entry ${entry.sequence} grows the hive to ${entry.hiveBinsDataSize} bytes without the pages to fill it; replay stops`, structure: 'HvLE log entry', offset: 0 });
        break;
      }
      work = applyPages(work, entry.hiveBinsDataSize, entry.pages);
      const header = headerOf();
      header.setUint32(4, entry.sequence, true);
      header.setUint32(8, entry.sequence, true);
      header.setUint32(0x28, entry.hiveBinsDataSize, true);
      const flagsAt = 0x90;
      header.setUint32(flagsAt, (header.getUint32(flagsAt, true) & ~1) | (entry.flags & 1), true);
      result.appliedSequences.push(entry.sequence);
      last = entry.sequence;
      if (!result.usedLogs.includes(log.label)) result.usedLogs.push(log.label);
    }
  }
  if (newLogs.length === 0) {
    for (const log of usable) {
      if (log.format !== 'old') continue;
      if (base.checksumValid && log.base.lastWritten !== base.lastWritten) {
        diagnostics.report({ severity: 'warning', code: 'REGF_LOG_MISMATCH', message: `${log.label}: its timestamp does not match the hive's; not applied`, structure: 'log base block', offset: 0x0c });
        continue;
      }
      work = applyPages(work, log.base.hiveBinsDataSize, log.pages);
      const header = headerOf();
      header.setUint32(0x28, log.base.hiveBinsDataSize, true);
      result.appliedPages = log.pages.length;
      result.usedLogs.push(log.label);
      break;
    }
  }
  const header = headerOf();
  header.setUint32(8, header.getUint32(4, true), true);
  header.setUint32(0x1fc, baseBlockChecksum(work), true);
  result.bytes = work;
  result.state = 'replayed';
  if (result.appliedSequences.length === 0 && result.appliedPages === 0) {
    diagnostics.report({ severity: 'info', code: 'REGF_LOG_NOTHING_TO_APPLY', message: 'the logs hold no entries after the hive\'s state', structure: 'regf base block', offset: 4 });
  }
  return result;
}

function logBaseBytes(logs: { label: string; bytes: Uint8Array }[], label: string): Uint8Array {
  const out = new Uint8Array(SECTOR);
  const log = logs.find((l) => l.label === label);
  if (log !== undefined) out.set(log.bytes.subarray(0, SECTOR));
  return out;
}

/** Writes pages at 4096 + offset, growing the buffer to the entry's hive bins size. */
function applyPages(work: Uint8Array, hiveBinsDataSize: number, pages: { offset: number; data: Uint8Array }[]): Uint8Array {
  const needed = HBIN_START + hiveBinsDataSize;
  let out = work;
  if (needed > work.length) {
    out = new Uint8Array(needed);
    out.set(work);
  }
  for (const page of pages) out.set(page.data, HBIN_START + page.offset);
  return out;
}
