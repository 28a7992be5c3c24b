// The platform catalog: every shipped file validates against the JSON Schema (with our subset
// validator), the validator rejects bad documents, lookups answer, user directories merge, and
// entries that conversion-facts.md marks † are flagged unverified in the data.

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  builtinPlatformDir, checkPlatform, devicesByFunction, loadCatalog, platformById, platformSchema,
  platformsForPciId, platformsForSmbios, validateJsonSchema, type Platform,
} from '../../src/catalog/index.js';
import { CorruptError, NotFoundError } from '../../src/errors.js';
import { tempDir } from '../helpers/tools.js';

const EXPECTED_IDS = ['aws-nitro', 'aws-xen', 'azure', 'gce', 'hyperv-gen1', 'hyperv-gen2', 'kvm', 'nutanix-ahv', 'proxmox', 'virtualbox', 'vmware-esxi', 'xcp-ng', 'xen-hvm', 'xen-pv'];

function builtinFiles(): { name: string; doc: Platform }[] {
  const dir = builtinPlatformDir();
  return readdirSync(dir).filter((n) => n.endsWith('.json')).sort().map((name) => ({ name, doc: JSON.parse(readFileSync(join(dir, name), 'utf8')) as Platform }));
}

describe('catalog schema and data', () => {
  it('ships one valid file per platform', async () => {
    const schema = await platformSchema();
    const files = builtinFiles();
    expect(files.map((f) => f.doc.id)).toEqual(EXPECTED_IDS);
    for (const { name, doc } of files) {
      expect(name).toBe(`${doc.id}.json`);
      expect(checkPlatform(schema, doc), name).toEqual([]);
    }
  });

  it('rejects documents that break the schema, with a pointer to the problem', async () => {
    const schema = await platformSchema();
    const good = builtinFiles()[0]!.doc;
    const clone = (): Platform => JSON.parse(JSON.stringify(good)) as Platform;
    const bad: [string, (p: Platform) => void, RegExp][] = [
      ['missing id', (p) => delete (p as Partial<Platform>).id, /missing required property "id"/],
      ['bad function', (p) => ((p.devices[0] as { function: string }).function = 'storage-ish'), /\/devices\/0\/function/],
      ['lower-case PCI id', (p) => (p.devices.find((d) => d.pci)!.pci![0]!.vendor = '15ad'), /does not match/],
      ['unknown property', (p) => ((p as unknown as Record<string, unknown>).colour = 'red'), /unknown property "colour"/],
      ['wrong type', (p) => ((p.firmware as unknown as Record<string, unknown>).uefi = 'yes'), /expected boolean/],
      ['bad Kconfig symbol', (p) => (p.devices.find((d) => d.linux?.config)!.linux!.config = ['VIRTIO_BLK']), /CONFIG_/],
      ['no devices', (p) => (p.devices = []), /at least 1/],
      ['bad inbox status', (p) => (p.devices.find((d) => d.windows)!.windows!.inbox.status = 'maybe' as 'unknown'), /must be one of/],
    ];
    for (const [label, mutate, message] of bad) {
      const doc = clone();
      mutate(doc);
      const issues = checkPlatform(schema, doc);
      expect(issues.join('\n'), label).toMatch(message);
    }
    // Semantic checks the schema cannot express.
    const dup = clone();
    dup.devices.push({ ...dup.devices[0]! });
    expect(checkPlatform(schema, dup).join('\n')).toMatch(/duplicate device id/);
    const dangling = clone();
    dangling.devices[0]!.unverified = ['vmbusClass'];
    delete dangling.devices[0]!.vmbusClass;
    expect(checkPlatform(schema, dangling).join('\n')).toMatch(/unverified names "vmbusClass"/);
  });

  it('the validator refuses schema keywords it does not implement', () => {
    expect(() => validateJsonSchema({ type: 'object', oneOf: [] }, {})).toThrow(/not supported/);
    expect(() => validateJsonSchema({ $ref: '#/$defs/missing' }, {})).toThrow(/dangling/);
    expect(() => validateJsonSchema({ $defs: { a: { $ref: '#/$defs/a' } }, $ref: '#/$defs/a' }, 1)).toThrow(/chain/);
    expect(validateJsonSchema({ type: 'integer', minimum: 2 }, 1.5)).toHaveLength(1);
    expect(validateJsonSchema({ type: 'number' }, 3)).toEqual([]);
  });

  it('marks each † entry of conversion-facts.md unverified, or cites the corpus that verified it', async () => {
    const catalog = await loadCatalog();
    const device = (platform: string, id: string) => {
      const d = platformById(catalog, platform).devices.find((x) => x.id === id);
      if (!d) throw new Error(`${platform}/${id} missing`);
      return d;
    };
    const flagged = (platform: string, id: string, field: string): boolean => (device(platform, id).unverified ?? []).includes(field as never);
    // [platform, device, field]: a † fact from conversion-facts.md §g / §f.2.
    const dagger: [string, string, string][] = [
      ['vmware-esxi', 'lsilogic', 'windows.services'], ['vmware-esxi', 'lsilogic', 'linux.modules'],
      ['vmware-esxi', 'lsilogic-sas', 'windows.services'], ['vmware-esxi', 'lsilogic-sas', 'linux.modules'],
      ['vmware-esxi', 'buslogic', 'windows.inbox'], ['vmware-esxi', 'vmxnet', 'linux.modules'],
      ['vmware-esxi', 'e1000', 'windows.services'], ['vmware-esxi', 'e1000e', 'windows.services'],
      ['hyperv-gen1', 'hyperv-ide', 'pci'], ['hyperv-gen1', 'hyperv-legacy-nic', 'windows.services'],
      ['hyperv-gen1', 'hyperv-vga', 'windows.services'], ['hyperv-gen2', 'hyperv-synthvid', 'windows.services'],
      ['hyperv-gen2', 'hv-shutdown', 'windows.services'], ['hyperv-gen2', 'hv-timesync', 'windows.services'],
      ['hyperv-gen2', 'hv-heartbeat', 'windows.services'], ['hyperv-gen2', 'hv-kvp', 'windows.services'],
      ['kvm', 'std-vga', 'pci'], ['kvm', 'rtl8139', 'pci'],
      ['virtualbox', 'vbox-vmmdev', 'windows.services'], ['virtualbox', 'vbox-vga', 'windows.services'], ['virtualbox', 'vbox-e1000', 'windows.inbox'],
      ['xen-hvm', 'xen-platform', 'windows.services'], ['xen-hvm', 'xen-kbdfront', 'windows.services'],
      ['aws-nitro', 'ebs-nvme', 'windows.services'], ['aws-nitro', 'ena', 'windows.services'],
      ['aws-xen', 'xen-platform', 'windows.services'], ['aws-xen', 'xen-vbd', 'windows.services'], ['aws-xen', 'xen-vif', 'windows.services'],
      ['gce', 'gvnic', 'windows.services'],
    ];
    const verifiedBy: string[] = [];
    for (const [platform, id, field] of dagger) {
      if (flagged(platform, id, field)) continue;
      // Not flagged: the device must say where it was verified (a corpus hive or INF).
      const d = device(platform, id);
      const said = `${d.note ?? ''} ${d.source} ${d.windows?.inbox.evidence ?? ''}`;
      expect(said, `${platform}/${id} ${field} is † but neither unverified nor cited`).toMatch(/corpus/);
      verifiedBy.push(`${platform}/${id}:${field}`);
    }
    // These † names were confirmed on the corpus SYSTEM hives / Xen INFs (see the notes).
    expect(verifiedBy.sort()).toEqual([
      'hyperv-gen1/hyperv-vga:windows.services', 'hyperv-gen2/hv-heartbeat:windows.services', 'hyperv-gen2/hv-kvp:windows.services',
      'hyperv-gen2/hv-shutdown:windows.services', 'hyperv-gen2/hv-timesync:windows.services', 'hyperv-gen2/hyperv-synthvid:windows.services',
      'vmware-esxi/e1000:windows.services', 'vmware-esxi/lsilogic-sas:windows.services', 'vmware-esxi/lsilogic:windows.services',
      'xen-hvm/xen-platform:windows.services',
    ]);
    // Every SMBIOS identity that is not from a cited source is flagged.
    for (const p of catalog.platforms) for (const s of p.smbios) expect(s.unverified === true || /corpus|qemu-devel|§g/.test(s.source), `${p.id} ${s.manufacturer}`).toBe(true);
    // Every Kconfig symbol is flagged (none was checked against a kernel snapshot).
    for (const p of catalog.platforms) for (const d of p.devices) if (d.linux?.config) expect(d.unverified, `${p.id}/${d.id}`).toContain('linux.config');
    // Guest-tool names marked † stay flagged.
    expect(platformById(catalog, 'virtualbox').guestTools.unverified).toEqual(expect.arrayContaining(['VBoxGuest', 'VBoxSF', 'SOFTWARE\\Oracle\\VirtualBox Guest Additions']));
  });

  it('matches the IDs and names of conversion-facts.md §g.2', async () => {
    const catalog = await loadCatalog();
    const dev = (platform: string, id: string) => platformById(catalog, platform).devices.find((d) => d.id === id)!;
    expect(dev('vmware-esxi', 'pvscsi').pci).toEqual([{ vendor: '15AD', device: '07C0' }]);
    expect(dev('vmware-esxi', 'pvscsi').linux?.modules).toEqual(['vmw_pvscsi']);
    expect(dev('vmware-esxi', 'vmxnet3').windows?.services).toEqual(['vmxnet3ndis6', 'vmxnet3']);
    expect(dev('vmware-esxi', 'vmware-nvme').pci?.[0]).toEqual({ vendor: '15AD', device: '07F0' });
    expect(dev('kvm', 'virtio-blk').pci?.map((p) => p.device)).toEqual(['1001', '1042']);
    expect(dev('kvm', 'virtio-scsi').windows?.services).toEqual(['vioscsi']);
    expect(dev('hyperv-gen2', 'storvsc').vmbusClass).toBe('ba6163d9-04a1-4d29-b605-72e2ffb1dc7f');
    expect(dev('hyperv-gen2', 'netvsc').vmbusClass).toBe('f8615163-df3e-46c5-913f-f2d2f965ed0e');
    expect(dev('aws-nitro', 'ena').pci).toEqual([{ vendor: '1D0F', device: 'EC20' }]);
    expect(dev('gce', 'gvnic').pci).toEqual([{ vendor: '1AE0', device: '0042' }]);
    expect(dev('xcp-ng', 'xen-platform').pci?.map((p) => p.device)).toEqual(['0001', '0002', 'C000', 'C200']);
    expect(dev('virtualbox', 'vbox-vmmdev').pci).toEqual([{ vendor: '80EE', device: 'CAFE' }]);
    expect(platformById(catalog, 'hyperv-gen2').firmware).toMatchObject({ bios: false, uefi: true, secureBoot: true });
    expect(platformById(catalog, 'hyperv-gen2').devices.some((d) => d.id === 'hyperv-ide')).toBe(false);
  });
});

describe('catalog lookups', () => {
  it('answers by id, function, PCI ID and SMBIOS identity', async () => {
    const catalog = await loadCatalog();
    expect(() => platformById(catalog, 'nope')).toThrow(NotFoundError);
    expect(devicesByFunction(platformById(catalog, 'kvm'), 'boot-storage')[0]?.id).toBe('virtio-blk');
    expect(devicesByFunction(platformById(catalog, 'proxmox'), 'boot-storage')[0]?.id).toBe('virtio-scsi');
    expect(devicesByFunction(platformById(catalog, 'vmware-esxi'), 'network')[0]?.id).toBe('vmxnet3');
    expect(platformsForPciId(catalog, { vendor: '15ad', device: 0x7c0 }).map((m) => m.platform.id)).toEqual(['vmware-esxi']);
    expect(platformsForPciId(catalog, { vendor: 0x1d0f, device: '8061' }).map((m) => m.platform.id)).toEqual(['aws-nitro']);
    const virtioNet = platformsForPciId(catalog, { vendor: '1AF4', device: '1041' }).map((m) => m.platform.id);
    expect(virtioNet).toEqual(expect.arrayContaining(['kvm', 'proxmox', 'nutanix-ahv', 'gce', 'virtualbox']));
    expect(platformsForSmbios(catalog, { manufacturer: 'VMware, Inc.', product: 'VMware Virtual Platform' }).map((p) => p.id)).toEqual(['vmware-esxi']);
    expect(platformsForSmbios(catalog, { manufacturer: 'vmware, inc. ', product: 'VMware20,1' }).map((p) => p.id)).toEqual(['vmware-esxi']);
    expect(platformsForSmbios(catalog, { manufacturer: 'QEMU', product: 'Standard PC (Q35 + ICH9, 2009)' }).map((p) => p.id)).toEqual(['kvm', 'proxmox']);
    expect(platformsForSmbios(catalog, { manufacturer: 'Microsoft Corporation', product: 'Virtual Machine' }).map((p) => p.id)).toEqual(['azure', 'hyperv-gen1', 'hyperv-gen2']);
    expect(platformsForSmbios(catalog, { manufacturer: 'Amazon EC2', product: 'm5.large' }).map((p) => p.id)).toEqual(['aws-nitro']);
    expect(platformsForSmbios(catalog, { manufacturer: 'Dell Inc.', product: 'Latitude E6430' })).toEqual([]);
  });
});

describe('user catalog directories', () => {
  it('adds and overrides platforms, and rejects invalid files', async () => {
    const dir = tempDir();
    const kvm = JSON.parse(readFileSync(join(builtinPlatformDir(), 'kvm.json'), 'utf8')) as Platform;
    const custom: Platform = { ...kvm, id: 'my-cloud', name: 'My Cloud', basedOn: 'kvm', smbios: [{ manufacturer: 'MyCloud', product: 'MC1', source: 'site' }] };
    writeFileSync(join(dir, 'my-cloud.json'), JSON.stringify(custom));
    writeFileSync(join(dir, 'kvm.json'), JSON.stringify({ ...kvm, name: 'KVM (site)' }));
    const catalog = await loadCatalog({ extraDirs: [dir] });
    expect(platformById(catalog, 'my-cloud').name).toBe('My Cloud');
    expect(platformById(catalog, 'kvm').name).toBe('KVM (site)');
    expect(catalog.origins.get('kvm')).toBe(join(dir, 'kvm.json'));
    expect(platformsForSmbios(catalog, { manufacturer: 'MyCloud' }).map((p) => p.id)).toEqual(['my-cloud']);

    const badDir = join(dir, 'bad');
    mkdirSync(badDir);
    writeFileSync(join(badDir, 'x.json'), JSON.stringify({ ...custom, firmware: { bios: true } }));
    await expect(loadCatalog({ extraDirs: [badDir] })).rejects.toThrow(CorruptError);
    writeFileSync(join(badDir, 'x.json'), '{ not json');
    await expect(loadCatalog({ extraDirs: [badDir] })).rejects.toThrow(/not valid JSON/);
    writeFileSync(join(badDir, 'x.json'), JSON.stringify({ ...custom, basedOn: 'ghost' }));
    await expect(loadCatalog({ extraDirs: [badDir] })).rejects.toThrow(/unknown platform "ghost"/);
    await expect(loadCatalog({ extraDirs: [join(dir, 'missing')] })).rejects.toThrow(NotFoundError);
  });
});
