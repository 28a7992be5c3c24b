// inspectWindows on a whole disk: an MBR disk whose signature and partition offset are the
// ones the Windows 7 SYSTEM hive's MountedDevices records for C: (0x5cbea03e at 1 MiB), so the
// drive letter must be matched to p1; the volume also holds \Boot\BCD (corpus
// windeploy-BCD-bios), so the firmware is BIOS and the default entry is that store's.

import { afterAll, expect, test } from 'vitest';
import { rmSync } from 'node:fs';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { FileDevice } from '../../src/io/index.js';
import { discoverVolumes } from '../../src/fs/discover.js';
import { chooseVolume, openFileSystem } from '../../src/fs/open.js';
import { inspectWindows } from '../../src/windows/index.js';
import { readCorpus } from '../helpers/tools.js';
import { CASES } from './cases.js';
import { buildWindowsDisk } from './volume.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('drive letters, BIOS boot and the BCD default entry on a partitioned disk', async () => {
  const testCase = CASES.find((c) => c.id === 'win7-sp1-x86-vmware')!;
  const { disk, dir } = buildWindowsDisk({ testCase, diskSignature: '0x5cbea03e', extra: [
    { path: 'Boot/BCD', bytes: readCorpus('registry/bcd/windeploy-BCD-bios') },
    // A hibernation file whose header says the system is hibernated, an OEM certificate and
    // the Windows 7 licensing store: what the unsafe-state and activation facts look for.
    { path: 'hiberfil.sys', bytes: Uint8Array.from([...Buffer.from('HIBR'), ...new Uint8Array(8188)]) },
    { path: 'Windows/System32/OEM/OEMCert.xrm-ms', bytes: new TextEncoder().encode('<rg:licenseGroup/>') },
    { path: 'Windows/ServiceProfiles/NetworkService/AppData/Roaming/Microsoft/SoftwareProtectionPlatform/tokens.dat', bytes: new Uint8Array(16) },
  ] });
  dirs.push(dir);
  const device = await FileDevice.open(disk);
  try {
    const diagnostics = new DiagnosticLog();
    const discovery = await discoverVolumes(device, { diagnostics });
    const volume = await chooseVolume(discovery.volumes, { diagnostics });
    const fs = await openFileSystem(volume.device, { diagnostics });
    const facts = await inspectWindows({ fs, diagnostics, disk: discovery });
    expect(facts.driveLetters.find((d) => d.letter === 'C:')).toEqual({ letter: 'C:', kind: 'mbr', mbrSignature: '0x5cbea03e', partitionOffset: 1048576, volume: 'p1' });
    expect(facts.driveLetters.filter((d) => d.volume !== undefined)).toHaveLength(1);
    expect(facts.boot).toEqual({
      firmware: 'bios',
      bcdPath: '/Boot/BCD',
      defaultEntry: { id: '{1b67bffd-e290-11eb-8ffa-f459a0d9b879}', description: 'Windows 10', path: '\\windows\\system32\\winload.exe', systemRoot: '\\windows', graphicsModeDisabled: false },
    });
    expect(facts.unsafe).toMatchObject({ bitlocker: false, volumeState: 'hibernated', hibernationSignature: 'HIBR' });
    expect(facts.activation.oemCertificates).toEqual(['OEMCert.xrm-ms']);
    expect(facts.activation.licensingStores).toEqual(['/Windows/ServiceProfiles/NetworkService/AppData/Roaming/Microsoft/SoftwareProtectionPlatform/tokens.dat']);
    expect(facts.groupPolicies).toEqual(['{35378EAC-683F-11D2-A89A-00C04FBBCFA2}']);
    expect(facts.deviceInstallRestrictions).toEqual({ DenyRemovableDevices: 1 });
    expect(facts.activation.gvlk).toEqual(['Windows 7 Professional']);
  } finally {
    await device.close();
  }
}, 60_000);
