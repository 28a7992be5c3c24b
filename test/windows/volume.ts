// Builds the test NTFS volume for one case: the corpus SYSTEM hive (+ its logs) decompressed
// into Windows/System32/config, a SOFTWARE hive made by `hivexregedit --merge` (over a copy of
// hivex's minimal hive) from the case's .reg text, and a minimal PE file as System32/cmd.exe;
// then fixtures/scripts/windows-volume.sh (mkntfs + ntfs-3g) makes the volume.

import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, extractCorpus, requireTool, tempDir } from '../helpers/tools.js';
import type { WindowsCase } from './cases.js';
import { regText } from './reg-text.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * A minimal PE image: MZ stub with e_lfanew = 0x40, 'PE\0\0', a COFF header with the machine,
 * and the optional header's Magic (PE32 / PE32+) and Subsystem (console), which is what
 * libmagic (`file`, used by libguestfs for the arch) needs to call it "PE32+ executable
 * (console) x86-64".
 */
export function minimalPe(machine: number): Uint8Array {
  const plus = machine === 0x8664 || machine === 0xaa64;
  const bytes = new Uint8Array(1024);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x4d;
  bytes[1] = 0x5a;
  view.setUint32(0x3c, 0x40, true); // e_lfanew
  view.setUint32(0x40, 0x00004550, true); // 'PE\0\0'
  view.setUint16(0x44, machine, true); // Machine
  view.setUint16(0x46, 1, true); // NumberOfSections
  view.setUint16(0x54, plus ? 0xf0 : 0xe0, true); // SizeOfOptionalHeader
  view.setUint16(0x56, plus ? 0x0022 : 0x0102, true); // Characteristics: EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE / 32BIT_MACHINE
  view.setUint16(0x58, plus ? 0x20b : 0x10b, true); // OptionalHeader.Magic
  view.setUint16(0x58 + 68, 3, true); // Subsystem: WINDOWS_CUI
  return bytes;
}

export function buildSoftwareHive(dir: string, keys: WindowsCase['software']): string {
  requireTool('hivexregedit');
  const hive = join(dir, 'SOFTWARE');
  copyFileSync(join(CORPUS, 'registry/special/hivex-minimal'), hive);
  chmodSync(hive, 0o644);
  const reg = join(dir, 'software.reg');
  writeFileSync(reg, regText(keys));
  execFileSync('hivexregedit', ['--merge', hive, reg], { stdio: ['ignore', 'ignore', 'pipe'] });
  return hive;
}

export function buildWindowsVolume(testCase: WindowsCase, extra: { path: string; bytes: Uint8Array }[] = []): { image: string; dir: string } {
  requireTool('mkntfs');
  requireTool('ntfs-3g');
  const dir = tempDir('rehost-windows-');
  const staging = join(dir, 'staging');
  const config = join(staging, 'Windows', 'System32', 'config');
  mkdirSync(config, { recursive: true });
  extractCorpus(testCase.system, config, 'SYSTEM');
  for (const log of testCase.logs) extractCorpus(log, config, `SYSTEM.${log.split('.').at(-2)}`);
  if (testCase.systemKeys !== undefined) {
    const reg = join(dir, 'system.reg');
    writeFileSync(reg, regText(testCase.systemKeys));
    execFileSync('hivexregedit', ['--merge', join(config, 'SYSTEM'), reg], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  const software = buildSoftwareHive(dir, testCase.software);
  copyFileSync(software, join(config, 'SOFTWARE'));
  const machine = testCase.arch === 'x64' ? 0x8664 : 0x014c;
  writeFileSync(join(staging, 'Windows', 'System32', 'cmd.exe'), minimalPe(machine));
  // One driver file present, so "driver file exists" is seen both true (disk.sys) and false.
  mkdirSync(join(staging, 'Windows', 'System32', 'drivers'));
  writeFileSync(join(staging, 'Windows', 'System32', 'drivers', 'disk.sys'), minimalPe(machine));
  for (const file of extra) {
    mkdirSync(join(staging, file.path, '..'), { recursive: true });
    writeFileSync(join(staging, file.path), file.bytes);
  }
  const image = join(dir, 'windows.img');
  execFileSync('bash', [join(ROOT, 'fixtures/scripts/windows-volume.sh'), image, '64', staging], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { image, dir };
}

/**
 * A whole disk: an MBR (disk signature given, so MountedDevices can match it) with one NTFS
 * partition at 1 MiB holding the case's volume, written with sfdisk and dd.
 */
export function buildWindowsDisk(input: { testCase: WindowsCase; diskSignature: string; extra?: { path: string; bytes: Uint8Array }[] }): { disk: string; dir: string } {
  requireTool('sfdisk');
  const { image, dir } = buildWindowsVolume(input.testCase, input.extra);
  const disk = join(dir, 'disk.img');
  execFileSync('truncate', ['-s', '70M', disk]);
  execFileSync('sfdisk', ['-q', disk], { input: `label: dos\nlabel-id: ${input.diskSignature}\nstart=2048, size=131072, type=7, bootable\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  execFileSync('dd', [`if=${image}`, `of=${disk}`, 'bs=1M', 'seek=1', 'conv=notrunc,sparse', 'status=none']);
  return { disk, dir };
}
