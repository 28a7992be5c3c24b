// xz (.xz container, one stream) through xz-embedded compiled to WebAssembly, as shipped in
// the `xz-decompress` package. That package only offers an async web ReadableStream and does
// not say how much input a stream used, so we instantiate its WebAssembly module ourselves
// (synchronously) and drive the same four exports it does: create_context, supply_input,
// get_next_output, destroy_context. The context starts with an xz_buf-like block of u32s:
// [0] buffer size, [1] input pointer, [2] in_pos, [3] in_size, [4] output pointer, [5] out_pos.
// The module is built in concatenated-streams mode (it reads on across stream padding into
// a next stream, and ends only when told the input is finished, by supplying zero bytes), so
// the length of one stream is found first, from the container itself: the first 4-byte
// aligned stream footer ("YZ" magic, CRC-32 over backward size and flags, flags equal to the
// header's) whose backward size points at a well-formed index (indicator 0x00, CRC-32).
// xz-embedded then checks the blocks' CRC32/CRC64 and the index against the blocks.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { crc32 } from '../binary/checksum.js';
import { CorruptError, UnsupportedError } from '../errors.js';
import { BoundedOutput } from './output-buffer.js';
import type { DecompressOptions, DecompressResult } from './types.js';

const XZ_OK = 0;
const XZ_STREAM_END = 1;
const XZ_MESSAGES: Record<number, string> = {
  2: 'unsupported check type',
  3: 'decoder out of memory',
  4: 'dictionary too large for the decoder',
  5: 'not xz data (bad magic)',
  6: 'unsupported xz options',
  7: 'corrupt xz data',
  8: 'truncated or stalled xz data',
};

// The DOM/WebAssembly type library is not part of this project's lib setting: the few
// members used are declared here.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface XzExports {
  memory: { buffer: ArrayBuffer };
  create_context(): number;
  destroy_context(ptr: number): void;
  supply_input(ptr: number, length: number): void;
  get_next_output(ptr: number): number;
}

let instance: XzExports | undefined;

function xzModule(): XzExports {
  if (instance !== undefined) return instance;
  // The wasm is embedded in the package's bundle as a base64 data URL.
  const require = createRequire(import.meta.url);
  const bundle = readFileSync(require.resolve('xz-decompress'), 'utf8');
  const match = /data:application\/wasm;base64,([A-Za-z0-9+/=]+)/.exec(bundle);
  if (match === null) throw new UnsupportedError('xz-decompress package layout changed: embedded WebAssembly not found');
  const wasm = Buffer.from(match[1] as string, 'base64');
  const module = new wasmApi.Module(wasm);
  instance = new wasmApi.Instance(module, {}).exports as unknown as XzExports;
  return instance;
}

function u32(data: Uint8Array, at: number): number {
  return ((data[at] as number) | ((data[at + 1] as number) << 8) | ((data[at + 2] as number) << 16) | ((data[at + 3] as number) << 24)) >>> 0;
}

const HEADER_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/** Length of the xz stream at `start` (header, blocks, index, footer), or CorruptError. */
export function xzStreamLength(args: { data: Uint8Array; start: number; baseOffset?: number }): number {
  const { data, start } = args;
  const baseOffset = args.baseOffset ?? 0;
  const fail = (message: string, at: number): CorruptError => new CorruptError(message, { structure: 'xz stream', offset: baseOffset + at });
  if (start + 24 > data.length) throw fail('truncated xz stream', start);
  for (let i = 0; i < 6; i++) if (data[start + i] !== HEADER_MAGIC[i]) throw fail('bad xz magic', start);
  if (crc32(data.subarray(start + 6, start + 8)) !== u32(data, start + 8)) throw fail('xz stream header CRC-32 mismatch', start + 8);
  const flags0 = data[start + 6];
  const flags1 = data[start + 7];
  for (let footer = start + 12; footer + 12 <= data.length; footer += 4) {
    if (data[footer + 10] !== 0x59 || data[footer + 11] !== 0x5a) continue;
    if (data[footer + 8] !== flags0 || data[footer + 9] !== flags1) continue;
    if (crc32(data.subarray(footer + 4, footer + 10)) !== u32(data, footer)) continue;
    const indexSize = (u32(data, footer + 4) + 1) * 4;
    const index = footer - indexSize;
    if (index < start + 12 || data[index] !== 0) continue;
    if (crc32(data.subarray(index, footer - 4)) !== u32(data, footer - 4)) continue;
    return footer + 12 - start;
  }
  throw fail('no xz stream footer found (truncated stream)', start);
}

export function unxz(data: Uint8Array, options: DecompressOptions): DecompressResult {
  const start = options.start ?? 0;
  const offset = (options.baseOffset ?? 0) + start;
  // Found first: a bad container throws before a decoder context exists.
  const end = start + xzStreamLength({ data, start, baseOffset: options.baseOffset ?? 0 });
  const xz = xzModule();
  const ptr = xz.create_context();
  const words = (): Uint32Array => new Uint32Array(xz.memory.buffer, ptr, 6);
  const bufSize = words()[0] as number;
  const inStart = (words()[1] as number) - ptr;
  const outStart = (words()[4] as number) - ptr;
  const out = new BoundedOutput({ maxOutput: options.maxOutput, structure: 'xz stream', offset });
  let fed = start;
  let finished = false;
  try {
    for (let guard = 0; ; guard++) {
      const w = words();
      if ((w[2] as number) === (w[3] as number)) {
        const length = Math.min(bufSize, end - fed);
        if (length === 0) {
          // Zero bytes tell the decoder the input is finished.
          if (finished) throw new CorruptError('truncated xz stream', { structure: 'xz stream', offset: (options.baseOffset ?? 0) + fed });
          finished = true;
        }
        new Uint8Array(xz.memory.buffer, ptr + inStart, length).set(data.subarray(fed, fed + length));
        xz.supply_input(ptr, length);
        fed += length;
      }
      const result = xz.get_next_output(ptr);
      const after = words();
      const produced = after[5] as number;
      out.push(new Uint8Array(xz.memory.buffer, ptr + outStart, produced));
      after[5] = 0;
      if (result === XZ_STREAM_END) {
        return { output: out.result(), consumed: end - start };
      }
      if (result !== XZ_OK) {
        throw new CorruptError(XZ_MESSAGES[result] ?? `xz decoder error ${result}`, {
          structure: 'xz stream',
          offset: (options.baseOffset ?? 0) + fed - ((after[3] as number) - (after[2] as number)),
        });
      }
      // Each round consumes input or produces output; a stall means the decoder is stuck.
      if (guard > 16 + (data.length - start) * 2 + options.maxOutput) throw new CorruptError('xz decoder made no progress', { structure: 'xz stream', offset });
    }
  } catch (error) {
    if (error instanceof CorruptError) throw error;
    // A trap inside the WebAssembly decoder: its memory may be inconsistent, start afresh.
    instance = undefined;
    throw new CorruptError(`xz decoder failed: ${(error as Error).message}`, { structure: 'xz stream', offset }, { cause: error });
  } finally {
    if (instance === xz) xz.destroy_context(ptr);
  }
}
