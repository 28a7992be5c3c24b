// Shared by the inject*.test.ts files: a Windows test disk (corpus SYSTEM hive + test SOFTWARE
// hive, test/windows/volume.ts) with placeholder files for the inbox storage drivers the
// hives name (so "driver file exists" holds as on a real install), the virtio-win-shaped
// driver source of drivers-fixtures.ts, and readers that go through independent tools:
// ntfscat (ntfs-3g) for file bytes, hivexregedit --export / hivexget for registry keys.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadCatalog, type Catalog } from '../../src/catalog/index.js';
import { loadRulePacks, type RulePack } from '../../src/rules/index.js';
import { CORPUS, requireTool, run, runBytes } from '../helpers/tools.js';
import { CASES } from './cases.js';
import { writeVirtioTree } from './drivers-fixtures.js';
import { buildWindowsDisk } from './volume.js';

export const INBOX_DRIVERS = ['storvsc', 'storflt', 'vmbus', 'vpci', 'pci', 'stornvme', 'storahci', 'msahci', 'intelide', 'atapi', 'pciide', 'LSI_SAS', 'LSI_SCSI'];

/** The partition's offset and size in the disks buildWindowsDisk makes. */
const PART_START = 1024 * 1024;
const PART_SIZE = 64 * 1024 * 1024;

/** Placeholder files for the inbox storage drivers (System32\\drivers\\<name>.sys). */
export function inboxFiles(): { path: string; bytes: Uint8Array }[] {
  return INBOX_DRIVERS.map((n) => ({ path: `Windows/System32/drivers/${n}.sys`, bytes: new TextEncoder().encode(`inbox ${n}.sys placeholder\n`) }));
}

export function windowsDisk(caseId: string): { disk: string; dir: string } {
  const testCase = CASES.find((c) => c.id === caseId);
  if (!testCase) throw new Error(`no case ${caseId}`);
  return buildWindowsDisk({ testCase, diskSignature: '0x5eed1234', extra: inboxFiles() });
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

/** The NTFS partition of a raw disk image, copied out for the ntfs-3g tools. */
export function partitionOf(image: string, out: string): string {
  execFileSync('dd', [`if=${image}`, `of=${out}`, 'bs=1M', `skip=${PART_START / 1048576}`, `count=${PART_SIZE / 1048576}`, 'conv=sparse', 'status=none']);
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
