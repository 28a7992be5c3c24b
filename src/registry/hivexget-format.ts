// Text forms of values as `hivexget` (hivexsh lsval) prints them, so `rehost reg get` can be
// compared with it. A whole key: one line per value in list order, `"name"=` (default "@")
// then: REG_SZ as a quoted string, EXPAND_SZ/LINK as `str(T):"…"`, DWORD (LE or BE) as
// `dword:%08x`, everything else (QWORD and MULTI_SZ included) as `hex(T):` with T in decimal.
// One value: strings on one line, DWORD/QWORD as signed decimal, MULTI_SZ one string per
// line, anything else as the raw bytes. Strings stop at the first UTF-16 NUL; text is UTF-8.

import { CorruptError } from '../errors.js';
import type { Key, Value } from './key.js';
import { REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_EXPAND_SZ, REG_LINK, REG_MULTI_SZ, REG_QWORD, REG_SZ, decodeRegString } from './value-types.js';

const encoder = new TextEncoder();

function quote(text: string): string {
  return text.replace(/["\\]/g, (c) => `\\${c}`);
}

function dwordOf(value: Value): number {
  const data = value.data;
  if (data.length < 4) throw new CorruptError(`DWORD value ${JSON.stringify(value.name)} holds ${data.length} bytes`, { structure: 'vk cell', offset: value.offset });
  const view = new DataView(data.buffer, data.byteOffset, 4);
  return value.type === REG_DWORD ? view.getInt32(0, true) : view.getInt32(0, false);
}

function hex(data: Uint8Array): string {
  let out = '';
  for (let i = 0; i < data.length; i++) out += (i > 0 ? ',' : '') + data[i]!.toString(16).padStart(2, '0');
  return out;
}

/**
 * MULTI_SZ as hivex splits it: every NUL-terminated string counts, empty ones included, and a
 * final unterminated one; an odd trailing byte is ignored. (Windows instead stops at the first
 * empty string; decodeMultiString follows Windows.)
 */
function hivexStrings(data: Uint8Array): string[] {
  const out: string[] = [];
  const end = data.length & ~1;
  let start = 0;
  while (start + 2 <= end) {
    let nul = start;
    while (nul < end && !(data[nul] === 0 && data[nul + 1] === 0)) nul += 2;
    out.push(decodeRegString(data.subarray(start, nul)));
    start = nul + 2;
  }
  return out;
}

/** All values of a key, as `hivexget HIVE KEY` prints them. */
export function formatKeyValues(key: Key): Uint8Array {
  let text = '';
  for (const value of key.values()) {
    const name = value.name;
    text += name === '' ? '"@"=' : `"${quote(name)}"=`;
    const type = value.type;
    if (type === REG_SZ || type === REG_EXPAND_SZ || type === REG_LINK) {
      text += `${type === REG_SZ ? '' : `str(${type}):`}"${quote(decodeRegString(value.data))}"`;
    } else if (type === REG_DWORD || type === REG_DWORD_BIG_ENDIAN) {
      text += `dword:${(dwordOf(value) >>> 0).toString(16).padStart(8, '0')}`;
    } else {
      text += `hex(${type}):${hex(value.data)}`;
    }
    text += '\n';
  }
  return encoder.encode(text);
}

/** One value, as `hivexget HIVE KEY VALUE` prints it. */
export function formatValue(value: Value): Uint8Array {
  const type = value.type;
  if (type === REG_SZ || type === REG_EXPAND_SZ || type === REG_LINK) return encoder.encode(decodeRegString(value.data) + '\n');
  if (type === REG_DWORD || type === REG_DWORD_BIG_ENDIAN) return encoder.encode(`${dwordOf(value)}\n`);
  if (type === REG_QWORD) {
    const data = value.data;
    if (data.length < 8) throw new CorruptError(`QWORD value ${JSON.stringify(value.name)} holds ${data.length} bytes`, { structure: 'vk cell', offset: value.offset });
    return encoder.encode(`${new DataView(data.buffer, data.byteOffset, 8).getBigInt64(0, true)}\n`);
  }
  if (type === REG_MULTI_SZ) return encoder.encode(hivexStrings(value.data).map((s) => s + '\n').join(''));
  return value.data.slice();
}
