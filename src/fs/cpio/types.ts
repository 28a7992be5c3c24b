// The cpio entry model shared by the reader, the writer and the merged file tree. Fields are
// the union of the four header formats (see headers.ts), kept exactly as stored so an archive
// re-encodes byte for byte; odc and old binary keep one `dev`/`rdev` number, which we split
// into major = dev >> 8 and minor = dev & 0xff losslessly (major * 256 + minor gives it back).

export type CpioFormat = 'newc' | 'crc' | 'odc' | 'bin-le' | 'bin-be';

export interface CpioEntry {
  /** Name as stored ('.', 'usr/lib', './syslog'); UTF-8 decoded. */
  name: string;
  /** The stored name bytes when they are not valid UTF-8 (so they re-encode unchanged). */
  rawName?: Uint8Array;
  ino: number;
  /** st_mode: type bits (S_IFMT) and permissions. */
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  /** Seconds since the epoch. */
  mtime: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
  /** File contents, or a symlink's target; empty for directories and devices. */
  data: Uint8Array;
  /** The crc format's checksum field (the sum of the data bytes); 0 in newc. */
  check?: number;
}

export interface CpioArchive {
  format: CpioFormat;
  /** Offset of the first header in the input. */
  start: number;
  /** Offset just after the trailer entry (and its padding). */
  end: number;
  entries: CpioEntry[];
  /** The TRAILER!!! entry as stored (its fields round-trip too). */
  trailer: CpioEntry;
  /** Offsets of each entry's header, parallel to `entries`. */
  offsets: number[];
}

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const S_IFSOCK = 0o140000;

export const TRAILER_NAME = 'TRAILER!!!';
