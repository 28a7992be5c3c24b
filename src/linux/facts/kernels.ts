// Installed kernels, found the way virt-v2v's Linux_kernels does without running the package
// manager: every /boot/vmlinuz-<version> (and /boot/kernel-<version>), minus package-manager
// leftovers (.dpkg-*, .rpmsave, -rescue-<machine id> stays in: it is a bootable kernel). For
// each: the release in its bzImage header, its /lib/modules/<version> tree (module files by
// compression, modules.dep and modules.builtin), /boot/config-<version>, and its initramfs
// (initrd.img-<v> on Debian, initramfs-<v>.img on dracut distributions; the shortest name
// containing the version and not "kdump" wins, RHBZ#1141145) opened through
// src/linux/initramfs. Then per storage driver: where this kernel would get it at boot.

import type { Diagnostics } from '../../diagnostics.js';
import { RehostError } from '../../errors.js';
import { openInitramfs } from '../initramfs/index.js';
import { readBzImageVersion } from './bzimage.js';
import type { GuestFs } from './guest-fs.js';
import { kconfigState, parseKconfig, type KconfigState } from './kconfig.js';
import type { InstalledPackage } from './packages.js';
import { DEFAULT_STORAGE_DRIVERS, EXTRA_CONFIG_SYMBOLS, type DriverSymbol } from './storage-drivers-data.js';

export type ModuleFileCompression = 'none' | 'xz' | 'zstd' | 'gzip';

export interface ModuleTreeFacts {
  path: string;
  /** Module files found by walking the tree (*.ko, *.ko.xz, *.ko.zst, *.ko.gz). */
  count: number;
  byCompression: Partial<Record<ModuleFileCompression, number>>;
  /** Lines in modules.dep (one per module depmod indexed); absent when the file is missing. */
  depCount?: number;
  builtinCount?: number;
  hasDepBin: boolean;
  hasAliasBin: boolean;
}

export interface InitramfsFacts {
  path: string;
  size: number;
  compressions: string[];
  segments: number;
  generator?: string;
  /** true: host-only (dracut hostonly, initramfs-tools MODULES=dep or list); false: generic; absent: unknown. */
  hostonly?: boolean;
  hostonlyEvidence?: string;
  /** Normalised names of the modules inside, sorted, unique. */
  modules: string[];
  /** Kernel versions that have a module directory inside. */
  moduleKernelVersions: string[];
  error?: string;
}

export type DriverReadiness = 'builtin' | 'initramfs' | 'module-tree' | 'absent';

export interface KernelFacts {
  version: string;
  vmlinuz: string;
  size: number;
  /** Release from the bzImage header (x86); may differ from the file name. */
  headerRelease?: string;
  headerVersionString?: string;
  arch?: string;
  debug: boolean;
  /** The installed package that owns this kernel ("linux-image-6.1.0-18-amd64 6.1.76-1"), by naming convention. */
  package?: string;
  modules?: ModuleTreeFacts;
  config?: { path: string; symbols: Record<string, KconfigState> };
  initramfs?: InitramfsFacts;
  /** Where each storage/bus driver comes from at boot, first match in this order. */
  drivers: Record<string, DriverReadiness>;
}

const MODULE_FILE = /^(.+)\.ko(?:\.(xz|zst|gz))?$/;
const MAX_TREE_ENTRIES = 200_000;
const MAX_INITRAMFS = 1024 * 1024 * 1024;

export function moduleName(fileName: string): string | undefined {
  const match = MODULE_FILE.exec(fileName);
  return match === null ? undefined : (match[1] as string).replace(/-/g, '_');
}

/** Kernel versions from /boot file names, skipping package-manager backup copies. */
export function kernelVersionFromFileName(name: string): string | undefined {
  const match = /^(?:vmlinuz|kernel|vmlinux)-(.+)$/.exec(name);
  if (match === null) return undefined;
  const version = match[1] as string;
  if (/\.(dpkg-[a-z]+|rpmsave|rpmnew|bak|old|orig|sig|hmac)$/.test(version) || version.startsWith('.')) return undefined;
  return version;
}

/** modules.builtin lines ("kernel/drivers/ata/libata.ko") → module names. */
export function parseModulesBuiltin(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const base = line.trim().split('/').pop() ?? '';
    const name = moduleName(base);
    if (name !== undefined) out.add(name);
  }
  return out;
}

/** The initramfs file belonging to a kernel, among /boot's file names. */
export function pickInitramfs(names: string[], version: string): string | undefined {
  const candidates = names.filter((n) => /^(initrd|initramfs)/.test(n) && n.includes(version) && !n.includes('kdump') && !/\.(dpkg-[a-z]+|bak|old|rpmsave)$/.test(n));
  candidates.sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  return candidates[0];
}

async function walkModules(guest: GuestFs, dir: string): Promise<{ names: Set<string>; byCompression: Partial<Record<ModuleFileCompression, number>>; count: number }> {
  const names = new Set<string>();
  const byCompression: Partial<Record<ModuleFileCompression, number>> = {};
  let count = 0;
  for await (const entry of guest.walk(dir, { maxEntries: MAX_TREE_ENTRIES })) {
    if (entry.type !== 'file') continue;
    const match = MODULE_FILE.exec(entry.name);
    if (match === null) continue;
    count++;
    names.add((match[1] as string).replace(/-/g, '_'));
    const kind: ModuleFileCompression = match[2] === 'xz' ? 'xz' : match[2] === 'zst' ? 'zstd' : match[2] === 'gz' ? 'gzip' : 'none';
    byCompression[kind] = (byCompression[kind] ?? 0) + 1;
  }
  return { names, byCompression, count };
}

function initramfsHostonly(image: ReturnType<typeof openInitramfs>, generator: string | undefined): { hostonly?: boolean; evidence?: string } {
  const text = (path: string): string | undefined => {
    const node = image.tree.find(path, true);
    const data = node?.content?.data;
    return data === undefined ? undefined : new TextDecoder().decode(data);
  };
  if (generator === 'dracut') {
    // dracut writes the list of host-only files only when building host-only (dracut.sh).
    for (const path of ['usr/lib/dracut/hostonly-files', 'lib/dracut/hostonly-files']) {
      if (image.tree.find(path, true) !== undefined) return { hostonly: true, evidence: path };
    }
    const params = text('usr/lib/dracut/build-parameter.txt') ?? text('lib/dracut/build-parameter.txt');
    if (params !== undefined && /(^|\s)(-H|--hostonly)(\s|$)/.test(params)) return { hostonly: true, evidence: 'build-parameter.txt' };
    if (params !== undefined && /(^|\s)(-N|--no-hostonly)(\s|$)/.test(params)) return { hostonly: false, evidence: 'build-parameter.txt' };
    return { hostonly: false, evidence: 'no hostonly-files' };
  }
  if (generator === 'initramfs-tools') {
    const conf = text('conf/initramfs.conf');
    const modules = conf === undefined ? undefined : /^MODULES=(\S+)/m.exec(conf)?.[1];
    // MODULES=most is the generic image; dep (what this host uses) and list (only the listed
    // modules) both leave out drivers for other hardware (initramfs.conf(5)).
    if (modules !== undefined) return { hostonly: modules !== 'most', evidence: `conf/initramfs.conf MODULES=${modules}` };
  }
  return {};
}

export async function inspectInitramfs(args: { guest: GuestFs; path: string; diagnostics: Diagnostics }): Promise<InitramfsFacts | undefined> {
  const stat = await args.guest.stat(args.path);
  if (stat === undefined || stat.type !== 'file') return undefined;
  const facts: InitramfsFacts = { path: args.path, size: stat.size, compressions: [], segments: 0, modules: [], moduleKernelVersions: [] };
  const data = await args.guest.read(args.path, MAX_INITRAMFS);
  if (data === undefined) {
    facts.error = 'too large to read';
    return facts;
  }
  try {
    const image = openInitramfs(data);
    facts.segments = image.segments.length;
    facts.compressions = image.compressions.map(String);
    const generator = image.generator().generator;
    if (generator !== undefined) facts.generator = generator;
    const hostonly = initramfsHostonly(image, generator);
    if (hostonly.hostonly !== undefined) facts.hostonly = hostonly.hostonly;
    if (hostonly.evidence !== undefined) facts.hostonlyEvidence = hostonly.evidence;
    const modules = image.modules();
    facts.modules = [...new Set(modules.map((m) => m.name))].sort();
    facts.moduleKernelVersions = [...new Set(modules.map((m) => m.kernelVersion))].sort();
  } catch (error) {
    if (!(error instanceof RehostError)) throw error;
    facts.error = error.message;
    args.diagnostics.report({ severity: 'warning', code: 'LINUX_INITRAMFS_UNREADABLE', message: `cannot read ${args.path}: ${error.message}`, path: args.path });
  }
  return facts;
}

export async function inspectKernels(args: {
  guest: GuestFs;
  diagnostics: Diagnostics;
  drivers?: DriverSymbol[];
  configSymbols?: string[];
  /** Set false to skip opening initramfs images (fast audits). */
  readInitramfs?: boolean;
}): Promise<KernelFacts[]> {
  const { guest, diagnostics } = args;
  const drivers = args.drivers ?? DEFAULT_STORAGE_DRIVERS;
  const symbols = [...new Set([...drivers.map((d) => d.config), ...(args.configSymbols ?? EXTRA_CONFIG_SYMBOLS)])];
  const bootNames = (await guest.list('/boot')).map((e) => e.name);
  const out: KernelFacts[] = [];
  for (const name of bootNames) {
    const version = kernelVersionFromFileName(name);
    if (version === undefined) continue;
    const vmlinuz = `/boot/${name}`;
    const stat = await guest.stat(vmlinuz);
    if (stat?.type !== 'file') continue;
    const kernel: KernelFacts = { version, vmlinuz, size: stat.size, debug: /-(debug|dbg)$/.test(version), drivers: {} };
    const image = await guest.read(vmlinuz, 256 * 1024 * 1024);
    if (image !== undefined) {
      try {
        const header = readBzImageVersion(image);
        if (header?.release !== undefined) kernel.headerRelease = header.release;
        if (header?.versionString !== undefined) kernel.headerVersionString = header.versionString;
        if (header !== undefined) kernel.arch = 'x86';
      } catch (error) {
        if (!(error instanceof RehostError)) throw error;
        diagnostics.report({ severity: 'warning', code: 'LINUX_KERNEL_HEADER', message: error.message, path: vmlinuz });
      }
    }

    const modulesDir = `/lib/modules/${version}`;
    let tree: Set<string> = new Set();
    let builtin: Set<string> = new Set();
    if (await guest.isDirectory(modulesDir)) {
      let walked: Awaited<ReturnType<typeof walkModules>> = { names: new Set(), byCompression: {}, count: 0 };
      try {
        walked = await walkModules(guest, modulesDir);
      } catch (error) {
        if (!(error instanceof RehostError)) throw error;
        diagnostics.report({ severity: 'warning', code: 'LINUX_MODULE_TREE', message: error.message, path: modulesDir });
      }
      tree = walked.names;
      const facts: ModuleTreeFacts = {
        path: modulesDir,
        count: walked.count,
        byCompression: walked.byCompression,
        hasDepBin: await guest.exists(`${modulesDir}/modules.dep.bin`),
        hasAliasBin: await guest.exists(`${modulesDir}/modules.alias.bin`),
      };
      const dep = await guest.readText(`${modulesDir}/modules.dep`);
      if (dep !== undefined) facts.depCount = dep.split('\n').filter((l) => l.includes(':')).length;
      const builtinText = await guest.readText(`${modulesDir}/modules.builtin`);
      if (builtinText !== undefined) {
        builtin = parseModulesBuiltin(builtinText);
        facts.builtinCount = builtin.size;
      }
      kernel.modules = facts;
    }

    const configPath = `/boot/config-${version}`;
    const configText = await guest.readText(configPath);
    let config: Map<string, string> | undefined;
    if (configText !== undefined) {
      config = parseKconfig(configText);
      const states: Record<string, KconfigState> = {};
      for (const symbol of symbols) states[symbol] = kconfigState(config, symbol);
      kernel.config = { path: configPath, symbols: states };
    }

    const initrdName = pickInitramfs(bootNames, version);
    if (initrdName !== undefined && args.readInitramfs !== false) {
      const initramfs = await inspectInitramfs({ guest, path: `/boot/${initrdName}`, diagnostics });
      if (initramfs !== undefined) kernel.initramfs = initramfs;
    }

    const inInitramfs = new Set(kernel.initramfs?.modules ?? []);
    for (const driver of drivers) {
      // Built in wins: it needs nothing else. A config =y with no modules.builtin (old kernels) counts too.
      const builtIn = builtin.has(driver.module) || (builtin.size === 0 && config !== undefined && kconfigState(config, driver.config) === 'y');
      kernel.drivers[driver.module] = builtIn ? 'builtin' : inInitramfs.has(driver.module) ? 'initramfs' : tree.has(driver.module) ? 'module-tree' : 'absent';
    }
    out.push(kernel);
  }
  return out;
}

/**
 * The package a kernel came from, by the distributions' naming conventions (no file lists are
 * read): Debian/Ubuntu `linux-image-<version>` (or -unsigned-), rpm `kernel`, `kernel-core`,
 * `kernel-default`, `kernel-uek`… whose `<version>-<release>.<arch>` (or SUSE's
 * `<version>-<release>-<flavour>`) is the kernel version.
 */
export function kernelPackage(version: string, packages: InstalledPackage[]): InstalledPackage | undefined {
  for (const pkg of packages) {
    if (pkg.name === `linux-image-${version}` || pkg.name === `linux-image-unsigned-${version}`) return pkg;
  }
  for (const pkg of packages) {
    if (!/^kernel(-(core|default|uek|rt|lt|ml|xen|pae|debug|64k))?$/.test(pkg.name)) continue;
    const full = `${pkg.version}-${pkg.release ?? ''}`;
    // SUSE: package 5.14.21-150500.55.39.1 installs uname -r 5.14.21-150500.55.39-default (the rebuild counter dropped).
    const suse = `${pkg.version}-${(pkg.release ?? '').replace(/\.\d+$/, '')}-`;
    if (version === `${full}.${pkg.arch ?? ''}` || version.startsWith(`${full}-`) || version.startsWith(suse) || version === full) return pkg;
  }
  return undefined;
}
