// The volume's $UpCase table (record 10): 65536 UTF-16 code units mapping each unit to its
// upper case. NTFS compares names case-insensitively through this table, not through
// Unicode rules, so lookups fold both sides with it. Spec: libyal libfsntfs "$UpCase".
// Quirk relied on: names are UCS-2; each code unit folds on its own.

import { CorruptError } from '../../errors.js';

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class UpcaseTable {
  /** True when a..z map to A..Z and every other ASCII unit maps to itself. */
  private readonly asciiStandard: boolean;

  constructor(readonly table: Uint16Array) {
    let standard = table.length === 65536;
    for (let c = 0; c < 128 && standard; c++) {
      const want = c >= 0x61 && c <= 0x7a ? c - 32 : c;
      if (table[c] !== want) standard = false;
    }
    this.asciiStandard = standard;
  }

  /** Folds a name to its upper-case form (the key NTFS collates by). */
  fold(name: string): string {
    if (this.asciiStandard) {
      let ascii = true;
      for (let i = 0; i < name.length; i++) {
        if (name.charCodeAt(i) >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) return name.toUpperCase();
    }
    let out = '';
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      out += String.fromCharCode(this.table[c] ?? c);
    }
    return out;
  }

  upcase(unit: number): number {
    return this.table[unit] ?? unit;
  }

  /** NTFS COLLATION_FILE_NAME: upper-cased units compared in order, then length. */
  compare(a: string, b: string): number {
    const n = Math.min(a.length, b.length);
    const table = this.table;
    for (let i = 0; i < n; i++) {
      const ca = a.charCodeAt(i);
      const cb = b.charCodeAt(i);
      if (ca === cb) continue;
      const x = table[ca]!;
      const y = table[cb]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    return a.length - b.length;
  }

  static decode(bytes: Uint8Array, origin: number): UpcaseTable {
    if (bytes.length < 2 * 128) throw new CorruptError(`$UpCase of ${bytes.length} bytes is too short`, { structure: 'NTFS $UpCase', offset: origin });
    const table = new Uint16Array(65536);
    const units = Math.min(65536, bytes.length >>> 1);
    if (LITTLE_ENDIAN_HOST) {
      // One copy instead of 65536 interpreted steps: the table is little-endian like the host.
      table.set(new Uint16Array(bytes.slice(0, units * 2).buffer));
    } else {
      for (let i = 0; i < units; i++) table[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
    }
    for (let i = units; i < 65536; i++) table[i] = i;
    return new UpcaseTable(table);
  }

  /** A table that only folds ASCII (for volumes whose $UpCase cannot be read). */
  static ascii(): UpcaseTable {
    const table = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = i >= 0x61 && i <= 0x7a ? i - 32 : i;
    return new UpcaseTable(table);
  }

  encode(): Uint8Array {
    const out = new Uint8Array(131072);
    for (let i = 0; i < 65536; i++) {
      out[2 * i] = this.table[i]! & 0xff;
      out[2 * i + 1] = this.table[i]! >>> 8;
    }
    return out;
  }
}
