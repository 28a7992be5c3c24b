import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openImage } from '../../src/image/open.js';
import { imageFormats } from '../../src/image/formats.js';
import {
  isOvaPackage,
  listTarMembers,
  ovaDiskDevice,
  parseManifest,
  parseOvf,
  readOvaPackage,
  unitMultiplier,
  verifyOvaManifest,
  type OvfDescriptor,
} from '../../src/image/ova/index.js';
import { FileDevice } from '../../src/io/file-device.js';
import { MemoryDevice } from '../../src/io/memory-device.js';
import { CorruptError, NotFoundError, UnsupportedError } from '../../src/errors.js';
import { CORPUS, requireTool, run, sha256Device, sha256File, tempDir } from '../helpers/tools.js';
import { MIB, writePatternDisk } from '../helpers/pattern.js';
import { packOva, STREAM, vmwareOvf } from '../helpers/ova.js';

const RAW = 'http://www.qemu.org/raw';

interface Built {
  dir: string;
  ova: string;
  vmdk: string;
  vmdkRaw: string;
  rawDisk: string;
  gzDiskRaw: string;
}

/** Builds an OVA with GNU tar: a streamOptimized VMDK (qemu-img), a raw disk, a gzip'd raw disk. */
function buildOva(options: { tarFormat: 'ustar' | 'gnu' | 'pax'; ovfFirst: boolean; longNames?: boolean; manifest?: 'SHA1' | 'SHA256' }): Built {
  requireTool('qemu-img');
  requireTool('tar');
  const dir = tempDir();
  const pattern = join(dir, 'pattern.raw');
  writePatternDisk(pattern, { size: 6 * MIB + 512 });
  const prefix = options.longNames ? `${'very-long-directory-name-'.repeat(3)}/${'x'.repeat(60)}-` : '';
  if (options.longNames) run('mkdir', ['-p', join(dir, prefix.slice(0, prefix.lastIndexOf('/')))]);
  const vmdkName = `${prefix}disk1.vmdk`;
  const rawName = `${prefix}disk2.img`;
  const gzName = `${prefix}disk3.img.gz`;
  run('qemu-img', ['convert', '-O', 'vmdk', '-o', 'subformat=streamOptimized', pattern, join(dir, vmdkName)]);
  const vmdkRaw = join(dir, 'vmdk-back.raw');
  run('qemu-img', ['convert', '-O', 'raw', join(dir, vmdkName), vmdkRaw]);
  const rawDisk = join(dir, rawName);
  writePatternDisk(rawDisk, { size: 3 * MIB, isHole: (i) => i === 1 });
  const gzDiskRaw = join(dir, 'disk3-plain.img');
  writePatternDisk(gzDiskRaw, { size: 2 * MIB + 4096 });
  run('sh', ['-c', `gzip -c "$1" > "$2"`, 'sh', gzDiskRaw, join(dir, gzName)]);
  const sizes: Record<string, number> = {};
  for (const name of [vmdkName, rawName, gzName]) sizes[name] = statSync(join(dir, name)).size;
  const ovfName = `${prefix}appliance.ovf`;
  writeFileSync(
    join(dir, ovfName),
    vmwareOvf({
      name: 'test-vm',
      firmware: 'efi',
      sizes,
      disks: [
        { id: 'vmdisk1', href: vmdkName, capacityBytes: 6 * MIB + 512, format: STREAM, controller: 3, address: 0 },
        { id: 'vmdisk2', href: rawName, capacityGiB: 1, format: RAW, controller: 4, address: 0 },
        { id: 'vmdisk3', href: gzName, capacityBytes: 2 * MIB + 4096, format: RAW, compression: 'gzip', controller: 6, address: 2 },
      ],
    }),
  );
  const members = options.ovfFirst ? [ovfName, vmdkName, rawName, gzName] : [vmdkName, rawName, gzName, ovfName];
  if (options.manifest) {
    const tool = options.manifest === 'SHA1' ? 'sha1sum' : 'sha256sum';
    const lines = run(tool, [ovfName, vmdkName, rawName, gzName], { cwd: dir })
      .trim()
      .split('\n')
      .map((l) => {
        const [digest, name] = l.split(/\s+\*?/);
        return `${options.manifest}(${name})= ${digest}`;
      });
    writeFileSync(join(dir, `${prefix}appliance.mf`), lines.join('\n') + '\n');
    members.splice(1, 0, `${prefix}appliance.mf`);
  }
  const ova = join(dir, 'appliance.ova');
  packOva(ova, dir, members, options.tarFormat);
  return { dir, ova, vmdk: join(dir, vmdkName), vmdkRaw, rawDisk, gzDiskRaw };
}

describe('OVA packages', () => {
  for (const variant of [
    { tarFormat: 'ustar', ovfFirst: true, manifest: 'SHA1' },
    { tarFormat: 'gnu', ovfFirst: false, longNames: true, manifest: 'SHA256' },
    { tarFormat: 'pax', ovfFirst: true, longNames: true },
  ] as const) {
    it(`reads a ${variant.tarFormat} archive${'longNames' in variant ? ' with long names' : ''} (ovf ${variant.ovfFirst ? 'first' : 'last'})`, async () => {
      const built = buildOva(variant);
      // GNU tar's own listing is the oracle for member names and sizes.
      const listing = run('tar', ['-tvf', built.ova]).trim().split('\n').map((l) => {
        const fields = l.split(/\s+/);
        return { size: Number(fields[2]), name: fields.slice(5).join(' ') };
      });
      const file = await FileDevice.open(built.ova);
      try {
        expect(await isOvaPackage(file)).toBe(true);
        const pkg = await readOvaPackage(file);
        expect(pkg.members.map((m) => ({ size: m.size, name: m.name }))).toEqual(listing);
        expect(pkg.ovf.name).toBe('test-vm');
        expect(pkg.ovf.firmware).toBe('uefi');
        expect(pkg.ovf.cpus).toBe(2);
        expect(pkg.ovf.memoryBytes).toBe(4096 * MIB);
        expect(pkg.ovf.os).toEqual({ id: 101, osType: 'debian10_64Guest', description: 'Debian GNU/Linux 10 (64-bit)' });
        expect(pkg.ovf.controllers.map((c) => [c.instanceId, c.kind, c.subtype])).toEqual([
          ['3', 'scsi', 'VirtualSCSI'],
          ['4', 'sata', 'vmware.sata.ahci'],
          ['5', 'ide', undefined],
          ['6', 'scsi', 'lsilogic'],
        ]);
        expect(pkg.ovf.nics.map((n) => [n.model, n.mac, n.connection])).toEqual([
          ['VmxNet3', '00:50:56:ab:cd:ef', 'VM Network'],
          ['E1000', '00:50:56:00:00:01', 'VM Network'],
        ]);
        expect(pkg.ovf.drives.filter((d) => d.kind === 'cdrom').map((d) => [d.controller, d.addressOnParent])).toEqual([['sata', 1]]);
        expect(pkg.disks.map((d) => [d.id, d.capacity, d.controller?.kind, d.controller?.subtype, d.controller?.addressOnParent, d.compression])).toEqual([
          ['vmdisk1', 6 * MIB + 512, 'scsi', 'VirtualSCSI', 0, undefined],
          ['vmdisk2', 1024 * MIB, 'sata', 'vmware.sata.ahci', 0, undefined],
          ['vmdisk3', 2 * MIB + 4096, 'scsi', 'lsilogic', 2, 'gzip'],
        ]);
        // Each disk's bytes inside the tar are exactly the file that went in.
        expect(await sha256Device(await ovaDiskDevice(pkg, 0))).toBe(await sha256File(built.vmdk));
        expect(await sha256Device(await ovaDiskDevice(pkg, 1))).toBe(await sha256File(built.rawDisk));
        expect(await sha256Device(await ovaDiskDevice(pkg, 2))).toBe(await sha256File(built.gzDiskRaw));
        await expect(ovaDiskDevice(pkg, 3)).rejects.toThrow(NotFoundError);
        if (variant.manifest) {
          const checks = await verifyOvaManifest(pkg);
          expect(checks.map((c) => [c.algorithm, c.ok])).toEqual(Array(4).fill([variant.manifest.toLowerCase(), true]));
        } else {
          expect(await verifyOvaManifest(pkg)).toEqual([]);
        }
      } finally {
        await file.close();
      }
    });
  }

  it('openImage opens the chosen disk inside an OVA and describes the package', async () => {
    const built = buildOva({ tarFormat: 'ustar', ovfFirst: true });
    const second = await openImage(built.ova, { disk: 1 });
    try {
      expect(second.format).toBe('raw');
      expect(second.details.container).toBe('ova');
      const summary = second.details.ova as { firmware: string; disks: unknown[]; nics: unknown[] };
      expect(summary.firmware).toBe('uefi');
      expect(summary.disks.length).toBe(3);
      expect(await sha256Device(second.device)).toBe(await sha256File(built.rawDisk));
    } finally {
      await second.close();
    }
    const third = await openImage(built.ova, { disk: 2 });
    expect(await sha256Device(third.device)).toBe(await sha256File(built.gzDiskRaw));
    await third.close();
    const first = await openImage(built.ova);
    try {
      expect(first.details.container).toBe('ova');
      expect(first.details.member).toBe('disk1.vmdk');
      if (imageFormats.some((f) => f.name === 'vmdk')) {
        // With the VMDK reader registered, the disk reads as qemu-img reads it.
        expect(first.format).toBe('vmdk');
        expect(await sha256Device(first.device)).toBe(await sha256File(built.vmdkRaw));
      } else {
        expect(first.format).toBe('raw');
        expect(await sha256Device(first.device)).toBe(await sha256File(built.vmdk));
      }
    } finally {
      await first.close();
    }
    await expect(openImage(built.ova, { disk: 7 })).rejects.toThrow(NotFoundError);
  });

  it('reports a tampered member in the manifest check', async () => {
    const built = buildOva({ tarFormat: 'gnu', ovfFirst: true, manifest: 'SHA256' });
    const bytes = new Uint8Array(readFileSync(built.ova));
    const file = new MemoryDevice(bytes);
    const pkg = await readOvaPackage(file);
    const raw = pkg.members.find((m) => m.name === 'disk2.img')!;
    bytes[raw.offset + 10] = (bytes[raw.offset + 10] as number) ^ 0xff;
    const checks = await verifyOvaManifest(pkg);
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['disk2.img']);
  });

  it('refuses compressed disks it cannot inflate', async () => {
    const built = buildOva({ tarFormat: 'ustar', ovfFirst: true });
    const bytes = new Uint8Array(readFileSync(built.ova));
    const pkg = await readOvaPackage(new MemoryDevice(bytes));
    pkg.disks[0]!.compression = 'bzip2';
    await expect(ovaDiskDevice(pkg, 0)).rejects.toThrow(UnsupportedError);
    pkg.disks[2]!.compression = 'gzip';
    pkg.disks[1]!.compression = 'gzip'; // not gzip data
    await expect(ovaDiskDevice(pkg, 1)).rejects.toThrow(CorruptError);
  });
});

describe('tar robustness', () => {
  async function sampleTar(): Promise<Uint8Array> {
    const dir = tempDir();
    for (let i = 0; i < 12; i++) writeFileSync(join(dir, `f${i}.txt`), `file ${i}\n`.repeat(i * 30));
    writeFileSync(join(dir, 'a.ovf'), '<Envelope/>');
    run('tar', ['--format=ustar', '-cf', join(dir, 't.tar'), '-C', dir, 'a.ovf', ...Array.from({ length: 12 }, (_, i) => `f${i}.txt`)]);
    return new Uint8Array(readFileSync(join(dir, 't.tar')));
  }

  it('rejects a bad header checksum', async () => {
    const tar = await sampleTar();
    const members = await listTarMembers(new MemoryDevice(tar));
    expect(members.length).toBe(13);
    const second = members[1]!.headerOffset;
    const corrupt = tar.slice();
    corrupt[second + 2] = (corrupt[second + 2] as number) ^ 0x40;
    await expect(listTarMembers(new MemoryDevice(corrupt))).rejects.toThrow(/checksum/);
    await expect(listTarMembers(new MemoryDevice(corrupt))).rejects.toThrow(CorruptError);
    expect(await isOvaPackage(new MemoryDevice(corrupt))).toBe(false);
  });

  it('rejects members whose size runs past the end, and absurd counts', async () => {
    const tar = await sampleTar();
    // Rewrite the first member's size to 077777777777 and fix its checksum.
    const big = tar.slice();
    big.set(new TextEncoder().encode('77777777777\0'), 124);
    fixChecksum(big, 0);
    await expect(listTarMembers(new MemoryDevice(big))).rejects.toThrow(/past the end/);
    // GNU base-256 size (high bit set) too large for the archive.
    const b256 = tar.slice();
    b256.set([0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], 124);
    fixChecksum(b256, 0);
    await expect(listTarMembers(new MemoryDevice(b256))).rejects.toThrow(/past the end/);
    const octal = tar.slice();
    octal.set(new TextEncoder().encode('9x\0'), 124);
    fixChecksum(octal, 0);
    await expect(listTarMembers(new MemoryDevice(octal))).rejects.toThrow(/not octal/);
    await expect(listTarMembers(new MemoryDevice(tar), { maxMembers: 5 })).rejects.toThrow(/more than 5/);
    // A cut archive: the last member's data is missing.
    await expect(listTarMembers(new MemoryDevice(tar.slice(0, 512 * 20)))).rejects.toThrow(CorruptError);
  });

  it('rejects malformed pax records and a package without a descriptor', async () => {
    const { parsePaxRecords } = await import('../../src/image/ova/tar.js');
    expect([...parsePaxRecords(new TextEncoder().encode('20 path=abc/def.ovf\n'), 0)]).toEqual([['path', 'abc/def.ovf']]);
    expect(() => parsePaxRecords(new TextEncoder().encode('99 path=x\n'), 0)).toThrow(CorruptError);
    expect(() => parsePaxRecords(new TextEncoder().encode('abc'), 0)).toThrow(CorruptError);
    const dir = tempDir();
    writeFileSync(join(dir, 'x.txt'), 'x');
    run('tar', ['-cf', join(dir, 'x.tar'), '-C', dir, 'x.txt']);
    const plain = new MemoryDevice(new Uint8Array(readFileSync(join(dir, 'x.tar'))));
    expect(await isOvaPackage(plain)).toBe(false);
    await expect(readOvaPackage(plain)).rejects.toThrow(CorruptError);
    expect(await isOvaPackage(new MemoryDevice(new Uint8Array(4096)))).toBe(false);
  });

  it('rejects descriptors that are not OVF, and bad manifests', () => {
    expect(() => parseOvf('<notovf/>')).toThrow(CorruptError);
    expect(() => parseOvf('<Envelope><References><File')).toThrow(CorruptError);
    expect(() => parseManifest('SHA256(a)= xyz')).toThrow(CorruptError);
    expect(parseManifest('SHA1(a.vmdk)= ABCDEF\r\n\r\n')).toEqual([{ algorithm: 'sha1', name: 'a.vmdk', digest: 'abcdef' }]);
    expect([unitMultiplier('byte * 2^30'), unitMultiplier('byte * 10^6'), unitMultiplier('MegaBytes'), unitMultiplier(undefined), unitMultiplier('furlongs')]).toEqual([
      2 ** 30,
      1e6,
      2 ** 20,
      1,
      undefined,
    ]);
  });
});

function fixChecksum(tar: Uint8Array, at: number): void {
  tar.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += tar[at + i] as number;
  tar.set(new TextEncoder().encode(sum.toString(8).padStart(6, '0') + '\0 '), at + 148);
}

describe('corpus OVF descriptors against virt-v2v', () => {
  /** The parts of `virt-v2v --print-source` an OVF determines. */
  function printSource(ovf: OvfDescriptor): string[] {
    const lines = [`source name: ${ovf.name}`, `memory: ${ovf.memoryBytes} (bytes)`, `nr vCPUs: ${ovf.cpus}`, `firmware: ${ovf.firmware}`, 'disks:'];
    ovf.drives.filter((d) => d.kind === 'disk').forEach((d, i) => lines.push(`${i} [${d.controller}]`));
    lines.push('removable media:');
    for (const d of ovf.drives.filter((x) => x.kind !== 'disk')) lines.push(`${d.kind === 'cdrom' ? 'CD-ROM' : 'Floppy'} [${d.controller}] in slot ${d.addressOnParent}`);
    lines.push('NICs:');
    for (const n of ovf.nics) lines.push(`Bridge "${n.connection}" [${n.model?.toLowerCase()}]`);
    return lines;
  }

  function expectedLines(text: string): string[] {
    const keep = /^(source name|memory|nr vCPUs|firmware):|^(disks|removable media|NICs):$|^\t/;
    return text
      .split('\n')
      .map((l) => (l.startsWith('\t') ? l : l.trim()))
      .filter((l) => keep.test(l))
      .map((l) => l.replace(/^\t/, '').replace(/\s+/g, ' '));
  }

  for (const name of ['v2v-test-i-ova-two-disks', 'v2v-test-i-ova-snapshots']) {
    it(`${name}: disks, controllers, removable media, NICs, firmware match print-source`, () => {
      const ovf = parseOvf(readFileSync(join(CORPUS, `descriptors/ovf/${name}.ovf`), 'utf8'));
      const expected = expectedLines(readFileSync(join(CORPUS, `oracle/descriptors/ovf/${name}.print-source.expected.txt`), 'utf8'));
      expect(printSource(ovf)).toEqual(expected);
      expect(ovf.controllers.find((c) => c.kind === 'scsi')?.subtype).toBe('lsilogicsas');
      expect(ovf.disks.every((d) => d.format?.endsWith('#streamOptimized'))).toBe(true);
    });
  }

  it('v2v-test-i-ova: matches the libvirt domain virt-v2v wrote for it', () => {
    const ovf = parseOvf(readFileSync(join(CORPUS, 'descriptors/ovf/v2v-test-i-ova.ovf'), 'utf8'));
    const domain = readFileSync(join(CORPUS, 'descriptors/libvirt/v2v-test-i-ova.expected-domain.xml'), 'utf8');
    expect(ovf.name).toBe(/<name>(.*)<\/name>/.exec(domain)![1]);
    expect(ovf.memoryBytes).toBe(Number(/<memory unit='KiB'>(\d+)</.exec(domain)![1]) * 1024);
    expect(ovf.cpus).toBe(Number(/<vcpu>(\d+)</.exec(domain)![1]));
    expect(ovf.drives.filter((d) => d.kind === 'disk').length).toBe((domain.match(/device='disk'/g) ?? []).length);
    expect(ovf.drives.filter((d) => d.kind === 'cdrom').length).toBe((domain.match(/device='cdrom'/g) ?? []).length);
    expect(ovf.drives.filter((d) => d.kind === 'floppy').length).toBe((domain.match(/device='floppy'/g) ?? []).length);
    expect(ovf.nics.map((n) => n.connection)).toEqual([...domain.matchAll(/<source bridge='([^']+)'/g)].map((m) => m[1]));
    expect(ovf.disks[0]!.capacity).toBe(32 * 2 ** 30);
    expect(ovf.files[0]).toEqual({ id: 'file1', href: 'test-ova.vmdk', size: 349405696, compression: undefined, chunkSize: undefined });
  });
});

describe('VirtualBox-style and OVF 2.0 descriptors', () => {
  it('reads firmware from vbox:Machine, MegaBytes memory, /disk/ host resources and OVF 2.0 items', () => {
    const xml = `<?xml version="1.0"?>
<Envelope ovf:version="2.0" xml:lang="en-US" xmlns="http://schemas.dmtf.org/ovf/envelope/2" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/2" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:sasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_StorageAllocationSettingData.xsd" xmlns:epasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPortAllocationSettingData.xsd" xmlns:vbox="http://www.virtualbox.org/ovf/machine">
  <References><File ovf:id="file1" ovf:href="deb-disk001.vmdk"/></References>
  <DiskSection>
    <Info>List of the virtual disks used in the package</Info>
    <Disk ovf:capacity="21474836480" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" vbox:uuid="1f6f4d5c-0000-0000-0000-000000000000"/>
  </DiskSection>
  <VirtualSystem ovf:id="deb">
    <Info>A virtual machine</Info>
    <OperatingSystemSection ovf:id="96"><Info>The kind of installed guest operating system</Info><Description>Debian_64</Description><vbox:OSType ovf:required="false">Debian_64</vbox:OSType></OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements for a virtual machine</Info>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemIdentifier>deb</vssd:VirtualSystemIdentifier><vssd:VirtualSystemType>virtualbox-2.2</vssd:VirtualSystemType></System>
      <Item><rasd:Caption>2 virtual CPU</rasd:Caption><rasd:ElementName>2 virtual CPU</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits><rasd:ElementName>2048 MB of memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>2048</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>ideController0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>PIIX4</rasd:ResourceSubType><rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>sataController0</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>AHCI</rasd:ResourceSubType><rasd:ResourceType>20</rasd:ResourceType></Item>
      <StorageItem><sasd:AddressOnParent>0</sasd:AddressOnParent><sasd:ElementName>disk1</sasd:ElementName><sasd:HostResource>/disk/vmdisk1</sasd:HostResource><sasd:InstanceID>7</sasd:InstanceID><sasd:Parent>5</sasd:Parent><sasd:ResourceType>17</sasd:ResourceType></StorageItem>
      <Item><rasd:AddressOnParent>1</rasd:AddressOnParent><rasd:AutomaticAllocation>true</rasd:AutomaticAllocation><rasd:ElementName>cdrom1</rasd:ElementName><rasd:InstanceID>8</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>15</rasd:ResourceType></Item>
      <EthernetPortItem><epasd:AutomaticAllocation>true</epasd:AutomaticAllocation><epasd:Connection>NAT</epasd:Connection><epasd:ElementName>Ethernet adapter on 'NAT'</epasd:ElementName><epasd:InstanceID>9</epasd:InstanceID><epasd:ResourceSubType>virtio</epasd:ResourceSubType><epasd:ResourceType>10</epasd:ResourceType></EthernetPortItem>
    </VirtualHardwareSection>
    <vbox:Machine ovf:required="false" version="1.19-linux" uuid="{2c4d7a5e-0000-0000-0000-000000000000}" name="deb" OSType="Debian_64">
      <Hardware><Platform architecture="x86"><Firmware type="EFI"/></Platform></Hardware>
    </vbox:Machine>
  </VirtualSystem>
</Envelope>`;
    const ovf = parseOvf(xml);
    expect(ovf.name).toBe('deb');
    expect(ovf.firmware).toBe('uefi');
    expect([ovf.cpus, ovf.memoryBytes, ovf.virtualSystemType]).toEqual([2, 2048 * MIB, 'virtualbox-2.2']);
    expect(ovf.controllers.map((c) => [c.kind, c.subtype])).toEqual([
      ['ide', 'PIIX4'],
      ['sata', 'AHCI'],
    ]);
    expect(ovf.drives.map((d) => [d.kind, d.diskId, d.controller, d.addressOnParent])).toEqual([
      ['disk', 'vmdisk1', 'sata', 0],
      ['cdrom', undefined, 'ide', 1],
    ]);
    expect(ovf.nics.map((n) => [n.model, n.connection])).toEqual([['virtio', 'NAT']]);
    expect(ovf.disks[0]!.capacity).toBe(20 * 1024 * MIB);
    expect(parseOvf(xml.replace('<Firmware type="EFI"/>', '<Firmware type="BIOS"/>')).firmware).toBe('bios');
  });
});
