// VM descriptor readers on every descriptor in the corpus. The VMware .vmx files (and two
// OVFs) are compared field by field with upstream virt-v2v's own `--print-source` expected
// output (corpus/oracle/descriptors/*/…print-source.expected.txt), parsed here.

import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeDescriptor, describeLibvirt, describeVmx, detectDescriptor, normaliseMac, parseVmx, readVmDescription, vmxGenid,
  type VmDescription, type VmDisk,
} from '../../src/descriptors/index.js';
import { CorruptError, UnsupportedError } from '../../src/errors.js';
import { CORPUS } from '../helpers/tools.js';

interface PrintSource {
  name: string;
  genid?: string;
  memoryBytes: number;
  cpus: number;
  firmware: string;
  secureBoot: boolean;
  disks: string[];
  removables: { bus: string; slot: number }[];
  nics: { type: string; network: string; mac?: string; model?: string }[];
}

/** Parses virt-v2v's `--print-source` text (v2v/v2v.ml print_source format). */
function parsePrintSource(text: string): PrintSource {
  const field = (label: string): string => {
    const m = new RegExp(`^\\s*${label.replace(/[()]/g, '\\$&')}: ?(.*)$`, 'm').exec(text);
    if (!m) throw new Error(`print-source without ${label}`);
    return m[1]!.trim();
  };
  const section = (from: string, to?: string): string[] => {
    const start = text.indexOf(`\n${from}:\n`);
    const end = to !== undefined ? text.indexOf(`\n${to}:\n`, start + 1) : text.length;
    return text.slice(start + from.length + 3, end).split('\n').filter((l) => l.startsWith('\t')).map((l) => l.trim());
  };
  return {
    name: field('source name'),
    genid: field('VM genid') || undefined,
    memoryBytes: Number(/^(\d+)/.exec(field('memory'))![1]),
    cpus: Number(field('nr vCPUs')),
    firmware: field('firmware'),
    secureBoot: field('UEFI secureboot') === 'true',
    disks: section('disks', 'removable media').map((l) => /^\d+ \[(\w+)\]/.exec(l)![1]!),
    removables: section('removable media', 'NICs').map((l) => {
      const m = /^CD-ROM \[(\w+)\] in slot (\d+)$/.exec(l)!;
      return { bus: m[1]!, slot: Number(m[2]) };
    }),
    nics: section('NICs').map((l) => {
      const m = /^(Network|Bridge) "([^"]*)"(?: mac: ([0-9a-f:]+))?(?: \[(\w+)\])?$/.exec(l)!;
      return { type: m[1]!, network: m[2]!, mac: m[3], model: m[4] };
    }),
  };
}

/**
 * Compares our reading with virt-v2v's. Known, intended difference: virt-v2v lists only IDE
 * CD-ROMs as removable media (find_removables "only supports IDE CD-ROMs"); we also report
 * SATA CD-ROMs, so the comparison filters removables to IDE and returns the extras.
 */
function compareWithPrintSource(ours: VmDescription, oracle: PrintSource, options: { removableSlot?: (d: VmDisk) => number | undefined } = {}): { extraRemovables: string[] } {
  const slotOf = options.removableSlot ?? ((d: VmDisk) => d.slot);
  expect(ours.name).toBe(oracle.name);
  expect((ours.memoryMiB ?? 32) * 2 ** 20).toBe(oracle.memoryBytes);
  expect(ours.cpus).toBe(oracle.cpus);
  expect(ours.firmware).toBe(oracle.firmware);
  expect(ours.secureBoot ?? false).toBe(oracle.secureBoot);
  if (ours.source === 'vmx') expect(ours.genid).toBe(oracle.genid);
  expect(ours.disks.filter((d) => d.deviceType === 'disk').map((d) => d.bus)).toEqual(oracle.disks);
  const cdroms = ours.disks.filter((d) => d.deviceType === 'cdrom');
  expect(cdroms.filter((d) => d.bus === 'ide').map((d) => ({ bus: d.bus, slot: slotOf(d) }))).toEqual(oracle.removables);
  expect(ours.nics.map((n) => ({ type: n.networkType === 'bridge' ? 'Bridge' : 'Network', network: n.network, mac: n.mac, model: n.model }))).toEqual(oracle.nics);
  return { extraRemovables: cdroms.filter((d) => d.bus !== 'ide').map((d) => `${d.bus}:${d.controller}:${d.slot}`) };
}

const VMX_DIR = join(CORPUS, 'descriptors/vmx');
const ORACLE = join(CORPUS, 'oracle/descriptors');

describe('VMware .vmx against virt-v2v --print-source', () => {
  const files = readdirSync(VMX_DIR).filter((n) => n.startsWith('v2v-test-i-vmx-')).sort();
  it('has the seven upstream test files', () => expect(files).toHaveLength(7));
  // SATA CD-ROMs we report and virt-v2v does not (see compareWithPrintSource).
  const expectedExtras: Record<string, string[]> = {
    'v2v-test-i-vmx-2.vmx': ['sata:sata0:0'],
    'v2v-test-i-vmx-6.vmx': ['sata:sata0:0'],
    'v2v-test-i-vmx-7.vmx': ['sata:sata0:0'],
  };
  for (const name of files) {
    it(name, async () => {
      const ours = await readVmDescription(join(VMX_DIR, name));
      expect(ours.source).toBe('vmx');
      const oracle = parsePrintSource(readFileSync(join(ORACLE, 'vmx', name.replace(/\.vmx$/, '.print-source.expected.txt')), 'utf8'));
      const { extraRemovables } = compareWithPrintSource(ours, oracle);
      expect(extraRemovables).toEqual(expectedExtras[name] ?? []);
    });
  }

  it('keeps disk files, controllers and slots', () => {
    const one = describeVmx(readFileSync(join(VMX_DIR, 'v2v-test-i-vmx-1.vmx'), 'utf8'));
    expect(one.controllers.filter((c) => c.bus === 'scsi')).toEqual([{ id: 'scsi0', bus: 'scsi', model: 'pvscsi' }, { id: 'scsi1', bus: 'scsi', model: 'pvscsi' }]);
    const hd = one.disks.filter((d) => d.deviceType === 'disk');
    expect(hd[7]).toMatchObject({ controller: 'scsi0', slot: 8, file: 'BZ1308535_21disks_7.vmdk' }); // scsi0:7 is the controller itself
    expect(hd[15]).toMatchObject({ controller: 'scsi1', slot: 0, file: 'BZ1308535_21disks_15.vmdk' });
    const cd = one.disks.find((d) => d.deviceType === 'cdrom')!;
    expect(cd).toMatchObject({ bus: 'ide', controller: 'ide1', slot: 2, rawType: 'cdrom-image' });
    const seven = describeVmx(readFileSync(join(VMX_DIR, 'v2v-test-i-vmx-7.vmx'), 'utf8'));
    expect(seven.disks.find((d) => d.bus === 'sata' && d.deviceType === 'disk')).toMatchObject({ slot: 3, file: 'win2019_1.vmdk' });
    expect(seven.controllers.map((c) => `${c.id}=${c.model}`)).toEqual(expect.arrayContaining(['scsi0=lsisas1068', 'sata0=ahci']));
    const six = describeVmx(readFileSync(join(VMX_DIR, 'v2v-test-i-vmx-6.vmx'), 'utf8'));
    expect(six.disks.find((d) => d.deviceType === 'cdrom')?.file).toBeUndefined(); // emptyBackingString, client device
    expect(six.guestOs).toBe('rhel8-64');
  });

  it('reports an encrypted .vmx as encrypted', async () => {
    const enc = await readVmDescription(join(VMX_DIR, 'dissect-encrypted.vmx'));
    expect(enc).toMatchObject({ source: 'vmx', name: 'Encrypted VM', encrypted: true, firmware: 'unknown', disks: [], nics: [] });
  });
});

describe('OVF against virt-v2v --print-source', () => {
  for (const name of ['v2v-test-i-ova-two-disks', 'v2v-test-i-ova-snapshots']) {
    it(name, async () => {
      const ours = await readVmDescription(join(CORPUS, 'descriptors/ovf', `${name}.ovf`));
      expect(ours.source).toBe('ovf');
      const oracle = parsePrintSource(readFileSync(join(ORACLE, 'ovf', `${name}.print-source.expected.txt`), 'utf8'));
      // virt-v2v's OVF reader takes AddressOnParent alone as the CD-ROM slot (our `unit`); the
      // drive sits on IDE channel 1, so its channel × 2 + unit slot is 2 in our reading.
      expect(compareWithPrintSource(ours, oracle, { removableSlot: (d) => d.unit }).extraRemovables).toEqual([]);
      expect(ours.disks.find((d) => d.deviceType === 'cdrom')).toMatchObject({ slot: 2, unit: 0, controllerIndex: 1 });
      expect(ours.disks.filter((d) => d.deviceType === 'disk').every((d) => d.file?.endsWith('.vmdk'))).toBe(true);
    });
  }

  it('agrees with the libvirt XML virt-v2v wrote for the same OVF', async () => {
    const ovf = await readVmDescription(join(CORPUS, 'descriptors/ovf/v2v-test-i-ova.ovf'));
    const xml = await readVmDescription(join(CORPUS, 'descriptors/libvirt/v2v-test-i-ova.expected-domain.xml'));
    expect(xml.source).toBe('libvirt');
    expect(ovf.name).toBe(xml.name);
    expect(ovf.memoryMiB).toBe(xml.memoryMiB);
    expect(ovf.cpus).toBe(xml.cpus);
    expect(ovf.firmware).toBe(xml.firmware);
  });
});

describe('libvirt domain XML', () => {
  it('reads the corpus domain', async () => {
    const d = await readVmDescription(join(CORPUS, 'descriptors/libvirt/v2v-test-i-ova.expected-domain.xml'));
    expect(d).toMatchObject({ name: 'TestOva', memoryMiB: 2048, cpus: 1, firmware: 'bios', machine: 'q35', guestOs: 'http://microsoft.com/win/2k22' });
    expect(d.disks).toEqual([
      { controller: 'vda', bus: 'virtio', slot: 0, unit: undefined, controllerIndex: undefined, file: 'TestOva-sda', deviceType: 'disk', rawType: 'disk' },
      { controller: 'sata0', bus: 'sata', slot: 0, unit: undefined, controllerIndex: undefined, file: undefined, deviceType: 'cdrom', rawType: 'cdrom' },
      { controller: 'fdc0', bus: 'fdc', slot: 0, unit: undefined, controllerIndex: undefined, file: undefined, deviceType: 'floppy', rawType: 'floppy' },
    ]);
    expect(d.nics).toEqual([{ model: 'virtio', mac: undefined, network: 'VM Network', networkType: 'bridge' }]);
  });

  it('reads UEFI, Secure Boot, genid, addresses and MACs', () => {
    const d = describeLibvirt(`<domain type="kvm"><name>w</name><genid>8312995E-57B8-F814-4013-C1BA795F05BA</genid>
      <memory unit="GiB">4</memory><vcpu>2</vcpu>
      <os firmware="efi"><type machine="pc-q35-8.2">hvm</type><firmware><feature enabled="yes" name="secure-boot"/></firmware></os>
      <devices><controller type="scsi" index="0" model="virtio-scsi"/>
        <disk type="file" device="disk"><source file="/v/w.qcow2"/><target dev="sdb" bus="scsi"/><address type="drive" controller="0" bus="0" unit="1"/></disk>
        <interface type="network"><mac address="52:54:00:AB:CD:EF"/><source network="default"/><model type="e1000e"/></interface>
      </devices></domain>`);
    expect(d).toMatchObject({ firmware: 'uefi', secureBoot: true, memoryMiB: 4096, cpus: 2, genid: '8312995e-57b8-f814-4013-c1ba795f05ba' });
    expect(d.controllers).toEqual([{ id: 'scsi0', bus: 'scsi', model: 'virtio-scsi' }]);
    expect(d.disks[0]).toMatchObject({ controller: 'scsi0', bus: 'scsi', slot: 1, file: '/v/w.qcow2' });
    expect(d.nics).toEqual([{ model: 'e1000e', mac: '52:54:00:ab:cd:ef', network: 'default', networkType: 'network' }]);
  });

  it('does not expand nested DOCTYPE entities (billion laughs)', () => {
    const entities = ['<!ENTITY a0 "hahahahahahahahahaha">'];
    for (let i = 1; i < 10; i++) entities.push(`<!ENTITY a${i} "${`&a${i - 1};`.repeat(10)}">`);
    const started = Date.now();
    let name = '';
    try {
      name = describeLibvirt(`<?xml version="1.0"?><!DOCTYPE d [${entities.join('')}]><domain><name>&a9;</name></domain>`).name;
    } catch (error) {
      expect(error).toBeInstanceOf(CorruptError);
    }
    expect(name.length).toBeLessThan(1000);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects XML that is not a domain', () => {
    expect(() => describeLibvirt('<network><name>x</name></network>')).toThrow(CorruptError);
    expect(() => describeLibvirt('<domain><name>x</name>')).toThrow(CorruptError);
  });
});

describe('VirtualBox .vbox', () => {
  it('reads GOAD-DC01: current hardware, differencing chain, NICs', async () => {
    const d = await readVmDescription(join(CORPUS, 'images/descriptors/dissect-GOAD-DC01.vbox'));
    expect(d).toMatchObject({ source: 'vbox', name: 'GOAD-DC01', guestOs: 'Windows2016_64', firmware: 'bios', memoryMiB: 3000, cpus: 2 });
    expect(d.encrypted).toBeUndefined();
    expect(d.controllers).toEqual([{ id: 'IDE Controller', bus: 'ide', model: 'PIIX4' }]);
    expect(d.disks).toEqual([{
      controller: 'IDE Controller', bus: 'ide', slot: 0, unit: 0, deviceType: 'disk', rawType: 'HardDisk',
      file: 'Snapshots/{e6800503-8273-4f16-b584-c7ba2c1df698}.vmdk',
      chain: ['WindowsServer2019-disk001.vmdk', 'Snapshots/{3c72ec80-dc73-4448-a63e-97970cdd87e5}.vmdk', 'Snapshots/{e6800503-8273-4f16-b584-c7ba2c1df698}.vmdk'],
    }]);
    expect(d.nics).toEqual([
      { model: '82540em', mac: '08:00:27:7a:a2:fc', networkType: 'nat' },
      { model: '82540em', mac: '08:00:27:8c:c8:21', network: 'vboxnet0', networkType: 'host-only' },
    ]);
  });

  it('reports the encrypted VirtualBox 7.2 machine', async () => {
    const d = await readVmDescription(join(CORPUS, 'descriptors/vbox/dissect-encrypted.vbox'));
    expect(d).toMatchObject({ name: 'encrypted test', guestOs: 'Windows11_64', firmware: 'uefi', memoryMiB: 4096, cpus: 2, encrypted: true });
    expect(d.controllers).toEqual([{ id: 'SATA', bus: 'sata', model: 'AHCI' }]);
    expect(d.disks.map((x) => [x.slot, x.deviceType, x.file, x.encrypted])).toEqual([
      [0, 'disk', 'Snapshots/{742e6d0f-8896-4aa6-97f4-e05d70e73029}.vdi', true],
      [1, 'cdrom', undefined, undefined],
      [2, 'disk', 'encrypted test_1.vdi', undefined],
    ]);
    expect(d.disks[0]!.chain).toEqual(['encrypted test.vdi', 'Snapshots/{742e6d0f-8896-4aa6-97f4-e05d70e73029}.vdi']);
  });

  it('reports a fully encrypted machine and rejects a file without Machine', () => {
    const full = describeDescriptor(new TextEncoder().encode('<VirtualBox xmlns="http://www.virtualbox.org/"><MachineEncrypted uuid="{1}" keyId="k">AAAA</MachineEncrypted></VirtualBox>'));
    expect(full).toMatchObject({ source: 'vbox', encrypted: true, firmware: 'unknown' });
    expect(() => describeDescriptor(new TextEncoder().encode('<VirtualBox></VirtualBox>'))).toThrow(CorruptError);
  });

  it('refuses a looping differencing chain', () => {
    // A HardDisk cannot contain itself in XML, but two registries can name the same uuid.
    const xml = `<VirtualBox><Machine name="m"><MediaRegistry><HardDisks>
      <HardDisk uuid="{a}" location="a.vdi"><HardDisk uuid="{b}" location="b.vdi"><HardDisk uuid="{a}" location="a2.vdi"/></HardDisk></HardDisk>
      </HardDisks></MediaRegistry><Hardware><StorageControllers><StorageController name="S" type="AHCI">
      <AttachedDevice type="HardDisk" port="0" device="0"><Image uuid="{a}"/></AttachedDevice></StorageController></StorageControllers></Hardware></Machine></VirtualBox>`;
    expect(() => describeDescriptor(new TextEncoder().encode(xml))).toThrow(/loops/);
  });
});

describe('Hyper-V .vmcx', () => {
  it('is recognised and said to be undecoded', async () => {
    const d = await readVmDescription(join(CORPUS, 'images/descriptors/dissect-test.vmcx'));
    expect(d).toMatchObject({ source: 'vmcx', name: 'dissect-test', firmware: 'unknown', controllers: [], disks: [], nics: [] });
    expect(d.notes[0]).toMatch(/not decoded/);
    expect(d.notes[0]).toMatch(/version 0x400/);
  });
});

describe('every corpus descriptor', () => {
  it('is detected as the right kind and described', async () => {
    const dirs = ['descriptors/vmx', 'descriptors/ovf', 'descriptors/vbox', 'descriptors/libvirt', 'images/descriptors'];
    const expectKind: Record<string, string> = { vmx: 'vmx', ovf: 'ovf', vbox: 'vbox', xml: 'libvirt', vmcx: 'vmcx' };
    let count = 0;
    for (const dir of dirs) {
      for (const name of readdirSync(join(CORPUS, dir))) {
        const path = join(CORPUS, dir, name);
        const bytes = new Uint8Array(readFileSync(path));
        const ext = name.split('.').pop()!;
        expect(detectDescriptor(bytes, basename(path)), name).toBe(expectKind[ext]);
        const d = await readVmDescription(path);
        expect(d.source).toBe(expectKind[ext]);
        expect(JSON.parse(JSON.stringify(d))).toBeTruthy();
        count++;
      }
    }
    expect(count).toBe(15);
  });
});

describe('vmx syntax and helpers', () => {
  it('parses keys case-insensitively, comments, |XX escapes and bare values', () => {
    const m = parseVmx('# comment\n.encoding = "UTF-8"\nDisplayName = "a |22b|22"\nmemsize = 512\n\n');
    expect(m.get('displayname')).toBe('a "b"');
    expect(m.get('memsize')).toBe('512');
  });

  it('rejects malformed lines with the offset of the line', () => {
    expect(() => parseVmx('a = "1"\nthis is not vmx\n')).toThrow(CorruptError);
    try {
      parseVmx('a = "1"\nbroken line\n');
    } catch (error) {
      expect((error as CorruptError).detail.offset).toBe(8);
    }
    expect(() => parseVmx('a = "unterminated\n')).toThrow(/closing quote/);
  });

  it('assembles the generation ID as virt-v2v does', () => {
    expect(vmxGenid('-570734802784577186', '-5042519231342505152')).toBe('8312995e-57b8-f814-4013-c1ba795f05ba');
    expect(vmxGenid('1', undefined)).toBeUndefined();
    expect(vmxGenid('x', '1')).toBeUndefined();
  });

  it('uses a static MAC, the file name as fallback name, and skips non-present devices', () => {
    const d = describeVmx('memsize = "64"\nethernet0.present = "TRUE"\nethernet0.addressType = "static"\nethernet0.address = "00:50:56:00:00:01"\n' +
      'ethernet1.present = "FALSE"\nethernet1.virtualDev = "e1000"\nscsi0:0.present = "FALSE"\nscsi0:0.fileName = "x.vmdk"\nide0:0.fileName = "a.vmdk"\n', { fileName: '/vms/My VM.vmx' });
    expect(d.name).toBe('My VM');
    expect(d.nics).toEqual([{ model: undefined, mac: '00:50:56:00:00:01', network: 'ethernet0', networkType: 'network' }]);
    expect(d.disks).toEqual([{ controller: 'ide0', bus: 'ide', controllerIndex: 0, slot: 0, unit: 0, file: 'a.vmdk', deviceType: 'disk', rawType: undefined }]);
  });

  it('normalises MACs and refuses unknown input', () => {
    expect(normaliseMac('0800277AA2FC')).toBe('08:00:27:7a:a2:fc');
    expect(normaliseMac('zz')).toBeUndefined();
    expect(() => describeDescriptor(new TextEncoder().encode('hello world'))).toThrow(UnsupportedError);
  });
});
