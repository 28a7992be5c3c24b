// A read-only reader for SQLite database files, enough to list the rows of a rowid table
// (rpm's rpmdb.sqlite "Packages" table). Follows https://www.sqlite.org/fileformat2.html:
// the 100-byte database header (page size at 16, reserved bytes per page at 20, page count
// at 28, text encoding at 56), b-tree pages (type 0x05 interior table / 0x0d leaf table, cell
// pointer array after an 8- or 12-byte page header), payloads spilling to overflow-page
// chains (local size from U, X = U-35, M = ((U-12)*32/255)-23, K = M+((P-M) % (U-4))), and
// the record format (varint header of serial types). The schema table is the b-tree rooted at
// page 1. Every page number is bounds-checked, b-tree descent and overflow chains are
// cycle-checked and bounded, and payload sizes are checked against the file before
// allocating. Index b-trees, WAL files and freelists are not read.

import { CorruptError, UnsupportedError } from '../../errors.js';

export type SqliteValue = null | number | bigint | string | Uint8Array;

export interface SqliteRow {
  rowid: number;
  values: SqliteValue[];
}

const MAGIC = 'SQLite format 3\0';

function fail(message: string, offset: number, structure = 'SQLite b-tree page'): never {
  throw new CorruptError(message, { structure, offset });
}

export class SqliteFile {
  readonly pageSize: number;
  readonly usableSize: number;
  readonly pageCount: number;
  readonly encoding: 'utf-8' | 'utf-16le' | 'utf-16be';
  private readonly view: DataView;

  constructor(private readonly data: Uint8Array) {
    if (data.length < 100 || new TextDecoder('latin1').decode(data.subarray(0, 16)) !== MAGIC) fail('not an SQLite 3 database (bad magic)', 0, 'SQLite header');
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const rawPageSize = this.view.getUint16(16);
    this.pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
    if (this.pageSize < 512 || (this.pageSize & (this.pageSize - 1)) !== 0) fail(`bad page size ${rawPageSize}`, 16, 'SQLite header');
    const reserved = data[20] as number;
    this.usableSize = this.pageSize - reserved;
    if (this.usableSize < 480) fail(`usable page size ${this.usableSize} below 480`, 20, 'SQLite header');
    // The in-header page count is valid only when the change counters agree; else use the file size.
    const headerCount = this.view.getUint32(28);
    const valid = this.view.getUint32(24) === this.view.getUint32(92) && headerCount !== 0;
    this.pageCount = Math.min(valid ? headerCount : Number.MAX_SAFE_INTEGER, Math.floor(data.length / this.pageSize));
    const encoding = this.view.getUint32(56);
    this.encoding = encoding === 2 ? 'utf-16le' : encoding === 3 ? 'utf-16be' : 'utf-8';
    if (encoding > 3) fail(`bad text encoding ${encoding}`, 56, 'SQLite header');
  }

  private pageOffset(page: number, from: number): number {
    if (!Number.isInteger(page) || page < 1 || page > this.pageCount) fail(`page number ${page} outside the database (${this.pageCount} pages)`, from);
    return (page - 1) * this.pageSize;
  }

  private varint(at: number, limit: number): { value: number; length: number } {
    let value = 0;
    for (let i = 0; i < 9; i++) {
      if (at + i >= limit) fail('varint runs past its page', at);
      const byte = this.data[at + i] as number;
      if (i === 8) return { value: value * 256 + byte, length: 9 };
      value = value * 128 + (byte & 0x7f);
      if ((byte & 0x80) === 0) return { value, length: i + 1 };
    }
    return fail('unreachable varint', at);
  }

  /** Rows of the table whose b-tree is rooted at `rootPage`, in rowid order. */
  *tableRows(rootPage: number, options: { maxRows?: number } = {}): Generator<SqliteRow> {
    const maxRows = options.maxRows ?? 10_000_000;
    const seen = new Set<number>();
    const stack: number[] = [rootPage];
    let rows = 0;
    while (stack.length > 0) {
      const page = stack.pop() as number;
      if (seen.has(page)) fail(`b-tree page ${page} reached twice (loop)`, this.pageOffset(page, 0));
      seen.add(page);
      const base = this.pageOffset(page, 0);
      const header = base + (page === 1 ? 100 : 0);
      const pageEnd = base + this.pageSize;
      const type = this.data[header];
      const cells = this.view.getUint16(header + 3);
      if (type === 0x05) {
        const children: number[] = [];
        for (let i = 0; i < cells; i++) {
          const pointerAt = header + 12 + i * 2;
          if (pointerAt + 2 > pageEnd) fail('cell pointer array runs past its page', pointerAt);
          const cell = base + this.view.getUint16(pointerAt);
          if (cell < header + 12 || cell + 4 > pageEnd) fail(`cell ${i} outside its page`, pointerAt);
          children.push(this.view.getUint32(cell));
        }
        children.push(this.view.getUint32(header + 8));
        // Depth first, left to right: push in reverse.
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as number);
      } else if (type === 0x0d) {
        for (let i = 0; i < cells; i++) {
          const pointerAt = header + 8 + i * 2;
          if (pointerAt + 2 > pageEnd) fail('cell pointer array runs past its page', pointerAt);
          const cell = base + this.view.getUint16(pointerAt);
          if (cell < header + 8 || cell >= pageEnd) fail(`cell ${i} outside its page`, pointerAt);
          if (++rows > maxRows) fail(`more than ${maxRows} rows`, cell);
          yield this.leafCell(cell, pageEnd);
        }
      } else if (type === 0x02 || type === 0x0a) {
        throw new UnsupportedError('an index b-tree was given where a table was expected', { structure: 'SQLite b-tree page', offset: header });
      } else {
        fail(`bad b-tree page type 0x${(type ?? 0).toString(16)}`, header);
      }
    }
  }

  private leafCell(cell: number, pageEnd: number): SqliteRow {
    const size = this.varint(cell, pageEnd);
    const rowid = this.varint(cell + size.length, pageEnd);
    const payloadSize = size.value;
    if (payloadSize > this.data.length) fail(`payload of ${payloadSize} bytes is larger than the file`, cell);
    const start = cell + size.length + rowid.length;
    const U = this.usableSize;
    const X = U - 35;
    let local = payloadSize;
    if (payloadSize > X) {
      const M = Math.floor(((U - 12) * 32) / 255) - 23;
      const K = M + ((payloadSize - M) % (U - 4));
      local = K <= X ? K : M;
    }
    if (start + local > pageEnd) fail('cell payload runs past its page', cell);
    const payload = new Uint8Array(payloadSize);
    payload.set(this.data.subarray(start, start + local));
    if (local < payloadSize) {
      if (start + local + 4 > pageEnd) fail('overflow pointer runs past its page', start + local);
      let next = this.view.getUint32(start + local);
      let filled = local;
      const seen = new Set<number>();
      while (filled < payloadSize) {
        if (seen.has(next)) fail(`overflow page ${next} reached twice (loop)`, start + local, 'SQLite overflow chain');
        seen.add(next);
        const at = this.pageOffset(next, start + local);
        const take = Math.min(U - 4, payloadSize - filled);
        payload.set(this.data.subarray(at + 4, at + 4 + take), filled);
        filled += take;
        next = this.view.getUint32(at);
      }
    }
    return { rowid: rowid.value, values: this.decodeRecord(payload, cell) };
  }

  private decodeRecord(payload: Uint8Array, origin: number): SqliteValue[] {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const readVarint = (at: number): { value: number; length: number } => {
      let value = 0;
      for (let i = 0; i < 9; i++) {
        if (at + i >= payload.length) fail('record header varint runs past the payload', origin, 'SQLite record');
        const byte = payload[at + i] as number;
        if (i === 8) return { value: value * 256 + byte, length: 9 };
        value = value * 128 + (byte & 0x7f);
        if ((byte & 0x80) === 0) return { value, length: i + 1 };
      }
      return fail('unreachable', origin);
    };
    const headerSize = readVarint(0);
    if (headerSize.value > payload.length || headerSize.value < headerSize.length) fail(`record header size ${headerSize.value} is outside the payload`, origin, 'SQLite record');
    const types: number[] = [];
    for (let at = headerSize.length; at < headerSize.value; ) {
      const t = readVarint(at);
      types.push(t.value);
      at += t.length;
    }
    const values: SqliteValue[] = [];
    let at = headerSize.value;
    const need = (n: number): void => {
      if (at + n > payload.length) fail('record value runs past the payload', origin, 'SQLite record');
    };
    for (const t of types) {
      if (t === 0) values.push(null);
      else if (t >= 1 && t <= 6) {
        const size = [0, 1, 2, 3, 4, 6, 8][t] as number;
        need(size);
        let v = 0n;
        for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(payload[at + i] as number);
        if ((payload[at] as number) & 0x80) v -= 1n << BigInt(size * 8);
        values.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        at += size;
      } else if (t === 7) {
        need(8);
        values.push(view.getFloat64(at));
        at += 8;
      } else if (t === 8 || t === 9) values.push(t - 8);
      else if (t >= 12) {
        const size = Math.floor((t - 12) / 2);
        need(size);
        const bytes = payload.subarray(at, at + size);
        values.push(t % 2 === 0 ? bytes.slice() : new TextDecoder(this.encoding).decode(bytes));
        at += size;
      } else fail(`reserved serial type ${t}`, origin, 'SQLite record');
    }
    return values;
  }

  /** The schema: every table and index with its root page. */
  schema(): Array<{ type: string; name: string; tableName: string; rootPage: number; sql: string }> {
    const out: Array<{ type: string; name: string; tableName: string; rootPage: number; sql: string }> = [];
    for (const row of this.tableRows(1)) {
      const [type, name, tableName, rootPage, sql] = row.values;
      if (typeof type !== 'string' || typeof name !== 'string') continue;
      out.push({ type, name, tableName: typeof tableName === 'string' ? tableName : name, rootPage: typeof rootPage === 'number' ? rootPage : 0, sql: typeof sql === 'string' ? sql : '' });
    }
    return out;
  }

  /** Rows of a table by name (case-insensitive, as SQL names are); NotFound → undefined. */
  findTable(name: string): { rootPage: number; sql: string } | undefined {
    const entry = this.schema().find((e) => e.type === 'table' && e.name.toLowerCase() === name.toLowerCase());
    return entry === undefined ? undefined : { rootPage: entry.rootPage, sql: entry.sql };
  }
}
