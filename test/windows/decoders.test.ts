// Unit tests of the Windows decoders and extractors on bytes and small hives built in the test:
// product keys (the corpus vectors' published answers), DigitalProductId4, PE headers, device
// ids, ImagePath resolution, osinfo, BCD default entries (corpus stores vs their python3-hivex
// summaries), MountedDevices, and the tolerant value readers (a wrong type is a warning).

import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { CorruptError } from '../../src/errors.js';
import { loadHive } from '../../src/registry/index.js';
import {
  AVMA_KEYS, GVLK_KEYS, decodeBcdDevice, decodeDigitalProductId, decodeDigitalProductId4, decodeMountedDevice, decodePeHeader, decodeProductKeyBytes,
  matchDriveLetters, osinfo, parseDeviceId, readBcdDefault, readSoftwareHive, readSystemHive, resolveImagePath,
} from '../../src/windows/index.js';
import { CORPUS, readCorpus, tempDir } from '../helpers/tools.js';
import { encodeProductKey, makeDigitalProductId4 } from './reg-text.js';
import { buildSoftwareHive, minimalPe } from './volume.js';

describe('DigitalProductId', () => {
  for (const id of ['win10-meiya2021-staffb', 'win10pro-generic-wpkf']) {
    test(`${id}: decodes to the published key`, () => {
      const vector = JSON.parse(readFileSync(join(CORPUS, 'registry/vectors', `${id}.json`), 'utf8'));
      const dpid = decodeDigitalProductId(Buffer.from(vector.values.DigitalProductId.hex, 'hex'));
      expect(dpid.productKey).toBe(vector.expected.product_key);
      expect(dpid.productId).toBe(vector.parsed_fields_curator.product_id_ascii_at_8);
      expect(dpid.sku).toBe(vector.parsed_fields_curator.sku_ascii_at_36);
      expect(dpid.version).toBe(vector.parsed_fields_curator.version_dword);
      expect(dpid.win8Encoding).toBe(true);
    });
  }

  test('pre-Windows 8 encoding round-trips every published key without an N', () => {
    const keys = [...GVLK_KEYS, ...AVMA_KEYS].map((k) => k.key).filter((k) => !k.includes('N'));
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) expect(decodeProductKeyBytes(encodeProductKey(key))).toBe(key);
  });

  test('a blob too short for the key bytes is CorruptError', () => {
    expect(() => decodeDigitalProductId(new Uint8Array(60))).toThrow(CorruptError);
    expect(() => decodeProductKeyBytes(new Uint8Array(14))).toThrow(CorruptError);
  });
});

describe('DigitalProductId4 (synthetic: no real one exists in the corpus)', () => {
  const hex = makeDigitalProductId4({ advancedPid: '00371-00223-456', activationId: 'b92e9980-b9d5-4821-9c94-140f632f6312', editionType: 'Professional', partNumber: 'X15-37374', keyType: 'Volume:GVLK', eulaType: 'Volume', key: 'FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4' });
  test('fields at their offsets', () => {
    const d = decodeDigitalProductId4(Buffer.from(hex, 'hex'));
    expect(d).toMatchObject({ length: 0x4f8, advancedPid: '00371-00223-456', activationId: 'b92e9980-b9d5-4821-9c94-140f632f6312', editionType: 'Professional', partNumber: 'X15-37374', keyType: 'Volume:GVLK', eulaType: 'Volume', productKey: 'FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4', isUpgrade: false });
  });
  test('truncated is CorruptError', () => {
    expect(() => decodeDigitalProductId4(Buffer.from(hex, 'hex').subarray(0, 1000))).toThrow(CorruptError);
  });
});

describe('PE header', () => {
  test('machine types', () => {
    expect(decodePeHeader(minimalPe(0x8664)).arch).toBe('x86_64');
    expect(decodePeHeader(minimalPe(0x014c)).arch).toBe('i386');
    expect(decodePeHeader(minimalPe(0xaa64)).arch).toBe('aarch64');
  });
  test('no MZ, e_lfanew out of range, no PE signature: CorruptError', () => {
    expect(() => decodePeHeader(new Uint8Array(512))).toThrow(CorruptError);
    const far = minimalPe(0x8664);
    new DataView(far.buffer).setUint32(0x3c, 0xfffffff0, true);
    expect(() => decodePeHeader(far)).toThrow(/e_lfanew/);
    const noPe = minimalPe(0x8664);
    noPe[0x40] = 0;
    expect(() => decodePeHeader(noPe)).toThrow(/PE/);
  });
});

test('device ids', () => {
  expect(parseDeviceId('PCI\\VEN_15AD&DEV_07C0&SUBSYS_07C015AD&REV_02')).toMatchObject({ bus: 'PCI', vendor: '15AD', device: '07C0', subsystem: '07C015AD', revision: '02' });
  expect(parseDeviceId('pci#ven_8086&dev_7111')).toMatchObject({ bus: 'PCI', vendor: '8086', device: '7111' });
  expect(parseDeviceId('VMBUS\\{BA6163D9-04A1-4D29-B605-72E2FFB1DC7F}')).toMatchObject({ bus: 'VMBUS', other: 'ba6163d9-04a1-4d29-b605-72e2ffb1dc7f' });
  expect(parseDeviceId('ACPI\\PNP0A03')).toMatchObject({ bus: 'ACPI', other: 'PNP0A03' });
  expect(parseDeviceId('USB\\VID_0E0F&PID_0003')).toMatchObject({ bus: 'USB', vendor: '0E0F', device: '0003' });
  expect(parseDeviceId('ROOT')).toEqual({ id: 'ROOT', bus: 'ROOT' });
});

test('ImagePath resolution', () => {
  const at = (imagePath: string | undefined, type = 1, serviceName = 'x'): string | undefined => resolveImagePath({ imagePath, serviceName, type, systemRoot: '/Windows' });
  expect(at('System32\\drivers\\disk.sys')).toBe('/Windows/System32/drivers/disk.sys');
  expect(at('\\SystemRoot\\System32\\drivers\\netvsc.sys')).toBe('/Windows/System32/drivers/netvsc.sys');
  expect(at('%SystemRoot%\\system32\\svchost.exe -k netsvcs -p', 32)).toBe('/Windows/system32/svchost.exe');
  expect(at('"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe"', 16)).toBe('/Program Files/VMware/VMware Tools/vmtoolsd.exe');
  expect(at('\\??\\C:\\Windows\\system32\\drivers\\x.sys')).toBe('/Windows/system32/drivers/x.sys');
  expect(at(undefined, 2, 'Ntfs')).toBe('/Windows/System32/drivers/Ntfs.sys');
  expect(at(undefined, 16)).toBeUndefined();
  expect(at('D:\\tools\\agent.exe', 16)).toBeUndefined();
});

test('osinfo mapping (libguestfs rules)', () => {
  expect(osinfo({ majorVersion: 10, minorVersion: 0, build: 22621, productName: 'Windows 10 Pro', installationType: 'Client' })).toBe('win11');
  expect(osinfo({ majorVersion: 10, minorVersion: 0, build: 19045, productName: 'Windows 10 Pro', installationType: 'Client' })).toBe('win10');
  expect(osinfo({ majorVersion: 10, minorVersion: 0, build: 17763, productName: 'Windows Server 2019 Datacenter', installationType: 'Server' })).toBe('win2k19');
  expect(osinfo({ majorVersion: 6, minorVersion: 1, build: 7601, productName: 'Windows Server 2008 R2 Standard', installationType: 'Server' })).toBe('win2k8r2');
  expect(osinfo({ majorVersion: 5, minorVersion: 1, productName: 'Microsoft Windows XP' })).toBe('winxp');
});

describe('BCD default entry vs python3-hivex summaries', () => {
  for (const store of ['regipy-BCD.xz', 'windeploy-BCD-bios', 'windeploy-BCD-efi-locate']) {
    test(store, () => {
      const summary = JSON.parse(readFileSync(join(CORPUS, 'oracle/registry/bcd', `${store.replace(/\.xz$/, '')}.bcd-summary.json`), 'utf8'));
      const diagnostics = new DiagnosticLog();
      const { hive } = loadHive({ primary: readCorpus(`registry/bcd/${store}`), diagnostics });
      const entry = readBcdDefault({ hive, diagnostics })!;
      expect(entry.id).toBe(summary.bootmgr_default_entry);
      expect(entry.description).toBe(summary.default_entry.description_12000004.decoded);
      expect(entry.path).toBe(summary.default_entry.application_path_12000002.decoded);
      expect(entry.systemRoot).toBe(summary.default_entry.system_root_22000002.decoded);
      expect(diagnostics.warnings()).toEqual([]);
    });
  }
  test('device element: partition GUIDs only for type 6 with room for them', () => {
    const bytes = new Uint8Array(88);
    new DataView(bytes.buffer).setUint32(16, 6, true);
    bytes.set([0x38, 0x2c, 0x0f, 0x8e], 32);
    expect(decodeBcdDevice(bytes)?.partitionGuid).toMatch(/^8e0f2c38-/);
    const locate = new Uint8Array(46);
    new DataView(locate.buffer).setUint32(16, 8, true);
    expect(decodeBcdDevice(locate)).toEqual({ type: 8 });
    expect(decodeBcdDevice(new Uint8Array(10))).toBeUndefined();
  });
});

test('MountedDevices values and matching against the disk', () => {
  const mbr = new Uint8Array(12);
  const view = new DataView(mbr.buffer);
  view.setUint32(0, 0xdf4546ae, true);
  view.setBigUint64(4, 1048576n, true);
  expect(decodeMountedDevice('C:', mbr)).toEqual({ letter: 'C:', kind: 'mbr', mbrSignature: '0xdf4546ae', partitionOffset: 1048576 });
  const gpt = new Uint8Array(24);
  gpt.set(Buffer.from('DMIO:ID:'), 0);
  gpt.set(Buffer.from('211f9309af7fa94481d81e73c14b9eaf', 'hex'), 8);
  expect(decodeMountedDevice('C:', gpt)).toEqual({ letter: 'C:', kind: 'gpt', partitionGuid: '09931f21-7faf-44a9-81d8-1e73c14b9eaf' });
  expect(decodeMountedDevice('D:', Buffer.from('\\??\\IDE#CdRom', 'utf16le')).kind).toBe('other');
  const disk = { table: { scheme: 'mbr', diskId: '0xdf4546ae', sectorSize: 512 }, volumes: [{ id: 'p1', start: 1048576, size: 1, filesystem: { kind: 'ntfs', readable: true }, device: undefined as never }] };
  expect(matchDriveLetters({ mounted: [{ letter: 'C:', data: mbr }], disk })[0]?.volume).toBe('p1');
});

describe('tolerant value readers: a wrong type or length is a warning, never a crash', () => {
  test('SYSTEM hive with odd values', () => {
    const dir = tempDir('rehost-windows-values-');
    const path = buildSoftwareHive(dir, [
      { path: 'Select', values: { Current: { dword: 1 } } },
      { path: 'ControlSet001\\Services\\odd', values: { Start: { sz: '2' }, Type: { hex: '0100' }, ImagePath: { dword: 7 } } },
      { path: 'ControlSet001\\Services\\good', values: { Start: { dword: 3 }, Type: { dword: 1 } } },
      { path: 'ControlSet001\\Services\\good\\StartOverride', values: { '0': { dword: 3 }, bad: { sz: 'x' } } },
      { path: 'ControlSet001\\Control\\TimeZoneInformation', values: { RealTimeIsUniversal: { sz: '1' }, TimeZoneKeyName: { sz: 'UTC' } } },
      { path: 'ControlSet001\\Control\\Class\\{4D36E967-E325-11CE-BFC1-08002BE10318}', values: { UpperFilters: { dword: 1 }, LowerFilters: { multi: ['EhStorClass'] } } },
      { path: 'HardwareConfig', values: { LastConfig: { sz: '{missing}' } } },
    ]);
    const diagnostics = new DiagnosticLog();
    const facts = readSystemHive({ hive: loadHive({ primary: new Uint8Array(readFileSync(path)), diagnostics }).hive, diagnostics });
    const odd = facts.services.find((s) => s.name === 'odd')!;
    expect(odd).toMatchObject({ name: 'odd', start: undefined, type: undefined, imagePath: undefined });
    expect(facts.services.find((s) => s.name === 'good')).toMatchObject({ start: 3, type: 1, startOverride: { '0': 3 } });
    // virt-v2v's rule: an unexpected type for RealTimeIsUniversal means UTC, with a warning.
    expect(facts.realTimeIsUniversal).toBe(true);
    expect(facts.classFilters[0]).toMatchObject({ upperFilters: [], lowerFilters: ['EhStorClass'] });
    expect(facts.machine).toEqual({ configId: '{missing}' });
    const messages = diagnostics.warnings().map((d) => d.message).join('\n');
    expect(messages).toMatch(/odd\\Start: expected a number, found REG_SZ/);
    expect(messages).toMatch(/odd\\Type: expected a number, found REG_BINARY \(2 bytes\)/);
    expect(messages).toMatch(/odd\\ImagePath: expected a string, found REG_DWORD/);
    expect(messages).toMatch(/RealTimeIsUniversal has type 1/);
    expect(messages).toMatch(/UpperFilters: expected REG_MULTI_SZ/);
  });

  test('SOFTWARE hive with a truncated DigitalProductId', () => {
    const dir = tempDir('rehost-windows-values-');
    const path = buildSoftwareHive(dir, [{ path: 'Microsoft\\Windows NT\\CurrentVersion', values: { DigitalProductId: { hex: 'a4000000' }, CurrentBuildNumber: { sz: 'abc' }, CurrentMajorVersionNumber: { sz: '10' } } }]);
    const diagnostics = new DiagnosticLog();
    const facts = readSoftwareHive({ hive: loadHive({ primary: new Uint8Array(readFileSync(path)), diagnostics }).hive, diagnostics });
    expect(facts.digitalProductId).toBeUndefined();
    expect(facts.build).toBeUndefined();
    expect(facts.majorVersion).toBeUndefined();
    expect(diagnostics.warnings().map((d) => d.code)).toContain('WINDOWS_PRODUCT_ID');
  });
});

test('a volume without a Windows system root is NotFoundError', async () => {
  const { inspectWindows } = await import('../../src/windows/index.js');
  const { NotFoundError } = await import('../../src/errors.js');
  const empty = {
    kind: 'memory',
    exists: async () => false,
    stat: async () => { throw new NotFoundError('no', { kind: 'file' }); },
    readdir: async () => [],
    readFile: async () => { throw new NotFoundError('no', { kind: 'file' }); },
  };
  await expect(inspectWindows({ fs: empty })).rejects.toThrow(NotFoundError);
});
