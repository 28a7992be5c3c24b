// Regenerates what depmod writes for a module tree, without running depmod: modules.dep(.bin),
// modules.alias(.bin), modules.softdep, modules.symbols(.bin), modules.builtin.bin,
// modules.builtin.alias.bin and modules.devname, following kmod's tools/depmod.c:
// - module order: modules listed in modules.order first, in that order, then the others in
//   the order given; a module's index in this order is its priority in the .bin files;
// - symbol owners: each module's exports; the first module in that order keeps a symbol
//   (depmod_symbol_add uses hash_add_unique, so a later exporter is ignored);
// - direct dependencies: owners of the module's undefined symbols, in symbol-table order
//   (kmod resolves imports, not modinfo depends=); vmlinux symbols have no owner;
// - ordering: a topological sort popping roots from a stack (modules nobody uses first),
//   each module's direct dependencies then sorted by that order, and each modules.dep line
//   listing all transitive dependencies sorted the same way;
// - .bin keys: module names (dep), aliases with '-' → '_' outside [...] (alias), "symbol:"
//   + name (symbols). Inserted in depmod's order, the .bin files come out byte-identical;
// - modules.symbols lists symbols in the iteration order of kmod's hash table (kmod-hash.ts).

import { CorruptError } from '../../errors.js';
import { normalizeAlias } from './alias.js';
import { writeKmodIndex } from './index-writer.js';
import { kmodHashOrder } from './kmod-hash.js';
import { type ModuleInfo, moduleNameFromPath, parseModinfo } from './module-info.js';

export interface DepmodModule {
  /** Path relative to /lib/modules/<kver>/ ("kernel/drivers/block/virtio_blk.ko.xz"). */
  path: string;
  info: ModuleInfo;
}

export interface DepmodInput {
  modules: readonly DepmodModule[];
  /** Text of modules.order (paths with plain .ko). */
  modulesOrder?: string;
  /** Text of modules.builtin. */
  modulesBuiltin?: string;
  /** Bytes of modules.builtin.modinfo ("name.key=value\0"…). */
  modulesBuiltinModinfo?: Uint8Array;
}

export interface DepmodOutput {
  'modules.dep': string;
  'modules.dep.bin': Uint8Array;
  'modules.alias': string;
  'modules.alias.bin': Uint8Array;
  'modules.softdep': string;
  'modules.symbols': string;
  'modules.symbols.bin': Uint8Array;
  'modules.builtin.bin'?: Uint8Array;
  'modules.builtin.alias.bin'?: Uint8Array;
  'modules.devname': string;
}

interface Mod {
  path: string;
  uncompressedPath: string;
  name: string;
  info: ModuleInfo;
  sortIdx: number;
  idx: number;
  deps: Mod[];
  users: number;
  depSortIdx: number;
}

function uncompressedPath(path: string): string {
  return path.replace(/\.ko\.(xz|zst|gz)$/, '.ko');
}

function orderModules(input: DepmodInput): Mod[] {
  const mods: Mod[] = [];
  const byName = new Map<string, Mod>();
  for (const module of input.modules) {
    const name = moduleNameFromPath(module.path);
    if (byName.has(name)) continue; // depmod keeps one module per name (search-path priority); first wins here
    const mod: Mod = { path: module.path, uncompressedPath: uncompressedPath(module.path), name, info: module.info, sortIdx: mods.length + 1, idx: 0, deps: [], users: 0, depSortIdx: Number.MAX_SAFE_INTEGER };
    mods.push(mod);
    byName.set(name, mod);
  }
  if (input.modulesOrder !== undefined) {
    const lines = input.modulesOrder.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const total = lines.length + 1;
    const byPath = new Map(mods.map((m) => [m.uncompressedPath, m]));
    lines.forEach((line, i) => {
      const mod = byPath.get(line);
      if (mod !== undefined) mod.sortIdx = i + 1 - total;
    });
    mods.sort((a, b) => a.sortIdx - b.sortIdx);
  }
  mods.forEach((m, i) => (m.idx = i));
  return mods;
}

function resolveDependencies(mods: Mod[]): Map<string, Mod> {
  const owners = new Map<string, Mod>();
  for (const mod of mods) for (const symbol of mod.info.exports) if (!owners.has(symbol)) owners.set(symbol, mod);
  for (const mod of mods) {
    for (const imported of mod.info.imports) {
      const owner = owners.get(imported.name.startsWith('.') ? imported.name.slice(1) : imported.name);
      if (owner === undefined || mod.deps.includes(owner)) continue;
      mod.deps.push(owner);
      owner.users++;
    }
  }
  // Topological sort: modules without users first, roots taken from a stack.
  const users = mods.map((m) => m.users);
  const roots: number[] = [];
  users.forEach((u, i) => {
    if (u === 0) roots.push(i);
  });
  let sorted = 0;
  while (roots.length > 0) {
    const src = mods[roots.pop() as number] as Mod;
    src.depSortIdx = sorted++;
    for (const dst of src.deps) {
      users[dst.idx] = (users[dst.idx] as number) - 1;
      if (users[dst.idx] === 0) roots.push(dst.idx);
    }
  }
  if (sorted < mods.length) {
    const cycle = mods.filter((m) => (users[m.idx] as number) > 0).map((m) => m.name);
    throw new CorruptError(`modules in dependency cycles: ${cycle.join(', ')}`, { structure: 'module dependencies' });
  }
  for (const mod of mods) mod.deps.sort((a, b) => a.depSortIdx - b.depSortIdx);
  return owners;
}

function allDependencies(mod: Mod): Mod[] {
  const out: Mod[] = [];
  const fill = (m: Mod): void => {
    for (const d of m.deps) {
      if (out.includes(d)) continue;
      out.push(d);
      fill(d);
    }
  };
  fill(mod);
  return out.sort((a, b) => a.depSortIdx - b.depSortIdx);
}

function modinfoValues(mod: Mod, key: string): string[] {
  return mod.info.modinfo.filter((e) => e.key === key).map((e) => e.value);
}

export function depmod(input: DepmodInput): DepmodOutput {
  const mods = orderModules(input);
  const owners = resolveDependencies(mods);

  const depLines = mods.map((mod) => {
    const deps = allDependencies(mod);
    return `${mod.path}:${deps.map((d) => ` ${d.path}`).join('')}`;
  });
  const aliasLines: string[] = ['# Aliases extracted from modules themselves.'];
  const aliasEntries: Array<{ key: string; value: string; priority: number }> = [];
  const softdepLines: string[] = ['# Soft dependencies extracted from modules themselves.'];
  // kmod 30 writes modules.devname's header only above a first entry (an empty file otherwise).
  const devnameLines: string[] = [];
  for (const mod of mods) {
    for (const alias of modinfoValues(mod, 'alias')) {
      aliasLines.push(`alias ${alias} ${mod.name}`);
      const key = normalizeAlias(alias);
      if (key !== undefined) aliasEntries.push({ key, value: mod.name, priority: mod.idx });
    }
    for (const softdep of modinfoValues(mod, 'softdep')) softdepLines.push(`softdep ${mod.name} ${softdep}`);
    const devname = devnameOf(mod);
    if (devname !== undefined) {
      if (devnameLines.length === 0) devnameLines.push('# Device nodes to trigger on-demand module loading.');
      devnameLines.push(devname);
    }
  }
  const symbolLines: string[] = ['# Aliases for symbols, used by symbol_request().'];
  const symbolEntries: Array<{ key: string; value: string; priority: number }> = [];
  // depmod walks its symbol hash table (2048 buckets) to write both files.
  for (const symbol of kmodHashOrder(owners.keys())) {
    const owner = owners.get(symbol) as Mod;
    symbolLines.push(`alias symbol:${symbol} ${owner.name}`);
    symbolEntries.push({ key: `symbol:${symbol}`, value: owner.name, priority: owner.idx });
  }
  const text = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');
  const output: DepmodOutput = {
    'modules.dep': text(depLines),
    'modules.dep.bin': writeKmodIndex(mods.map((mod, i) => ({ key: mod.name, value: depLines[i] as string, priority: mod.idx }))),
    'modules.alias': text(aliasLines),
    'modules.alias.bin': writeKmodIndex(aliasEntries),
    'modules.softdep': text(softdepLines),
    'modules.symbols': text(symbolLines),
    'modules.symbols.bin': writeKmodIndex(symbolEntries),
    'modules.devname': text(devnameLines),
  };
  if (input.modulesBuiltin !== undefined) output['modules.builtin.bin'] = builtinIndex(input.modulesBuiltin);
  if (input.modulesBuiltinModinfo !== undefined) output['modules.builtin.alias.bin'] = builtinAliasIndex(input.modulesBuiltinModinfo);
  return output;
}

function devnameOf(mod: Mod): string | undefined {
  let devname: string | undefined;
  let type = '';
  let major = 0;
  let minor = 0;
  for (const alias of modinfoValues(mod, 'alias')) {
    let m: RegExpExecArray | null;
    if (alias.startsWith('devname:')) devname = alias.slice('devname:'.length);
    else if ((m = /^char-major-(\d+)-(\d+)/.exec(alias)) !== null) [type, major, minor] = ['c', Number(m[1]), Number(m[2])];
    else if ((m = /^block-major-(\d+)-(\d+)/.exec(alias)) !== null) [type, major, minor] = ['b', Number(m[1]), Number(m[2])];
    if (type !== '' && devname !== undefined) break;
  }
  return devname !== undefined && type !== '' ? `${mod.name} ${devname} ${type}${major}:${minor}` : undefined;
}

/** modules.builtin.bin: one key per built-in module name, empty value, priority 0. */
export function builtinIndex(modulesBuiltin: string): Uint8Array {
  const entries = modulesBuiltin
    .split('\n')
    .filter((line) => /^[A-Za-z]/.test(line))
    .map((line) => ({ key: moduleNameFromPath(line.trim()), value: '', priority: 0 }));
  return writeKmodIndex(entries);
}

/** modules.builtin.alias.bin: aliases of built-in modules from modules.builtin.modinfo. */
export function builtinAliasIndex(modinfo: Uint8Array): Uint8Array {
  const entries: Array<{ key: string; value: string; priority: number }> = [];
  for (const { key, value } of parseModinfo(modinfo)) {
    const dot = key.indexOf('.');
    if (dot < 0 || key.slice(dot + 1) !== 'alias') continue;
    const alias = normalizeAlias(value);
    if (alias !== undefined) entries.push({ key: alias, value: key.slice(0, dot), priority: 0 });
  }
  return writeKmodIndex(entries);
}
