// Name handling against what Windows wrote: every lh hash and lf hint stored in real hives
// equals ours, and lookups are case-insensitive as in Windows.

import { describe, expect, it } from 'vitest';
import { Hive, lhHash, upcaseName, currentControlSet, decodeMultiString, decodeRegString, encodeMultiString, decodeTyped, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_QWORD, REG_RESOURCE_LIST } from '../../src/registry/index.js';
import { hiveBytes } from './corpus.js';

function checkLists(hive: Hive): { lh: number; lf: number } {
  const counts = { lh: 0, lf: 0 };
  const view = hive.view;
  const leaf = (list: number) => {
    const sig = String.fromCharCode(hive.bytes[list + 4]!, hive.bytes[list + 5]!);
    if (sig !== 'lh' && sig !== 'lf') return;
    for (let i = 0; i < view.getUint16(list + 6, true); i++) {
      const child = view.getUint32(list + 8 + i * 8, true) + 4096;
      const name = hive.keyName(child);
      const stored = view.getUint32(list + 12 + i * 8, true);
      if (sig === 'lh') {
        expect(stored, name).toBe(lhHash(name));
        counts.lh++;
      } else {
        // The lf hint: the first four characters (as bytes), zero padded.
        const hint = [...name.slice(0, 4)].reduce((h, c, j) => h + (c.charCodeAt(0) & 0xff) * 2 ** (8 * j), 0);
        expect(stored, name).toBe(hint);
        counts.lf++;
      }
    }
  };
  const visit = (nk: number, depth: number) => {
    if (depth > 40 || view.getUint32(nk + 4 + 0x14, true) === 0) return;
    const list = view.getUint32(nk + 4 + 0x1c, true) + 4096;
    if (hive.bytes[list + 4] === 0x72) for (let i = 0; i < view.getUint16(list + 6, true); i++) leaf(view.getUint32(list + 8 + i * 4, true) + 4096);
    else leaf(list);
    for (const child of hive.subkeyOffsets(nk)) visit(child, depth + 1);
  };
  visit(hive.rootOffset, 0);
  return counts;
}

describe('names', () => {
  it('lh hashes and lf hints equal the ones Windows stored', () => {
    const win7 = checkLists(new Hive(hiveBytes('registry/system/win7-sp1-x86-vmware/SYSTEM.xz')));
    expect(win7.lh).toBeGreaterThan(10000);
    const xp = checkLists(new Hive(hiveBytes('registry/system/winxp-sp3-x86-iecompatvhd/SYSTEM.xz')));
    expect(xp.lh + xp.lf).toBeGreaterThan(5000);
  });

  it('paths are case-insensitive, the control set comes from Select\\Current', () => {
    const hive = new Hive(hiveBytes('registry/system/win7-sp1-x86-vmware/SYSTEM.xz'));
    expect(hive.open('controlset001\\SERVICES\\disk').name).toBe('Disk');
    expect(hive.open('\\ControlSet001\\Services\\Disk\\').offset).toBe(hive.open('CONTROLSET001\\services\\DISK').offset);
    expect(currentControlSet(hive).name).toBe('ControlSet001');
    expect(hive.open('ControlSet001\\Services\\Disk').value('START').asNumber()).toBe(0);
    expect(upcaseName('äbc')).toBe('ÄBC');
  });

  it('MULTI_SZ and strings with and without terminators', () => {
    expect(decodeMultiString(encodeMultiString(['a', 'bc']))).toEqual(['a', 'bc']);
    expect(decodeMultiString(Uint8Array.of(0x61, 0, 0, 0, 0x62, 0))).toEqual(['a', 'b']);
    expect(decodeMultiString(Uint8Array.of(0, 0))).toEqual([]);
    expect(decodeRegString(Uint8Array.of(0x61, 0, 0x62, 0))).toBe('ab');
    expect(decodeRegString(Uint8Array.of(0x61, 0, 0, 0, 0x62, 0))).toBe('a');
  });

  it('typed values: strings, binary, big data, DWORD big-endian, QWORD', () => {
    const strings = new Hive(hiveBytes('registry/special/yarp-StringValuesHive')).open('key');
    expect(strings.value('').typed()).toEqual({ type: 'string', regType: 1, value: 'test тест' });
    expect(strings.value('1').typed().type).toBe('bytes');
    expect(strings.value('2').typed()).toEqual({ type: 'string', regType: 2, value: 'test тест' });
    expect(strings.value('3').asString()).toBe('test тест ');
    const big = new Hive(hiveBytes('registry/special/yarp-BigDataHive')).root().subkeys().flatMap((k) => k.values()).filter((v) => v.size > 16344);
    expect(big.length).toBeGreaterThan(0);
    for (const value of big) expect(value.data.length).toBe(value.size);
    expect(decodeTyped(REG_DWORD_BIG_ENDIAN, Uint8Array.of(0, 0, 1, 2))).toEqual({ type: 'dword', regType: 5, value: 0x102 });
    expect(decodeTyped(REG_QWORD, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 1))).toEqual({ type: 'qword', regType: 11, value: 0x0100000000000001n });
    expect(decodeTyped(REG_DWORD, Uint8Array.of(1, 2, 3)).type).toBe('bytes');
    expect(decodeTyped(REG_RESOURCE_LIST, Uint8Array.of(1)).type).toBe('bytes');
  });
});
