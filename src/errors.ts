// The error taxonomy of DESIGN.md: one base class with a string `code` and a JSON form, and
// one subclass per way a caller reacts. Errors name the on-disk structure and the absolute
// offset where the data went wrong, so a user can look at the bytes themselves.

export interface ErrorDetail {
  /** The on-disk structure being decoded ("qcow2 header", "GPT entry array", …). */
  structure?: string;
  /** Absolute byte offset in the file or device the structure was read from. */
  offset?: number;
  /** Guest path, file path, or registry key path involved. */
  path?: string;
  /** What was looked for: 'file' | 'key' | 'value' | 'partition' | 'image' | … */
  kind?: string;
  [key: string]: unknown;
}

export class RehostError extends Error {
  readonly code: string;
  readonly detail: ErrorDetail;

  constructor(code: string, message: string, detail: ErrorDetail = {}, options?: { cause?: unknown }) {
    super(describe(message, detail), options);
    this.name = new.target.name;
    this.code = code;
    this.detail = detail;
  }

  toJSON(): { name: string; code: string; message: string; detail: ErrorDetail } {
    return { name: this.name, code: this.code, message: this.message, detail: this.detail };
  }
}

function describe(message: string, detail: ErrorDetail): string {
  const where: string[] = [];
  if (detail.structure !== undefined) where.push(detail.structure);
  if (detail.offset !== undefined) where.push(`at offset ${detail.offset} (0x${detail.offset.toString(16)})`);
  if (detail.path !== undefined) where.push(`in ${detail.path}`);
  return where.length > 0 ? `${message} [${where.join(' ')}]` : message;
}

/** The data is wrong: bad magic, checksum, bounds, loops. */
export class CorruptError extends RehostError {
  constructor(message: string, detail: ErrorDetail = {}, options?: { cause?: unknown }) {
    super('CORRUPT', message, detail, options);
  }
}

/** Valid, but not handled: encryption, a feature flag, a variant. */
export class UnsupportedError extends RehostError {
  constructor(message: string, detail: ErrorDetail = {}, options?: { cause?: unknown }) {
    super('UNSUPPORTED', message, detail, options);
  }
}

/** A file, key, value, partition or image that is not there. `errno` mirrors Node's codes. */
export class NotFoundError extends RehostError {
  readonly errno: 'ENOENT' | 'ENOTDIR' | 'EISDIR';
  constructor(message: string, detail: ErrorDetail = {}, errno: 'ENOENT' | 'ENOTDIR' | 'EISDIR' = 'ENOENT') {
    super('NOT_FOUND', message, detail);
    this.errno = errno;
  }
}

/** Writing is refused: dirty or hibernated NTFS, unreplayed hive logs, ext4 needing recovery, encryption. */
export class UnsafeStateError extends RehostError {
  constructor(message: string, detail: ErrorDetail = {}) {
    super('UNSAFE_STATE', message, detail);
  }
}

/** A patch's expectation about the current state does not hold. */
export class PreconditionError extends RehostError {
  constructor(message: string, detail: ErrorDetail = {}) {
    super('PRECONDITION', message, detail);
  }
}

export function isRehostError(error: unknown): error is RehostError {
  return error instanceof RehostError;
}
