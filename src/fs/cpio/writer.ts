// Writes one cpio archive in any of the four formats: headers, NUL-terminated names,
// padding as the format wants (see headers.ts), the TRAILER!!! entry, and optionally zero
// padding of the whole archive to a block size (GNU cpio pads to 512-byte blocks). Given
// the entries and trailer an archive was read into, the output equals the input byte for
// byte. The crc format's checksum is computed here (the data's byte sum) for regular files.

import { ALIGNMENT, encodeHeader } from './headers.js';
import { byteSum } from './reader.js';
import { type CpioEntry, type CpioFormat, S_IFMT, S_IFREG, TRAILER_NAME } from './types.js';

export interface WriteCpioOptions {
  format: CpioFormat;
  entries: readonly CpioEntry[];
  /** The trailer's header fields; default as GNU cpio and gen_init_cpio write it (nlink 1, rest 0). */
  trailer?: CpioEntry;
  /** Pad the archive with zeros to a multiple of this (GNU cpio: 512). */
  blockSize?: number;
}

export function defaultTrailer(): CpioEntry {
  return { name: TRAILER_NAME, ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, devMajor: 0, devMinor: 0, rdevMajor: 0, rdevMinor: 0, data: new Uint8Array(0) };
}

const encoder = new TextEncoder();

export function writeCpioArchive(options: WriteCpioOptions): Uint8Array {
  const { format } = options;
  const align = ALIGNMENT[format];
  const pad = (n: number): number => (align === 1 ? 0 : (align - (n % align)) % align);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const push = (chunk: Uint8Array): void => {
    chunks.push(chunk);
    length += chunk.length;
  };
  for (const entry of [...options.entries, options.trailer ?? defaultTrailer()]) {
    const name = entry.rawName ?? encoder.encode(entry.name);
    const check = format === 'crc' ? ((entry.mode & S_IFMT) === S_IFREG ? byteSum(entry.data) : (entry.check ?? 0)) : 0;
    push(
      encodeHeader({
        format,
        ino: entry.ino,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        nlink: entry.nlink,
        mtime: entry.mtime,
        filesize: entry.data.length,
        devMajor: entry.devMajor,
        devMinor: entry.devMinor,
        rdevMajor: entry.rdevMajor,
        rdevMinor: entry.rdevMinor,
        namesize: name.length + 1,
        check,
      }),
    );
    const named = new Uint8Array(name.length + 1 + pad(length + name.length + 1));
    named.set(name);
    push(named);
    push(entry.data);
    const dataPad = pad(length);
    if (dataPad > 0) push(new Uint8Array(dataPad));
  }
  const block = options.blockSize ?? 1;
  const tail = (block - (length % block)) % block;
  if (tail > 0) push(new Uint8Array(tail));
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
