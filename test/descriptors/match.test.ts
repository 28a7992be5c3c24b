// Matching VM descriptions to the platform catalog through the devices' descriptorNames.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.js';
import { matchDescription, readVmDescription } from '../../src/descriptors/index.js';
import { CORPUS } from '../helpers/tools.js';

const at = (p: string) => join(CORPUS, p);

describe('matchDescription', () => {
  it('maps VMware .vmx controllers and NICs to vmware-esxi devices', async () => {
    const catalog = await loadCatalog();
    const expectations: [string, string, string[]][] = [
      ['descriptors/vmx/v2v-test-i-vmx-1.vmx', 'pvscsi', ['pvscsi', 'pvscsi', 'vmware-ide', 'vmxnet3']],
      ['descriptors/vmx/v2v-test-i-vmx-4.vmx', 'lsilogic-sas', ['lsilogic-sas', 'vmware-ide', 'e1000']],
      ['descriptors/vmx/v2v-test-i-vmx-5.vmx', 'lsilogic-sas', ['lsilogic-sas', 'e1000e']],
      ['descriptors/vmx/v2v-test-i-vmx-6.vmx', 'vmware-nvme', ['vmware-ahci', 'vmware-nvme', 'vmxnet3']],
    ];
    for (const [file, boot, devices] of expectations) {
      const m = matchDescription(catalog, await readVmDescription(at(file)));
      expect(m.platformIds, file).toEqual(['vmware-esxi']);
      expect(m.bootStorage?.matches.map((x) => x.device.id), file).toEqual([boot]);
      expect(m.devices.map((d) => d.matches[0]?.device.id).sort(), file).toEqual([...devices].sort());
    }
  });

  it('maps VirtualBox and libvirt descriptions', async () => {
    const catalog = await loadCatalog();
    const goad = matchDescription(catalog, await readVmDescription(at('images/descriptors/dissect-GOAD-DC01.vbox')));
    expect(goad.platformIds).toEqual(['virtualbox']);
    expect(goad.bootStorage?.matches.map((x) => x.device.id)).toEqual(['vbox-ide']);
    expect(goad.devices.filter((d) => d.kind === 'nic').map((d) => d.matches[0]?.device.id)).toEqual(['vbox-e1000', 'vbox-e1000']);

    const kvm = matchDescription(catalog, await readVmDescription(at('descriptors/libvirt/v2v-test-i-ova.expected-domain.xml')));
    expect(kvm.platformIds[0]).toBe('kvm');
    expect(kvm.bootStorage).toMatchObject({ kind: 'disk-bus', model: 'virtio' });
    expect(kvm.bootStorage?.matches.find((x) => x.platform === 'kvm')?.device.id).toBe('virtio-blk');
    // Nutanix AHV offers no virtio-blk, so it ranks below kvm and proxmox.
    expect(kvm.platformIds.indexOf('nutanix-ahv')).toBeGreaterThan(kvm.platformIds.indexOf('proxmox'));
  });

  it('maps an OVF to VMware devices and a vmcx to Hyper-V without devices', async () => {
    const catalog = await loadCatalog();
    const ovf = matchDescription(catalog, await readVmDescription(at('descriptors/ovf/v2v-test-i-ova-two-disks.ovf')));
    expect(ovf.platformIds[0]).toBe('vmware-esxi');
    expect(ovf.bootStorage?.matches.find((x) => x.platform === 'vmware-esxi')?.device.id).toBe('lsilogic-sas');
    const vmcx = matchDescription(catalog, await readVmDescription(at('images/descriptors/dissect-test.vmcx')));
    expect(vmcx).toEqual({ platformIds: ['hyperv-gen1', 'hyperv-gen2'], devices: [], bootStorage: undefined });
  });
});
