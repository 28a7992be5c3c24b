export * from './index-format.js';
export { KmodIndex } from './index-reader.js';
export { KmodIndexBuilder, writeKmodIndex } from './index-writer.js';
export { fnmatch } from './fnmatch.js';
export { ElfFile, splitStrings, type ElfSection, type ElfSymbol } from './elf.js';
export { readModuleInfo, parseModinfo, moduleNameFromPath, decompressModule, type ModuleInfo, type ModInfoEntry } from './module-info.js';
export { normalizeAlias } from './alias.js';
export { depmod, builtinIndex, builtinAliasIndex, type DepmodInput, type DepmodModule, type DepmodOutput } from './depmod.js';
export { parseModulesDep, parseModulesAlias, parseModulesSymbols, parseModulesSoftdep, parsePathList, type DepLine, type AliasLine } from './text-files.js';
