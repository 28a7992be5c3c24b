// Attribute type codes, record/attribute flag bits and file attribute bits NTFS stores, with
// the names the spec uses. Spec: libyal libfsntfs "Attribute types", Microsoft [MS-FSCC] 2.6.

export const AT_STANDARD_INFORMATION = 0x10;
export const AT_ATTRIBUTE_LIST = 0x20;
export const AT_FILE_NAME = 0x30;
export const AT_OBJECT_ID = 0x40;
export const AT_SECURITY_DESCRIPTOR = 0x50;
export const AT_VOLUME_NAME = 0x60;
export const AT_VOLUME_INFORMATION = 0x70;
export const AT_DATA = 0x80;
export const AT_INDEX_ROOT = 0x90;
export const AT_INDEX_ALLOCATION = 0xa0;
export const AT_BITMAP = 0xb0;
export const AT_REPARSE_POINT = 0xc0;
export const AT_EA_INFORMATION = 0xd0;
export const AT_EA = 0xe0;
export const AT_LOGGED_UTILITY_STREAM = 0x100;
export const AT_END = 0xffffffff;

export const ATTRIBUTE_TYPE_NAMES: Record<number, string> = {
  0x10: '$STANDARD_INFORMATION',
  0x20: '$ATTRIBUTE_LIST',
  0x30: '$FILE_NAME',
  0x40: '$OBJECT_ID',
  0x50: '$SECURITY_DESCRIPTOR',
  0x60: '$VOLUME_NAME',
  0x70: '$VOLUME_INFORMATION',
  0x80: '$DATA',
  0x90: '$INDEX_ROOT',
  0xa0: '$INDEX_ALLOCATION',
  0xb0: '$BITMAP',
  0xc0: '$REPARSE_POINT',
  0xd0: '$EA_INFORMATION',
  0xe0: '$EA',
  0x100: '$LOGGED_UTILITY_STREAM',
};

/** FILE record header flags. */
export const MFT_RECORD_IN_USE = 0x0001;
export const MFT_RECORD_IS_DIRECTORY = 0x0002;

/** Attribute header flags. */
export const ATTR_IS_COMPRESSED = 0x0001;
export const ATTR_COMPRESSION_MASK = 0x00ff;
export const ATTR_IS_ENCRYPTED = 0x4000;
export const ATTR_IS_SPARSE = 0x8000;

/** File attribute bits ($STANDARD_INFORMATION / $FILE_NAME file_attributes). */
export const FILE_ATTRIBUTE_FLAGS: Record<string, number> = {
  READONLY: 0x1,
  HIDDEN: 0x2,
  SYSTEM: 0x4,
  DIRECTORY: 0x10,
  ARCHIVE: 0x20,
  DEVICE: 0x40,
  NORMAL: 0x80,
  TEMPORARY: 0x100,
  SPARSE_FILE: 0x200,
  REPARSE_POINT: 0x400,
  COMPRESSED: 0x800,
  OFFLINE: 0x1000,
  NOT_CONTENT_INDEXED: 0x2000,
  ENCRYPTED: 0x4000,
  INTEGRITY_STREAM: 0x8000,
  VIRTUAL: 0x10000,
  NO_SCRUB_DATA: 0x20000,
  RECALL_ON_OPEN: 0x40000,
  PINNED: 0x80000,
  UNPINNED: 0x100000,
  RECALL_ON_DATA_ACCESS: 0x400000,
  /** Set in $FILE_NAME (and index keys) for directories: FILE_ATTR_DUP_FILE_NAME_INDEX_PRESENT. */
  DUP_FILE_NAME_INDEX_PRESENT: 0x10000000,
  DUP_VIEW_INDEX_PRESENT: 0x20000000,
};

export const FILE_ATTRIBUTE_REPARSE_POINT = 0x400;
export const FILE_ATTRIBUTE_COMPRESSED = 0x800;
export const FILE_ATTRIBUTE_SPARSE_FILE = 0x200;
export const FILE_ATTRIBUTE_ENCRYPTED = 0x4000;
export const FILE_ATTRIBUTE_SYSTEM = 0x4;
export const FILE_NAME_INDEX_PRESENT = 0x10000000;

/** Names of the bits set in a file attribute word, in bit order. */
export function fileAttributeNames(value: number): string[] {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(FILE_ATTRIBUTE_FLAGS)) if ((value & bit) !== 0) names.push(name);
  return names;
}

/** $FILE_NAME namespaces. */
export const NAMESPACE_POSIX = 0;
export const NAMESPACE_WIN32 = 1;
export const NAMESPACE_DOS = 2;
export const NAMESPACE_WIN32_AND_DOS = 3;
export const NAMESPACE_NAMES = ['POSIX', 'Win32', 'DOS', 'Win32&DOS'] as const;

/** Well-known MFT record numbers. */
export const MFT_RECORD_MFT = 0;
export const MFT_RECORD_VOLUME = 3;
export const MFT_RECORD_ROOT = 5;
export const MFT_RECORD_UPCASE = 10;
export const MFT_FIRST_USER_RECORD = 16;

/** An MFT reference: 48-bit record number, 16-bit sequence number. */
export function referenceRecord(low32: number, high16: number): number {
  return high16 * 0x100000000 + low32;
}
