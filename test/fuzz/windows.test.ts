// Fuzzing the Windows fact extractors: mutated SYSTEM, SOFTWARE and BCD hives (small ones
// built with hivexregedit from the same kinds of keys the real hives hold, plus the corpus BCD
// stores) go through hive loading and every extractor. A bad value type or length must come
// out as a diagnostic; only rehost errors (a hive too broken to open) may escape.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { loadHive } from '../../src/registry/index.js';
import { readBcdDefault, readSoftwareHive, readSystemHive } from '../../src/windows/index.js';
import { defaultIterations, fuzz } from '../helpers/fuzz.js';
import { readCorpus, tempDir } from '../helpers/tools.js';
import { CASES } from '../windows/cases.js';
import { buildSoftwareHive } from '../windows/volume.js';

const NET = '{4D36E972-E325-11CE-BFC1-08002BE10318}';
const IFACE = '{5F3F359E-9D52-4566-9BEC-37EFDFB25ABE}';

function systemSeed(): Uint8Array {
  const dir = tempDir('rehost-fuzz-windows-');
  const path = buildSoftwareHive(dir, [
    { path: 'Select', values: { Current: { dword: 1 }, Default: { dword: 1 } } },
    { path: 'ControlSet001\\Services\\storvsc', values: { Start: { dword: 0 }, Type: { dword: 1 }, ErrorControl: { dword: 1 }, Group: { sz: 'SCSI miniport' }, ImagePath: { expand: 'System32\\drivers\\storvsc.sys' } } },
    { path: 'ControlSet001\\Services\\storvsc\\StartOverride', values: { '0': { dword: 3 } } },
    { path: 'ControlSet001\\Services\\VMTools', values: { Start: { dword: 2 }, Type: { dword: 16 }, ImagePath: { expand: '"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe"' } } },
    { path: 'ControlSet001\\Services\\Tcpip\\Parameters', values: { Hostname: { sz: 'FUZZ-HOST' } } },
    { path: `ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\${IFACE}`, values: { EnableDHCP: { dword: 0 }, IPAddress: { multi: ['10.0.0.5'] }, SubnetMask: { multi: ['255.255.255.0'] }, DefaultGateway: { multi: ['10.0.0.1'] }, NameServer: { sz: '10.0.0.2,10.0.0.3' } } },
    { path: 'ControlSet001\\Control\\TimeZoneInformation', values: { TimeZoneKeyName: { sz: 'UTC' }, RealTimeIsUniversal: { dword: 1 } } },
    { path: 'ControlSet001\\Control\\ProductOptions', values: { ProductType: { sz: 'ServerNT' }, ProductSuite: { multi: ['Terminal Server'] } } },
    { path: 'ControlSet001\\Control\\Session Manager', values: { PendingFileRenameOperations: { multi: ['\\??\\C:\\x.tmp', ''] } } },
    { path: 'ControlSet001\\Control\\Session Manager\\Power', values: { HiberbootEnabled: { dword: 1 } } },
    { path: 'ControlSet001\\Control\\Class\\{4D36E967-E325-11CE-BFC1-08002BE10318}', values: { Class: { sz: 'DiskDrive' }, UpperFilters: { multi: ['partmgr'] } } },
    { path: `ControlSet001\\Control\\Class\\${NET}\\0000`, values: { NetCfgInstanceId: { sz: IFACE }, DriverDesc: { sz: 'vmxnet3 Ethernet Adapter' }, NetworkAddress: { sz: '005056AABBCC' } } },
    { path: `ControlSet001\\Control\\Network\\${NET}\\${IFACE}\\Connection`, values: { Name: { sz: 'Ethernet0' } } },
    { path: 'ControlSet001\\Control\\CriticalDeviceDatabase\\pci#ven_15ad&dev_07c0', values: { Service: { sz: 'pvscsi' }, ClassGUID: { sz: '{4D36E97B-E325-11CE-BFC1-08002BE10318}' } } },
    { path: 'ControlSet001\\Enum\\PCI\\VEN_15AD&DEV_07C0&SUBSYS_07C015AD&REV_02\\4&1', values: { HardwareID: { multi: ['PCI\\VEN_15AD&DEV_07C0&SUBSYS_07C015AD&REV_02', 'PCI\\VEN_15AD&DEV_07C0'] }, Service: { sz: 'pvscsi' }, DeviceDesc: { sz: '@oem4.inf,%pvscsi%;VMware PVSCSI Controller' } } },
    { path: 'ControlSet001\\Enum\\VMBUS\\{ba6163d9-04a1-4d29-b605-72e2ffb1dc7f}\\0', values: { Service: { sz: 'storvsc' } } },
    { path: 'DriverDatabase\\DeviceIds\\PCI\\VEN_15AD&DEV_07C0', values: { 'pvscsi.inf': { hex: '01ff0000' } } },
    { path: 'DriverDatabase\\DriverInfFiles\\pvscsi.inf', values: { Active: { sz: 'pvscsi.inf_amd64_1' } } },
    { path: 'DriverDatabase\\DriverPackages\\pvscsi.inf_amd64_1\\Configurations\\pvscsi_Inst', values: { Service: { sz: 'pvscsi' } } },
    { path: 'DriverDatabase\\DriverPackages\\pvscsi.inf_amd64_1\\Configurations\\pvscsi_Inst\\Services\\pvscsi' },
    { path: 'HardwareConfig', values: { LastConfig: { sz: '{abc}' } } },
    { path: 'HardwareConfig\\{abc}', values: { SystemManufacturer: { sz: 'VMware, Inc.' }, BIOSVersion: { sz: '6.00' } } },
    { path: 'MountedDevices', values: { '\\DosDevices\\C:': { hex: 'ae4645df0000100000000000' }, '\\DosDevices\\D:': { hex: '444d494f3a49443a211f9309af7fa94481d81e73c14b9eaf' } } },
  ]);
  return new Uint8Array(readFileSync(path));
}

function softwareSeed(index: number): Uint8Array {
  const dir = tempDir('rehost-fuzz-windows-');
  return new Uint8Array(readFileSync(buildSoftwareHive(dir, CASES[index]!.software)));
}

describe('fuzz: windows fact extractors', () => {
  it('SYSTEM, SOFTWARE and BCD hives', async () => {
    // The real XP SYSTEM hive (3.4 MB) adds real structure; mutations concentrate on its first
    // 1 MiB (the harness's focus) so each run stays fast.
    const seeds = [systemSeed(), softwareSeed(1), softwareSeed(2), readCorpus('registry/bcd/windeploy-BCD-bios'), readCorpus('registry/bcd/windeploy-BCD-efi-locate'), readCorpus('registry/system/winxp-sp3-x86-iecompatvhd/SYSTEM.xz')];
    const report = await fuzz(
      {
        name: 'windows-facts',
        seeds,
        run: async (input) => {
          const diagnostics = new DiagnosticLog();
          const { hive } = loadHive({ primary: input, diagnostics });
          const system = readSystemHive({ hive, diagnostics });
          const software = readSoftwareHive({ hive, diagnostics });
          const bcd = readBcdDefault({ hive, diagnostics });
          // The facts must stay JSON-serialisable whatever the input.
          return JSON.stringify({ system: { ...system, mountedDevices: system.mountedDevices.length }, software, bcd });
        },
      },
      { iterations: defaultIterations(150), focus: 1 << 20 },
    );
    expect(report.failures, JSON.stringify(report.failures, null, 2)).toEqual([]);
    // Most mutants must get past hive loading, or the extractors are not being exercised.
    expect(report.succeeded).toBeGreaterThan(report.iterations / 2);
  }, 60_000);
});
