// virt-inspector-compatible XML (guestfs-tools inspector/virt-inspector.rng; conversion-facts.md
// §c.4) from an Inspection, for tools that already read virt-inspector's output. Only the
// elements the RNG defines are written (it allows nothing else inside <operatingsystem>).
// Device names follow libguestfs' /dev/sdX convention: volume p<N> → /dev/sda<N>, an
// unpartitioned disk → /dev/sda, a logical volume VG/LV → /dev/VG/LV.
// Quirks: the RNG requires major/minor_version and at least one mountpoint and filesystem;
// "unknown" values are left out, as virt-inspector does.

import { XMLBuilder } from 'fast-xml-parser';
import type { Inspection, OperatingSystem, VolumeSummary } from '../inspect/inspect.js';

/** Distro ids the RNG accepts (its <choice> list). */
const RNG_DISTROS = new Set(['alpinelinux', 'altlinux', 'archlinux', 'buildroot', 'centos', 'cirros', 'coreos', 'debian', 'fedora', 'freebsd', 'freedos', 'frugalware', 'gentoo', 'kalilinux', 'kylin', 'linuxmint', 'mageia', 'mandriva', 'meego', 'msdos', 'neokylin', 'netbsd', 'openbsd', 'openmandriva', 'opensuse', 'oraclelinux', 'pardus', 'pldlinux', 'redhat-based', 'rhel', 'scientificlinux', 'slackware', 'sles', 'suse-based', 'ttylinux', 'ubuntu', 'voidlinux', 'windows']);
const RNG_PACKAGE_FORMATS = new Set(['apk', 'deb', 'ebuild', 'pacman', 'pisi', 'pkgsrc', 'rpm', 'xbps']);
const RNG_PACKAGE_MANAGEMENT = new Set(['apk', 'apt', 'dnf', 'pacman', 'pisi', 'portage', 'up2date', 'urpmi', 'xbps', 'yum', 'zypper']);
/** os-release ids that libguestfs spells differently. */
const DISTRO_ALIASES: Record<string, string> = { ol: 'oraclelinux', 'opensuse-leap': 'opensuse', 'opensuse-tumbleweed': 'opensuse', sled: 'sles', alpine: 'alpinelinux', arch: 'archlinux', kali: 'kalilinux', almalinux: 'redhat-based', rocky: 'redhat-based' };

export function libguestfsDevice(volumeId: string): string {
  const p = /^p(\d+)$/.exec(volumeId);
  if (p !== null) return `/dev/sda${p[1]}`;
  if (volumeId === 'disk') return '/dev/sda';
  return `/dev/${volumeId}`;
}

type Node = Record<string, unknown>;

function filesystems(volumes: VolumeSummary[]): Node {
  const list = volumes
    .filter((v) => v.filesystem.kind !== 'unknown' && v.filesystem.kind !== 'lvm2-pv')
    .map((v) => ({ '@_dev': libguestfsDevice(v.id), type: v.filesystem.kind === 'swap' ? 'swap' : v.filesystem.kind }));
  return { filesystem: list };
}

function osNode(os: OperatingSystem, volumes: VolumeSummary[]): Node {
  const node: Node = { root: libguestfsDevice(os.root) };
  if (os.type === 'windows') {
    const f = os.facts;
    node.name = 'windows';
    if (f.arch !== undefined) node.arch = f.arch;
    node.distro = 'windows';
    if (f.productName !== undefined) node.product_name = f.productName;
    if (f.installationType !== undefined) node.product_variant = f.installationType;
    node.major_version = String(f.majorVersion ?? 0);
    node.minor_version = String(f.minorVersion ?? 0);
    // libguestfs reports the system root as a path with forward slashes ("/Windows").
    node.windows_systemroot = f.systemRoot;
    if (f.controlSet !== undefined) node.windows_current_control_set = f.controlSet;
    if (f.hostname !== undefined) node.hostname = f.hostname;
    if (f.osinfo !== undefined) node.osinfo = f.osinfo;
    node.mountpoints = { mountpoint: [{ '@_dev': libguestfsDevice(os.root), '#text': '/' }] };
    node.filesystems = filesystems(volumes);
    const maps = f.driveLetters.filter((d) => d.volume !== undefined).map((d) => ({ '@_name': d.letter.replace(/:$/, ''), '#text': libguestfsDevice(d.volume!) }));
    if (maps.length > 0) node.drive_mappings = { drive_mapping: maps };
    node.applications = {
      application: f.applications.map((a) => ({
        name: a.key,
        display_name: a.displayName,
        ...(a.displayVersion !== undefined ? { version: a.displayVersion } : {}),
        ...(a.installLocation !== undefined ? { install_path: a.installLocation } : {}),
        ...(a.publisher !== undefined ? { publisher: a.publisher } : {}),
      })),
    };
  } else {
    const f = os.facts;
    node.name = 'linux';
    if (f.arch !== undefined) node.arch = f.arch;
    const id = f.distro.id !== undefined ? (DISTRO_ALIASES[f.distro.id] ?? f.distro.id) : undefined;
    if (id !== undefined && RNG_DISTROS.has(id)) node.distro = id;
    if (f.distro.prettyName !== undefined) node.product_name = f.distro.prettyName;
    node.major_version = String(f.distro.major ?? 0);
    node.minor_version = String(f.distro.minor ?? 0);
    if (f.packages.format !== undefined && RNG_PACKAGE_FORMATS.has(f.packages.format)) node.package_format = f.packages.format;
    if (f.packages.management !== undefined && RNG_PACKAGE_MANAGEMENT.has(f.packages.management)) node.package_management = f.packages.management;
    if (f.hostname !== undefined) node.hostname = f.hostname;
    const mounts = Object.entries(os.mounts).sort(([a], [b]) => b.length - a.length || (a < b ? -1 : 1));
    node.mountpoints = { mountpoint: (mounts.length > 0 ? mounts : [['/', os.root] as [string, string]]).map(([mp, vol]) => ({ '@_dev': libguestfsDevice(vol), '#text': mp })) };
    node.filesystems = filesystems(volumes);
    node.applications = {
      application: f.packages.installed.map((p) => {
        const pkg = p as { name: string; version: string; epoch?: number; release?: string; arch?: string };
        return {
          name: pkg.name,
          ...(pkg.epoch !== undefined && pkg.epoch !== 0 ? { epoch: String(pkg.epoch) } : {}),
          version: pkg.version,
          ...(pkg.release !== undefined ? { release: pkg.release } : {}),
          ...(pkg.arch !== undefined ? { arch: pkg.arch } : {}),
        };
      }),
    };
  }
  // The RNG needs at least one filesystem; the root's own volume always is one.
  if (((node.filesystems as { filesystem: unknown[] }).filesystem).length === 0) node.filesystems = { filesystem: [{ '@_dev': libguestfsDevice(os.root) }] };
  return node;
}

export function renderInspectorXml(inspection: Inspection): string {
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', suppressEmptyNode: false });
  const doc = { '?xml': { '@_version': '1.0' }, operatingsystems: { operatingsystem: inspection.operatingSystems.map((os) => osNode(os, inspection.volumes)) } };
  return builder.build(doc) as string;
}
