// Which module files an initramfs needs added so that `wanted` modules load: the guest
// tree's modules.dep closure (each modules.dep line already lists every transitive
// dependency, as depmod writes it), plus the `pre:` soft dependencies modules.softdep names
// (modprobe loads those first: ext4's crc32c, for example) when the tree has them, minus the
// built-in modules (modules.builtin) and minus those the initramfs already holds. Pure: the
// caller reads the files. A wanted module neither in modules.dep nor built in is reported as
// missing (the plan should have said "cannot").

import { moduleNameFromPath, parseModulesDep, parseModulesSoftdep, parsePathList } from '../../linux/kmod/index.js';

export interface ModuleClosure {
  /** Paths (relative to the module tree) of modules to add, sorted. */
  add: string[];
  /** Normalised names of the whole closure (wanted modules, dependencies, pre-softdeps). */
  closure: string[];
  /** Wanted modules that are built into the kernel. */
  builtin: string[];
  /** Closure modules the initramfs already holds. */
  present: string[];
  /** Wanted modules neither in modules.dep nor built in. */
  missing: string[];
}

const norm = (name: string): string => name.replace(/-/g, '_');

/** The modules a softdep spec loads before the module ("pre: a b post: c" → a, b). */
export function softdepPre(spec: string): string[] {
  const out: string[] = [];
  let inPre = false;
  for (const word of spec.split(/\s+/)) {
    if (word === '') continue;
    if (word.endsWith(':')) {
      inPre = word === 'pre:';
      continue;
    }
    if (inPre) out.push(norm(word));
  }
  return out;
}

export function moduleClosure(args: {
  wanted: readonly string[];
  modulesDep: string;
  modulesBuiltin?: string;
  modulesSoftdep?: string;
  /** Normalised names already in the initramfs for this kernel. */
  present: ReadonlySet<string>;
}): ModuleClosure {
  const byName = new Map<string, { path: string; deps: string[] }>();
  for (const line of parseModulesDep(args.modulesDep)) byName.set(moduleNameFromPath(line.path), line);
  const builtin = new Set(parsePathList(args.modulesBuiltin ?? '').map(moduleNameFromPath));
  const softdeps = new Map<string, string[]>();
  for (const { module, spec } of parseModulesSoftdep(args.modulesSoftdep ?? '')) {
    softdeps.set(norm(module), [...(softdeps.get(norm(module)) ?? []), ...softdepPre(spec)]);
  }

  const closure = new Set<string>();
  const missing: string[] = [];
  const builtinWanted: string[] = [];
  // A work list over names; each name is expanded once, so the loop is bounded by the tree.
  const queue: Array<{ name: string; required: boolean }> = args.wanted.map((name) => ({ name: norm(name), required: true }));
  while (queue.length > 0) {
    const { name, required } = queue.shift() as { name: string; required: boolean };
    if (closure.has(name)) continue;
    if (builtin.has(name)) {
      if (required && !builtinWanted.includes(name)) builtinWanted.push(name);
      continue;
    }
    const line = byName.get(name);
    if (line === undefined) {
      // Soft dependencies are optional: modprobe ignores one the tree does not have.
      if (required && !missing.includes(name)) missing.push(name);
      continue;
    }
    closure.add(name);
    for (const dep of line.deps) queue.push({ name: moduleNameFromPath(dep), required: true });
    for (const pre of softdeps.get(name) ?? []) queue.push({ name: pre, required: false });
  }
  const names = [...closure].sort();
  const present = names.filter((n) => args.present.has(n));
  const add = names
    .filter((n) => !args.present.has(n))
    .map((n) => (byName.get(n) as { path: string }).path)
    .sort();
  return { add, closure: names, builtin: builtinWanted.sort(), present, missing: missing.sort() };
}
