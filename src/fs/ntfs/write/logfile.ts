// $LogFile state for the write gate: is the journal empty, clean, or holding work Windows
// would replay? Decided the way ntfs-3g decides before a read-write mount
// (ntfs_check_logfile + ntfs_is_logfile_clean): look for restart pages ("RSTR", or "CHKD"
// after chkdsk) at offsets 0, 512, 1024, 2048, … of the first 64 MiB; a block starting with
// 0xFFFFFFFF is empty, a log record page ("RCRD") ends the search. A log whose probed blocks
// are all empty is clean (ntfs-3g and mkntfs leave it so). Otherwise the newest restart area
// (highest current_lsn) decides: clean when no client is in use (client_in_use_list 0xFFFF)
// or the RESTART_VOLUME_IS_CLEAN flag (0x0002) is set.
// Spec: ntfs-3g logfile.h RESTART_PAGE_HEADER / RESTART_AREA; libyal "NTFS $LogFile".
// Quirk relied on: restart pages are fixed up like FILE records over system_page_size.

import { struct, magic, u16le, u32le, u64leBig } from '../../../binary/struct.js';
import { tryApplyFixups } from '../fixups.js';

export const RESTART_PAGE_HEADER = struct('NTFS $LogFile restart page', {
  magic: magic('RSTR'), //             0x00  or "CHKD"
  usa_ofs: u16le, //                   0x04
  usa_count: u16le, //                 0x06
  chkdsk_lsn: u64leBig, //             0x08
  system_page_size: u32le, //          0x10
  log_page_size: u32le, //             0x14
  restart_area_offset: u16le, //       0x18
  minor_ver: u16le, //                 0x1a  signed in the spec; 1 or 2
  major_ver: u16le, //                 0x1c
});

export const RESTART_AREA = struct('NTFS $LogFile restart area', {
  current_lsn: u64leBig, //            0x00
  log_clients: u16le, //               0x08
  client_free_list: u16le, //          0x0a
  client_in_use_list: u16le, //        0x0c  0xFFFF = LOGFILE_NO_CLIENT
  flags: u16le, //                     0x0e  0x0002 = RESTART_VOLUME_IS_CLEAN
});

export const LOGFILE_NO_CLIENT = 0xffff;
export const RESTART_VOLUME_IS_CLEAN = 0x0002;
/** ntfs-3g's MaxLogFileSize and DefaultLogPageSize / MinLogRecordPages. */
const MAX_LOGFILE_SIZE = 0x4000000;
const LOG_PAGE_SIZE = 4096;
const MIN_LOG_RECORD_PAGES = 48;

const RSTR = 0x52545352;
const CHKD = 0x444b4843;
const RCRD = 0x44524352;

export type LogFileState =
  | { state: 'empty' }
  | { state: 'clean'; currentLsn: bigint }
  | { state: 'dirty'; currentLsn: bigint; reason: string }
  | { state: 'invalid'; reason: string };

interface RestartInfo {
  currentLsn: bigint;
  inUse: number;
  flags: number;
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** Validates and decodes one restart page at `bytes[pos]`; undefined when it is not usable. */
function readRestartPage(bytes: Uint8Array, pos: number): RestartInfo | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const systemPageSize = view.getUint32(pos + 0x10, true);
  const logPageSize = view.getUint32(pos + 0x14, true);
  const pow2 = (n: number): boolean => n >= 512 && (n & (n - 1)) === 0;
  if (!pow2(systemPageSize) || !pow2(logPageSize) || systemPageSize > 65536) return undefined;
  if (pos !== 0 && pos !== systemPageSize) return undefined; // a restart page sits at 0 or one system page in
  if (pos + systemPageSize > bytes.length) return undefined;
  const usaCount = view.getUint16(pos + 6, true);
  if (usaCount !== systemPageSize / 512 + 1) return undefined;
  const page = bytes.slice(pos, pos + systemPageSize);
  if (!tryApplyFixups(page, 0, systemPageSize)) return undefined;
  const raOffset = view.getUint16(pos + 0x18, true);
  if ((raOffset & 7) !== 0 || raOffset + RESTART_AREA.size > systemPageSize) return undefined;
  const ra = RESTART_AREA.decode(page.subarray(raOffset, raOffset + RESTART_AREA.size), { origin: pos + raOffset });
  return { currentLsn: ra.current_lsn, inUse: ra.client_in_use_list, flags: ra.flags };
}

/** Decides the state of a $LogFile from its content (at least its first 64 MiB, or all of it). */
export function logFileState(bytes: Uint8Array, dataSize: number): LogFileState {
  let size = Math.min(dataSize, MAX_LOGFILE_SIZE, bytes.length);
  size -= size % LOG_PAGE_SIZE;
  if (size < LOG_PAGE_SIZE * 2 || (size - LOG_PAGE_SIZE * 2) / LOG_PAGE_SIZE < MIN_LOG_RECORD_PAGES) {
    return { state: 'invalid', reason: `$LogFile of ${dataSize} bytes is too small` };
  }
  let empty = true;
  const found: RestartInfo[] = [];
  for (let pos = 0; pos < size; pos = pos === 0 ? 512 : pos * 2) {
    const head = u32(bytes, pos);
    if (head !== 0xffffffff) empty = false;
    else if (!empty) break;
    if (head === RCRD) break;
    if (head !== RSTR && head !== CHKD) continue;
    const info = readRestartPage(bytes, pos);
    if (info) {
      found.push(info);
      if (pos !== 0) break;
    }
  }
  if (empty) return { state: 'empty' };
  if (found.length === 0) return { state: 'invalid', reason: '$LogFile is not empty and has no valid restart page' };
  const newest = found.reduce((a, b) => (b.currentLsn > a.currentLsn ? b : a));
  if (newest.inUse !== LOGFILE_NO_CLIENT && (newest.flags & RESTART_VOLUME_IS_CLEAN) === 0) {
    return { state: 'dirty', currentLsn: newest.currentLsn, reason: `$LogFile has an active client (in-use list ${newest.inUse}) and no clean flag: Windows did not shut down cleanly` };
  }
  return { state: 'clean', currentLsn: newest.currentLsn };
}
