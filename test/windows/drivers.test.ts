// Driver source discovery: a virtio-win-shaped tree (INFs written in fixtures) read as a host
// directory and packed as ISOs (xorriso Rock Ridge + Joliet, genisoimage Joliet only), the
// per-guest choice (INF decorations first, virtio-win's folder convention as the ranking), and
// the corpus INFs stamped as the build stamps them, laid out as virtio-win, compared with
// their expected JSONs.

import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, scratchDirs } from '../helpers/tools.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { NotFoundError, UnsupportedError } from '../../src/errors.js';
import type { InfOs } from '../../src/windows/inf/index.js';
import { MAX_PACKAGE_FILES, conventionOf, deviceMatchesId, driversForDevices, vendorPackageFiles, virtioStagingSet, findDrivers, listInfFiles, openDriverSource, osDirIndexFor, osDirName, pciDeviceIds, scanDriverSource, type DriverMatch, type DriverSource } from '../../src/windows/drivers/index.js';
import { makeIso } from '../fs/iso9660-fixtures.js';
import { placeholder, writeVendorNics, writeVirtioTree } from './drivers-fixtures.js';
import { stampTemplate } from './inf-fixtures.js';

const scratch = scratchDirs('rehost-drivers-');
const WIN10: InfOs = { major: 10, minor: 0, build: 19045, arch: 'amd64', productType: 'workstation' };
const WIN11: InfOs = { ...WIN10, build: 22631 };
const WIN2019: InfOs = { ...WIN10, build: 17763, productType: 'server' };
const WIN2022: InfOs = { ...WIN10, build: 20348, productType: 'server' };
const WIN7: InfOs = { major: 6, minor: 1, build: 7601, arch: 'amd64', productType: 'workstation' };
const WIN7_X86: InfOs = { ...WIN7, arch: 'x86' };
const VISTA: InfOs = { major: 6, minor: 0, build: 6002, arch: 'amd64', productType: 'workstation' };

let tree = '';
let rrIso = '';
let jolietIso = '';

beforeAll(() => {
  const dir = scratch();
  tree = join(dir, 'virtio-win');
  mkdirSync(tree);
  writeVirtioTree(tree, { utf16Netkvm: true, upperCaseSys: true });
  rrIso = makeIso({ source: tree, output: join(dir, 'virtio-win.iso'), flavour: 'xorriso-rr-joliet', volid: 'virtio-win-0.1.262' });
  jolietIso = makeIso({ source: tree, output: join(dir, 'virtio-win-joliet.iso'), flavour: 'genisoimage-joliet', volid: 'VIRTIO' });
});

const byId = (matches: DriverMatch[]) => new Map(matches.map((m) => [m.hardwareId, m]));

async function find(path: string, os: InfOs, hardwareIds?: string[]) {
  const log = new DiagnosticLog();
  const source = await openDriverSource(path, { diagnostics: log });
  try {
    const matches = await findDrivers({ source, os, diagnostics: log, ...(hardwareIds ? { hardwareIds } : {}) });
    return { matches, log, source };
  } finally {
    await source.close();
  }
}

describe('the virtio-win directory convention', () => {
  it('reads OS and arch elements anywhere in a path, case-insensitively', () => {
    expect(conventionOf('/NetKVM/2k12R2/amd64')).toEqual({ osDir: '2k12r2', osIndex: 9, arch: 'amd64', driver: 'NetKVM' });
    expect(conventionOf('/amd64/w10')).toMatchObject({ osDir: 'w10', arch: 'amd64' });
    expect(conventionOf('/viostor/w7/x86')).toMatchObject({ osDir: 'w7', arch: 'x86', driver: 'viostor' });
    expect(conventionOf('/drivers/i386/Win7')).toMatchObject({ osDir: 'win7', arch: 'x86' });
    expect(conventionOf('/vendor/storage')).toEqual({ driver: 'vendor' });
  });

  it('names the folder virt-v2v would pick for each release', () => {
    const name = (os: InfOs) => {
      const i = osDirIndexFor(os);
      return i === undefined ? undefined : osDirName(i);
    };
    expect(name(WIN10)).toBe('w10');
    expect(name(WIN11)).toBe('w11');
    expect(name(WIN2019)).toBe('2k19');
    expect(name(WIN2022)).toBe('2k22');
    expect(name({ ...WIN2019, build: 14393 })).toBe('2k16');
    expect(name({ ...WIN2019, build: 26100 })).toBe('2k25');
    expect(name(WIN7)).toBe('w7');
    expect(name({ ...WIN7, productType: 'server' })).toBe('2k8r2');
    expect(name({ ...WIN7, minor: 3 })).toBe('w8.1');
    expect(name({ ...WIN7, minor: 2, productType: 'server' })).toBe('2k12');
    expect(name(VISTA)).toBe('vista');
    expect(name({ major: 5, minor: 1, arch: 'x86', productType: 'workstation' })).toBe('xp');
  });
});

describe('findDrivers on a virtio-win-shaped directory', () => {
  it('lists every INF case-insensitively and skips the broken one with a warning', async () => {
    const log = new DiagnosticLog();
    const source = await openDriverSource(tree, { diagnostics: log });
    const infs = await listInfFiles(source.fs);
    expect(infs).toContain('/viostor/w10/amd64/viostor.inf');
    expect(infs).toContain('/broken/w10/amd64/broken.inf');
    expect(infs).toHaveLength(3 * 6 + 2 + 1 + 3);
    const packages = await scanDriverSource(source, { diagnostics: log });
    expect(packages).toHaveLength(23);
    expect(log.entries.filter((e) => e.code === 'driver-inf-skipped').map((e) => e.path)).toEqual(['/broken/w10/amd64/broken.inf']);
  });

  it('Windows 10 x64: the w10 folder, with files, service, catalog and DriverVer', async () => {
    const { matches } = await find(tree, WIN10);
    const m = byId(matches);
    expect([...m.keys()].sort()).toEqual([
      'PCI\\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00',
      'PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00',
      'PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00',
      'PCI\\VEN_1AF4&DEV_1041&SUBSYS_11001AF4&REV_01',
      'PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01',
      'PCI\\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01',
    ]);
    const viostor = m.get('PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00')!;
    expect(viostor).toMatchObject({
      infPath: '/viostor/w10/amd64/viostor.inf',
      driver: 'viostor',
      compatibleIds: ['PCI\\VEN_1AF4&DEV_1001'],
      description: 'Red Hat VirtIO SCSI controller',
      modelsSection: 'Models.NTamd64.10.0...14393',
      installSection: 'inst',
      catalogFile: 'viostor.cat',
      catalogSource: '/viostor/w10/amd64/viostor.cat',
      driverVer: { date: '06/20/2024', isoDate: '2024-06-20', version: '100.95.104.26000' },
      class: 'SCSIAdapter',
      classGuid: '{4D36E97B-E325-11CE-BFC1-08002BE10318}',
      provider: 'Red Hat, Inc.',
      convention: { fit: 'match', osDir: 'w10', arch: 'amd64' },
    });
    // The .sys is upper case on disk: found case-insensitively.
    expect(viostor.files).toEqual([{ name: 'viostor.sys', source: '/viostor/w10/amd64/VIOSTOR.SYS', destination: '/Windows/System32/drivers/viostor.sys', dirid: 12 }]);
    // The flattened copy, then the w7 INF (its plain NTamd64 applies to Windows 10 too).
    expect(viostor.alternatives).toEqual(['/amd64/w10/viostor.inf', '/viostor/w7/amd64/viostor.inf']);
    const [svc] = viostor.services;
    expect(svc).toMatchObject({ name: 'viostor', functionDriver: true, serviceType: 1, startType: 0, errorControl: 1, loadOrderGroup: 'SCSI miniport', displayName: 'Red Hat VirtIO SCSI controller', binary: { imagePath: '\\SystemRoot\\System32\\drivers\\viostor.sys' } });
    expect(svc?.addReg.map((r) => `${r.subkey}\\${r.valueName}=${String(r.data)}`)).toEqual(['Parameters\\BusType=1', 'Parameters\\PnpInterface\\5=1']);
    // netkvm's INF is UTF-16LE: same answers.
    const net = m.get('PCI\\VEN_1AF4&DEV_1041&SUBSYS_11001AF4&REV_01')!;
    expect(net).toMatchObject({ infPath: '/NetKVM/w10/amd64/netkvm.inf', driver: 'NetKVM', class: 'Net', services: [{ name: 'netkvm', startType: 3, loadOrderGroup: 'NDIS' }] });
    expect(net.addReg.map((r) => `${r.subkey}\\${r.valueName}=${String(r.data)}`)).toEqual(['Ndi\\Service=netkvm', 'Ndi\\Interfaces\\UpperRange=ndis5']);
    // The placeholder bytes are the w10 ones.
    const source = await openDriverSource(tree);
    expect(Buffer.from(await source.fs.readFile(viostor.files[0]!.source!)).equals(Buffer.from(placeholder('viostor/w10/amd64/viostor.sys')))).toBe(true);
  });

  it('Windows 11: the w11 folder, whose INF installs into the driver store (dirid 13)', async () => {
    const { matches } = await find(tree, WIN11);
    const viostor = byId(matches).get('PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01')!;
    expect(viostor.infPath).toBe('/viostor/w11/amd64/viostor.inf');
    expect(viostor.modelsSection).toBe('Models.NTamd64.10.0...22000');
    expect(viostor.files[0]?.destination).toBe('/Windows/System32/DriverStore/FileRepository/viostor.inf_amd64_0000000000000000/viostor.sys');
    expect(viostor.services[0]?.binary?.imagePath).toBe('\\SystemRoot\\System32\\DriverStore\\FileRepository\\viostor.inf_amd64_0000000000000000\\viostor.sys');
  });

  it('Server 2019, Windows 7 x64 and x86 take their own folders', async () => {
    const pick = async (os: InfOs) => [...new Set((await find(tree, os)).matches.map((m) => m.infPath.split('/').slice(1, 4).join('/')))].sort();
    expect(await pick(WIN2019)).toEqual(['NetKVM/2k19/amd64', 'vioscsi/2k19/amd64', 'viostor/2k19/amd64']);
    expect(await pick(WIN7)).toEqual(['NetKVM/w7/amd64', 'vioscsi/w7/amd64', 'viostor/w7/amd64']);
    expect(await pick(WIN7_X86)).toEqual(['NetKVM/w7/x86', 'vioscsi/w7/x86', 'viostor/w7/x86']);
  });

  it('Server 2022 with no 2k22 folder: the closest older folder, with a warning', async () => {
    const { matches, log } = await find(tree, WIN2022);
    expect(new Set(matches.map((m) => m.infPath.split('/')[2]))).toEqual(new Set(['2k19']));
    expect(matches.every((m) => m.convention.fit === 'older')).toBe(true);
    expect(log.entries.filter((e) => e.code === 'driver-older-release')).toHaveLength(6);
  });

  it('Vista: nothing applies (no INF decoration covers 6.0 x64)', async () => {
    expect((await find(tree, VISTA)).matches).toEqual([]);
  });

  it('filters by the device IDs Windows builds for a PCI function', async () => {
    const ids = pciDeviceIds({ vendor: 0x1af4, device: 0x1001, subsystem: 0x00021af4, revision: 0, classCode: 0x010000 });
    expect(ids.slice(0, 2)).toEqual(['PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00', 'PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4']);
    expect(ids).toContain('PCI\\VEN_1AF4&DEV_1001');
    expect(ids).toContain('PCI\\CC_0100');
    const { matches } = await find(tree, WIN10, ids);
    expect(matches.map((m) => m.hardwareId)).toEqual(['PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00']);
    // A short compatible ID finds the line that lists it.
    expect((await find(tree, WIN10, ['pci\\ven_1af4&dev_1048'])).matches.map((m) => m.driver)).toEqual(['vioscsi']);
  });

  it('refuses a source that is neither a directory nor an ISO, and a missing one', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'not-an-iso.bin'), new Uint8Array(70000));
    await expect(openDriverSource(join(dir, 'not-an-iso.bin'))).rejects.toThrow(UnsupportedError);
    await expect(openDriverSource(join(dir, 'missing'))).rejects.toThrow(NotFoundError);
    // A host folder source cannot be left with '..'.
    const source = await openDriverSource(tree);
    expect(await source.fs.exists('/../../../../etc/passwd')).toBe(false);
    expect(await source.fs.exists('/../viostor/w10/amd64/viostor.inf')).toBe(true);
  });
});

describe('the same source packed as ISO images', () => {
  const strip = (matches: DriverMatch[]) => JSON.parse(JSON.stringify(matches, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? [...v] : v)));

  for (const [label, iso] of [
    ['xorriso Rock Ridge + Joliet', () => rrIso],
    ['genisoimage Joliet only', () => jolietIso],
  ] as const) {
    it(`${label}: the same drivers as the directory for Windows 10, 11 and 7`, async () => {
      for (const os of [WIN10, WIN11, WIN7, WIN7_X86]) {
        const fromDir = (await find(tree, os)).matches;
        const { matches, source } = await find(iso(), os);
        expect(source.kind).toBe('iso');
        expect(strip(matches)).toEqual(strip(fromDir));
      }
      const source = await openDriverSource(iso());
      const m = byId((await findDrivers({ source, os: WIN10 })));
      const file = m.get('PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00')!.files[0]!;
      expect(Buffer.from(await source.fs.readFile(file.source!)).equals(Buffer.from(placeholder('viostor/w10/amd64/viostor.sys')))).toBe(true);
      await source.close();
    });
  }
});

interface Expected {
  models: Record<string, Array<{ hardware_id: string; install: string }>>;
  AddService: Array<{ name: string; install_section: string; LoadOrderGroup?: string | null }>;
}

describe('corpus driver INFs stamped and laid out as virtio-win', () => {
  let dir = '';
  const names: string[] = [];
  beforeAll(() => {
    dir = scratch();
    for (const vendor of readdirSync(join(CORPUS, 'drivers'))) {
      for (const file of readdirSync(join(CORPUS, 'drivers', vendor))) {
        if (!/\.in[fx]$/i.test(file)) continue;
        const name = file.replace(/\.in[fx]$/i, '');
        names.push(`${vendor}/${file}`);
        const folder = join(dir, name, 'w10', 'amd64');
        mkdirSync(folder, { recursive: true });
        const text = stampTemplate(readFileSync(join(CORPUS, 'drivers', vendor, file)).toString('latin1'), 'amd64');
        writeFileSync(join(folder, `${name}.inf`), text);
        // Every file named in [SourceDisksFiles] gets placeholder bytes.
        const section = /\[SourceDisksFiles\]([\s\S]*?)(?:\n\[|$)/i.exec(text)?.[1] ?? '';
        for (const m of section.matchAll(/^\s*([^;\s=]+)\s*=/gm)) writeFileSync(join(folder, m[1] as string), placeholder(m[1] as string));
      }
    }
  });

  it('every hardware ID of every corpus INF is found with its expected install section and services', async () => {
    const log = new DiagnosticLog();
    const source: DriverSource = await openDriverSource(dir, { diagnostics: log });
    const matches = byId(await findDrivers({ source, os: WIN10, diagnostics: log }));
    let checked = 0;
    for (const file of names) {
      const expected = JSON.parse(readFileSync(join(CORPUS, 'drivers', file + '.expected.json'), 'utf8')) as Expected;
      const name = file.split('/')[1]!.replace(/\.in[fx]$/i, '');
      for (const models of Object.values(expected.models)) {
        for (const model of models) {
          const hwid = stampTemplate(model.hardware_id, 'amd64');
          const m = matches.get(hwid);
          expect(m, `${file}: ${hwid}`).toBeDefined();
          expect(m?.infPath).toBe(`/${name}/w10/amd64/${name}.inf`);
          expect(m?.installSection).toBe(model.install);
          expect(m?.convention.fit).toBe('match');
          // Every file the install copies was resolved in the source.
          for (const f of m?.files ?? []) expect(f.source, `${file}: ${f.name}`).toBeDefined();
          checked++;
        }
      }
      const services = [...matches.values()].filter((m) => m.infPath === `/${name}/w10/amd64/${name}.inf`).flatMap((m) => m.services.map((s) => s.name.toLowerCase()));
      for (const s of expected.AddService) expect(services, `${file}: ${s.name}`).toContain(s.name.toLowerCase());
    }
    expect(checked).toBe(25);
    expect(log.entries.filter((e) => e.code === 'driver-file-missing')).toEqual([]);
    await source.close();
  });
});

describe('the driver set virt-v2v stages (Drivers\\VirtIO)', () => {
  async function staged(path: string, os: InfOs) {
    const log = new DiagnosticLog();
    const source = await openDriverSource(path, { diagnostics: log });
    try {
      return { set: await virtioStagingSet({ source, os, diagnostics: log }), log };
    } finally {
      await source.close();
    }
  }

  it('Windows 10 x64: the w10/amd64 files, flattened and lower-cased, without pdb, sriov, vioprot or qemufwcfg', async () => {
    const { set, log } = await staged(tree, WIN10);
    expect(set.osDir).toBe('w10');
    expect(set.fallback).toBe(false);
    expect(set.files.map((f) => f.name)).toEqual(['blnsvr.exe', 'broken.inf', 'fwcfg.inf', 'fwcfg.sys', 'netkvm.cat', 'netkvm.inf', 'netkvm.sys', 'vioscsi.cat', 'vioscsi.inf', 'vioscsi.sys', 'viostor.cat', 'viostor.inf', 'viostor.sys']);
    expect(set.files.find((f) => f.name === 'viostor.sys')?.source).toBe('/amd64/w10/viostor.sys');
    expect(log.entries.filter((e) => e.code === 'driver-staging-collision')).toEqual([]);
  });

  it('the ISO gives the same set; Server 2022 falls back to 2k19; Windows 7 x86 takes w7/x86', async () => {
    const fromDir = (await staged(tree, WIN10)).set;
    expect((await staged(rrIso, WIN10)).set).toEqual(fromDir);
    const { set, log } = await staged(tree, WIN2022);
    expect(set).toMatchObject({ osDir: '2k19', fallback: true });
    expect(log.entries.map((e) => e.code)).toContain('driver-older-release');
    expect((await staged(tree, WIN7_X86)).set.files.map((f) => f.source)).toEqual([
      '/NetKVM/w7/x86/netkvm.cat', '/NetKVM/w7/x86/netkvm.inf', '/NetKVM/w7/x86/netkvm.sys',
      '/vioscsi/w7/x86/vioscsi.cat', '/vioscsi/w7/x86/vioscsi.inf', '/vioscsi/w7/x86/vioscsi.sys',
      '/viostor/w7/x86/viostor.cat', '/viostor/w7/x86/viostor.inf', '/viostor/w7/x86/VIOSTOR.SYS',
    ]);
    expect((await staged(tree, VISTA)).set).toEqual({ fallback: false, files: [] });
  });
});

describe('vendor packages for target devices (ENA, gVNIC)', () => {
  const NITRO = [{ id: 'ena', pci: [{ vendor: '1D0F', device: 'EC20' }] }];

  it('binds by the PCI VEN&DEV prefix only, and only for the arch the INF names', async () => {
    const root = join(scratch(), 'vendor');
    const folders = writeVendorNics(root);
    const source = await openDriverSource(root);
    try {
      const for64 = driversForDevices({ devices: NITRO, matches: await findDrivers({ source, os: WIN10 }) });
      expect(for64).toEqual([{ device: 'ena', service: 'ena', inf: `/${folders.ena}/ena.inf`, convention: false }]);
      // NTamd64 models only: a 32-bit Windows 7 gets no ENA.
      expect(driversForDevices({ devices: NITRO, matches: await findDrivers({ source, os: WIN7_X86 }) })).toEqual([]);
    } finally {
      await source.close();
    }
    const device = NITRO[0]!;
    expect(deviceMatchesId(device, 'PCI\\VEN_1D0F&DEV_EC20&SUBSYS_00000000')).toBe(true);
    expect(deviceMatchesId(device, 'pci\\ven_1d0f&dev_ec20')).toBe(true);
    // A longer device number, another vendor, or a class-code ID is no match.
    for (const id of ['PCI\\VEN_1D0F&DEV_EC201', 'PCI\\VEN_1D0E&DEV_EC20', 'PCI\\CC_020000', 'PCI\\VEN_1D0F']) expect(deviceMatchesId(device, id), id).toBe(false);
  });

  it('stages the INF folder whole, and only the INF, catalog and copied files when the folder is over the bound', async () => {
    const root = join(scratch(), 'vendor');
    const folders = writeVendorNics(root);
    const source = await openDriverSource(root);
    try {
      const match = (await findDrivers({ source, os: WIN10 })).find((m) => m.infPath.endsWith('/ena.inf'))!;
      const whole = await vendorPackageFiles({ source, match });
      expect(whole.map((f) => f.name)).toEqual(['ena/ena.cat', 'ena/ena.inf', 'ena/ena.sys', 'ena/install.ps1']);
      const many = join(root, folders.ena, 'docs');
      mkdirSync(many);
      for (let i = 0; i <= MAX_PACKAGE_FILES; i++) writeFileSync(join(many, `page${i}.txt`), 'x');
      const log = new DiagnosticLog();
      const cut = await vendorPackageFiles({ source, match, diagnostics: log });
      expect(cut.map((f) => f.name)).toEqual(['ena/ena.cat', 'ena/ena.inf', 'ena/ena.sys']);
      expect(log.entries.map((e) => e.code)).toEqual(['driver-package-large']);
    } finally {
      await source.close();
    }
  });
});
