// Builds .reg text for `hivexregedit --merge` from key/value lists (the test SOFTWARE hives),
// emitting every ancestor key (hivexregedit refuses a key whose parent is missing), and a
// product-key encoder (the inverse of the base-24 decoding, used to make a synthetic
// DigitalProductId4 since no real one exists in the corpus).

export type RegValue =
  | { sz: string }
  | { expand: string }
  | { multi: string[] }
  | { dword: number }
  | { hex: string };

export interface RegKey {
  path: string;
  values?: Record<string, RegValue>;
}

const utf16Hex = (text: string): string[] => [...Buffer.from(text, 'utf16le')].map((b) => b.toString(16).padStart(2, '0'));

function encodeValue(value: RegValue): string {
  if ('sz' in value) return `"${value.sz.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if ('dword' in value) return `dword:${value.dword.toString(16).padStart(8, '0')}`;
  if ('expand' in value) return `hex(2):${[...utf16Hex(value.expand), '00', '00'].join(',')}`;
  if ('multi' in value) return `hex(7):${[...value.multi.flatMap((s) => [...utf16Hex(s), '00', '00']), '00', '00'].join(',')}`;
  return `hex:${(value.hex.match(/../g) ?? []).join(',')}`;
}

export function regText(keys: RegKey[]): string {
  const lines = ['Windows Registry Editor Version 5.00', ''];
  const emitted = new Set<string>();
  for (const key of keys) {
    const parts = key.path.split('\\');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('\\');
      if (!emitted.has(parent.toLowerCase())) {
        emitted.add(parent.toLowerCase());
        lines.push(`[\\${parent}]`, '');
      }
    }
    emitted.add(key.path.toLowerCase());
    lines.push(`[\\${key.path}]`);
    for (const [name, value] of Object.entries(key.values ?? {})) lines.push(`${name === '' ? '@' : `"${name}"`}=${encodeValue(value)}`);
    lines.push('');
  }
  return lines.join('\n');
}

const ALPHABET = 'BCDFGHJKMPQRTVWXY2346789';

/** Encodes a 25-character key without 'N' (pre-Windows 8 layout) into 15 bytes. */
export function encodeProductKey(key: string): Uint8Array {
  const digits = key.replace(/-/g, '');
  let n = 0n;
  for (const c of digits) {
    const d = ALPHABET.indexOf(c);
    if (d < 0) throw new Error(`not encodable: ${c}`);
    n = n * 24n + BigInt(d);
  }
  const out = new Uint8Array(15);
  for (let i = 0; i < 15; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** A synthetic DigitalProductId4 with the fields the decoder reads. */
export function makeDigitalProductId4(input: { advancedPid: string; activationId: string; editionType: string; partNumber: string; keyType: string; eulaType: string; key: string }): string {
  const bytes = new Uint8Array(0x4f8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x4f8, true);
  view.setUint32(4, 4, true);
  const put = (offset: number, text: string): void => bytes.set(Buffer.from(text, 'utf16le'), offset);
  put(0x08, input.advancedPid);
  put(0x88, input.activationId);
  put(0x118, input.editionType);
  bytes.set(encodeProductKey(input.key), 0x328);
  put(0x378, input.partNumber);
  put(0x3f8, input.keyType);
  put(0x478, input.eulaType);
  return Buffer.from(bytes).toString('hex');
}
