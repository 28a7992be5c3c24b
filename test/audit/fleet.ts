// Builds the small test fleet in a temp dir: the example image and its vmdk/vhdx/raw
// conversions made by qemu-img, corrupt images (truncated qcow2, random bytes behind a qcow2
// magic, an overlay whose backing file is missing), a .vmx naming two disks (one of them a
// monolithicFlat vmdk whose extent must not become a VM), an OVA with two disks (GNU tar and
// a VMware-style OVF), and files that are not images (text, random bytes). With `windows`:
// test Windows disks made from the corpus hives (test/windows/volume.ts), one of them
// hibernated, and a disk whose only partition is BitLocker-encrypted. Always: a LUKS2 disk
// (cryptsetup) and a LUKS-encrypted qcow2 (qemu-img). With `lab`: the real Debian lab
// guests (test/linux/facts/lab-guest.ts: VMware initramfs-tools, VMware dracut, KVM
// initramfs-tools) as qcow2 overlays over their cached raw disks, a full vmdk conversion
// described by a .vmx with a second (blank) disk, a full vhdx conversion, and an .ovf naming
// two disks (one guest's overlay, in another directory, and a blank one).

import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { requireTool, run } from '../helpers/tools.js';
import { packOva, STREAM, vmwareOvf } from '../helpers/ova.js';
import { buildWindowsDisk } from '../windows/volume.js';
import { CASES } from '../windows/cases.js';
import { labGuest } from '../linux/facts/lab-guest.js';
import { openImage } from '../../src/image/open.js';
import { discoverVolumes } from '../../src/fs/discover.js';
import { openFileSystem } from '../../src/fs/open.js';

export const EXAMPLE = new URL('../../fixtures/example/debian-mini.qcow2', import.meta.url).pathname;

export interface TestFleet {
  dir: string;
  /** VM key → what the test expects: disk count and error code (undefined: inspects fine). */
  /** os: the operating systems each disk holds (default ['linux']); diskOs: per disk, when they differ. */
  expected: Record<string, { kind: string; disks: number; error?: string; maxBytesRead?: number; os?: string[]; diskOs?: string[][] }>;
}

/**
 * qemu-img; a LUKS create is retried when qemu's PBKDF2 timing loop fails under host load
 * ("Unable to get accurate CPU usage", seen once in CI), which says nothing about the fleet.
 */
function qemuImg(args: string[]): void {
  for (let attempt = 1; ; attempt++) {
    try {
      run('qemu-img', args);
      return;
    } catch (error) {
      if (attempt >= 3 || !/Unable to get accurate CPU usage/.test((error as Error).message)) throw error;
    }
  }
}

export async function buildFleet(root: string, options: { windows?: boolean; lab?: boolean } = {}): Promise<TestFleet> {
  const dir = join(root, 'fleet');
  // The lab's two full conversions run in the background while the rest is built.
  const lab = options.lab ? startLab(join(dir, 'lab')) : undefined;
  for (const sub of ['lone', 'bad', 'vmx', 'ova-src', 'ova', 'nested/deeper']) mkdirSync(join(dir, sub), { recursive: true });
  copyFileSync(EXAMPLE, join(dir, 'lone', 'debian.qcow2'));
  qemuImg(['convert', '-O', 'vhdx', EXAMPLE, join(dir, 'lone', 'debian.vhdx')]);
  qemuImg(['convert', '-O', 'raw', EXAMPLE, join(dir, 'nested', 'deeper', 'debian.img')]);
  writeFileSync(join(dir, 'lone', 'notes.txt'), 'not an image\n');
  writeFileSync(join(dir, 'lone', 'noise.bin'), randomBytes(70000));

  const example = readFileSync(EXAMPLE);
  writeFileSync(join(dir, 'bad', 'truncated.qcow2'), example.subarray(0, 70000));
  writeFileSync(join(dir, 'bad', 'random.qcow2'), Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb]), randomBytes(100000)]));
  qemuImg(['create', '-q', '-f', 'qcow2', '-u', '-b', join(root, 'gone', 'base.qcow2'), '-F', 'qcow2', join(dir, 'bad', 'orphan.qcow2'), '64M']);

  qemuImg(['convert', '-O', 'vmdk', EXAMPLE, join(dir, 'vmx', 'web-0.vmdk')]);
  qemuImg(['convert', '-O', 'vmdk', '-o', 'subformat=monolithicFlat', EXAMPLE, join(dir, 'vmx', 'web-1.vmdk')]);
  writeFileSync(join(dir, 'vmx', 'web.vmx'), VMX);
  // A descriptor whose disk is gone: a VM row with NOT_FOUND, not a crash.
  writeFileSync(join(dir, 'vmx', 'gone.vmx'), VMX.replace('displayName = "web"', 'displayName = "gone"').replace('web-0.vmdk', 'gone-0.vmdk').replace(/scsi0:1\.[^\n]*\n/g, ''));
  mkdirSync(join(dir, 'libvirt'));
  copyFileSync(EXAMPLE, join(dir, 'libvirt', 'db-root.qcow2'));
  writeFileSync(join(dir, 'libvirt', 'db.xml'), libvirtXml(join(dir, 'libvirt', 'db-root.qcow2')));

  qemuImg(['convert', '-O', 'vmdk', '-o', 'subformat=streamOptimized', EXAMPLE, join(dir, 'ova-src', 'disk1.vmdk')]);
  qemuImg(['convert', '-O', 'vmdk', '-o', 'subformat=streamOptimized', EXAMPLE, join(dir, 'ova-src', 'disk2.vmdk')]);
  writeFileSync(join(dir, 'ova-src', 'two.ovf'), twoDiskOvf('two-disks', ['disk1.vmdk', 'disk2.vmdk']));
  packOva(join(dir, 'ova', 'two.ova'), join(dir, 'ova-src'), ['two.ovf', 'disk1.vmdk', 'disk2.vmdk']);

  // Encrypted images: a LUKS2 disk (inspects, no OS, an encrypted volume) and a qcow2 whose
  // payload is LUKS-encrypted (a row with UNSUPPORTED).
  requireTool('cryptsetup');
  mkdirSync(join(dir, 'encrypted'));
  const luks = join(dir, 'encrypted', 'luks.img');
  execFileSync('truncate', ['-s', '24M', luks]);
  run('cryptsetup', ['luksFormat', '-q', '--type', 'luks2', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations', '1000', '--key-file', '-', luks], { input: 'hunter2' });
  // qemu-img times its PBKDF to pick an iteration count and gives up ("Unable to get accurate
  // CPU usage") now and then on a loaded machine: a few tries.
  for (let attempt = 1; ; attempt++) {
    try {
      qemuImg(['create', '-q', '--object', 'secret,id=sec0,data=hunter2', '-f', 'qcow2', '-o', 'encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=50', join(dir, 'encrypted', 'luks.qcow2'), '64M']);
      break;
    } catch (error) {
      if (attempt >= 5 || !String(error).includes('accurate CPU usage')) throw error;
    }
  }

  // Each disk holding the example reads at most its initramfs whole plus metadata.
  const exampleLimit = await exampleReadLimit();
  const expected: TestFleet['expected'] = {
      'encrypted/luks.img': { kind: 'image', disks: 1, os: [] },
      'encrypted/luks.qcow2': { kind: 'image', disks: 1, error: 'UNSUPPORTED' },
      'lone/debian.qcow2': { kind: 'image', disks: 1, maxBytesRead: exampleLimit },
      'lone/debian.vhdx': { kind: 'image', disks: 1, maxBytesRead: exampleLimit },
      'nested/deeper/debian.img': { kind: 'image', disks: 1, maxBytesRead: exampleLimit },
      'bad/truncated.qcow2': { kind: 'image', disks: 1, error: 'CORRUPT' },
      'bad/random.qcow2': { kind: 'image', disks: 1, error: 'CORRUPT' },
      'bad/orphan.qcow2': { kind: 'image', disks: 1, error: 'NOT_FOUND' },
      'vmx/web.vmx': { kind: 'descriptor', disks: 2, maxBytesRead: 2 * exampleLimit },
      'vmx/gone.vmx': { kind: 'descriptor', disks: 1, error: 'NOT_FOUND' },
      'libvirt/db.xml': { kind: 'descriptor', disks: 1, maxBytesRead: exampleLimit },
      // The extracted OVF names the same streamOptimized disks: a VM of its own.
      'ova-src/two.ovf': { kind: 'descriptor', disks: 2, maxBytesRead: 2 * exampleLimit },
      'ova/two.ova': { kind: 'ova', disks: 2, maxBytesRead: 2 * exampleLimit },
  };
  if (options.windows) {
    mkdirSync(join(dir, 'windows'));
    const win7 = buildWindowsDisk({ testCase: windowsCase('win7-sp1-x86-vmware'), diskSignature: '0x1234abcd' });
    qemuImg(['convert', '-O', 'qcow2', win7.disk, join(dir, 'windows', 'win7.qcow2')]);
    const hiberfil = new Uint8Array(8192);
    hiberfil.set(new TextEncoder().encode('HIBR'));
    const win10 = buildWindowsDisk({ testCase: windowsCase('win10-1709-x64-vmware'), diskSignature: '0x5678ef01', extra: [{ path: 'hiberfil.sys', bytes: hiberfil }] });
    qemuImg(['convert', '-O', 'vhdx', win10.disk, join(dir, 'windows', 'win10-hibernated.vhdx')]);
    // BitLocker: an MBR partition whose boot sector carries the "-FVE-FS-" OEM id.
    const locked = join(dir, 'windows', 'bitlocker.img');
    execFileSync('truncate', ['-s', '16M', locked]);
    execFileSync('sfdisk', ['-q', locked], { input: 'label: dos\nstart=2048, type=7\n', stdio: ['pipe', 'ignore', 'pipe'] });
    const sector = new Uint8Array(512);
    sector.set([0xeb, 0x58, 0x90]);
    sector.set(new TextEncoder().encode('-FVE-FS-'), 3);
    sector[510] = 0x55;
    sector[511] = 0xaa;
    execFileSync('dd', [`of=${locked}`, 'bs=512', 'seek=2048', 'conv=notrunc', 'status=none'], { input: sector });
    // Windows inspection reads the hives whole; on these small disks that is most of the data.
    expected['windows/win7.qcow2'] = { kind: 'image', disks: 1, os: ['windows'], maxBytesRead: hiveBytes(win7.dir) + METADATA_ALLOWANCE };
    expected['windows/win10-hibernated.vhdx'] = { kind: 'image', disks: 1, os: ['windows'], maxBytesRead: hiveBytes(win10.dir) + METADATA_ALLOWANCE };
    expected['windows/bitlocker.img'] = { kind: 'image', disks: 1, os: [] };
  }
  if (lab) Object.assign(expected, await lab);
  return { dir, expected };
}

/** The lab-guest part of the fleet (see the header); resolves to its expected VMs. */
async function startLab(dir: string): Promise<TestFleet['expected']> {
  const lab = { 'vmware-itools': labGuest('initramfs-tools'), 'vmware-dracut': labGuest('dracut'), 'kvm-itools': labGuest('initramfs-tools', { source: 'kvm' }) };
  const guests = { 'vmware-itools': lab['vmware-itools'].disk, 'vmware-dracut': lab['vmware-dracut'].disk, 'kvm-itools': lab['kvm-itools'].disk };
  // With --initramfs read the initramfs is read whole (the verdicts need its module list);
  // beyond it only filesystem metadata, /etc, /boot and the module tree's indexes.
  const limit = (name: keyof typeof lab): number => statSync(join(lab[name].dir, 'initrd.img')).size + LAB_METADATA_ALLOWANCE;
  for (const sub of ['qcow2', 'esx', 'hyperv', 'ovf']) mkdirSync(join(dir, sub), { recursive: true });
  const overlay = (base: string, path: string): void => qemuImg(['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', path]);
  for (const [name, disk] of Object.entries(guests)) overlay(disk, join(dir, 'qcow2', `${name}.qcow2`));
  // The two full conversions (~1 GB of guest data each) are what makes the lab part slow:
  // started here, awaited at the end.
  const converting = Promise.all([
    promisify(execFile)('qemu-img', ['convert', '-O', 'vmdk', guests['vmware-dracut'], join(dir, 'esx', 'esx-dracut.vmdk')]),
    promisify(execFile)('qemu-img', ['convert', '-O', 'vhdx', guests['kvm-itools'], join(dir, 'hyperv', 'kvm-itools.vhdx')]),
  ]);
  qemuImg(['create', '-q', '-f', 'vmdk', join(dir, 'esx', 'esx-data.vmdk'), '64M']);
  writeFileSync(join(dir, 'esx', 'esx.vmx'), VMX.replace('displayName = "web"', 'displayName = "esx-dracut"').replace('web-0.vmdk', 'esx-dracut.vmdk').replace('web-1.vmdk', 'esx-data.vmdk'));
  // The appliance's OS disk is the VMware initramfs-tools guest's overlay: that file is then
  // a disk of this VM, not a VM of its own.
  qemuImg(['create', '-q', '-f', 'qcow2', join(dir, 'ovf', 'appliance-data.qcow2'), '64M']);
  writeFileSync(join(dir, 'ovf', 'appliance.ovf'), twoDiskOvf('appliance', ['../qcow2/vmware-itools.qcow2', 'appliance-data.qcow2'], 2048));
  await converting;
  const linux = (name: keyof typeof lab) => ({ kind: 'image', disks: 1, os: ['linux'], maxBytesRead: limit(name) });
  return {
    'lab/qcow2/vmware-dracut.qcow2': linux('vmware-dracut'),
    'lab/qcow2/kvm-itools.qcow2': linux('kvm-itools'),
    'lab/hyperv/kvm-itools.vhdx': linux('kvm-itools'),
    'lab/esx/esx.vmx': { kind: 'descriptor', disks: 2, diskOs: [['linux'], []], maxBytesRead: limit('vmware-dracut') },
    'lab/ovf/appliance.ovf': { kind: 'descriptor', disks: 2, diskOs: [['linux'], []], maxBytesRead: limit('vmware-itools') },
  };
}

const LAB_METADATA_ALLOWANCE = 32 * 1024 * 1024;

/**
 * Beyond its initramfs, a disk holding the example reads filesystem metadata, /etc, /boot's
 * small files (config 254 KiB) and the module tree's directories and indexes, each through
 * the 64 KiB blocks of the cached device: measured 1.47 MiB with --initramfs skip.
 */
const EXAMPLE_METADATA_ALLOWANCE = 2 * 1024 * 1024;

/** The example's initramfs size (read whole with --initramfs read) plus the allowance above. */
async function exampleReadLimit(): Promise<number> {
  const image = await openImage(EXAMPLE);
  try {
    const { volumes } = await discoverVolumes(image.device);
    const root = volumes.find((v) => v.filesystem.kind.startsWith('ext'));
    if (root === undefined) throw new Error(`no ext volume in ${EXAMPLE}`);
    const fs = await openFileSystem(root.device);
    const initrds = (await fs.readdir('/boot')).filter((e) => e.name.startsWith('initrd.img-'));
    if (initrds.length !== 1) throw new Error(`expected one initramfs in the example's /boot, found ${initrds.length}`);
    return (await fs.stat(`/boot/${initrds[0]?.name}`)).size + EXAMPLE_METADATA_ALLOWANCE;
  } finally {
    await image.close();
  }
}

/** Filesystem metadata, boot files and the registry's own reads beyond the hive files. */
const METADATA_ALLOWANCE = 8 * 1024 * 1024;

function hiveBytes(dir: string): number {
  const config = join(dir, 'staging', 'Windows', 'System32', 'config');
  return readdirSync(config).reduce((sum, name) => sum + statSync(join(config, name)).size, 0);
}

function windowsCase(id: string): (typeof CASES)[number] {
  const found = CASES.find((c) => c.id === id);
  if (!found) throw new Error(`no Windows test case ${id}`);
  return found;
}

// Modelled on the corpus's v2v-test-i-vmx-*.vmx (ESXi 6.x hosted layout).
const VMX = `.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "11"
displayName = "web"
memSize = "2048"
numvcpus = "2"
firmware = "bios"
guestOS = "debian10-64"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.deviceType = "scsi-hardDisk"
scsi0:0.fileName = "web-0.vmdk"
scsi0:1.present = "TRUE"
scsi0:1.deviceType = "scsi-hardDisk"
scsi0:1.fileName = "web-1.vmdk"
ide1:0.present = "TRUE"
ide1:0.deviceType = "cdrom-image"
ide1:0.fileName = "/vmfs/volumes/datastore1/ISOs/debian.iso"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "vmxnet3"
ethernet0.networkName = "VM Network"
ethernet0.addressType = "generated"
ethernet0.generatedAddress = "00:0c:29:4b:2b:8c"
uuid.bios = "56 4d 99 89 a7 21 91 0d-cc 28 e2 db d5 4b 2b 8c"
`;

// A libvirt domain as virsh dumpxml writes it (absolute source paths).
function libvirtXml(disk: string): string {
  return `<domain type='kvm'>
  <name>db</name>
  <memory unit='KiB'>1048576</memory>
  <vcpu placement='static'>1</vcpu>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:12:34:56'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
`;
}

/** The fleet's two-disk OVF (as the corpus's v2v-test-i-ova-two-disks.ovf: two 64 MiB disks). */
function twoDiskOvf(name: string, hrefs: [string, string], capacityMiB = 64): string {
  return vmwareOvf({
    name,
    firmware: 'bios',
    cdrom: false,
    disks: hrefs.map((href, i) => ({ id: `vmdisk${i + 1}`, href, capacityMiB, format: STREAM, controller: 3, address: i })),
  });
}
