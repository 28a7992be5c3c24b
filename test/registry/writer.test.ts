// The writer, checked by the trusted readers: a scripted batch of edits on each real SYSTEM
// hive (create a service key with five values, set a 20 KB binary value, delete a key with
// subkeys, change a DWORD) must read back through hivexregedit, reglookup and regfinfo with
// exactly the intended differences and nothing else; repeating the batch changes nothing; the
// file grows only when no free cell could hold the edits.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { DiagnosticLog } from '../../src/diagnostics.js';
import { Hive, HiveEditor, currentControlSetName, loadHive, exportReg, REG_BINARY, REG_MULTI_SZ, REG_SZ, lhHash } from '../../src/registry/index.js';
import { readCorpus, requireTool, run, tempDir } from '../helpers/tools.js';
import { hiveBytes, oracleExport } from './corpus.js';

const NOW = 133000000000000000n; // 2022-06-18 04:26:40 UTC
const BLOB = Uint8Array.from({ length: 20 * 1024 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

function openForWriting(relative: string): Hive {
  if (relative.includes('dell-dirty')) {
    return loadHive({ primary: hiveBytes(relative), logs: ['SYSTEM.LOG1.xz', 'SYSTEM.LOG2.xz'].map((n) => ({ label: n, bytes: readCorpus(`registry/system/win10-x64-dell-dirty/${n}`) })) }).hive;
  }
  return new Hive(hiveBytes(relative), { diagnostics: new DiagnosticLog() });
}

function batch(hive: Hive, cs: string): { bytes: Uint8Array; editor: HiveEditor } {
  const editor = new HiveEditor(hive, { now: () => NOW });
  const service = `${cs}\\Services\\rehosttest`;
  editor.createKey(service);
  editor.setDword(service, 'Start', 3);
  editor.setDword(service, 'Type', 1);
  editor.setDword(service, 'ErrorControl', 1);
  editor.setExpandString(service, 'ImagePath', 'System32\\drivers\\rehosttest.sys');
  editor.setMultiString(service, 'DependOnService', ['PnP', 'Disk']);
  editor.setBinary(service, 'Blob', BLOB);
  editor.deleteKey(`${cs}\\Services\\Tcpip`);
  editor.setDword(`${cs}\\Services\\Disk`, 'Start', 1);
  return { bytes: editor.commit(), editor };
}

/** A .reg export as path → value lines. */
function parseReg(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter((l) => l.length > 0);
    if (lines.length === 0 || !lines[0]!.startsWith('[')) continue;
    keys.set(lines[0]!.slice(1, -1).toLowerCase(), lines.slice(1));
  }
  return keys;
}

const serialise = (keys: Map<string, string[]>) => [...keys.keys()].sort().map((k) => `${k}\n${keys.get(k)!.join('\n')}`).join('\n\n');
const hex = (data: Uint8Array) => Array.from(data, (b) => b.toString(16).padStart(2, '0')).join(',');
const utf16z = (s: string) => Uint8Array.from([...s].flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8]).concat([0, 0]));

function maxFreeCell(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = 4096 + view.getUint32(0x28, true);
  let max = 0;
  for (let bin = 4096; bin < end; bin += view.getUint32(bin + 8, true)) {
    for (let cell = bin + 32; cell < bin + view.getUint32(bin + 8, true); ) {
      const size = view.getInt32(cell, true);
      if (size > 0) max = Math.max(max, size);
      cell += Math.abs(size);
    }
  }
  return max;
}

describe('writer batch on real SYSTEM hives, read back by hivex, reglookup and regfinfo', () => {
  for (const relative of ['registry/system/winxp-sp3-x86-iecompatvhd/SYSTEM.xz', 'registry/system/win7-sp1-x86-vmware/SYSTEM.xz', 'registry/system/win10-x64-dell-dirty/SYSTEM.xz']) {
    it(relative, () => {
      requireTool('hivexregedit');
      requireTool('reglookup');
      requireTool('regfinfo');
      const hive = openForWriting(relative);
      const cs = currentControlSetName(hive)!;
      const tcpip = hive.open(`${cs}\\Services\\Tcpip`);
      expect(tcpip.subkeys().length).toBeGreaterThan(0);
      const { bytes, editor } = batch(hive, cs);
      expect(editor.stats.keysCreated).toBe(1);
      expect(editor.stats.keysDeleted).toBeGreaterThan(1);

      // Growth only when no free cell could hold the largest cell we needed (a 16 KiB segment).
      if (bytes.length > hive.bytes.length) expect(maxFreeCell(hive.bytes)).toBeLessThan(16352);
      else expect(bytes.length).toBe(hive.bytes.length);

      // Repeating the batch on the result changes nothing.
      const again = batch(new Hive(bytes), cs);
      expect(Buffer.from(again.bytes).equals(Buffer.from(bytes))).toBe(true);

      const dir = tempDir();
      const beforePath = join(dir, 'before');
      const afterPath = join(dir, 'after');
      writeFileSync(beforePath, hive.bytes);
      writeFileSync(afterPath, bytes);

      // hivexregedit: exactly the intended differences.
      // The corpus oracle is hivexregedit's export of a clean hive; the replayed Dell hive needs a run.
      const oracle = relative.includes('dell-dirty') ? undefined : oracleExport(relative);
      const before = parseReg(oracle !== undefined ? Buffer.from(oracle).toString('latin1') : run('hivexregedit', ['--export', beforePath, '\\']));
      const afterText = execFileSync('hivexregedit', ['--export', afterPath, '\\'], { maxBuffer: 1 << 30 });
      const after = parseReg(afterText.toString('latin1'));
      const servicesPath = `\\${cs}\\Services`.toLowerCase();
      const tcpipPath = `${servicesPath}\\tcpip`;
      const expected = new Map(before);
      for (const path of [...expected.keys()]) if (path === tcpipPath || path.startsWith(`${tcpipPath}\\`)) expected.delete(path);
      const disk = [...(expected.get(`${servicesPath}\\disk`) ?? [])];
      const startAt = disk.findIndex((l) => l.startsWith('"Start"='));
      disk[startAt] = '"Start"=dword:00000001';
      expected.set(`${servicesPath}\\disk`, disk);
      expected.set(`${servicesPath}\\rehosttest`, [
        `"Blob"=hex(3):${hex(BLOB)}`,
        `"DependOnService"=hex(7):${hex(Uint8Array.from([...utf16z('PnP'), ...utf16z('Disk'), 0, 0]))}`,
        '"ErrorControl"=dword:00000001',
        `"ImagePath"=hex(2):${hex(utf16z('System32\\drivers\\rehosttest.sys'))}`,
        '"Start"=dword:00000003',
        '"Type"=dword:00000001',
      ]);
      if (serialise(after) !== serialise(expected)) {
        expect([...after.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [path, lines] of expected) expect(after.get(path), path).toEqual(lines);
      }
      // And hivex reads our bytes exactly as we do.
      expect(Buffer.from(exportReg(new Hive(bytes))).equals(afterText)).toBe(true);

      // reglookup: the same, plus last-written times only on the keys we touched.
      const lookup = (path: string) => new Set(spawnSync('reglookup', [path], { encoding: 'latin1', maxBuffer: 1 << 30 }).stdout.split('\n'));
      const rlBefore = lookup(beforePath);
      const rlAfter = lookup(afterPath);
      const removed = [...rlBefore].filter((l) => !rlAfter.has(l));
      const added = [...rlAfter].filter((l) => !rlBefore.has(l));
      const csLower = `/${cs}/services/`.toLowerCase();
      for (const line of removed) {
        const path = line.split(',')[0]!.toLowerCase();
        expect(path.startsWith(`${csLower}tcpip`) || path === csLower.slice(0, -1) || path === `${csLower}disk` || path === `${csLower}disk/start`, line).toBe(true);
      }
      const addedPaths = added.map((l) => l.split(',')[0]!.toLowerCase()).sort();
      expect(addedPaths).toEqual([csLower.slice(0, -1), `${csLower}disk`, `${csLower}disk/start`, `${csLower}rehosttest`, ...['blob', 'dependonservice', 'errorcontrol', 'imagepath', 'start', 'type'].map((v) => `${csLower}rehosttest/${v}`)].sort());
      expect(added.find((l) => l.toLowerCase().startsWith(`${csLower}disk/start,`))).toMatch(/,DWORD,0x00000001,/);
      expect(added.find((l) => l.toLowerCase().startsWith(`${csLower}rehosttest,`))).toMatch(/,KEY,,2022-06-18 04:26:40$/);

      // regfinfo (libregf) opens the result and walks the new key.
      const info = spawnSync('regfinfo', [afterPath], { encoding: 'latin1', maxBuffer: 1 << 30 });
      expect(info.status, info.stderr).toBe(0);
      expect(info.stdout).toContain('(key:) rehosttest');
      expect(info.stderr).not.toMatch(/unable/i);
    });
  }
});

describe('writer details', () => {
  it('a small edit reuses free space: the file does not grow', () => {
    const hive = new Hive(hiveBytes('registry/system/win7-sp1-x86-vmware/SYSTEM.xz'));
    const editor = new HiveEditor(hive, { now: () => NOW });
    // A key with few siblings: its parent's rewritten subkey list is small too.
    editor.createKey('ControlSet001\\Services\\Disk\\small');
    editor.setString('ControlSet001\\Services\\Disk\\small', 'Description', 'fits in a free cell');
    const bytes = editor.commit();
    expect(bytes.length).toBe(hive.bytes.length);
    expect(editor.stats.grownBy).toBe(0);
    const reread = new Hive(bytes);
    expect(reread.header.primarySequence).toBe(reread.header.secondarySequence);
    expect(reread.header.primarySequence).toBe(hive.header.primarySequence + 1);
    expect(reread.header.checksumValid).toBe(true);
    expect(reread.open('controlset001\\services\\disk\\SMALL').value('description').asString()).toBe('fits in a free cell');
  });

  it('keeps long subkey lists as ri over sorted lh leaves with correct hashes', () => {
    requireTool('hivexregedit');
    const hive = new Hive(hiveBytes('registry/special/yarp-ManySubkeysHive'));
    const parent = hive.open('key_with_many_subkeys');
    expect(parent.subkeys().length).toBeGreaterThanOrEqual(5000);
    const editor = new HiveEditor(hive, { now: () => NOW });
    editor.createKey(`${parent.name}\\0000-new`);
    editor.deleteKey(`${parent.name}\\${parent.subkeys()[10]!.name}`);
    const bytes = editor.commit();
    const reread = new Hive(bytes);
    const view = reread.view;
    const nk = reread.open(parent.name).offset;
    const list = view.getUint32(nk + 4 + 0x1c, true) + 4096;
    expect(String.fromCharCode(reread.bytes[list + 4]!, reread.bytes[list + 5]!)).toBe('ri');
    const names: string[] = [];
    for (let i = 0; i < view.getUint16(list + 6, true); i++) {
      const leaf = view.getUint32(list + 8 + i * 4, true) + 4096;
      for (let j = 0; j < view.getUint16(leaf + 6, true); j++) {
        const child = view.getUint32(leaf + 8 + j * 8, true) + 4096;
        const name = reread.keyName(child);
        if (String.fromCharCode(reread.bytes[leaf + 4]!, reread.bytes[leaf + 5]!) === 'lh') expect(view.getUint32(leaf + 12 + j * 8, true)).toBe(lhHash(name));
        names.push(name.toUpperCase());
      }
    }
    expect(names).toEqual([...names].sort());
    expect(names.length).toBe(parent.subkeys().length);
    const dir = tempDir();
    writeFileSync(join(dir, 'h'), bytes);
    expect(Buffer.from(exportReg(reread)).equals(Buffer.from(run('hivexregedit', ['--export', join(dir, 'h'), '\\']), 'latin1'))).toBe(true);
  });

  it('sets, replaces and deletes values of every storage form; sk reference counts follow keys', () => {
    const hive = new Hive(hiveBytes('registry/special/yarp-BigDataHive'));
    const editor = new HiveEditor(hive, { now: () => NOW });
    editor.createKey('A\\B\\C');
    const sk = editor.hive.open('A\\B\\C').security()!;
    const parentSk = hive.root().security()!;
    expect(sk.offset).toBe(parentSk.offset);
    expect(sk.referenceCount).toBe(parentSk.referenceCount + 3);
    editor.setValue({ key: 'A', name: 'tiny', type: REG_BINARY, data: Uint8Array.of(1, 2, 3) });
    editor.setValue({ key: 'A', name: 'big', type: REG_BINARY, data: new Uint8Array(40000).fill(7) });
    editor.setValue({ key: 'A', name: 'big', type: REG_BINARY, data: new Uint8Array(30000).fill(9) });
    editor.setMultiString('A', 'multi', ['x', 'yz']);
    editor.setValue({ key: 'A', name: 'текст', type: REG_SZ, data: Uint8Array.of(0x41, 0, 0, 0) });
    expect(editor.deleteValue('A', 'tiny')).toBe(true);
    expect(editor.deleteValue('A', 'tiny')).toBe(false);
    const a = editor.hive.open('A');
    expect(a.value('big').data).toEqual(new Uint8Array(30000).fill(9));
    expect(a.value('MULTI').asStrings()).toEqual(['x', 'yz']);
    expect(a.value('ТЕКСТ').typed()).toEqual({ type: 'string', regType: REG_SZ, value: 'A' });
    expect(a.findValue('tiny')).toBeUndefined();
    expect(a.value('multi').type).toBe(REG_MULTI_SZ);
    expect(editor.deleteKey('A')).toBe(true);
    expect(editor.hive.root().security()!.referenceCount).toBe(parentSk.referenceCount);
    const reread = new Hive(editor.commit());
    expect(reread.find('A')).toBeUndefined();
  });
});
