// The four real SYSTEM hives of the corpus, each paired with a SOFTWARE hive built for the
// test (the corpus has no real SOFTWARE hive). Where each SOFTWARE value comes from:
//  - DigitalProductId hex: shared/corpus/registry/vectors/*.json (real values with published /
//    independently decoded keys).
//  - DigitalProductId4: synthetic (no real one was found), built with the Windows 7
//    Professional KMS client key from Microsoft's published GVLK table, so the channel string
//    and the GVLK match are exercised; marked as such in the golden files.
//  - CurrentVersion strings/numbers: plausible values for the release the SYSTEM hive comes
//    from (XP SP3 = 5.1.2600; 7 SP1 = 6.1.7601; 10 1709 = 10.0.16299). The Dell hive is paired
//    with a Windows 11 style CurrentVersion (ProductName still "Windows 10 Pro", build 22621)
//    to exercise the build >= 22000 rule; its real build is unknown.
//  - Uninstall entries: "VMware Tools" where the SYSTEM hive has the vmtools service
//    (win7/win10 VMware hives); "Virtual Machine Additions" on the XP IE-compat VHD (Virtual
//    PC image); a Sophos entry on the Dell to exercise the antivirus class. Versions are
//    plausible, not observed.

import { makeDigitalProductId4, type RegKey } from './reg-text.js';
import { readFileSync } from 'node:fs';
import { CORPUS } from '../helpers/tools.js';
import { join } from 'node:path';

const vector = (id: string): string => JSON.parse(readFileSync(join(CORPUS, 'registry/vectors', `${id}.json`), 'utf8')).values.DigitalProductId.hex as string;

export interface WindowsCase {
  id: string;
  system: string;
  logs: string[];
  arch: 'x86' | 'x64';
  software: RegKey[];
  /** Keys merged into the corpus SYSTEM hive (hivexregedit --merge), for cases the corpus lacks. */
  systemKeys?: RegKey[];
}

const CV = 'Microsoft\\Windows NT\\CurrentVersion';
const UNINSTALL = 'Microsoft\\Windows\\CurrentVersion\\Uninstall';

export const CASES: WindowsCase[] = [
  {
    id: 'winxp-sp3-x86-iecompatvhd',
    system: 'registry/system/winxp-sp3-x86-iecompatvhd/SYSTEM.xz',
    logs: [],
    arch: 'x86',
    software: [
      { path: CV, values: { ProductName: { sz: 'Microsoft Windows XP' }, CurrentVersion: { sz: '5.1' }, CurrentBuildNumber: { sz: '2600' }, CSDVersion: { sz: 'Service Pack 3' }, ProductId: { sz: '76487-OEM-0011903-00102' } } },
      { path: `${UNINSTALL}\\{1E4F5F73-1111-4B1E-8C3A-000000000001}`, values: { DisplayName: { sz: 'Virtual Machine Additions' }, DisplayVersion: { sz: '13.820' }, Publisher: { sz: 'Microsoft Corporation' } } },
    ],
  },
  {
    id: 'win7-sp1-x86-vmware',
    system: 'registry/system/win7-sp1-x86-vmware/SYSTEM.xz',
    logs: [],
    arch: 'x86',
    software: [
      {
        path: CV,
        values: {
          ProductName: { sz: 'Windows 7 Professional' }, EditionID: { sz: 'Professional' }, InstallationType: { sz: 'Client' },
          CurrentVersion: { sz: '6.1' }, CurrentBuildNumber: { sz: '7601' }, CSDVersion: { sz: 'Service Pack 1' },
          ProductId: { sz: '00371-223-4567890-85462' },
          DigitalProductId4: { hex: makeDigitalProductId4({ advancedPid: '00371-00223-456-789085-03-1033-7601.0000-0792011', activationId: 'b92e9980-b9d5-4821-9c94-140f632f6312', editionType: 'Professional', partNumber: 'X15-37374', keyType: 'Volume:GVLK', eulaType: 'Volume', key: 'FJ82H-XT6CR-J8D7P-XQJJ2-GPDD4' }) },
        },
      },
      { path: `${CV}\\SoftwareProtectionPlatform`, values: { KeyManagementServiceName: { sz: 'kms.example.test' }, KeyManagementServicePort: { sz: '1688' } } },
      { path: `${UNINSTALL}\\{4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}`, values: { DisplayName: { sz: 'VMware Tools' }, DisplayVersion: { sz: '10.3.10.12406962' }, Publisher: { sz: 'VMware, Inc.' }, UninstallString: { sz: 'MsiExec.exe /I{4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}' } } },
      { path: 'VMware, Inc.\\VMware Tools', values: { InstallPath: { sz: 'C:\\Program Files\\VMware\\VMware Tools\\' } } },
      // A domain-joined Windows 7 often carries GPO history and device-installation restrictions.
      { path: 'Microsoft\\Windows\\CurrentVersion\\Group Policy\\History\\{35378EAC-683F-11D2-A89A-00C04FBBCFA2}' },
      { path: 'Policies\\Microsoft\\Windows\\DeviceInstall\\Restrictions', values: { DenyRemovableDevices: { dword: 1 } } },
    ],
  },
  {
    id: 'win10-1709-x64-vmware',
    system: 'registry/system/win10-1709-x64-vmware/SYSTEM.xz',
    logs: [],
    arch: 'x64',
    software: [
      {
        path: CV,
        values: {
          ProductName: { sz: 'Windows 10 Pro' }, EditionID: { sz: 'Professional' }, CompositionEditionID: { sz: 'Enterprise' }, InstallationType: { sz: 'Client' },
          CurrentVersion: { sz: '6.3' }, CurrentMajorVersionNumber: { dword: 10 }, CurrentMinorVersionNumber: { dword: 0 },
          CurrentBuildNumber: { sz: '16299' }, UBR: { dword: 15 }, ReleaseId: { sz: '1709' },
          ProductId: { sz: '00330-80000-00000-AA281' }, DigitalProductId: { hex: vector('win10-meiya2021-staffb') },
        },
      },
      { path: `${UNINSTALL}\\{7A2F1B3C-0000-4A6B-9C1D-00000000A10B}`, values: { DisplayName: { sz: 'VMware Tools' }, DisplayVersion: { sz: '11.0.5.15389592' }, Publisher: { sz: 'VMware, Inc.' } } },
      { path: `WOW6432Node\\${UNINSTALL}\\7-Zip`, values: { DisplayName: { sz: '7-Zip 19.00' }, DisplayVersion: { sz: '19.00' }, Publisher: { sz: 'Igor Pavlov' } } },
      { path: 'VMware, Inc.\\VMware Tools', values: { InstallPath: { sz: 'C:\\Program Files\\VMware\\VMware Tools\\' } } },
      { path: 'Microsoft\\Windows Defender', values: {} },
    ],
  },
  {
    id: 'win10-x64-dell-dirty',
    system: 'registry/system/win10-x64-dell-dirty/SYSTEM.xz',
    logs: ['registry/system/win10-x64-dell-dirty/SYSTEM.LOG1.xz', 'registry/system/win10-x64-dell-dirty/SYSTEM.LOG2.xz'],
    arch: 'x64',
    software: [
      {
        path: CV,
        values: {
          ProductName: { sz: 'Windows 10 Pro' }, EditionID: { sz: 'Professional' }, InstallationType: { sz: 'Client' },
          CurrentVersion: { sz: '6.3' }, CurrentMajorVersionNumber: { dword: 10 }, CurrentMinorVersionNumber: { dword: 0 },
          CurrentBuildNumber: { sz: '22621' }, UBR: { dword: 2428 }, DisplayVersion: { sz: '22H2' },
          ProductId: { sz: '00330-80000-00000-AA328' }, DigitalProductId: { hex: vector('win10pro-generic-wpkf') },
        },
      },
      { path: 'Microsoft\\Windows\\CurrentVersion\\OEMInformation', values: { Manufacturer: { sz: 'Dell Inc.' }, SupportURL: { sz: 'http://www.dell.com/support' } } },
      { path: `${UNINSTALL}\\Sophos Endpoint Agent`, values: { DisplayName: { sz: 'Sophos Endpoint Agent' }, DisplayVersion: { sz: '2.20.11' }, Publisher: { sz: 'Sophos Limited' } } },
    ],
  },
];
