// Our kmod index files against the host's depmod and modprobe (kmod 30) on real modules:
// the Debian 12 kernel package (fetched once by fixtures/scripts/fetch-debian-kernel.sh into
// .cache/), a staging tree with drivers/{scsi,block,virtio,ata} (a few recompressed as .ko.xz
// and .ko.zst), `depmod -b` run on it, and our depmod() run on the same files. Text files
// and .bin indexes must be equal, and `modprobe --show-depends` must answer the same for
// every module and for device aliases when given our files instead of depmod's.

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DepmodModule, type DepmodOutput, KmodIndex, depmod, parseModulesAlias, parseModulesDep, readModuleInfo } from '../../../src/linux/kmod/index.js';
import { requireTool, tempDir } from '../../helpers/tools.js';

const REPO = new URL('../../../', import.meta.url).pathname;
const SUBTREES = ['kernel/drivers/scsi', 'kernel/drivers/block', 'kernel/drivers/virtio', 'kernel/drivers/ata'];
const RECOMPRESS: Record<string, string[]> = { xz: ['xz', '--check=crc32', '-q'], zst: ['zstd', '-q', '--rm'] };

let kver = '';
let theirs = '';
let ours = '';
let generated: DepmodOutput;
let moduleNames: string[] = [];
/** Staging trees hold tens of MiB of module copies: removed after the run. */
const cleanup: string[] = [];
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

function walk(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(dir, join(base, e.name)) : [join(base, e.name)]));
}

beforeAll(() => {
  for (const tool of ['depmod', 'modprobe', 'xz', 'zstd']) requireTool(tool);
  const [root, version] = execFileSync(join(REPO, 'fixtures/scripts/fetch-debian-kernel.sh'), { encoding: 'utf8' }).trim().split(' ') as [string, string];
  kver = version;
  const source = join(root, 'lib/modules', kver);
  const dir = tempDir('rehost-kmod-');
  cleanup.push(dir);
  theirs = join(dir, 'theirs');
  ours = join(dir, 'ours');
  const stage = join(theirs, 'lib/modules', kver);
  for (const sub of SUBTREES) cpSync(join(source, sub), join(stage, sub), { recursive: true });
  // A few compressed modules, as other distributions ship them.
  const files = walk(stage).filter((p) => p.endsWith('.ko')).sort();
  files.slice(0, 12).forEach((p, i) => {
    const [tool, ...args] = RECOMPRESS[i % 2 === 0 ? 'xz' : 'zst'] as string[];
    execFileSync(tool as string, [...args, join(stage, p)]);
  });
  for (const f of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) cpSync(join(source, f), join(stage, f));
  execFileSync('depmod', ['-b', theirs, kver]);

  const modules: DepmodModule[] = walk(stage)
    .filter((p) => /\.ko(\.(xz|zst|gz))?$/.test(p))
    .sort()
    .map((path) => ({ path, info: readModuleInfo({ bytes: new Uint8Array(readFileSync(join(stage, path))), path }) }));
  moduleNames = modules.map((m) => m.info.name);
  generated = depmod({
    modules,
    modulesOrder: readFileSync(join(stage, 'modules.order'), 'utf8'),
    modulesBuiltin: readFileSync(join(stage, 'modules.builtin'), 'utf8'),
    modulesBuiltinModinfo: new Uint8Array(readFileSync(join(stage, 'modules.builtin.modinfo'))),
  });
  const ourStage = join(ours, 'lib/modules', kver);
  mkdirSync(ourStage, { recursive: true });
  for (const [name, content] of Object.entries(generated)) writeFileSync(join(ourStage, name), content as string | Uint8Array);
  for (const f of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) cpSync(join(source, f), join(ourStage, f));
  // libkmod checks that dependency files exist: the same module files, only the indexes differ.
  symlinkSync(join(stage, 'kernel'), join(ourStage, 'kernel'));
});

function theirFile(name: string): Buffer {
  return readFileSync(join(theirs, 'lib/modules', kver, name));
}

function showDepends(base: string, names: string[]): string {
  return execFileSync('modprobe', ['-d', base, '-S', kver, '-C', '/dev/null', '--show-depends', '-a', ...names], { encoding: 'utf8', maxBuffer: 1 << 26 }).replaceAll(base, 'BASE');
}

describe('depmod equivalence on Debian kernel modules', () => {
  it('covers a real module set, compressed ones included', () => {
    expect(moduleNames.length).toBeGreaterThan(150);
    expect(generated['modules.dep']).toMatch(/\.ko\.xz:/);
    expect(generated['modules.dep']).toMatch(/\.ko\.zst:/);
  });

  it('modules.dep, modules.alias, modules.softdep, modules.devname equal depmod’s', () => {
    expect(generated['modules.dep']).toBe(theirFile('modules.dep').toString());
    expect(generated['modules.alias']).toBe(theirFile('modules.alias').toString());
    expect(generated['modules.softdep']).toBe(theirFile('modules.softdep').toString());
    expect(generated['modules.devname']).toBe(theirFile('modules.devname').toString());
  });

  it('modules.symbols equals depmod’s as a set (depmod writes it in hash order)', () => {
    const sorted = (t: string): string[] => t.split('\n').filter((l) => l !== '').sort();
    expect(sorted(generated['modules.symbols'])).toEqual(sorted(theirFile('modules.symbols').toString()));
  });

  it('the .bin indexes are byte-identical to depmod’s', () => {
    for (const name of ['modules.dep.bin', 'modules.alias.bin', 'modules.symbols.bin', 'modules.builtin.bin', 'modules.builtin.alias.bin'] as const) {
      expect(Buffer.from(generated[name] as Uint8Array).equals(theirFile(name)), name).toBe(true);
    }
  });

  it('modprobe --show-depends answers the same for every module', () => {
    const answer = showDepends(theirs, moduleNames);
    expect(answer.split('\n').filter((l) => l.startsWith('insmod')).length).toBeGreaterThanOrEqual(moduleNames.length);
    expect(showDepends(ours, moduleNames)).toBe(answer);
  });

  it('alias lookups: modprobe and our reader agree', () => {
    const aliases = parseModulesAlias(generated['modules.alias']);
    const index = new KmodIndex(new Uint8Array(theirFile('modules.alias.bin')));
    // Concrete device strings built from patterns (wildcards filled in), e.g. the virtio devices.
    const queries = [
      'virtio:d00000002v00001AF4',
      'virtio:d00000008v00001AF4',
      'pci:v00001000d00000012sv00000000sd00000000bc01sc00i00',
      'pci:v00008086d00002922sv00000000sd00000000bc01sc06i01',
      // Every 9th stored pattern, its wildcards filled with empty strings.
      ...aliases.filter((_, i) => i % 9 === 0 && !/[[\]]/.test(aliases[i]!.pattern)).map((a) => a.pattern.replace(/\*/g, '').replace(/\?/g, 'X')),
    ];
    expect(queries.length).toBeGreaterThan(30);
    for (const q of queries) {
      const ourAnswer = index.lookupWildcard(q).map((v) => v.value);
      const normalized = q.replace(/-/g, '_');
      const expected = [...new Set(aliases.filter((a) => fnmatchLike(a.pattern.replace(/-/g, '_'), normalized)).map((a) => a.module))];
      expect(ourAnswer.length, q).toBeGreaterThan(0);
      expect([...new Set(ourAnswer)].sort(), q).toEqual(expected.sort());
    }
    // One modprobe call per side for all queries (-a), the same answers from both file sets.
    expect(showDepends(ours, queries)).toBe(showDepends(theirs, queries));
    expect(index.lookupWildcard('pci:v0000FFFFd0000FFFF')).toEqual([]);
  });

  it('dep.bin lookups give the modules.dep lines', () => {
    const index = new KmodIndex(new Uint8Array(theirFile('modules.dep.bin')));
    const lines = parseModulesDep(generated['modules.dep']);
    for (const line of lines.slice(0, 40)) {
      const name = line.path.slice(line.path.lastIndexOf('/') + 1).replace(/\.ko.*$/, '').replace(/-/g, '_');
      expect(index.lookup(name).map((v) => v.value)).toEqual([`${line.path}:${line.deps.map((d) => ` ${d}`).join('')}`]);
    }
    expect(index.lookup('no_such_module')).toEqual([]);
  });
});

/** Shell-style match for the oracle side, via a RegExp (independent of our fnmatch). */
function fnmatchLike(pattern: string, text: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(text);
}

describe('the whole Debian kernel module tree', () => {
  it('every file depmod writes comes out identical (modules.symbols as a set)', () => {
    const [root] = execFileSync(join(REPO, 'fixtures/scripts/fetch-debian-kernel.sh'), { encoding: 'utf8' }).trim().split(' ') as [string, string];
    const source = join(root, 'lib/modules', kver);
    const base = tempDir('rehost-kmod-full-');
    cleanup.push(base);
    const stage = join(base, 'lib/modules', kver);
    mkdirSync(stage, { recursive: true });
    // depmod follows a symlinked directory, so the 4000 modules need no copy.
    symlinkSync(join(source, 'kernel'), join(stage, 'kernel'));
    for (const f of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) cpSync(join(source, f), join(stage, f));
    execFileSync('depmod', ['-b', base, kver]);
    const modules = walk(source)
      .filter((p) => /\.ko(\.(xz|zst|gz))?$/.test(p))
      .sort()
      .map((path) => ({ path, info: readModuleInfo({ bytes: new Uint8Array(readFileSync(join(source, path))), path }) }));
    expect(modules.length).toBeGreaterThan(3000);
    const output = depmod({
      modules,
      modulesOrder: readFileSync(join(source, 'modules.order'), 'utf8'),
      modulesBuiltin: readFileSync(join(source, 'modules.builtin'), 'utf8'),
      modulesBuiltinModinfo: new Uint8Array(readFileSync(join(source, 'modules.builtin.modinfo'))),
    });
    for (const [name, content] of Object.entries(output)) {
      const theirs = readFileSync(join(stage, name));
      if (name === 'modules.symbols') {
        const lines = (t: string): string[] => t.split('\n').sort();
        expect(lines(content as string), name).toEqual(lines(theirs.toString()));
      } else expect(Buffer.from(typeof content === 'string' ? new TextEncoder().encode(content) : content).equals(theirs), name).toBe(true);
    }
  });
});
