// inspectLinux on the real lab guests (../shared/guests/build-debian-guest.sh, VMware flavour,
// initramfs-tools and dracut), opened the way `rehost inspect` does (openImage →
// discoverVolumes → openFileSystem), compared with what the build recorded (guest.json), with
// the generators' own initramfs listings (initrd.list: lsinitramfs / lsinitrd run by the build;
// for initramfs-tools also the host's lsinitramfs now), and with debugfs reading the same
// partition (modules.dep, /etc/fstab, /etc/hostname). Guests are cached by script hash under
// .cache/linux-guest; a cold build takes 1–3 min, a warm run a few seconds.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { DiagnosticLog } from '../../../src/diagnostics.js';
import type { FileSystem } from '../../../src/fs/types.js';
import { discoverVolumes } from '../../../src/fs/discover.js';
import { openImage } from '../../../src/image/open.js';
import { inspectLinux, inspectLinuxVolumes, looksLikeLinuxRoot, type LinuxFacts } from '../../../src/linux/index.js';
import { run } from '../../helpers/tools.js';
import { labGuest, openLabRoot, type GuestFlavour, type LabGuest } from './lab-guest.js';

const norm = (name: string): string => name.replace(/-/g, '_');

function modulesInListing(listing: string): string[] {
  const names = listing
    .split('\n')
    .map((l) => l.trim().split(/\s+/).pop() ?? '')
    .filter((p) => /\.ko(\.(xz|zst|gz))?$/.test(p))
    .map((p) => norm((p.split('/').pop() as string).replace(/\.ko(\.(xz|zst|gz))?$/, '')));
  return [...new Set(names)].sort();
}

function debugfsCat(disk: string, offset: number, path: string): string {
  return run('debugfs', ['-R', `cat ${path}`, `${disk}?offset=${offset}`]);
}

/**
 * virt-inspector's XML for a guest disk, cached next to it (one run takes about 35 s under
 * TCG: nested KVM cannot start the libguestfs appliance on these machines, hence force_tcg).
 */
function virtInspector(guest: LabGuest): string {
  const cached = join(guest.dir, 'virt-inspector.xml');
  if (!existsSync(cached)) {
    const xml = execFileSync('virt-inspector', ['--format=raw', '-a', guest.disk], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' },
    });
    writeFileSync(cached, xml);
  }
  return readFileSync(cached, 'utf8');
}

const opened: FileSystem[] = [];
afterAll(async () => {
  for (const fs of opened) await fs.close?.();
});

describe.each<GuestFlavour>(['initramfs-tools', 'dracut'])('lab guest, VMware flavour, %s', (flavour) => {
  let guest: LabGuest;
  let facts: LinuxFacts;
  let rootOffset: number;
  let elapsed: number;

  it('builds (cached) and inspects', async () => {
    guest = labGuest(flavour);
    const { fs, volumes } = await openLabRoot(guest.disk);
    opened.push(fs);
    rootOffset = volumes.find((v) => v.filesystem.kind.startsWith('ext'))!.start;
    expect(await looksLikeLinuxRoot(fs)).toBe(true);
    const diagnostics = new DiagnosticLog();
    const start = performance.now();
    facts = await inspectLinux({ fs, partitions: volumes, diagnostics });
    elapsed = performance.now() - start;
    expect(diagnostics.warnings()).toEqual([]);
    expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
    console.log(`${flavour}: inspectLinux ${elapsed.toFixed(0)} ms (initramfs of ${facts.kernels[0]?.initramfs?.size} bytes, ${facts.kernels[0]?.modules?.count} module files)`);
  }, 600_000);

  it('is found as the only Linux root by inspectLinuxVolumes', async () => {
    const image = await openImage(guest.disk);
    const { volumes } = await discoverVolumes(image.device);
    const roots = await inspectLinuxVolumes({ volumes, initramfs: 'skip' });
    expect(roots.map((r) => [r.root, r.mounts, r.unresolved])).toEqual([['p2', {}, []]]);
    expect(roots[0]?.facts.hostname).toBe(facts.hostname);
  }, 60_000);

  it('agrees with guest.json on distro, hostname, kernel and tools', () => {
    expect(facts.distro).toMatchObject({ id: 'debian', major: 12, codename: 'bookworm' });
    expect(facts.hostname).toBe(guest.json.hostname);
    expect(facts.arch).toBe('x86_64');
    expect(facts.kernels.map((k) => k.version)).toEqual([guest.json.kernel.version]);
    const kernel = facts.kernels[0]!;
    expect(kernel.headerRelease).toBe(guest.json.kernel.version);
    expect(kernel.package).toBe(guest.json.kernel.package);
    // module_extension ".ko": every module file in the tree is uncompressed.
    expect(guest.json.kernel.module_extension).toBe('.ko');
    expect(Object.keys(kernel.modules?.byCompression ?? {})).toEqual(['none']);
    expect(facts.guestTools.find((t) => t.id === 'open-vm-tools')?.version).toBe(guest.json.open_vm_tools);
    expect(facts.packages.format).toBe('deb');
    expect(facts.packages.installed.find((p) => p.name === 'open-vm-tools')).toBeDefined();
    expect(kernel.initramfs?.generator).toBe(guest.json.initramfs.generator);
    // guest.json's compression is the main segment's, possibly after uncompressed early ones.
    expect(guest.json.initramfs.compression).toContain(kernel.initramfs?.compressions.at(-1));
    expect(facts.boot).toMatchObject({ firmware: 'bios', bootloader: 'grub2', biosBootPartitions: ['p1'], rootNamings: ['uuid'] });
    expect(facts.boot.defaultEntry).toMatchObject({ kernelVersion: guest.json.kernel.version, selectedBy: 'set default 0' });
    // The build configures each generator for the VMware storage stack and keeps virtio out.
    if (flavour === 'initramfs-tools') {
      expect(kernel.initramfs).toMatchObject({ hostonly: true, hostonlyEvidence: 'conf/initramfs.conf MODULES=list' });
      expect(facts.initramfsConfig.initramfsTools).toMatchObject({ modules: 'list' });
      expect(facts.initramfsConfig.initramfsTools?.extraModules).toEqual(expect.arrayContaining(['vmw_pvscsi', 'mptspi', 'ahci']));
    } else {
      expect(kernel.initramfs).toMatchObject({ hostonly: false });
      expect(facts.initramfsConfig.dracut?.addDrivers).toEqual(expect.arrayContaining(['vmw_pvscsi', 'mptspi', 'ahci']));
      expect(facts.initramfsConfig.dracut?.omitDrivers).toEqual(expect.arrayContaining(['virtio_blk', 'virtio_scsi', 'virtio_pci']));
    }
  });

  it('counts the module tree as depmod did (modules.dep read by debugfs)', () => {
    const dep = debugfsCat(guest.disk, rootOffset, `/usr/lib/modules/${guest.json.kernel.version}/modules.dep`);
    const lines = dep.split('\n').filter((l) => l.includes(':')).length;
    expect(facts.kernels[0]?.modules?.count).toBe(lines);
    expect(facts.kernels[0]?.modules?.depCount).toBe(lines);
  });

  it('lists exactly the initramfs modules the generator lists', () => {
    const ours = facts.kernels[0]?.initramfs?.modules ?? [];
    const fromBuild = modulesInListing(readFileSync(join(guest.dir, 'initrd.list'), 'utf8'));
    expect(ours).toEqual(fromBuild);
    expect(ours).toEqual([...new Set(guest.json.initramfs.modules.map(norm))].sort());
    expect(ours.length).toBe(guest.json.initramfs.module_count);
    if (flavour === 'initramfs-tools') {
      // The host's lsinitramfs on the same file, now.
      expect(ours).toEqual(modulesInListing(run('lsinitramfs', [join(guest.dir, 'initrd.img')])));
    }
    // Readiness per driver, recomputed from the oracles: modules.builtin and modules.dep
    // (debugfs) and the generator's listing.
    const base = `/usr/lib/modules/${guest.json.kernel.version}`;
    const builtin = new Set(debugfsCat(guest.disk, rootOffset, `${base}/modules.builtin`).split('\n').map((l) => norm((l.split('/').pop() ?? '').replace(/\.ko.*$/, ''))));
    const tree = new Set(debugfsCat(guest.disk, rootOffset, `${base}/modules.dep`).split('\n').map((l) => norm((l.split(':')[0]?.split('/').pop() ?? '').replace(/\.ko.*$/, ''))));
    const drivers = facts.kernels[0]!.drivers;
    expect(Object.keys(drivers).length).toBeGreaterThan(20);
    for (const [module, readiness] of Object.entries(drivers)) {
      const expected = builtin.has(module) ? 'builtin' : fromBuild.includes(module) ? 'initramfs' : tree.has(module) ? 'module-tree' : 'absent';
      expect(readiness, module).toBe(expected);
    }
    for (const m of ['vmw_pvscsi', 'mptspi', 'mptsas', 'ahci', 'ata_piix', 'sd_mod']) expect(drivers[m], m).toBe('initramfs');
    for (const m of ['virtio_blk', 'virtio_scsi', 'virtio_pci']) expect(drivers[m], m).toBe('module-tree');
  });

  it('reads /etc/fstab and /etc/hostname as debugfs does', () => {
    const fstab = debugfsCat(guest.disk, rootOffset, '/etc/fstab')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter((l) => l !== '')
      .map((l) => l.split(/\s+/).slice(0, 3));
    expect(facts.fstab.map((e) => [e.device.raw, e.mountpoint, e.fstype])).toEqual(fstab);
    expect(facts.fstab.find((e) => e.mountpoint === '/')?.device).toMatchObject({ raw: guest.json.disk.fstab_root, naming: 'device-path', bus: 'sd' });
    expect(debugfsCat(guest.disk, rootOffset, '/etc/hostname').trim()).toBe(facts.hostname);
  });

  it('agrees with virt-inspector on distro, version, hostname and every package', () => {
    const parsed = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'application' || name === 'operatingsystem' }).parse(virtInspector(guest)) as {
      operatingsystems: { operatingsystem: Array<Record<string, unknown> & { applications: { application: Array<Record<string, unknown>> } }> };
    };
    const [os] = parsed.operatingsystems.operatingsystem;
    expect(os).toBeDefined();
    expect({ name: os!.name, distro: os!.distro, arch: os!.arch, major: Number(os!.major_version), minor: Number(os!.minor_version), hostname: os!.hostname, format: os!.package_format, management: os!.package_management }).toEqual({
      name: 'linux',
      distro: facts.distro.id,
      arch: facts.arch,
      major: facts.distro.major,
      minor: facts.distro.minor,
      hostname: facts.hostname,
      format: facts.packages.format,
      management: facts.packages.management,
    });
    // Known difference: virt-inspector's product_name for Debian is debian_version ("12.15");
    // we keep os-release's VERSION_ID ("12") in `version` and the point release in `minor`.
    expect(String(os!.product_name)).toBe(`${facts.distro.major}.${facts.distro.minor}`);
    const key = (a: { name: unknown; epoch?: unknown; version?: unknown; release?: unknown; arch?: unknown }): string =>
      [a.name, a.epoch ?? 0, a.version ?? '', a.release ?? '', a.arch ?? ''].map(String).join(' ');
    const theirs = os!.applications.application.map((a) => key(a as never)).sort();
    const ours = facts.packages.installed.map((p) => key({ name: p.name, epoch: p.epoch, version: p.version, release: p.release, arch: p.arch })).sort();
    expect(ours.filter((k) => !theirs.includes(k)), 'only ours').toEqual([]);
    expect(theirs.filter((k) => !ours.includes(k)), 'only virt-inspector').toEqual([]);
    expect(ours).toEqual(theirs);
    console.log(`${flavour}: ${ours.length} packages agree with virt-inspector`);
  }, 600_000);
});
