// Shapes of a parsed INF file. The lexical layer (InfDocument: sections of lines with their
// key and comma-separated values, quotes removed, strings not yet substituted) is separate
// from the semantic layer (DriverInf: Version, Manufacturer, Models) and from install
// selection (what Windows would do for one guest OS), because callers need each on its own.

/** One logical line (continuations joined) of a section. */
export interface InfLine {
  /** The part left of the first unquoted '=', trimmed; undefined for a line without '='. */
  key?: string;
  /** Comma-separated fields, outer whitespace trimmed, quotes removed, `""` unescaped. */
  values: string[];
  /** The whole right-hand side as one field (commas kept), for [Strings] values. */
  text: string;
  /** 1-based physical line number where the logical line starts. */
  line: number;
  /** Byte offset of that line in the file (exact for UTF-16 and ANSI, counted for UTF-8). */
  offset: number;
}

export interface InfSection {
  /** Name as first written (case kept). */
  name: string;
  lines: InfLine[];
  line: number;
  offset: number;
}

export type InfArch = 'x86' | 'amd64' | 'arm64' | 'arm' | 'ia64';

export interface InfOs {
  major: number;
  minor: number;
  build?: number;
  arch: InfArch;
  productType: 'workstation' | 'server' | 'domainController';
  /** VER_SUITE_* mask of the guest, when known. */
  suiteMask?: number;
}

/** A parsed TargetOSVersion decoration (`NTamd64.10.0...16299`). */
export interface TargetOsVersion {
  /** The decoration as written. */
  text: string;
  /** undefined when the decoration names no architecture (`NT`, `NT.6.1`). */
  arch?: InfArch;
  /** An architecture token we do not know (kept so nothing silently matches). */
  unknownArch?: string;
  major?: number;
  minor?: number;
  productType?: number;
  suiteMask?: number;
  build?: number;
}

export interface InfManufacturer {
  /** Manufacturer name, strings substituted. */
  name: string;
  /** The models-section-name as written. */
  modelsSection: string;
  decorations: TargetOsVersion[];
  line: number;
}

export interface InfModel {
  /** Device description, strings substituted. */
  description: string;
  /** The install-section-name as written (undecorated). */
  installSection: string;
  hardwareId: string;
  compatibleIds: string[];
  line: number;
}

export interface DriverVer {
  /** As written (MM/DD/YYYY). */
  date: string;
  /** ISO form YYYY-MM-DD when the date is well formed. */
  isoDate?: string;
  version?: string;
}

export interface InfVersion {
  signature?: string;
  class?: string;
  classGuid?: string;
  provider?: string;
  /** Undecorated CatalogFile. */
  catalogFile?: string;
  /** Decorated CatalogFile.<ext> entries, keyed by their lower-case decoration (`ntamd64`). */
  catalogFiles: Record<string, string>;
  driverVer?: DriverVer;
  pnpLockdown?: number;
}

export type RegType = 'REG_SZ' | 'REG_EXPAND_SZ' | 'REG_MULTI_SZ' | 'REG_DWORD' | 'REG_QWORD' | 'REG_BINARY' | 'REG_NONE' | 'REG_TYPE';

/** One AddReg line, with strings substituted and its data decoded by its flags. */
export interface InfRegEntry {
  /** HKR, HKLM, HKCU, HKCR, HKU. */
  root: string;
  subkey: string;
  /** undefined for the key's default value or a key-only line. */
  valueName?: string;
  flags: number;
  /** undefined for a key-only (FLG_ADDREG_KEYONLY) or delete line. */
  type?: RegType;
  /** The numeric registry type (for REG_TYPE: custom binary types from the high word). */
  typeNumber?: number;
  data?: string | string[] | number | bigint | Uint8Array;
  keyOnly: boolean;
  noClobber: boolean;
  append: boolean;
  deleteValue: boolean;
  section: string;
  line: number;
}
