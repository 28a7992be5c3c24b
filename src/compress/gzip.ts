// gzip (RFC 1952), one member: the header parsed here (FEXTRA, FNAME, FCOMMENT, FHCRC), the
// deflate body inflated by node:zlib with `maxOutputLength` as the bomb bound, and the
// trailer's CRC-32 and ISIZE checked. Node's inflate reports how many input bytes the
// deflate body used (`engine.bytesWritten`), which gives the member's exact length; several
// members back to back are several calls, as the kernel's initramfs loop does.

import * as zlib from 'node:zlib';
import { crc32 as crc32Js } from '../binary/checksum.js';
import { CorruptError } from '../errors.js';
import type { DecompressOptions, DecompressResult } from './types.js';

// zlib's native CRC-32 where Node has it (20.15+), ten times faster than the table loop.
const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
const crc32 = (data: Uint8Array): number => (nativeCrc32 !== undefined ? nativeCrc32(data) >>> 0 : crc32Js(data));

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

export function gunzipMember(data: Uint8Array, options: DecompressOptions): DecompressResult {
  const start = options.start ?? 0;
  const fail = (message: string, at = start, cause?: unknown): CorruptError =>
    new CorruptError(message, { structure: 'gzip member', offset: (options.baseOffset ?? 0) + at }, { cause });
  if (start + 10 > data.length) throw fail('truncated gzip header');
  if (data[start] !== 0x1f || (data[start + 1] !== 0x8b && data[start + 1] !== 0x9e)) throw fail('bad gzip magic');
  if (data[start + 2] !== 8) throw fail(`unknown gzip compression method ${data[start + 2]}`);
  const flags = data[start + 3] as number;
  if (flags & 0xe0) throw fail(`reserved gzip flags set (0x${flags.toString(16)})`);
  let pos = start + 10;
  if (flags & FEXTRA) {
    if (pos + 2 > data.length) throw fail('truncated gzip FEXTRA', pos);
    pos += 2 + ((data[pos] as number) | ((data[pos + 1] as number) << 8));
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    const end = data.indexOf(0, pos);
    if (end < 0) throw fail('unterminated gzip name or comment', pos);
    pos = end + 1;
  }
  if (flags & FHCRC) pos += 2;
  if (pos > data.length) throw fail('truncated gzip header');
  let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    inflated = zlib.inflateRawSync(data.subarray(pos), { info: true, maxOutputLength: Math.max(1, options.maxOutput) }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw fail(`output exceeds the ${options.maxOutput}-byte bound (decompression bomb or wrong bound)`, start, error);
    throw fail(`deflate data: ${(error as Error).message}`, pos, error);
  }
  const output = new Uint8Array(inflated.buffer.buffer, inflated.buffer.byteOffset, inflated.buffer.byteLength);
  if (output.length > options.maxOutput) throw fail(`output exceeds the ${options.maxOutput}-byte bound`);
  const trailer = pos + inflated.engine.bytesWritten;
  if (trailer + 8 > data.length) throw fail('truncated gzip trailer', trailer);
  const view = new DataView(data.buffer, data.byteOffset + trailer, 8);
  const expectedCrc = view.getUint32(0, true);
  const expectedSize = view.getUint32(4, true);
  if (crc32(output) !== expectedCrc) throw fail('gzip CRC-32 mismatch', trailer);
  if ((output.length >>> 0) !== expectedSize) throw fail(`gzip ISIZE ${expectedSize} does not match ${output.length}`, trailer + 4);
  return { output, consumed: trailer + 8 - start };
}
