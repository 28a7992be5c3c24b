// Built-for and activation risk on hand-built facts: each evidence kind of built-for and each
// channel of conversion-facts.md §f.3, with the source × target cases that change the risk.

import { beforeAll, describe, expect, test } from 'vitest';
import { loadCatalog, type Catalog } from '../../src/catalog/index.js';
import { activationChannel, assessActivation, builtFor, type BuiltFor } from '../../src/fingerprint/index.js';
import { parseDeviceId } from '../../src/windows/device-id.js';
import type { ActivationFacts } from '../../src/windows/types.js';
import { kernel, linuxFacts, linuxOs, windowsFacts, windowsOs } from './builders.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

describe('built for', () => {
  test('SMBIOS + tools + Enum ids → VMware with high confidence', () => {
    const os = windowsOs(
      windowsFacts({
        machine: { configId: '{x}', systemManufacturer: 'VMware, Inc.', systemProductName: 'VMware Virtual Platform' },
        tools: [{ id: 'vmware-tools', name: 'VMware Tools', platform: 'vmware', evidence: [], verified: true }],
        devices: [{ ...parseDeviceId('PCI\\VEN_15AD&DEV_07C0'), instance: '1', hardwareIds: [] }],
      }),
    );
    const b = builtFor({ os, catalog });
    expect(b).toMatchObject({ platform: 'vmware-esxi', confidence: 'high' });
    expect(b.evidence).toContain('HardwareConfig SMBIOS VMware, Inc. / VMware Virtual Platform');
  });
  test('a physical SMBIOS identity → physical, no catalog platform', () => {
    const os = windowsOs(windowsFacts({ machine: { configId: '{x}', systemManufacturer: 'Dell Inc.', systemProductName: 'Latitude E6430' } }));
    expect(builtFor({ os, catalog })).toMatchObject({ other: 'physical', confidence: 'medium', candidates: [] });
  });
  test('nothing to go on → confidence none', () => {
    expect(builtFor({ os: windowsOs(windowsFacts()), catalog })).toMatchObject({ confidence: 'none', candidates: [] });
  });
  test('Linux: guest tools and a host-only initramfs; a generic initramfs proves nothing', () => {
    const k = kernel('6.1.0', {});
    k.initramfs = { path: '/boot/initrd.img-6.1.0', size: 1, compressions: [], segments: 1, hostonly: true, modules: ['vmw_pvscsi'], moduleKernelVersions: [] };
    const facts = linuxFacts({ kernels: [k], guestTools: [{ id: 'open-vm-tools', hypervisor: 'vmware', name: 'open-vm-tools', evidence: [] }] as never });
    const b = builtFor({ os: linuxOs(facts), catalog });
    expect(b.platform).toBe('vmware-esxi');
    expect(b.evidence).toContain('host-only initramfs of 6.1.0 carries vmw_pvscsi');
    k.initramfs.hostonly = false;
    expect(builtFor({ os: linuxOs(linuxFacts({ kernels: [k] })), catalog }).confidence).toBe('none');
  });
});

describe('activation', () => {
  const vmware: BuiltFor = { platform: 'vmware-esxi', confidence: 'high', evidence: [], candidates: [] };
  const azure: BuiltFor = { platform: 'azure', confidence: 'high', evidence: [], candidates: [] };
  const facts = (a: Partial<ActivationFacts>, over = {}) => windowsFacts({ activation: { evaluation: false, oemCertificates: [], oemProductId: false, licensingStores: [], ...a }, ...over });
  const risk = (f: ReturnType<typeof facts>, source: BuiltFor, target: string) => assessActivation({ facts: f, source, targets: [target] }).targets[0]!;

  test('GVLK → low with KMS requirement; Windows 7 adds the SLIC marker note', () => {
    const f = facts({ keyType: 'Volume:GVLK', kmsHost: 'kms.corp', kmsPort: '1688' });
    expect(activationChannel(f).channel).toBe('volume-gvlk');
    expect(risk(f, vmware, 'kvm')).toMatchObject({ risk: 'low', requirements: ['KMS host kms.corp:1688 reachable from the target'] });
    const w7 = facts({ gvlk: ['Windows 7 Professional'] }, { majorVersion: 6, minorVersion: 1, build: 7601 });
    expect(risk(w7, vmware, 'kvm').requirements.join(' ')).toMatch(/SLIC/);
  });
  test('GVLK pointing at a cloud KMS, leaving that cloud → high', () => {
    const f = facts({ keyType: 'Volume:GVLK', kmsHost: 'kms.core.windows.net' });
    expect(risk(f, azure, 'kvm').risk).toBe('high');
    expect(risk(f, azure, 'azure').risk).toBe('low');
  });
  test('AVMA: low on Hyper-V, high elsewhere', () => {
    const f = facts({ avma: ['Windows Server 2019 Datacenter'] });
    expect(activationChannel(f).channel).toBe('avma');
    expect(risk(f, vmware, 'hyperv-gen2').risk).toBe('low');
    expect(risk(f, vmware, 'kvm').risk).toBe('high');
  });
  test('MAK and Retail → medium; CSVLK → medium', () => {
    expect(risk(facts({ keyType: 'Volume:MAK' }), vmware, 'kvm').risk).toBe('medium');
    expect(risk(facts({ keyType: 'Retail' }), vmware, 'kvm').risk).toBe('medium');
    expect(activationChannel(facts({ keyType: 'Volume:CSVLK' })).channel).toBe('volume-csvlk');
  });
  test('OEM:DM / OEM:SLP / digital licence → high on another platform', () => {
    expect(activationChannel(facts({ keyType: 'OEM:DM' })).channel).toBe('oem-dm');
    expect(activationChannel(facts({ keyType: 'OEM:SLP' })).channel).toBe('oem-slp');
    expect(risk(facts({ keyType: 'OEM:DM' }), vmware, 'kvm').risk).toBe('high');
    const hwid = facts({ productKey: 'VK7JG-NPHTM-C97JM-9MPGT-3V66T' });
    expect(activationChannel(hwid).channel).toBe('digital-licence');
    expect(risk(hwid, vmware, 'kvm').risk).toBe('high');
    expect(risk(hwid, vmware, 'vmware-esxi').risk).toBe('medium');
  });
  test('evaluation → info; unknown → medium with a check-first requirement', () => {
    expect(risk(facts({ evaluation: true }), vmware, 'kvm').risk).toBe('info');
    expect(activationChannel(facts({}, { editionId: 'ServerStandardEval' })).channel).toBe('evaluation');
    expect(risk(facts({}), vmware, 'kvm')).toMatchObject({ risk: 'medium', requirements: ['check slmgr /dlv on the source before moving'] });
  });
  test('leaving a cloud raises any channel to high', () => {
    expect(risk(facts({ keyType: 'Retail' }), azure, 'kvm').risk).toBe('high');
  });
});
