// A driver source laid out as the virtio-win ISO is (<driver>/<osdir>/<arch>/ plus the
// flattened amd64/<osdir>/ copies), with INFs written here for viostor, vioscsi and netkvm in
// the shape of the real ones (SourceDisksNames/Files, DestinationDirs, Models with the legacy
// and modern IDs, .Services with a service-install section and parameters AddReg) and
// placeholder .sys/.cat bytes that name their own path, so a copy can be checked byte-exact.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FixtureDriver {
  name: 'viostor' | 'vioscsi' | 'netkvm';
  folder: string;
}

const DRIVERS: Record<FixtureDriver['name'], { folder: string; cls: string; guid: string; group: string; start: number; ids: Array<[string, string]>; desc: string }> = {
  viostor: { folder: 'viostor', cls: 'SCSIAdapter', guid: '{4D36E97B-E325-11CE-BFC1-08002BE10318}', group: 'SCSI miniport', start: 0, desc: 'Red Hat VirtIO SCSI controller', ids: [['PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00', 'PCI\\VEN_1AF4&DEV_1001'], ['PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01', 'PCI\\VEN_1AF4&DEV_1042']] },
  vioscsi: { folder: 'vioscsi', cls: 'SCSIAdapter', guid: '{4D36E97B-E325-11CE-BFC1-08002BE10318}', group: 'SCSI miniport', start: 0, desc: 'Red Hat VirtIO SCSI pass-through controller', ids: [['PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00', 'PCI\\VEN_1AF4&DEV_1004'], ['PCI\\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01', 'PCI\\VEN_1AF4&DEV_1048']] },
  netkvm: { folder: 'NetKVM', cls: 'Net', guid: '{4d36e972-e325-11ce-bfc1-08002be10318}', group: 'NDIS', start: 3, desc: 'Red Hat VirtIO Ethernet Adapter', ids: [['PCI\\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00', 'PCI\\VEN_1AF4&DEV_1000'], ['PCI\\VEN_1AF4&DEV_1041&SUBSYS_11001AF4&REV_01', 'PCI\\VEN_1AF4&DEV_1041']] },
};

/** OS folders with the decoration and the driver dirid their INFs use (virtio-win's build). */
export const OS_FOLDERS: Record<string, { decoration: (arch: string) => string; dirid: number; date: string; version: string }> = {
  w7: { decoration: (a) => `NT${a}`, dirid: 12, date: '01/15/2021', version: '62.90.104.19500' },
  w10: { decoration: (a) => `NT${a}.10.0...14393`, dirid: 12, date: '06/20/2024', version: '100.95.104.26000' },
  '2k19': { decoration: (a) => `NT${a}.10.0...17763`, dirid: 12, date: '06/20/2024', version: '100.95.104.26000' },
  w11: { decoration: (a) => `NT${a}.10.0...22000`, dirid: 13, date: '06/21/2024', version: '100.95.104.26001' },
};

export function infText(args: { driver: FixtureDriver['name']; os: string; arch: 'amd64' | 'x86' }): string {
  const d = DRIVERS[args.driver];
  const f = OS_FOLDERS[args.os];
  if (!f) throw new Error(`no OS folder ${args.os}`);
  const dec = f.decoration(args.arch);
  const sys = `${args.driver}.sys`;
  const models = d.ids.map(([hw, compat]) => `%DeviceDesc% = inst, ${hw}, ${compat}`).join('\r\n');
  const netExtra = args.driver === 'netkvm' ? `\r\n[inst.ndi.Reg]\r\nHKR, Ndi, Service, 0, "netkvm"\r\nHKR, Ndi\\Interfaces, UpperRange, 0, "ndis5"\r\n` : '';
  return [
    `;-------------------------------------------------------------------------------`,
    `; ${sys.replace('.sys', '.inf')} (rehost test fixture, shaped like virtio-win's)`,
    `;-------------------------------------------------------------------------------`,
    `[Version]`,
    `Signature   = "$WINDOWS NT$"`,
    `Class       = ${d.cls}`,
    `ClassGUID   = ${d.guid}`,
    `Provider    = %VENDOR%`,
    `DriverVer   = ${f.date},${f.version}`,
    `CatalogFile = ${args.driver}.cat`,
    `PnpLockdown = 1`,
    ``,
    `[DestinationDirs]`,
    `DefaultDestDir = ${f.dirid}`,
    `files_driver   = ${f.dirid}`,
    ``,
    `[SourceDisksNames]`,
    `1 = %DiskId1%,,,""`,
    ``,
    `[SourceDisksFiles]`,
    `${sys} = 1,,`,
    ``,
    `[Manufacturer]`,
    `%VENDOR% = Models, ${dec}`,
    ``,
    `[Models.${dec}]`,
    models,
    ``,
    `[inst]`,
    `CopyFiles = files_driver`,
    args.driver === 'netkvm' ? `AddReg = inst.ndi.Reg` : '',
    ``,
    `[files_driver]`,
    `${sys},,,2`,
    ``,
    `[inst.Services]`,
    `AddService = ${args.driver}, 0x00000002, service_inst, eventlog_inst`,
    ``,
    `[service_inst]`,
    `DisplayName    = %DeviceDesc%`,
    `ServiceType    = %SERVICE_KERNEL_DRIVER%`,
    `StartType      = ${d.start} ; boot or demand`,
    `ErrorControl   = %SERVICE_ERROR_NORMAL%`,
    `ServiceBinary  = %${f.dirid}%\\${sys}`,
    `LoadOrderGroup = ${d.group}`,
    `AddReg         = service_params`,
    ``,
    `[service_params]`,
    `HKR, "Parameters", "BusType", 0x00010001, 0x00000001`,
    `HKR, "Parameters\\PnpInterface", "5", 0x00010001, 0x00000001`,
    ``,
    `[eventlog_inst]`,
    `AddReg = eventlog_addreg`,
    ``,
    `[eventlog_addreg]`,
    `HKR,,EventMessageFile,0x00020000,"%%SystemRoot%%\\System32\\IoLogMsg.dll"`,
    `HKR,,TypesSupported,0x00010001,7`,
    netExtra,
    `[Strings]`,
    `VENDOR = "Red Hat, Inc."`,
    `DiskId1 = "VirtIO Installation Disk"`,
    `DeviceDesc = "${d.desc}"`,
    `SERVICE_KERNEL_DRIVER = 1`,
    `SERVICE_ERROR_NORMAL = 1`,
    ``,
  ].join('\r\n');
}

/** Placeholder driver bytes that say which file they are (so copies are checkable). */
export function placeholder(path: string): Uint8Array {
  const text = `MZ placeholder for ${path}\n`;
  const out = new Uint8Array(4096);
  out.set(new TextEncoder().encode(text));
  for (let i = text.length; i < out.length; i++) out[i] = (i * 7 + path.length) & 0xff;
  return out;
}

/** Writes the virtio-win-shaped tree under `root` and returns the INF paths written. */
export function writeVirtioTree(root: string, options: { utf16Netkvm?: boolean; upperCaseSys?: boolean } = {}): string[] {
  const written: string[] = [];
  const put = (rel: string, data: Uint8Array | string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), data);
  };
  const layouts: Array<[FixtureDriver['name'], string, 'amd64' | 'x86']> = [];
  for (const driver of ['viostor', 'vioscsi', 'netkvm'] as const) {
    for (const os of ['w7', 'w10', '2k19', 'w11']) layouts.push([driver, os, 'amd64']);
    layouts.push([driver, 'w7', 'x86']);
    layouts.push([driver, 'w10', 'x86']);
  }
  for (const [driver, os, arch] of layouts) {
    const dir = `${DRIVERS[driver].folder}/${os}/${arch}`;
    const text = infText({ driver, os, arch });
    const inf = driver === 'netkvm' && options.utf16Netkvm ? new Uint8Array([0xff, 0xfe, ...Buffer.from(text, 'utf16le')]) : text;
    put(`${dir}/${driver}.inf`, inf);
    const sysName = options.upperCaseSys && driver === 'viostor' ? `${driver.toUpperCase()}.SYS` : `${driver}.sys`;
    put(`${dir}/${sysName}`, placeholder(`${dir}/${driver}.sys`));
    put(`${dir}/${driver}.cat`, placeholder(`${dir}/${driver}.cat`));
    put(`${dir}/${driver}.pdb`, 'debug symbols');
    written.push(`/${dir}/${driver}.inf`);
  }
  // The flattened per-OS copies the ISO also carries (amd64/w10/viostor.inf …).
  for (const driver of ['viostor', 'vioscsi'] as const) {
    const dir = `amd64/w10`;
    put(`${dir}/${driver}.inf`, infText({ driver, os: 'w10', arch: 'amd64' }));
    put(`${dir}/${driver}.sys`, placeholder(`${DRIVERS[driver].folder}/w10/amd64/${driver}.sys`));
    put(`${dir}/${driver}.cat`, placeholder(`${DRIVERS[driver].folder}/w10/amd64/${driver}.cat`));
    written.push(`/${dir}/${driver}.inf`);
  }
  // What virt-v2v's staging leaves out or resolves: a protocol INF that conflicts with netkvm,
  // an SR-IOV folder, and the fwcfg/qemufwcfg pair (only fwcfg is kept).
  const bare = (cls: string) => `[Version]\r\nSignature="$WINDOWS NT$"\r\nClass=${cls}\r\nProvider=%V%\r\n[Strings]\r\nV="Red Hat, Inc."\r\n`;
  put('NetKVM/w10/amd64/vioprot.inf', bare('NetTrans'));
  put('NetKVM/w10/amd64/sriov/netkvmvf.sys', placeholder('sriov'));
  put('fwcfg/w10/amd64/fwcfg.inf', bare('System'));
  put('fwcfg/w10/amd64/fwcfg.sys', placeholder('fwcfg'));
  put('qemufwcfg/w10/amd64/qemufwcfg.inf', bare('System'));
  put('Balloon/w10/amd64/blnsvr.exe', placeholder('blnsvr'));
  put('guest-agent/qemu-ga-x86_64.msi', 'msi');
  put('README.txt', 'virtio-win test fixture');
  put('broken/w10/amd64/broken.inf', 'this line is outside any section\r\n[Version]\r\n');
  return written;
}

/** Vendor network drivers outside virtio-win's layout, shaped like the AWS ENA and Google gVNIC packages. */
export const VENDOR_NICS = {
  ena: { folder: 'AwsEnaNetworkDriver', provider: 'Amazon Web Services, Inc.', desc: 'Amazon Elastic Network Adapter', ids: ['PCI\\VEN_1D0F&DEV_EC20', 'PCI\\VEN_1D0F&DEV_EC21'], extra: 'install.ps1' },
  gvnic: { folder: 'google-gvnic/x64', provider: 'Google, Inc.', desc: 'Google Ethernet Adapter', ids: ['PCI\\VEN_1AE0&DEV_0042&SUBSYS_00581AE0'], extra: 'README.txt' },
} as const;

/** One vendor NIC INF: Class Net, NTamd64 models only (so an x86 guest gets nothing), a demand-start NDIS service. */
export function vendorNicInf(name: keyof typeof VENDOR_NICS): string {
  const v = VENDOR_NICS[name];
  return [
    `; ${name}.inf (rehost test fixture, shaped like the vendor's)`,
    `[Version]`,
    `Signature   = "$WINDOWS NT$"`,
    `Class       = Net`,
    `ClassGUID   = {4d36e972-e325-11ce-bfc1-08002be10318}`,
    `Provider    = %VENDOR%`,
    `DriverVer   = 03/14/2024,2.8.0.0`,
    `CatalogFile = ${name}.cat`,
    ``,
    `[DestinationDirs]`,
    `DefaultDestDir = 12`,
    ``,
    `[SourceDisksNames]`,
    `1 = %Disk%,,,""`,
    ``,
    `[SourceDisksFiles]`,
    `${name}.sys = 1`,
    ``,
    `[Manufacturer]`,
    `%VENDOR% = Vendor, NTamd64`,
    ``,
    `[Vendor.NTamd64]`,
    ...v.ids.map((id) => `%DeviceDesc% = nic_inst, ${id}`),
    ``,
    `[nic_inst]`,
    `Characteristics = 0x84`,
    `BusType = 5`,
    `CopyFiles = nic_files`,
    ``,
    `[nic_files]`,
    `${name}.sys,,,2`,
    ``,
    `[nic_inst.Services]`,
    `AddService = ${name}, 2, nic_service`,
    ``,
    `[nic_service]`,
    `ServiceType    = 1`,
    `StartType      = 3`,
    `ErrorControl   = 1`,
    `ServiceBinary  = %12%\\${name}.sys`,
    `LoadOrderGroup = NDIS`,
    ``,
    `[Strings]`,
    `VENDOR = "${v.provider}"`,
    `Disk = "${v.desc} Installation Disk"`,
    `DeviceDesc = "${v.desc}"`,
    ``,
  ].join('\r\n');
}

/** Writes the vendor NIC packages under `root` (each in its own folder with an extra file); returns their folders. */
export function writeVendorNics(root: string): Record<keyof typeof VENDOR_NICS, string> {
  const out = {} as Record<keyof typeof VENDOR_NICS, string>;
  for (const name of Object.keys(VENDOR_NICS) as Array<keyof typeof VENDOR_NICS>) {
    const v = VENDOR_NICS[name];
    const dir = join(root, v.folder);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.inf`), vendorNicInf(name));
    writeFileSync(join(dir, `${name}.sys`), placeholder(`${v.folder}/${name}.sys`));
    writeFileSync(join(dir, `${name}.cat`), placeholder(`${v.folder}/${name}.cat`));
    writeFileSync(join(dir, v.extra), `${v.desc}: a file of the package that no INF section names\r\n`);
    out[name] = v.folder;
  }
  return out;
}
