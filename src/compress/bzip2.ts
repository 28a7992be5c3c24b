// bzip2, one stream per call, decoded by the `seek-bzip` package (micro-bunzip lineage). We
// hand it our own input and output stream objects: the input throws CorruptError at the end
// of the data (the package would otherwise read `undefined` as zero bits) and counts bytes,
// so after the end-of-stream marker and stream CRC we know how much input the stream used;
// the output stream enforces the bound. Block and stream CRCs are checked by the package.

import { createRequire } from 'node:module';
import { CorruptError } from '../errors.js';
import { BoundedOutput } from './output-buffer.js';
import type { DecompressOptions, DecompressResult } from './types.js';

interface ByteStream {
  readByte(): number;
  read(buffer: Uint8Array, offset: number, length: number): number;
  writeByte(byte: number): void;
  write(buffer: Uint8Array, offset: number, length: number): number;
  flush(): void;
  seek(pos: number): void;
}
interface BunzipInstance {
  _init_block(): boolean;
  _read_bunzip(): void;
  reader: { read(bits: number): number };
  streamCRC: number;
}
type BunzipClass = new (input: ByteStream, output: ByteStream) => BunzipInstance;

let bunzip: BunzipClass | undefined;
function bunzipClass(): BunzipClass {
  bunzip ??= createRequire(import.meta.url)('seek-bzip') as BunzipClass;
  return bunzip;
}

export function bunzip2Stream(data: Uint8Array, options: DecompressOptions): DecompressResult {
  const start = options.start ?? 0;
  const offset = (options.baseOffset ?? 0) + start;
  const out = new BoundedOutput({ maxOutput: options.maxOutput, structure: 'bzip2 stream', offset });
  let pos = start;
  let capacity = out.bytes.length;
  const stream: ByteStream = {
    readByte() {
      if (pos >= data.length) throw new CorruptError('truncated bzip2 stream', { structure: 'bzip2 stream', offset: (options.baseOffset ?? 0) + pos });
      return data[pos++] as number;
    },
    read(buffer, at, length) {
      for (let i = 0; i < length; i++) buffer[at + i] = this.readByte();
      return length;
    },
    writeByte(byte) {
      if (out.length >= capacity) {
        out.reserve(1);
        capacity = out.bytes.length;
      }
      out.bytes[out.length++] = byte;
    },
    write(buffer, at, length) {
      out.push(buffer.subarray(at, at + length));
      capacity = out.bytes.length;
      return length;
    },
    flush() {},
    seek() {
      throw new CorruptError('bzip2 decoder asked to seek', { structure: 'bzip2 stream', offset });
    },
  };
  try {
    const Bunzip = bunzipClass();
    const decoder = new Bunzip(stream, stream);
    // Bounded: each block consumes input, and readByte throws at the end of the data.
    for (;;) {
      if (decoder._init_block()) {
        decoder._read_bunzip();
        continue;
      }
      const expected = decoder.reader.read(32) >>> 0;
      if (expected !== decoder.streamCRC >>> 0) {
        throw new CorruptError('bzip2 stream CRC mismatch', { structure: 'bzip2 stream', offset: (options.baseOffset ?? 0) + pos });
      }
      break;
    }
  } catch (error) {
    if (error instanceof CorruptError) throw error;
    throw new CorruptError(`bzip2 data: ${(error as Error).message}`, { structure: 'bzip2 stream', offset }, { cause: error });
  }
  return { output: out.result(), consumed: pos - start };
}
