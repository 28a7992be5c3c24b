// Shared by the inject*.test.ts files: a Windows test disk (corpus SYSTEM hive + test SOFTWARE
// hive, test/windows/volume.ts) with placeholder files for the inbox storage drivers the
// hives name (so "driver file exists" holds as on a real install), the virtio-win-shaped
// driver source of drivers-fixtures.ts, and readers that go through independent tools:
// ntfscat (ntfs-3g) for file bytes, hivexregedit --export / hivexget for registry keys.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog, type Catalog } from '../../src/catalog/index.js';
import { loadRulePacks, type RulePack } from '../../src/rules/index.js';
import { CORPUS, extractCorpus, requireTool, run, runBytes } from '../helpers/tools.js';
import { CASES } from './cases.js';
import { writeVirtioTree } from './drivers-fixtures.js';
import { regText, type RegKey } from './reg-text.js';
import { buildWindowsDisk, buildWindowsVolume, minimalPe } from './volume.js';

export const INBOX_DRIVERS = ['storvsc', 'storflt', 'vmbus', 'vpci', 'pci', 'stornvme', 'storahci', 'msahci', 'intelide', 'atapi', 'pciide', 'LSI_SAS', 'LSI_SCSI'];

/** The partition's offset and size in the disks buildWindowsDisk makes. */
const PART_START = 1024 * 1024;
const PART_SIZE = 64 * 1024 * 1024;

/** The network drivers' files the corpus hives' ImagePaths name (netvsc, e1i65x64 / e1iexpress, E1G60). */
export const INBOX_NET_FILES = ['netvsc.sys', 'e1i65x64.sys', 'e1i63x64.sys', 'E1G60I32.sys'];

/** Placeholder files for the inbox storage and network drivers (System32\\drivers), as on a real install. */
export function inboxFiles(): { path: string; bytes: Uint8Array }[] {
  return [...INBOX_DRIVERS.map((n) => `${n}.sys`), ...INBOX_NET_FILES].map((file) => ({ path: `Windows/System32/drivers/${file}`, bytes: new TextEncoder().encode(`inbox ${file} placeholder\n`) }));
}

export function windowsDisk(caseId: string, systemKeys?: RegKey[]): { disk: string; dir: string } {
  const testCase = CASES.find((c) => c.id === caseId);
  if (!testCase) throw new Error(`no case ${caseId}`);
  return buildWindowsDisk({ testCase: { ...testCase, ...(systemKeys !== undefined ? { systemKeys } : {}) }, diskSignature: '0x5eed1234', extra: inboxFiles() });
}

/** A corpus file that is xz-compressed, decompressed (xz -dc). */
export function readCorpusXz(relative: string): Buffer {
  return execFileSync('xz', ['-dc', join(CORPUS, relative)], { maxBuffer: 256 * 1024 * 1024 });
}

export function virtioSource(dir: string): string {
  const root = join(dir, 'virtio-win');
  writeVirtioTree(root);
  return root;
}

let loaded: Promise<{ catalog: Catalog; packs: RulePack[] }> | undefined;
export function rulesAndCatalog(): Promise<{ catalog: Catalog; packs: RulePack[] }> {
  loaded ??= (async () => ({ catalog: await loadCatalog({ extraDirs: [] }), packs: await loadRulePacks({ dirs: [] }) }))();
  return loaded;
}

/** The NTFS partition of a raw disk image, copied out for the ntfs-3g tools (at 1 MiB, or `start` bytes). */
export function partitionOf(image: string, out: string, start: number = PART_START): string {
  execFileSync('dd', [`if=${image}`, `of=${out}`, 'bs=1M', `skip=${start / 1048576}`, `count=${PART_SIZE / 1048576}`, 'conv=sparse', 'status=none']);
  return out;
}

export function ntfscat(partition: string, path: string): Buffer {
  requireTool('ntfscat');
  return runBytes('ntfscat', [partition, path]);
}

/** A hive file read out of the partition by ntfs-3g. */
export function hiveOut(partition: string, name: string, out: string): string {
  execFileSync('bash', ['-c', `ntfscat "$1" "$2" > "$3"`, 'x', partition, `/Windows/System32/config/${name}`, out]);
  return out;
}

/** hivexregedit --export of one key (and its subkeys), without the header line. */
export function regExport(hive: string, key: string): string {
  requireTool('hivexregedit');
  return run('hivexregedit', ['--export', hive, key]).replace(/^Windows Registry Editor Version 5\.00\r?\n\r?\n/, '').replace(/\r\n/g, '\n');
}

/** hivexget of a key's value, or undefined when hivexget says the key or value is absent. */
export function hivexget(hive: string, key: string, value?: string): string | undefined {
  requireTool('hivexget');
  try {
    return execFileSync('hivexget', value === undefined ? [hive, key] : [hive, key, value], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\n$/, '');
  } catch {
    return undefined;
  }
}

/** A whole hive as hivexregedit --export prints it: key path (lower-cased) → its value lines. */
export function exportKeys(hive: string): Map<string, string> {
  requireTool('hivexregedit');
  const text = execFileSync('hivexregedit', ['--export', hive, '\\'], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const out = new Map<string, string>();
  let key: string | undefined;
  let lines: string[] = [];
  const flush = (): void => {
    if (key !== undefined) out.set(key.toLowerCase(), lines.join('\n'));
  };
  for (const line of text.split(/\r?\n/)) {
    const m = /^\[(.*)\]$/.exec(line);
    if (m) {
      flush();
      key = m[1] as string;
      lines = [];
    } else if (line !== '' && key !== undefined) lines.push(line);
  }
  flush();
  return out;
}

/** Keys added, removed or with different values between two exports (lower-cased paths, sorted). */
export function keyDiff(before: Map<string, string>, after: Map<string, string>): { added: string[]; removed: string[]; changed: string[] } {
  const added = [...after.keys()].filter((k) => !before.has(k)).sort();
  const removed = [...before.keys()].filter((k) => !after.has(k)).sort();
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)).sort();
  return { added, removed, changed };
}

/** Where uefiWindowsDisk puts its partitions (bytes). */
export const UEFI_ESP_START = 1024 * 1024;
export const UEFI_ESP_SIZE = 36 * 1024 * 1024;
export const UEFI_OS_START = UEFI_ESP_START + UEFI_ESP_SIZE;

/** The real Windows 10 UEFI BCD store (regipy's) with graphicsmodedisabled set on its default entry, merged by hivexregedit. */
export const UEFI_BCD_ENTRY = '{733b62e5-f608-11eb-825c-c112f60133ab}';

/**
 * A GPT disk as a UEFI Windows has it: a FAT32 ESP (mkfs.fat + mtools) holding
 * \EFI\Microsoft\Boot\{bootmgfw.efi, BCD} and an older \EFI\Boot\BOOTX64.EFI (another loader's
 * bytes, as after an OS that replaced it), then the case's NTFS volume.
 */
export function uefiWindowsDisk(caseId: string): { disk: string; dir: string; bootmgfw: Buffer } {
  for (const tool of ['mkfs.fat', 'mcopy', 'mmd', 'sfdisk', 'hivexregedit']) requireTool(tool);
  const testCase = CASES.find((c) => c.id === caseId);
  if (!testCase) throw new Error(`no case ${caseId}`);
  const { image, dir } = buildWindowsVolume(testCase, inboxFiles());
  const bcd = extractCorpus('registry/bcd/regipy-BCD.xz', dir, 'BCD');
  writeFileSync(join(dir, 'bcd.reg'), regText([{ path: `Objects\\${UEFI_BCD_ENTRY}\\Elements\\16000046`, values: { Element: { hex: '01' } } }]));
  execFileSync('hivexregedit', ['--merge', bcd, join(dir, 'bcd.reg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const bootmgfw = Buffer.from(minimalPe(0x8664));
  bootmgfw.write('bootmgfw.efi (test)', 0x200, 'latin1');
  writeFileSync(join(dir, 'bootmgfw.efi'), bootmgfw);
  const old = Buffer.from(minimalPe(0x8664));
  old.write('an older fallback loader', 0x200, 'latin1');
  writeFileSync(join(dir, 'old-bootx64.efi'), old);
  const esp = join(dir, 'esp.img');
  execFileSync('mkfs.fat', ['-F', '32', '-n', 'SYSTEM', '-C', esp, String(UEFI_ESP_SIZE / 1024)], { stdio: ['ignore', 'ignore', 'pipe'] });
  for (const d of ['::/EFI', '::/EFI/Microsoft', '::/EFI/Microsoft/Boot', '::/EFI/Boot']) execFileSync('mmd', ['-i', esp, d]);
  execFileSync('mcopy', ['-i', esp, join(dir, 'bootmgfw.efi'), '::/EFI/Microsoft/Boot/bootmgfw.efi']);
  execFileSync('mcopy', ['-i', esp, bcd, '::/EFI/Microsoft/Boot/BCD']);
  execFileSync('mcopy', ['-i', esp, join(dir, 'old-bootx64.efi'), '::/EFI/Boot/BOOTX64.EFI']);
  const disk = join(dir, 'uefi-disk.img');
  const osSectors = (64 * 1024 * 1024) / 512;
  execFileSync('truncate', ['-s', String(UEFI_OS_START + 64 * 1024 * 1024 + 1024 * 1024), disk]);
  execFileSync('sfdisk', ['-q', disk], {
    input: `label: gpt\nstart=${UEFI_ESP_START / 512}, size=${UEFI_ESP_SIZE / 512}, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\nstart=${UEFI_OS_START / 512}, size=${osSectors}, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n`,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  execFileSync('dd', [`if=${esp}`, `of=${disk}`, 'bs=1M', `seek=${UEFI_ESP_START / 1048576}`, 'conv=notrunc,sparse', 'status=none']);
  execFileSync('dd', [`if=${image}`, `of=${disk}`, 'bs=1M', `seek=${UEFI_OS_START / 1048576}`, 'conv=notrunc,sparse', 'status=none']);
  return { disk, dir, bootmgfw };
}
