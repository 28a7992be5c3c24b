// Windows inspection benchmark: rehost's inspectWindows (one node process: open the raw disk,
// find the volume, read SYSTEM + SOFTWARE, gather every fact) against `virt-inspector` on the
// same image. The image is an MBR disk with one NTFS partition holding the corpus Windows 10
// 1709 SYSTEM hive, a SOFTWARE hive built with hivexregedit and a minimal PE cmd.exe (the
// same recipe as test/windows). virt-inspector needs a libguestfs appliance: when the host
// has no kernel in /boot, SUPERMIN_KERNEL/SUPERMIN_MODULES point supermin at the Debian
// kernel fixtures/scripts/fetch-debian-kernel.sh unpacks; if the appliance still cannot
// start, the reason is printed and only rehost is timed.
// Run after `npm run build`: node bench/windows.mjs

import { copyFileSync, chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { benchDir, haveTool, printComparison, sh, timeCommand } from './lib.mjs';

const ROOT = new URL('../', import.meta.url).pathname;
const CORPUS = join(ROOT, '../shared/corpus');
const dist = (p) => JSON.stringify(new URL(`../dist/${p}`, import.meta.url).href);

function buildDisk(dir) {
  const staging = join(dir, 'staging');
  const config = join(staging, 'Windows/System32/config');
  mkdirSync(config, { recursive: true });
  sh('sh', ['-c', `xz -dc "${join(CORPUS, 'registry/system/win10-1709-x64-vmware/SYSTEM.xz')}" > "${join(config, 'SYSTEM')}"`]);
  const software = join(dir, 'SOFTWARE');
  copyFileSync(join(CORPUS, 'registry/special/hivex-minimal'), software);
  chmodSync(software, 0o644);
  const reg = [
    'Windows Registry Editor Version 5.00', '',
    '[\\Microsoft]', '', '[\\Microsoft\\Windows NT]', '',
    '[\\Microsoft\\Windows NT\\CurrentVersion]',
    '"ProductName"="Windows 10 Pro"', '"EditionID"="Professional"', '"InstallationType"="Client"',
    '"CurrentVersion"="6.3"', '"CurrentMajorVersionNumber"=dword:0000000a', '"CurrentMinorVersionNumber"=dword:00000000',
    '"CurrentBuildNumber"="16299"', '',
  ].join('\n');
  writeFileSync(join(dir, 'software.reg'), reg);
  sh('hivexregedit', ['--merge', software, join(dir, 'software.reg')]);
  copyFileSync(software, join(config, 'SOFTWARE'));
  // A minimal PE32+ x86-64 console image (what libmagic, and so libguestfs, needs for the arch).
  const pe = new Uint8Array(1024);
  const view = new DataView(pe.buffer);
  pe.set([0x4d, 0x5a]);
  view.setUint32(0x3c, 0x40, true);
  view.setUint32(0x40, 0x4550, true);
  view.setUint16(0x44, 0x8664, true);
  view.setUint16(0x46, 1, true);
  view.setUint16(0x54, 0xf0, true);
  view.setUint16(0x56, 0x22, true);
  view.setUint16(0x58, 0x20b, true);
  view.setUint16(0x58 + 68, 3, true);
  writeFileSync(join(staging, 'Windows/System32/cmd.exe'), pe);
  const volume = join(dir, 'volume.img');
  sh('bash', [join(ROOT, 'fixtures/scripts/windows-volume.sh'), volume, '64', staging]);
  const disk = join(dir, 'disk.img');
  // The partition sits where the hive's MountedDevices says C: is (disk 0xdf4546ae, byte
  // 525336576 = 501 MiB), so both tools can map C: to it; the file is sparse.
  sh('truncate', ['-s', '600M', disk]);
  spawnSync('sfdisk', ['-q', disk], { input: 'label: dos\nlabel-id: 0xdf4546ae\nstart=1026048, size=131072, type=7, bootable\n' });
  sh('dd', [`if=${volume}`, `of=${disk}`, 'bs=1M', 'seek=501', 'conv=notrunc,sparse', 'status=none']);
  return disk;
}

const INSPECT = `
import { FileDevice } from ${dist('io/index.js')};
import { discoverVolumes } from ${dist('fs/discover.js')};
import { chooseVolume, openFileSystem } from ${dist('fs/open.js')};
import { inspectWindows } from ${dist('windows/index.js')};
const device = await FileDevice.open(process.argv[1]);
const disk = await discoverVolumes(device);
const volume = await chooseVolume(disk.volumes);
const fs = await openFileSystem(volume.device);
const facts = await inspectWindows({ fs, disk });
process.stdout.write(JSON.stringify({ product_name: facts.productName, product_variant: facts.installationType, arch: facts.arch, major_version: String(facts.majorVersion), minor_version: String(facts.minorVersion), windows_systemroot: facts.systemRoot, windows_current_control_set: facts.controlSet, osinfo: facts.osinfo, hostname: facts.hostname, services: facts.services.length, drive: facts.driveLetters.filter((d) => d.volume).map((d) => d.letter + d.volume) }));
await device.close();
`;

// supermin needs a kernel and a module tree with modules.dep. The host has no kernel in /boot,
// so the Debian kernel unpacked by fetch-debian-kernel.sh is used, through a private tree of
// symlinks with its own depmod output (the shared tree belongs to the kmod tests, which
// regenerate its index files).
function applianceEnv() {
  const done = join(ROOT, '.cache/debian-kernel/done');
  if (!existsSync(done)) return {};
  const [root, kver] = readFileSync(done, 'utf8').trim().split(' ');
  const mine = join(ROOT, '.cache/windows-bench-kernel');
  const modules = join(mine, 'lib/modules', kver);
  if (!existsSync(join(modules, 'modules.dep'))) {
    mkdirSync(modules, { recursive: true });
    for (const name of ['kernel', 'modules.order', 'modules.builtin', 'modules.builtin.modinfo']) {
      if (!existsSync(join(modules, name)) && existsSync(join(root, 'lib/modules', kver, name))) symlinkSync(join(root, 'lib/modules', kver, name), join(modules, name));
    }
    sh('depmod', ['-b', mine, kver]);
  }
  // force_tcg: on this host KVM exists but qemu aborts setting an MSR under it.
  return { SUPERMIN_KERNEL: `${root}/boot/vmlinuz-${kver}`, SUPERMIN_MODULES: modules, SUPERMIN_KERNEL_VERSION: kver, LIBGUESTFS_BACKEND_SETTINGS: 'force_tcg' };
}

const dir = benchDir();
const disk = buildDisk(dir);
const rehostOut = sh('node', ['--input-type=module', '-e', INSPECT, disk]);
process.stdout.write(`rehost: ${rehostOut}\n`);
const rehost = timeCommand('node', ['--input-type=module', '-e', INSPECT, disk], { runs: 5 });

if (!haveTool('virt-inspector')) {
  process.stdout.write(`\nvirt-inspector is not installed (Debian: guestfs-tools); rehost alone: ${rehost.toFixed(3)} s\n`);
} else {
  const env = { ...process.env, ...applianceEnv() };
  const started = process.hrtime.bigint();
  const probe = spawnSync('virt-inspector', ['--format=raw', '-a', disk], { env, encoding: 'utf8' });
  const first = Number(process.hrtime.bigint() - started) / 1e9;
  if (probe.status !== 0) {
    process.stdout.write(`\nvirt-inspector cannot run here (${(probe.stderr || '').split('\n').find((l) => /error/i.test(l))?.trim() ?? 'exit ' + probe.status}); rehost alone: ${rehost.toFixed(3)} s\n`);
  } else {
    writeFileSync(join(dir, 'virt-inspector.xml'), probe.stdout);
    const pick = (tag) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(probe.stdout)?.[1];
    // Field-by-field agreement on what both tools report.
    const ours = JSON.parse(String(rehostOut));
    const fields = ['product_name', 'product_variant', 'arch', 'major_version', 'minor_version', 'windows_systemroot', 'windows_current_control_set', 'osinfo'];
    const agree = fields.filter((f) => pick(f) === ours[f]);
    process.stdout.write(`agreement with virt-inspector: ${agree.length}/${fields.length} fields (${fields.map((f) => `${f}=${pick(f)}${pick(f) === ours[f] ? '' : ` vs rehost ${ours[f]}`}`).join(', ')}); drive C: ${/<drive_mapping name="C">([^<]*)</.exec(probe.stdout)?.[1]} vs rehost ${ours.drive.join(',')}\n`);
    // The appliance boot dominates and is slow (TCG), so two runs: the first and one more.
    const again = process.hrtime.bigint();
    spawnSync('virt-inspector', ['--format=raw', '-a', disk], { env });
    const peer = (first + Number(process.hrtime.bigint() - again) / 1e9) / 2;
    printComparison('Windows inspection of a 600 MiB sparse raw disk (Windows 10 1709 SYSTEM hive)', [{ task: 'inspect (all facts)', rehost, peerName: 'virt-inspector', peer }]);
  }
}
