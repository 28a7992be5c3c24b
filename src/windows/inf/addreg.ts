// AddReg lines ("INF AddReg Directive"):
//   reg-root, [subkey], [value-entry-name], [flags], [value] [,value ...]
// The flags decide the registry type: FLG_ADDREG_TYPE_SZ 0x0, _MULTI_SZ 0x10000, _EXPAND_SZ
// 0x20000, _BINARY 0x1, _DWORD 0x10001, _NONE 0x20001, and any other type as (type << 16) | 0x1
// with binary data. FLG_ADDREG_KEYONLY 0x10 creates only the key, FLG_ADDREG_DELVAL 0x4
// deletes the value, FLG_ADDREG_NOCLOBBER 0x2 keeps an existing value, FLG_ADDREG_APPEND 0x8
// appends to a MULTI_SZ. Binary data is one hex byte per field.

import { REG_BINARY, REG_DWORD, REG_EXPAND_SZ, REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_SZ, encodeMultiString, encodeRegString } from '../../registry/value-types.js';
import type { InfDocument } from './document.js';
import { parseInfNumber } from './numbers.js';
import type { InfLine, InfRegEntry, RegType } from './types.js';

export const FLG_ADDREG_BINVALUETYPE = 0x1;
export const FLG_ADDREG_NOCLOBBER = 0x2;
export const FLG_ADDREG_DELVAL = 0x4;
export const FLG_ADDREG_APPEND = 0x8;
export const FLG_ADDREG_KEYONLY = 0x10;

function typeOf(flags: number): { type: RegType; typeNumber: number } {
  const bits = flags & 0xffff0001;
  switch (bits >>> 0) {
    case 0x00000000:
      return { type: 'REG_SZ', typeNumber: REG_SZ };
    case 0x00010000:
      return { type: 'REG_MULTI_SZ', typeNumber: REG_MULTI_SZ };
    case 0x00020000:
      return { type: 'REG_EXPAND_SZ', typeNumber: REG_EXPAND_SZ };
    case 0x00000001:
      return { type: 'REG_BINARY', typeNumber: REG_BINARY };
    case 0x00010001:
      return { type: 'REG_DWORD', typeNumber: REG_DWORD };
    case 0x00020001:
      return { type: 'REG_NONE', typeNumber: REG_NONE };
    default: {
      const custom = flags >>> 16;
      if ((flags & FLG_ADDREG_BINVALUETYPE) !== 0) return custom === REG_QWORD ? { type: 'REG_QWORD', typeNumber: REG_QWORD } : { type: 'REG_TYPE', typeNumber: custom };
      // A string type with unknown high bits: Windows treats it as REG_SZ.
      return { type: 'REG_SZ', typeNumber: REG_SZ };
    }
  }
}

function hexBytes(doc: InfDocument, fields: string[], line: InfLine): Uint8Array {
  const out: number[] = [];
  for (const f of fields) {
    const t = f.trim().replace(/^0x/i, '');
    if (t === '') continue;
    if (!/^[0-9a-f]{1,2}$/i.test(t)) {
      doc.warn('inf-bad-binary', `binary AddReg data "${f}" is not a hex byte`, line);
      continue;
    }
    out.push(parseInt(t, 16));
  }
  return new Uint8Array(out);
}

/** Decodes every line of the named AddReg sections (strings substituted, dirids kept). */
export function readAddReg(doc: InfDocument, sectionNames: string[]): InfRegEntry[] {
  const out: InfRegEntry[] = [];
  for (const name of sectionNames) {
    const section = doc.section(name);
    if (!section) {
      doc.warn('inf-missing-section', `AddReg section [${name}] does not exist`);
      continue;
    }
    for (const line of section.lines) {
      const fields = (line.key !== undefined ? [line.key + '=' + (line.values[0] ?? ''), ...line.values.slice(1)] : line.values).map((v) => doc.expand(v, {}, line));
      const [root = '', subkey = '', valueName, flagText, ...data] = fields;
      const flags = flagText === undefined || flagText.trim() === '' ? 0 : parseInfNumber(flagText);
      if (flags === undefined) {
        doc.warn('inf-bad-flags', `AddReg flags "${flagText}" are not a number`, line);
        continue;
      }
      const keyOnly = (flags & FLG_ADDREG_KEYONLY) !== 0;
      const deleteValue = (flags & FLG_ADDREG_DELVAL) !== 0;
      const entry: InfRegEntry = {
        root: root.toUpperCase(),
        subkey,
        flags,
        keyOnly,
        noClobber: (flags & FLG_ADDREG_NOCLOBBER) !== 0,
        append: (flags & FLG_ADDREG_APPEND) !== 0,
        deleteValue,
        section: section.name,
        line: line.line,
      };
      if (valueName !== undefined && valueName !== '') entry.valueName = valueName;
      if (!keyOnly && !deleteValue) {
        const { type, typeNumber } = typeOf(flags);
        entry.type = type;
        entry.typeNumber = typeNumber;
        if (type === 'REG_SZ' || type === 'REG_EXPAND_SZ') entry.data = data[0] ?? '';
        else if (type === 'REG_MULTI_SZ') entry.data = data;
        else if (type === 'REG_DWORD') {
          if (data.length > 1) {
            // The old form: the DWORD's four bytes as separate hex fields.
            const bytes = hexBytes(doc, data, line);
            entry.data = bytes.length === 4 ? new DataView(bytes.buffer).getUint32(0, true) : bytes;
          } else {
            const n = parseInfNumber(data[0] ?? '0');
            if (n === undefined) doc.warn('inf-bad-dword', `DWORD AddReg value "${data[0]}" is not a number`, line);
            entry.data = (n ?? 0) >>> 0;
          }
        } else if (type === 'REG_QWORD' && data.length === 1 && /^(0x[0-9a-f]+|\d+)$/i.test((data[0] as string).trim())) {
          entry.data = BigInt((data[0] as string).trim());
        } else entry.data = hexBytes(doc, data, line);
      }
      out.push(entry);
    }
  }
  return out;
}

/** The registry type number and value bytes an AddReg entry writes (undefined for key-only or
 *  delete lines), in the form the hive editor's setValue takes. */
export function regEntryValue(entry: InfRegEntry): { type: number; data: Uint8Array } | undefined {
  if (entry.keyOnly || entry.deleteValue || entry.type === undefined || entry.typeNumber === undefined) return undefined;
  const d = entry.data;
  switch (entry.type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return { type: entry.typeNumber, data: encodeRegString(typeof d === 'string' ? d : '') };
    case 'REG_MULTI_SZ':
      return { type: entry.typeNumber, data: encodeMultiString(Array.isArray(d) ? d : []) };
    case 'REG_DWORD': {
      if (d instanceof Uint8Array) return { type: entry.typeNumber, data: d };
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, typeof d === 'number' ? d >>> 0 : 0, true);
      return { type: entry.typeNumber, data: out };
    }
    case 'REG_QWORD':
      if (typeof d === 'bigint') {
        const out = new Uint8Array(8);
        new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, d), true);
        return { type: entry.typeNumber, data: out };
      }
      return { type: entry.typeNumber, data: d instanceof Uint8Array ? d : new Uint8Array(0) };
    default:
      return { type: entry.typeNumber, data: d instanceof Uint8Array ? d : new Uint8Array(0) };
  }
}
