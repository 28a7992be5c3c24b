// INF parser: lexical rules (comments, quotes, continuation, merging, strings), encodings,
// the validators that must fail, TargetOSVersion selection, and the corpus INFs (real
// virtio-win and Xen PV driver INFs) compared with their hand-read expected JSONs.

import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS } from '../helpers/tools.js';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { CorruptError } from '../../src/errors.js';
import { stampTemplate } from './inf-fixtures.js';
import { regEntryValue, parseInf, parseTargetOsVersion, readDriverInf, readModels, selectInstall, targetApplies, parseInfNumber, type InfOs } from '../../src/windows/inf/index.js';

const WIN10_AMD64: InfOs = { major: 10, minor: 0, build: 19045, arch: 'amd64', productType: 'workstation' };

describe('INF lexical layer', () => {
  it('strips comments outside quotes, unescapes "" and keeps spaces inside quotes', () => {
    const doc = parseInf('[Version]\nSignature="$Windows NT$" ; the signature\n[S]\nA = " x ; y ", "say ""hi""" , plain text ;c\n');
    const line = doc.entry('s', 'a');
    expect(line?.values).toEqual([' x ; y ', 'say "hi"', 'plain text']);
  });

  it('joins continuation lines and merges duplicate sections case-insensitively', () => {
    const doc = parseInf('[One]\nk = a, \\\n    b\n[other]\nx=1\n[ONE]\nk2 = c\n');
    expect(doc.sections.map((s) => s.name)).toEqual(['One', 'other']);
    expect(doc.section('one')?.lines.map((l) => [l.key, l.values])).toEqual([
      ['k', ['a', 'b']],
      ['k2', ['c']],
    ]);
    expect(doc.section('one')?.lines[1]?.line).toBe(7);
  });

  it('substitutes %strkey% case-insensitively, %% to %, keeps dirids and unknown keys', () => {
    const log = new DiagnosticLog();
    const doc = parseInf('[Strings]\nVendor = "Red Hat, Inc."\nPath="%SystemRoot%"\n', { diagnostics: log });
    expect(doc.expand('%VENDOR% x')).toBe('Red Hat, Inc. x');
    expect(doc.expand('%%SystemRoot%%\\x')).toBe('%SystemRoot%\\x');
    expect(doc.expand('%12%\\a.sys')).toBe('%12%\\a.sys');
    expect(doc.expand('%12%\\a.sys', { dirid: (n) => (n === 12 ? 'D' : undefined) })).toBe('D\\a.sys');
    expect(doc.expand('%nope%')).toBe('%nope%');
    expect(log.entries.map((e) => e.code)).toContain('inf-unknown-string');
  });

  it('chooses [Strings.<LANGID>] when asked, else [Strings]; first duplicate wins', () => {
    const text = '[Strings]\nName="English"\nName="Again"\n[Strings.0407]\nName="Deutsch"\n';
    expect(parseInf(text).string('name')).toBe('English');
    expect(parseInf(text, { language: '0407' }).string('name')).toBe('Deutsch');
    expect(parseInf(text, { language: '040c' }).string('name')).toBe('English');
  });

  it('reads UTF-16LE with BOM, UTF-8 with and without BOM and Windows-1252 alike', () => {
    const text = '[Strings]\r\nName = "Caf\u00e9 \u00c9lan"\r\n';
    const utf16 = new Uint8Array([0xff, 0xfe, ...Buffer.from(text, 'utf16le')]);
    const utf8bom = new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(text, 'utf8')]);
    const utf8 = new Uint8Array(Buffer.from(text, 'utf8'));
    const ansi = new Uint8Array(Buffer.from(text, 'latin1'));
    for (const [bytes, encoding] of [
      [utf16, 'utf-16le'],
      [utf8bom, 'utf-8'],
      [utf8, 'utf-8'],
      [ansi, 'windows-1252'],
    ] as const) {
      const doc = parseInf(bytes);
      expect(doc.encoding).toBe(encoding);
      expect(doc.string('name')).toBe('Caf\u00e9 \u00c9lan');
    }
    // 0x80 is the euro sign in Windows-1252 (not a C1 control as in Latin-1).
    expect(parseInf(new Uint8Array([...Buffer.from('[Strings]\nE="'), 0x80, ...Buffer.from('"\n')])).string('e')).toBe('\u20ac');
  });

  it('reports offsets in bytes of the file (UTF-16: two per character after the BOM)', () => {
    const text = '[A]\r\nx=1\r\n';
    const doc = parseInf(new Uint8Array([0xff, 0xfe, ...Buffer.from(text, 'utf16le')]));
    expect(doc.section('a')?.lines[0]?.offset).toBe(2 + 5 * 2);
  });

  it('fails like SetupOpenInfFile on lines outside sections, bad headers and binary data', () => {
    const cases: Array<[string | Uint8Array, RegExp]> = [
      ['x = 1\n[Version]\n', /outside any section/],
      ['[Version]\n[Broken\n', /without '\]'/],
      [`[${'s'.repeat(300)}]\n`, /longer than 255/],
      [new Uint8Array([0x5b, 0x41, 0x5d, 0x0a, 0x00, 0x01, 0x02, 0x03]), /NUL/],
    ];
    for (const [input, message] of cases) {
      let caught: unknown;
      try {
        parseInf(input);
      } catch (error) {
        caught = error;
      }
      expect(caught, String(message)).toBeInstanceOf(CorruptError);
      expect((caught as CorruptError).message).toMatch(message);
      expect((caught as CorruptError).detail.structure).toMatch(/INF line \d+/);
      expect(typeof (caught as CorruptError).detail.offset).toBe('number');
    }
    expect(() => parseInf('[Broken\n')).toThrow(/INF line 1.*offset 0/);
  });

  it('tolerates what Windows tolerates, with warnings', () => {
    const log = new DiagnosticLog();
    const doc = parseInf('[A] trailing\nk = "open\n', { diagnostics: log });
    expect(doc.entry('a', 'k')?.values).toEqual(['open']);
    expect(log.entries.map((e) => e.code).sort()).toEqual(['inf-text-after-section', 'inf-unterminated-quote']);
  });

  it('rejects a missing [Version] or unknown Signature', () => {
    expect(() => readDriverInf(parseInf('[Strings]\n'))).toThrow(CorruptError);
    expect(() => readDriverInf(parseInf('[Version]\nSignature="$Linux$"\n'))).toThrow(/Signature/);
    expect(() => readDriverInf(parseInf('[version]\nsignature = "$CHICAGO$"\n'))).not.toThrow();
  });

  it('parses numbers as SetupAPI does', () => {
    expect(parseInfNumber('0x10')).toBe(16);
    expect(parseInfNumber(' 12 ')).toBe(12);
    expect(parseInfNumber('-1')).toBe(-1);
    expect(parseInfNumber('x')).toBeUndefined();
  });
});

describe('TargetOSVersion selection', () => {
  it('parses decorations with empty fields', () => {
    expect(parseTargetOsVersion('NTamd64.10.0...16299')).toEqual({ text: 'NTamd64.10.0...16299', arch: 'amd64', major: 10, minor: 0, build: 16299 });
    expect(parseTargetOsVersion('ntx86.6.1.0x3')).toMatchObject({ arch: 'x86', major: 6, minor: 1, productType: 3 });
    expect(parseTargetOsVersion('NT')).toEqual({ text: 'NT' });
    expect(parseTargetOsVersion('Win7')).toBeUndefined();
  });

  it('applies arch, version, build and product type rules', () => {
    const d = (s: string) => parseTargetOsVersion(s)!;
    expect(targetApplies(d('NTamd64'), WIN10_AMD64)).toBe(true);
    expect(targetApplies(d('NTx86'), WIN10_AMD64)).toBe(false);
    expect(targetApplies(d('NT'), WIN10_AMD64)).toBe(false); // x64 needs a platform decoration
    expect(targetApplies(d('NT'), { ...WIN10_AMD64, arch: 'x86' })).toBe(true);
    expect(targetApplies(d('NTamd64.10.0...16299'), WIN10_AMD64)).toBe(true);
    expect(targetApplies(d('NTamd64.10.0...22000'), WIN10_AMD64)).toBe(false);
    expect(targetApplies(d('NTamd64.6.3'), { ...WIN10_AMD64, major: 6, minor: 1 })).toBe(false);
    expect(targetApplies(d('NTamd64.6.1.3'), WIN10_AMD64)).toBe(false);
    expect(targetApplies(d('NTamd64.6.1.3'), { ...WIN10_AMD64, productType: 'server' })).toBe(true);
    expect(targetApplies(d('NTamd64.6.1..0x2'), WIN10_AMD64)).toBe(false);
    expect(targetApplies(d('NTamd64.6.1..0x2'), { ...WIN10_AMD64, suiteMask: 0x12 })).toBe(true);
  });

  const multi = `[Version]
Signature="$WINDOWS NT$"
Class=SCSIAdapter
ClassGuid={4D36E97B-E325-11CE-BFC1-08002BE10318}
Provider=%P%
CatalogFile=gen.cat
CatalogFile.NTamd64=x64.cat
DriverVer=7/4/2023,100.92.104.23900
[Manufacturer]
%P% = Dev, NTamd64.10.0...16299, NTamd64.6.1, NTamd64.10.0.3, NTx86
%P% = Legacy
[Dev.NTamd64.10.0...16299]
%D% = new_inst, PCI\\VEN_1AF4&DEV_1001
[Dev.NTamd64.6.1]
%D% = old_inst, PCI\\VEN_1AF4&DEV_1001
[Dev.NTamd64.10.0.3]
%D% = srv_inst, PCI\\VEN_1AF4&DEV_1001
[Dev.NTx86]
%D% = x86_inst, PCI\\VEN_1AF4&DEV_1001
[Legacy]
%D% = x86_inst, PCI\\VEN_1AF4&DEV_1001
[new_inst]
[old_inst]
[srv_inst]
[x86_inst]
[Strings]
P = "Vendor"
D = "Disk"
`;

  it('picks the closest applicable Models section like Windows', () => {
    const inf = readDriverInf(parseInf(multi));
    expect(inf.version).toMatchObject({ class: 'SCSIAdapter', provider: 'Vendor', catalogFile: 'gen.cat', catalogFiles: { ntamd64: 'x64.cat' }, driverVer: { date: '7/4/2023', isoDate: '2023-07-04', version: '100.92.104.23900' } });
    const pick = (os: InfOs) => selectInstall({ inf, os }).map((s) => `${s.modelsSection}:${s.installs[0]?.installSection}`);
    expect(pick(WIN10_AMD64)).toEqual(['Dev.NTamd64.10.0...16299:new_inst']);
    expect(pick({ ...WIN10_AMD64, build: 14393 })).toEqual(['Dev.NTamd64.6.1:old_inst']);
    expect(pick({ ...WIN10_AMD64, build: 14393, productType: 'server' })).toEqual(['Dev.NTamd64.10.0.3:srv_inst']);
    expect(pick({ major: 6, minor: 0, arch: 'amd64', productType: 'workstation' })).toEqual([]);
    expect(pick({ major: 6, minor: 1, arch: 'x86', productType: 'workstation' })).toEqual(['Dev.NTx86:x86_inst', 'Legacy:x86_inst']);
    expect(selectInstall({ inf, os: WIN10_AMD64 })[0]?.catalogFile).toBe('x64.cat');
    expect(selectInstall({ inf, os: { ...WIN10_AMD64, arch: 'x86' } })[0]?.catalogFile).toBe('gen.cat');
  });
});

describe('install sections', () => {
  const text = `[Version]
Signature="$Windows NT$"
Class=Net
ClassGuid={4d36e972-e325-11ce-bfc1-08002be10318}
Provider=%P%
[SourceDisksNames.amd64]
1 = %Disk%,,,\\amd64
[SourceDisksNames]
1 = %Disk%,,,\\x86
2 = %Disk%,,,""
[SourceDisksFiles]
drv.sys = 1,sub
helper.dll = 2
[DestinationDirs]
DefaultDestDir = 11
Drv_Files = 12
Store_Files = 13
[Manufacturer]
%P% = M, NTamd64, NTx86
[M.NTamd64]
%Desc% = Inst, PCI\\VEN_1AF4&DEV_1041&SUBSYS_11001AF4&REV_01, PCI\\VEN_1AF4&DEV_1041,
[M.NTx86]
%Desc% = Inst, PCI\\VEN_1AF4&DEV_1041
[Inst.NT]
CopyFiles = Drv_Files, @helper.dll
CopyFiles = Store_Files
AddReg = Dev_Reg
Include = machine.inf
Needs = PCI.Services
[Inst.NTamd64]
CopyFiles = Drv_Files, @helper.dll
AddReg = Dev_Reg
[Inst.NTamd64.HW]
AddReg = Msi_Reg
[Inst.NTamd64.Services]
AddService = drv, 0x00000002, Drv_Service, Drv_Log
AddService = filt,, Filt_Service
[Drv_Files]
drv.sys,,,0x00004000
renamed.sys, drv.sys
[Store_Files]
store.sys
[Drv_Service]
DisplayName = %Desc%
ServiceType = 1 ; %SERVICE_KERNEL_DRIVER%
StartType = %START%
ErrorControl = 0x1
ServiceBinary = %12%\\drv.sys
LoadOrderGroup = "NDIS"
Dependencies = +Base, other
AddReg = Svc_Reg
[Filt_Service]
ServiceType = 1
StartType = 0
ErrorControl = 1
ServiceBinary = %13%\\filt.sys
[Svc_Reg]
HKR, Parameters, BusType, 0x00010001, 0x1
HKR, Parameters, Name, , "a,b"
HKR, Parameters, Multi, 0x00010000, "x", "y"
HKR, Parameters, Path, 0x00020000, "%%SystemRoot%%\\x"
HKR, Parameters, Bin, 1, 01, 0a, ff
HKR, Parameters, Q, 0x000b0001, 0x100000000
HKR, Parameters\\Sub,, 0x10
HKR, Parameters, Gone, 0x4
[Dev_Reg]
HKR, Ndi, Service, 0, "drv"
[Msi_Reg]
HKR, "Interrupt Management\\MessageSignaledInterruptProperties", MSISupported, 0x00010001, 1
[Strings]
P = "Prov"
Disk = "Disk 1"
Desc = "Network"
START = 3
`;

  it('resolves platform extension, files, destinations, sources, services and AddReg', () => {
    const log = new DiagnosticLog();
    const inf = readDriverInf(parseInf(text, { diagnostics: log, path: 'net/w10/amd64/drv.inf' }));
    const [sel] = selectInstall({ inf, os: WIN10_AMD64 });
    expect(sel?.modelsSection).toBe('M.NTamd64');
    const install = sel!.installs[0]!;
    expect(install.hardwareId).toBe('PCI\\VEN_1AF4&DEV_1041&SUBSYS_11001AF4&REV_01');
    expect(install.compatibleIds).toEqual(['PCI\\VEN_1AF4&DEV_1041']);
    expect(install.description).toBe('Network');
    expect(install.resolvedSection).toBe('Inst.NTamd64');
    expect(install.files).toEqual([
      { name: 'drv.sys', sourceName: 'drv.sys', sourcePath: 'amd64/sub/drv.sys', dirid: 12, guestPath: '/Windows/System32/drivers/drv.sys', flags: 0x4000, section: 'Drv_Files' },
      { name: 'renamed.sys', sourceName: 'drv.sys', sourcePath: 'amd64/sub/drv.sys', dirid: 12, guestPath: '/Windows/System32/drivers/renamed.sys', flags: 0, section: 'Drv_Files' },
      { name: 'helper.dll', sourceName: 'helper.dll', sourcePath: 'helper.dll', dirid: 11, guestPath: '/Windows/System32/helper.dll', flags: 0, section: '@' },
    ]);
    const [drv, filt] = install.services;
    expect(drv).toMatchObject({
      name: 'drv',
      flags: 2,
      functionDriver: true,
      installSection: 'Drv_Service',
      eventLogSection: 'Drv_Log',
      displayName: 'Network',
      serviceType: 1,
      startType: 3,
      errorControl: 1,
      loadOrderGroup: 'NDIS',
      dependencies: ['+Base', 'other'],
      binary: { written: '%12%\\drv.sys', dirid: 12, imagePath: '\\SystemRoot\\System32\\drivers\\drv.sys', guestPath: '/Windows/System32/drivers/drv.sys' },
    });
    expect(filt).toMatchObject({ name: 'filt', flags: 0, functionDriver: false, startType: 0, binary: { imagePath: '\\SystemRoot\\System32\\DriverStore\\FileRepository\\drv.inf_amd64_0000000000000000\\filt.sys' } });
    const reg = Object.fromEntries(drv!.addReg.map((r) => [`${r.subkey}\\${r.valueName ?? ''}`, r]));
    expect(reg['Parameters\\BusType']).toMatchObject({ root: 'HKR', type: 'REG_DWORD', data: 1 });
    expect(reg['Parameters\\Name']).toMatchObject({ type: 'REG_SZ', data: 'a,b' });
    expect(reg['Parameters\\Multi']).toMatchObject({ type: 'REG_MULTI_SZ', data: ['x', 'y'] });
    expect(reg['Parameters\\Path']).toMatchObject({ type: 'REG_EXPAND_SZ', data: '%SystemRoot%\\x' });
    expect(reg['Parameters\\Bin']).toMatchObject({ type: 'REG_BINARY', data: new Uint8Array([1, 10, 255]) });
    expect(reg['Parameters\\Q']).toMatchObject({ type: 'REG_QWORD', data: 0x100000000n });
    expect(reg['Parameters\\Sub\\']).toMatchObject({ keyOnly: true });
    expect(reg['Parameters\\Sub\\']?.type).toBeUndefined();
    expect(reg['Parameters\\Gone']).toMatchObject({ deleteValue: true });
    // The bytes the hive editor writes for each type.
    expect(regEntryValue(reg['Parameters\\BusType']!)).toEqual({ type: 4, data: new Uint8Array([1, 0, 0, 0]) });
    expect(regEntryValue(reg['Parameters\\Multi']!)).toEqual({ type: 7, data: new Uint8Array(Buffer.from('x\0y\0\0', 'utf16le')) });
    expect(regEntryValue(reg['Parameters\\Path']!)).toEqual({ type: 2, data: new Uint8Array(Buffer.from('%SystemRoot%\\x\0', 'utf16le')) });
    expect(regEntryValue(reg['Parameters\\Q']!)).toEqual({ type: 11, data: new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0]) });
    expect(regEntryValue(reg['Parameters\\Sub\\']!)).toBeUndefined();
    expect(install.addReg).toHaveLength(1);
    expect(install.hwAddReg[0]).toMatchObject({ valueName: 'MSISupported', data: 1 });
  });

  it('falls back to .NT for x86 and uses the undecorated SourceDisksNames', () => {
    const inf = readDriverInf(parseInf(text, { path: 'drv.inf' }));
    const [sel] = selectInstall({ inf, os: { major: 6, minor: 1, arch: 'x86', productType: 'workstation' } });
    const install = sel!.installs[0]!;
    expect(install.resolvedSection).toBe('Inst.NT');
    expect(install.include).toEqual(['machine.inf']);
    expect(install.needs).toEqual(['PCI.Services']);
    expect(install.services).toEqual([]); // no Inst.NT.Services section
    expect(install.files.map((f) => `${f.sourcePath}->${f.guestPath}`)).toEqual([
      'x86/sub/drv.sys->/Windows/System32/drivers/drv.sys',
      'x86/sub/drv.sys->/Windows/System32/drivers/renamed.sys',
      'helper.dll->/Windows/System32/helper.dll',
      'store.sys->/Windows/System32/DriverStore/FileRepository/drv.inf_x86_0000000000000000/store.sys',
    ]);
  });
});

function expectedNumber(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined) return undefined;
  if (text.startsWith('(empty')) return 0;
  const after = text.includes(' = ') ? text.slice(text.indexOf(' = ') + 3) : text;
  return parseInfNumber(after.trim().split(/\s+/)[0]);
}

interface Expected {
  Version: { Class: string; ClassGuid: string };
  Manufacturer: { models_section_base: string; target_decorations: string[] };
  models: Record<string, Array<{ desc: string; install: string; hardware_id: string; compatible_ids: string[] }>>;
  AddService: Array<{ name: string; flags: string; install_section: string; ServiceType: string; StartType: string; ErrorControl: string; LoadOrderGroup?: string | null; ServiceBinary: string; eventlog_section?: string; DisplayName?: string }>;
}

describe('corpus driver INFs against their expected JSONs', () => {
  const files: string[] = [];
  for (const vendor of readdirSync(join(CORPUS, 'drivers'))) {
    for (const name of readdirSync(join(CORPUS, 'drivers', vendor))) if (/\.in[fx]$/i.test(name)) files.push(join('drivers', vendor, name));
  }

  it('finds the corpus INFs', () => {
    expect(files.length).toBe(11);
  });

  for (const file of files) {
    it(file, () => {
      const expected = JSON.parse(readFileSync(join(CORPUS, file + '.expected.json'), 'utf8')) as Expected;
      const bytes = readFileSync(join(CORPUS, file));
      // Raw template: the structure exactly as written.
      const raw = readDriverInf(parseInf(bytes, { path: file }));
      expect(raw.version.class).toBe(expected.Version.Class);
      expect(raw.version.classGuid).toBe(expected.Version.ClassGuid);
      expect(raw.manufacturers.map((m) => [m.modelsSection, m.decorations.map((d) => d.text)])).toEqual([[expected.Manufacturer.models_section_base, expected.Manufacturer.target_decorations]]);
      for (const [section, models] of Object.entries(expected.models)) {
        expect(readModels(raw.doc, section).map((m) => [m.description, m.installSection, m.hardwareId, m.compatibleIds])).toEqual(
          models.map((m) => [raw.doc.expand(m.desc), m.install, m.hardware_id, m.compatible_ids]),
        );
      }
      // Stamped as the build does for amd64: the install Windows 10 x64 would run.
      const stamped = readDriverInf(parseInf(stampTemplate(bytes.toString('latin1'), 'amd64'), { path: file }));
      const [selection] = selectInstall({ inf: stamped, os: WIN10_AMD64 });
      expect(selection?.modelsSection.toLowerCase()).toBe(`${expected.Manufacturer.models_section_base}.ntamd64`.toLowerCase());
      const services = new Map(selection!.installs.flatMap((i) => i.services).map((s) => [s.name.toLowerCase(), s]));
      for (const want of expected.AddService) {
        const got = services.get(want.name.toLowerCase());
        expect(got, want.name).toBeDefined();
        expect(got?.installSection).toBe(want.install_section);
        expect(got?.flags).toBe(expectedNumber(want.flags));
        expect(got?.serviceType).toBe(expectedNumber(want.ServiceType));
        expect(got?.startType).toBe(expectedNumber(want.StartType));
        expect(got?.errorControl).toBe(expectedNumber(want.ErrorControl));
        expect(got?.loadOrderGroup).toBe(want.LoadOrderGroup ?? undefined);
        expect(got?.binary?.written).toBe(stampTemplate(want.ServiceBinary, 'amd64'));
        expect(got?.binary?.imagePath).toMatch(/^\\SystemRoot\\System32\\drivers\\[a-z]+\.sys$/i);
        if (want.eventlog_section) expect(got?.eventLogSection).toBe(want.eventlog_section);
        if (want.DisplayName) expect(got?.displayName).toBe(stamped.doc.expand(want.DisplayName));
      }
      for (const install of selection!.installs) {
        for (const f of install.files) expect(f.guestPath, f.name).toMatch(/^\/Windows\/System32(\/drivers)?\/[^/]+$/);
      }
    });
  }

  it('balloon stamped for amd64: the KMDF binding of its .Wdf section', () => {
    const bytes = readFileSync(join(CORPUS, 'drivers/virtio-win/balloon.inx'));
    const inf = readDriverInf(parseInf(stampTemplate(bytes.toString('latin1'), 'amd64'), { path: 'balloon.inf' }));
    const install = selectInstall({ inf, os: WIN10_AMD64 })[0]!.installs[0]!;
    expect(install.resolvedSection).toBe('BALLOON_Device.NT');
    expect(install.wdf).toEqual([{ service: 'BALLOON', section: 'BALLOON_wdfsect', kmdfLibraryVersion: '1.15' }]);
  });

  it('viostor stamped for amd64: the values virt-v2v writes come out of the INF', () => {
    const bytes = readFileSync(join(CORPUS, 'drivers/virtio-win/viostor.inx'));
    const inf = readDriverInf(parseInf(stampTemplate(bytes.toString('latin1'), 'amd64'), { path: 'viostor.inf' }));
    const [sel] = selectInstall({ inf, os: WIN10_AMD64 });
    expect(sel?.installs.map((i) => i.hardwareId)).toEqual(['PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00', 'PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01']);
    const install = sel!.installs[0]!;
    expect(install.files).toEqual([{ name: 'viostor.sys', sourceName: 'viostor.sys', sourcePath: 'viostor.sys', dirid: 12, guestPath: '/Windows/System32/drivers/viostor.sys', flags: 2, section: 'viostor_Files_Driver' }]);
    const svc = install.services[0]!;
    expect(svc).toMatchObject({ name: 'viostor', serviceType: 1, startType: 0, errorControl: 1, loadOrderGroup: 'SCSI miniport', binary: { imagePath: '\\SystemRoot\\System32\\drivers\\viostor.sys' } });
    expect(svc.addReg.map((r) => [r.subkey, r.valueName, r.type, r.data])).toEqual([
      ['Parameters\\PnpInterface', '5', 'REG_DWORD', 1],
      ['Parameters', 'BusType', 'REG_DWORD', 1],
      ['Parameters', 'DmaRemappingCompatible', 'REG_DWORD', 0],
    ]);
    expect(inf.version.catalogFile).toBe('viostor.cat');
    expect(inf.version.provider).toBe('Red Hat, Inc.');
  });
});
