// A minimal ELF reader for kernel modules (relocatable ELF32/ELF64, either byte order):
// the section header table, section names from .shstrtab, a section's bytes, and the symbol
// table (.symtab with its .strtab). That is all depmod needs from a .ko: `.modinfo`
// (alias=, depends=, softdep=, vermagic=), `__ksymtab_strings` (exported symbols) and the
// undefined symbols (what the module imports). Spec: the System V ABI / elf(5). Every offset
// and size is checked against the file before use.

import { CorruptError } from '../../errors.js';

export interface ElfSection {
  name: string;
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ElfSymbol {
  name: string;
  /** STB_LOCAL 0, STB_GLOBAL 1, STB_WEAK 2. */
  bind: number;
  type: number;
  /** Section index; 0 (SHN_UNDEF) for imported symbols. */
  shndx: number;
}

const SHT_NOBITS = 8;
const MAX_SECTIONS = 65536;

export class ElfFile {
  readonly is64: boolean;
  readonly littleEndian: boolean;
  readonly sections: ElfSection[] = [];
  private readonly view: DataView;

  constructor(
    readonly data: Uint8Array,
    private readonly source = 'ELF file',
  ) {
    if (data.length < 52 || data[0] !== 0x7f || data[1] !== 0x45 || data[2] !== 0x4c || data[3] !== 0x46) throw this.corrupt('not an ELF file', 0);
    const cls = data[4];
    const encoding = data[5];
    if (cls !== 1 && cls !== 2) throw this.corrupt(`bad ELF class ${cls}`, 4);
    if (encoding !== 1 && encoding !== 2) throw this.corrupt(`bad ELF data encoding ${encoding}`, 5);
    this.is64 = cls === 2;
    this.littleEndian = encoding === 1;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (this.is64 && data.length < 64) throw this.corrupt('truncated ELF header', 0);
    const shoff = this.is64 ? this.u64(0x28) : this.u32(0x20);
    const shentsize = this.u16(this.is64 ? 0x3a : 0x2e);
    const shnum = this.u16(this.is64 ? 0x3c : 0x30);
    const shstrndx = this.u16(this.is64 ? 0x3e : 0x32);
    if (shnum === 0) return;
    if (shnum > MAX_SECTIONS || shentsize < (this.is64 ? 64 : 40)) throw this.corrupt('bad section header table', this.is64 ? 0x3a : 0x2e);
    if (shoff + shnum * shentsize > data.length) throw this.corrupt('section header table runs past the end of the file', this.is64 ? 0x28 : 0x20);
    const raw: Array<Omit<ElfSection, 'name'> & { nameOffset: number }> = [];
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * shentsize;
      const section = this.is64
        ? { nameOffset: this.u32(at), type: this.u32(at + 4), offset: this.u64(at + 0x18), size: this.u64(at + 0x20), link: this.u32(at + 0x28), entsize: this.u64(at + 0x38) }
        : { nameOffset: this.u32(at), type: this.u32(at + 4), offset: this.u32(at + 0x10), size: this.u32(at + 0x14), link: this.u32(at + 0x18), entsize: this.u32(at + 0x24) };
      if (section.type !== SHT_NOBITS && section.type !== 0 && section.offset + section.size > data.length) {
        throw this.corrupt(`section ${i} runs past the end of the file`, at);
      }
      raw.push(section);
    }
    const names = raw[shstrndx];
    for (const section of raw) {
      const name = names === undefined ? '' : this.cString(names.offset + section.nameOffset, names.offset + names.size);
      this.sections.push({ name, type: section.type, offset: section.offset, size: section.size, link: section.link, entsize: section.entsize });
    }
  }

  private corrupt(message: string, offset: number): CorruptError {
    return new CorruptError(message, { structure: 'ELF', offset, path: this.source });
  }
  private u16(at: number): number {
    return this.view.getUint16(at, this.littleEndian);
  }
  private u32(at: number): number {
    return this.view.getUint32(at, this.littleEndian);
  }
  private u64(at: number): number {
    const value = this.view.getBigUint64(at, this.littleEndian);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.corrupt('64-bit ELF field larger than 2^53', at);
    return Number(value);
  }

  /** A NUL-terminated string starting at `at`, not reading past `limit`. */
  cString(at: number, limit: number): string {
    if (at >= limit || at >= this.data.length) return '';
    let end = at;
    const stop = Math.min(limit, this.data.length);
    while (end < stop && this.data[end] !== 0) end++;
    return new TextDecoder('latin1').decode(this.data.subarray(at, end));
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  sectionData(section: ElfSection): Uint8Array {
    if (section.type === SHT_NOBITS) return new Uint8Array(0);
    if (section.offset + section.size > this.data.length) throw this.corrupt(`section ${section.name} runs past the end of the file`, section.offset);
    return this.data.subarray(section.offset, section.offset + section.size);
  }

  /** Symbols of .symtab in table order, skipping the null symbol 0. */
  symbols(): ElfSymbol[] {
    const symtab = this.section('.symtab');
    if (symtab === undefined) return [];
    const strtab = this.sections[symtab.link];
    if (strtab === undefined) throw this.corrupt('.symtab links to a missing string table', 0);
    const entsize = this.is64 ? 24 : 16;
    if (symtab.offset + symtab.size > this.data.length) throw this.corrupt('.symtab runs past the end of the file', symtab.offset);
    if (strtab.offset + strtab.size > this.data.length) throw this.corrupt('.strtab runs past the end of the file', strtab.offset);
    const count = Math.floor(symtab.size / entsize);
    const out: ElfSymbol[] = [];
    for (let i = 1; i < count; i++) {
      const at = symtab.offset + i * entsize;
      const nameOffset = this.u32(at);
      const info = this.is64 ? (this.data[at + 4] as number) : (this.data[at + 12] as number);
      const shndx = this.is64 ? this.u16(at + 6) : this.u16(at + 14);
      out.push({ name: this.cString(strtab.offset + nameOffset, strtab.offset + strtab.size), bind: info >> 4, type: info & 0xf, shndx });
    }
    return out;
  }
}

/** NUL-separated strings of a section (.modinfo, __ksymtab_strings), empty ones skipped. */
export function splitStrings(bytes: Uint8Array): string[] {
  const out: string[] = [];
  const decoder = new TextDecoder('latin1');
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0) {
      if (i > start) out.push(decoder.decode(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  return out;
}
