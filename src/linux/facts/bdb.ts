// A read-only reader for Berkeley DB hash databases, enough to list the key/data pairs of
// rpm's /var/lib/rpm/Packages (RHEL/CentOS ≤ 8, SLES ≤ 15 SP2). Layout from Berkeley DB
// 5.3's dbinc/db_page.h and hash/hash.h: page 0 is the hash metadata page (DBMETA: magic
// 0x061561 at 12 in the creator's byte order, version at 16, pagesize at 20, encrypt_alg at
// 24, metaflags at 26, last_pgno at 32); every other page starts with the 26-byte PAGE
// header (lsn 8, pgno 4, prev_pgno 4, next_pgno 4, entries 2, hf_offset 2, level 1, type 1)
// and, for hash pages (P_HASH 13, P_HASH_UNSORTED 2), an index of `entries` u16 item offsets;
// items alternate key, data; an item's length is the previous item's offset (or the page
// size) minus its own. Item types: H_KEYDATA 1 (bytes follow), H_OFFPAGE 3 (pgno u32 at 4,
// tlen u32 at 8: the bytes live in a chain of P_OVERFLOW 7 pages, hf_offset bytes each).
// We scan the hash pages in page order rather than walking buckets: every live pair sits on
// exactly one hash page. Checksummed or encrypted databases are refused (UnsupportedError).

import { CorruptError, UnsupportedError } from '../../errors.js';

const HASH_MAGIC = 0x061561;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_HASH = 13;
const P_OVERFLOW = 7;
const H_KEYDATA = 1;
const H_DUPLICATE = 2;
const H_OFFPAGE = 3;
const H_OFFDUP = 4;
const DBMETA_CHKSUM = 0x01;

export interface BdbPair {
  key: Uint8Array;
  data: Uint8Array;
}

export function readBdbHash(file: Uint8Array): BdbPair[] {
  const structure = 'Berkeley DB hash metadata';
  if (file.length < 512) throw new CorruptError('file is too small for a Berkeley DB metadata page', { structure, offset: 0 });
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const little = view.getUint32(12, true) === HASH_MAGIC;
  if (!little && view.getUint32(12, false) !== HASH_MAGIC) throw new CorruptError('not a Berkeley DB hash database (bad magic)', { structure, offset: 12 });
  const pageSize = view.getUint32(20, little);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw new CorruptError(`bad page size ${pageSize}`, { structure, offset: 20 });
  if (file[24] !== 0) throw new UnsupportedError('encrypted Berkeley DB database', { structure, offset: 24 });
  if (((file[26] as number) & DBMETA_CHKSUM) !== 0) throw new UnsupportedError('checksummed Berkeley DB pages are not read', { structure, offset: 26 });
  const lastPage = Math.min(view.getUint32(32, little), Math.floor(file.length / pageSize) - 1);

  const overflow = (first: number, total: number, from: number): Uint8Array => {
    if (total > file.length) throw new CorruptError(`off-page item of ${total} bytes is larger than the file`, { structure: 'Berkeley DB H_OFFPAGE item', offset: from });
    const out = new Uint8Array(total);
    const seen = new Set<number>();
    let filled = 0;
    let page = first;
    while (filled < total) {
      if (page < 1 || page > lastPage) throw new CorruptError(`overflow page ${page} outside the file`, { structure: 'Berkeley DB overflow chain', offset: from });
      if (seen.has(page)) throw new CorruptError(`overflow page ${page} reached twice (loop)`, { structure: 'Berkeley DB overflow chain', offset: from });
      seen.add(page);
      const base = page * pageSize;
      if (file[base + 25] !== P_OVERFLOW) throw new CorruptError(`page ${page} is not an overflow page`, { structure: 'Berkeley DB overflow chain', offset: base + 25 });
      const used = view.getUint16(base + 22, little);
      if (used > pageSize - PAGE_HEADER || used === 0 || filled + used > total) throw new CorruptError(`overflow page ${page} holds ${used} bytes`, { structure: 'Berkeley DB overflow page', offset: base + 22 });
      out.set(file.subarray(base + PAGE_HEADER, base + PAGE_HEADER + used), filled);
      filled += used;
      page = view.getUint32(base + 16, little);
    }
    return out;
  };

  const pairs: BdbPair[] = [];
  for (let page = 1; page <= lastPage; page++) {
    const base = page * pageSize;
    const type = file[base + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = view.getUint16(base + 20, little);
    if (PAGE_HEADER + entries * 2 > pageSize || entries % 2 !== 0) throw new CorruptError(`hash page ${page} claims ${entries} items`, { structure: 'Berkeley DB hash page', offset: base + 20 });
    const items: Uint8Array[] = [];
    for (let i = 0; i < entries; i++) {
      const at = base + PAGE_HEADER + i * 2;
      const offset = view.getUint16(at, little);
      const end = i === 0 ? pageSize : view.getUint16(at - 2, little);
      if (offset < PAGE_HEADER + entries * 2 || offset >= end || end > pageSize) throw new CorruptError(`item ${i} of hash page ${page} has bad bounds`, { structure: 'Berkeley DB hash page', offset: at });
      const item = file.subarray(base + offset, base + end);
      const itemType = item[0];
      if (itemType === H_KEYDATA) items.push(item.subarray(1));
      else if (itemType === H_OFFPAGE) {
        if (item.length < 12) throw new CorruptError('H_OFFPAGE item is truncated', { structure: 'Berkeley DB hash page', offset: base + offset });
        const itemView = new DataView(item.buffer, item.byteOffset, item.byteLength);
        items.push(overflow(itemView.getUint32(4, little), itemView.getUint32(8, little), base + offset));
      } else if (itemType === H_DUPLICATE || itemType === H_OFFDUP) {
        throw new UnsupportedError('Berkeley DB duplicate items are not read', { structure: 'Berkeley DB hash page', offset: base + offset });
      } else {
        throw new CorruptError(`bad hash item type ${itemType}`, { structure: 'Berkeley DB hash page', offset: base + offset });
      }
    }
    for (let i = 0; i < items.length; i += 2) pairs.push({ key: items[i] as Uint8Array, data: items[i + 1] as Uint8Array });
  }
  return pairs;
}
