// What depmod reads from one kernel module file: the .modinfo key=value strings (alias,
// depends, softdep, name, vermagic… in file order), the exported symbols (the __ksymtab_<name>
// symbols of .symtab: on the Debian 6.1 tree this gives exactly depmod's modules.symbols,
// whereas __ksymtab_strings also holds symbol-namespace names), and the imported ones
// (undefined .symtab entries in table order, with their binding: weak imports never make a
// dependency fail). Compressed modules (.ko.xz, .ko.zst, .ko.gz) are decompressed first.

import { DEFAULT_MAX_OUTPUT, decompressAll } from '../../compress/index.js';
import { ElfFile, splitStrings } from './elf.js';

export interface ModInfoEntry {
  key: string;
  value: string;
}

export interface ModuleInfo {
  /** Normalised name from the file name (kmod: basename without .ko*, '-' → '_'). */
  name: string;
  modinfo: ModInfoEntry[];
  aliases: string[];
  /** From modinfo depends= (comma separated), as modpost computed them. */
  depends: string[];
  softdeps: string[];
  vermagic?: string;
  exports: string[];
  imports: Array<{ name: string; weak: boolean }>;
}

const STB_WEAK = 2;
const KSYMTAB_PREFIX = '__ksymtab_';
/** Largest decompressed module we accept (the biggest in-tree modules are tens of MiB). */
const MAX_MODULE_SIZE = 256 * 1024 * 1024;

export function moduleNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return (dot < 0 ? base : base.slice(0, dot)).replace(/-/g, '_');
}

export function decompressModule(bytes: Uint8Array, path: string): Uint8Array {
  if (/\.ko\.(xz|zst|gz)$/.test(path)) return decompressAll(bytes, { maxOutput: Math.min(MAX_MODULE_SIZE, DEFAULT_MAX_OUTPUT) }).output;
  return bytes;
}

export function parseModinfo(bytes: Uint8Array): ModInfoEntry[] {
  return splitStrings(bytes).map((line) => {
    const eq = line.indexOf('=');
    return eq < 0 ? { key: line, value: '' } : { key: line.slice(0, eq), value: line.slice(eq + 1) };
  });
}

export function readModuleInfo(args: { bytes: Uint8Array; path: string }): ModuleInfo {
  const elf = new ElfFile(decompressModule(args.bytes, args.path), args.path);
  const modinfoSection = elf.section('.modinfo');
  const modinfo = modinfoSection === undefined ? [] : parseModinfo(elf.sectionData(modinfoSection));
  const symbols = elf.symbols();
  // Exports are the __ksymtab_<name> symbols (GPL-only ones included). __ksymtab_strings
  // also holds symbol namespace names (I915_GVT, USB_STORAGE…), which depmod does not list;
  // it is only the fallback when a module has no such symbols.
  const fromSymtab = [...new Set(symbols.filter((s) => s.shndx !== 0 && s.name.startsWith(KSYMTAB_PREFIX)).map((s) => s.name.slice(KSYMTAB_PREFIX.length)))];
  const ksymtabStrings = elf.section('__ksymtab_strings');
  const exports = fromSymtab.length > 0 || ksymtabStrings === undefined ? fromSymtab : splitStrings(elf.sectionData(ksymtabStrings));
  const imports = symbols
    .filter((symbol) => symbol.shndx === 0 && symbol.name !== '')
    .map((symbol) => ({ name: symbol.name, weak: symbol.bind === STB_WEAK }));
  const values = (key: string): string[] => modinfo.filter((e) => e.key === key).map((e) => e.value);
  const vermagic = values('vermagic')[0];
  return {
    name: moduleNameFromPath(args.path),
    modinfo,
    aliases: values('alias'),
    depends: values('depends').flatMap((v) => v.split(',')).filter((v) => v !== ''),
    softdeps: values('softdep'),
    ...(vermagic !== undefined ? { vermagic } : {}),
    exports,
    imports,
  };
}
