// qcow2 header extensions (docs/interop/qcow2.txt, "Header extensions"): after the fixed
// header, a list of {type u32, length u32, data padded to 8 bytes} ending with type 0 or the
// end of the header area (the backing file name, or the end of the first cluster). We read the
// backing file format, the feature name table (to name unknown feature bits in errors) and the
// external data file name; bitmaps, encryption headers and unknown types are skipped.

import { struct, u32be } from '../../binary/struct.js';
import { CorruptError } from '../../errors.js';

export const EXTENSION_HEADER = struct('qcow2 header extension', {
  type: u32be, //   0x00
  length: u32be, // 0x04
}); //              0x08

export const EXTENSION = {
  end: 0x00000000,
  backingFormat: 0xe2792aca,
  featureNameTable: 0x6803f857,
  bitmaps: 0x23852875,
  fullDiskEncryption: 0x0537be77,
  externalDataFile: 0x44415441,
} as const;

/** One entry of the feature name table: 48 bytes. */
export const FEATURE_NAME_ENTRY = 48;
export type FeatureType = 'incompatible' | 'compatible' | 'autoclear';

export interface HeaderExtensions {
  backingFormat?: string;
  externalDataFile?: string;
  /** "incompatible:4" → "extended L2 entries" */
  featureNames: Map<string, string>;
  /** Type codes seen, in order, for `rehost info`. */
  types: number[];
}

const latin1 = new TextDecoder('latin1');

function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return latin1.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * Decodes the extension list in `area` (the header cluster bytes from `start` to `end`,
 * absolute offsets). Bounded by the area: each extension advances at least 8 bytes.
 */
export function decodeExtensions(args: { area: Uint8Array; start: number; end: number }): HeaderExtensions {
  const { area, start, end } = args;
  const out: HeaderExtensions = { featureNames: new Map(), types: [] };
  let at = start;
  while (at + EXTENSION_HEADER.size <= end) {
    const { type, length } = EXTENSION_HEADER.decode(area, { at });
    if (type === EXTENSION.end) break;
    const dataStart = at + EXTENSION_HEADER.size;
    if (dataStart + length > end) {
      throw new CorruptError(`header extension 0x${type.toString(16)} of ${length} bytes overruns the header area`, {
        structure: 'qcow2 header extension',
        offset: at,
      });
    }
    const data = area.subarray(dataStart, dataStart + length);
    out.types.push(type);
    if (type === EXTENSION.backingFormat) out.backingFormat = text(data);
    else if (type === EXTENSION.externalDataFile) out.externalDataFile = text(data);
    else if (type === EXTENSION.featureNameTable) {
      for (let e = 0; e + FEATURE_NAME_ENTRY <= data.length; e += FEATURE_NAME_ENTRY) {
        const kind = (['incompatible', 'compatible', 'autoclear'] as const)[data[e] as number];
        if (kind === undefined) continue;
        out.featureNames.set(`${kind}:${data[e + 1]}`, text(data.subarray(e + 2, e + FEATURE_NAME_ENTRY)));
      }
    }
    at = dataStart + Math.ceil(length / 8) * 8;
  }
  return out;
}
