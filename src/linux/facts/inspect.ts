// inspectLinux: everything a pre-migration review needs from an installed Linux root, read
// offline, as one JSON-serialisable object. The order of sources follows libguestfs's
// inspect_fs_unix.ml (release files, hostname, arch from binaries, fstab) and virt-v2v's
// kernel and boot loader detection (conversion-facts.md b.2, b.3, c.3). Missing files are
// simply absent facts; unparseable ones become diagnostics; only non-rehost errors escape.

import { ignoreDiagnostics, type Diagnostics } from '../../diagnostics.js';
import { CorruptError, RehostError } from '../../errors.js';
import type { FileSystem } from '../../fs/types.js';
import { inspectBoot, type BootFacts, type PartitionHint } from './boot.js';
import { elfIdentity } from './elf-arch.js';
import { parseCrypttabLine, parseFstabLine, parseTable, type CrypttabEntry, type FstabEntry } from './fstab.js';
import { GuestFs } from './guest-fs.js';
import { detectGuestTools, inspectCloudInit, type CloudInitFacts, type GuestToolFacts } from './guest-tools.js';
import type { GuestToolPattern } from './guest-tools-data.js';
import { readDracutConfig, readInitramfsToolsConfig, type DracutConfig, type InitramfsToolsConfig } from './initramfs-config.js';
import { inspectKernels, kernelPackage, type KernelFacts } from './kernels.js';
import { readModprobe, type ModprobeFacts } from './modprobe.js';
import { inspectNetwork, type NetworkFacts } from './network.js';
import { parseDpkgStatus, RPM_DB_FILES, rpmDbFormatFromMagic, type PackageFacts } from './packages.js';
import { readRpmBdb, readRpmSqlite } from './rpm-header.js';
import {
  mergeDistro,
  parseDebianVersion,
  parseLsbRelease,
  parseOsRelease,
  parseRedhatRelease,
  parseShellAssignments,
  parseSuseRelease,
  REDHAT_STYLE_FILES,
  type DistroFacts,
} from './release.js';
import type { DriverSymbol } from './storage-drivers-data.js';
import { readDeviceCaches, readServices, type ServiceFacts } from './services.js';
import { readXorgDrivers, type XorgDriver } from './xorg.js';

export interface LinuxFacts {
  osType: 'linux';
  distro: DistroFacts;
  arch?: string;
  /** The binary the arch was read from (after following symlinks). */
  archSource?: string;
  hostname?: string;
  machineId?: string;
  packages: PackageFacts;
  guestTools: GuestToolFacts[];
  cloudInit: CloudInitFacts;
  kernels: KernelFacts[];
  boot: BootFacts;
  fstab: FstabEntry[];
  crypttab: CrypttabEntry[];
  lvm: { devicesFile: boolean; devicesFileEntries?: number; lvmConf: boolean };
  initramfsConfig: { dracut?: DracutConfig; initramfsTools?: InitramfsToolsConfig };
  modprobe: ModprobeFacts;
  /** Display drivers pinned in X configuration. */
  xorgDrivers: XorgDriver[];
  network: NetworkFacts;
  /** Masked systemd units and started sysv services. */
  services?: ServiceFacts;
  /** Device caches present (blkid, LVM) that name the source disks. */
  deviceCaches?: string[];
}

export interface InspectLinuxOptions {
  /** The root filesystem. */
  fs: FileSystem;
  /** Other filesystems by mountpoint ('/boot', '/boot/efi', '/usr'…). */
  mounts?: Record<string, FileSystem>;
  /** The disk's partitions, for firmware detection (ESP, BIOS boot). */
  partitions?: PartitionHint[];
  /** Storage/bus drivers to report per kernel; defaults to DEFAULT_STORAGE_DRIVERS. */
  drivers?: DriverSymbol[];
  /** Kconfig symbols to report besides the drivers'. */
  configSymbols?: string[];
  guestToolPatterns?: GuestToolPattern[];
  /** 'skip' leaves initramfs images unopened (the fastest audit). */
  initramfs?: 'read' | 'skip';
  diagnostics?: Diagnostics;
}

/** True when a filesystem looks like a Linux root: /etc plus /usr or /bin, and no Windows directory. */
export async function looksLikeLinuxRoot(fs: FileSystem): Promise<boolean> {
  const guest = new GuestFs({ root: fs });
  return (await guest.isDirectory('/etc')) && ((await guest.isDirectory('/usr')) || (await guest.isDirectory('/bin'))) && !(await fs.exists('/Windows/System32'));
}

const ARCH_BINARIES = ['/usr/bin/ls', '/bin/ls', '/bin/sh', '/usr/bin/bash', '/bin/bash', '/usr/bin/busybox', '/bin/busybox'];

async function readDistro(guest: GuestFs): Promise<DistroFacts> {
  const parts: DistroFacts[] = [];
  const osRelease = (await guest.readText('/etc/os-release')) ?? (await guest.readText('/usr/lib/os-release'));
  if (osRelease !== undefined) parts.push(parseOsRelease(osRelease));
  const lsb = await guest.readText('/etc/lsb-release');
  if (lsb !== undefined) {
    const parsed = parseLsbRelease(lsb);
    if (parsed.id !== undefined) parts.push(parsed);
  }
  for (const source of REDHAT_STYLE_FILES) {
    const text = await guest.readText(source.path);
    const parsed = text === undefined ? undefined : parseRedhatRelease(text, source);
    if (parsed !== undefined) {
      parts.push(parsed);
      break;
    }
  }
  const debianVersion = await guest.readText('/etc/debian_version');
  const debian = debianVersion === undefined ? undefined : parseDebianVersion(debianVersion);
  if (debian !== undefined) parts.push(debian);
  for (const path of ['/etc/SuSE-release', '/etc/SUSE-brand']) {
    const text = await guest.readText(path);
    const parsed = text === undefined ? undefined : parseSuseRelease(text);
    if (parsed !== undefined) {
      parts.push({ ...parsed, sources: [path] });
      break;
    }
  }
  const merged = mergeDistro(parts);
  // Debian's os-release says only "12"; debian_version has the point release (libguestfs
  // takes the minor from it the same way). Ubuntu's debian_version names Debian's codename, so
  // only a Debian os-release is refined.
  if (merged.id === 'debian' && debian?.version !== undefined && merged.major === debian.major && debian.minor !== undefined) {
    merged.minor = debian.minor;
  }
  return merged;
}

async function readHostname(guest: GuestFs): Promise<string | undefined> {
  for (const path of ['/etc/hostname', '/etc/HOSTNAME']) {
    const text = await guest.readText(path);
    const name = text
      ?.split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('#'));
    if (name !== undefined) return name;
  }
  const network = await guest.readText('/etc/sysconfig/network');
  const fromSysconfig = network === undefined ? undefined : parseShellAssignments(network).get('HOSTNAME');
  return fromSysconfig !== undefined && fromSysconfig !== '' ? fromSysconfig : undefined;
}

async function readArch(guest: GuestFs, diagnostics: Diagnostics): Promise<{ arch?: string; source?: string }> {
  for (const path of ARCH_BINARIES) {
    const real = await guest.resolve(path);
    if (real === undefined) continue;
    const head = await guest.readHead(real, 64);
    if (head === undefined) continue;
    try {
      return { arch: elfIdentity(head).arch, source: real };
    } catch (error) {
      if (!(error instanceof RehostError)) throw error;
      // A shell script or a broken binary; try the next candidate.
      diagnostics.report({ severity: 'info', code: 'LINUX_ARCH_PROBE', message: `${real}: ${error.message}`, path: real });
    }
  }
  return {};
}

async function readPackages(guest: GuestFs, diagnostics: Diagnostics): Promise<PackageFacts> {
  const facts: PackageFacts = { installed: [] };
  const status = await guest.read('/var/lib/dpkg/status', 256 * 1024 * 1024);
  if (status !== undefined) {
    facts.format = 'deb';
    facts.management = 'apt';
    try {
      const all = parseDpkgStatus(new TextDecoder().decode(status));
      facts.totalRecords = all.length;
      facts.installed = all.filter((p) => p.status === 'installed').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (error) {
      if (!(error instanceof RehostError)) throw error;
      diagnostics.report({ severity: 'warning', code: 'LINUX_DPKG_STATUS', message: error.message, path: '/var/lib/dpkg/status' });
    }
    return facts;
  }
  for (const candidate of RPM_DB_FILES) {
    const head = await guest.readHead(candidate.path, 64);
    if (head === undefined) continue;
    facts.format = 'rpm';
    const byMagic = rpmDbFormatFromMagic(head);
    facts.rpmDatabase = { path: candidate.path, format: byMagic ?? candidate.format, readable: false, magicMatches: byMagic === candidate.format };
    if (byMagic !== candidate.format) {
      diagnostics.report({ severity: 'warning', code: 'LINUX_RPMDB_MAGIC', message: `${candidate.path} does not carry the ${candidate.format} magic`, path: candidate.path });
    }
    if (facts.rpmDatabase.format === 'sqlite' || facts.rpmDatabase.format === 'bdb') {
      // Transactions still in the write-ahead log are not seen (rpm checkpoints on close).
      const wal = facts.rpmDatabase.format === 'sqlite' ? await guest.stat(`${candidate.path}-wal`) : undefined;
      if (wal !== undefined && wal.size > 0) {
        diagnostics.report({ severity: 'warning', code: 'LINUX_RPMDB_WAL', message: `${candidate.path}-wal holds ${wal.size} bytes not read`, path: `${candidate.path}-wal` });
      }
      const data = await guest.read(candidate.path, 1024 * 1024 * 1024);
      try {
        if (data === undefined) throw new CorruptError('the rpm database is too large to read', { path: candidate.path });
        const read = facts.rpmDatabase.format === 'sqlite' ? readRpmSqlite : readRpmBdb;
        facts.installed = read(data).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        facts.rpmDatabase.readable = true;
      } catch (error) {
        if (!(error instanceof RehostError)) throw error;
        diagnostics.report({ severity: 'warning', code: 'LINUX_RPMDB_UNREADABLE', message: error.message, path: candidate.path });
      }
    }
    break;
  }
  if (facts.format === 'rpm') {
    facts.management = (await guest.exists('/usr/bin/dnf')) ? 'dnf' : (await guest.exists('/usr/bin/zypper')) ? 'zypper' : (await guest.exists('/usr/bin/yum')) ? 'yum' : 'rpm';
  } else if (await guest.isDirectory('/var/lib/pacman/local')) {
    facts.format = 'pacman';
    facts.management = 'pacman';
  } else if (await guest.exists('/lib/apk/db/installed')) {
    facts.format = 'apk';
    facts.management = 'apk';
  }
  return facts;
}

async function readTables(guest: GuestFs, diagnostics: Diagnostics): Promise<{ fstab: FstabEntry[]; crypttab: CrypttabEntry[] }> {
  const read = async <T>(path: string, parse: (line: string, n: number) => T | undefined): Promise<T[]> => {
    const text = await guest.readText(path);
    if (text === undefined) return [];
    const { entries, errors } = parseTable(text, parse);
    for (const error of errors) diagnostics.report({ severity: 'warning', code: 'LINUX_TABLE_LINE', message: error.message, path });
    return entries;
  };
  return { fstab: await read('/etc/fstab', parseFstabLine), crypttab: await read('/etc/crypttab', parseCrypttabLine) };
}

export async function inspectLinux(options: InspectLinuxOptions): Promise<LinuxFacts> {
  const diagnostics = options.diagnostics ?? ignoreDiagnostics;
  const guest = new GuestFs({ root: options.fs, ...(options.mounts !== undefined ? { mounts: options.mounts } : {}) });
  const distro = await readDistro(guest);
  const { arch, source: archSource } = await readArch(guest, diagnostics);
  const hostname = await readHostname(guest);
  const machineId = (await guest.readText('/etc/machine-id'))?.trim();
  const packages = await readPackages(guest, diagnostics);
  const guestTools = await detectGuestTools({ guest, packages: packages.installed, ...(options.guestToolPatterns !== undefined ? { patterns: options.guestToolPatterns } : {}) });
  const cloudInit = await inspectCloudInit(guest, guestTools);
  const kernels = await inspectKernels({
    guest,
    diagnostics,
    ...(options.drivers !== undefined ? { drivers: options.drivers } : {}),
    ...(options.configSymbols !== undefined ? { configSymbols: options.configSymbols } : {}),
    readInitramfs: options.initramfs !== 'skip',
  });
  for (const kernel of kernels) {
    const pkg = kernelPackage(kernel.version, packages.installed);
    if (pkg !== undefined) kernel.package = `${pkg.name} ${pkg.epoch !== undefined ? `${pkg.epoch}:` : ''}${pkg.version}${pkg.release !== undefined ? `-${pkg.release}` : ''}`;
  }
  const boot = await inspectBoot({ guest, diagnostics, ...(options.partitions !== undefined ? { partitions: options.partitions } : {}) });
  const { fstab, crypttab } = await readTables(guest, diagnostics);
  const devicesText = await guest.readText('/etc/lvm/devices/system.devices');
  const lvm: LinuxFacts['lvm'] = { devicesFile: devicesText !== undefined, lvmConf: await guest.exists('/etc/lvm/lvm.conf') };
  if (devicesText !== undefined) lvm.devicesFileEntries = devicesText.split('\n').filter((l) => /^IDTYPE=/.test(l.trim())).length;
  const dracut = await readDracutConfig(guest);
  const initramfsTools = await readInitramfsToolsConfig(guest);
  const modprobe = await readModprobe(guest);
  const xorgDrivers = await readXorgDrivers(guest);
  const network = await inspectNetwork({ guest, diagnostics });
  const services = await readServices(guest);
  const deviceCaches = await readDeviceCaches(guest);

  const facts: LinuxFacts = {
    osType: 'linux',
    distro,
    packages,
    guestTools,
    cloudInit,
    kernels,
    boot,
    fstab,
    crypttab,
    lvm,
    initramfsConfig: { ...(dracut !== undefined ? { dracut } : {}), ...(initramfsTools !== undefined ? { initramfsTools } : {}) },
    modprobe,
    xorgDrivers,
    network,
    services,
    deviceCaches,
  };
  if (arch !== undefined) facts.arch = arch;
  if (archSource !== undefined) facts.archSource = archSource;
  if (hostname !== undefined) facts.hostname = hostname;
  if (machineId !== undefined && machineId !== '') facts.machineId = machineId;
  return facts;
}
