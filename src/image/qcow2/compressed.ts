// Compressed qcow2 clusters (docs/interop/qcow2.txt, "Compressed Clusters Descriptor" and the
// compression_type header field). zlib images hold raw deflate streams (no zlib header), zstd
// images one zstd frame per cluster. The bytes read for a cluster run to the end of its last
// 512-byte sector, so they may end with the start of the next compressed cluster: deflate stops
// at its end-of-stream on its own, and for zstd we measure the first frame and decode only it
// (fzstd would otherwise decode the neighbour's frame as a second frame).

import { inflateRawSync } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { CorruptError } from '../../errors.js';
import type { CompressionType } from './header.js';

const ZSTD_MAGIC = 0xfd2fb528;
/** The largest zstd window we allocate for one cluster; qemu's frames are far smaller. */
const MAX_ZSTD_WINDOW = 8 * 1024 * 1024;

export interface ZstdFrameInfo {
  /** Bytes the frame occupies. */
  length: number;
  /** Frame_Content_Size when the header records it. */
  contentSize?: number;
  /** Window size the decoder allocates. */
  windowSize: number;
}

/** Measures the zstd frame at the start of `bytes`; undefined when it is malformed or cut short. */
export function zstdFrameInfo(bytes: Uint8Array): ZstdFrameInfo | undefined {
  if (bytes.length < 6) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== ZSTD_MAGIC) return undefined;
  const descriptor = bytes[4] as number;
  const contentSizeFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const hasChecksum = (descriptor >> 2) & 1;
  const dictionaryIdSize = [0, 1, 2, 4][descriptor & 3] as number;
  const contentSizeSize = [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag] as number;
  if (descriptor & 8) return undefined; // reserved bit
  let at = 5 + (singleSegment ? 0 : 1) + dictionaryIdSize;
  if (at + contentSizeSize > bytes.length) return undefined;
  let contentSize: number | undefined;
  if (contentSizeSize > 0) {
    contentSize = 0;
    for (let i = contentSizeSize - 1; i >= 0; i--) contentSize = contentSize * 256 + (bytes[at + i] as number);
    if (contentSizeSize === 2) contentSize += 256;
  }
  at += contentSizeSize;
  let windowSize: number;
  if (singleSegment) windowSize = contentSize ?? 0;
  else {
    const windowDescriptor = bytes[5] as number;
    const base = 2 ** (10 + (windowDescriptor >> 3));
    windowSize = base + (base / 8) * (windowDescriptor & 7);
  }
  // Each block advances at least 3 bytes, so this loop ends within bytes.length / 3 rounds.
  for (;;) {
    if (at + 3 > bytes.length) return undefined;
    const blockHeader = (bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16);
    const last = blockHeader & 1;
    const type = (blockHeader >> 1) & 3;
    const size = blockHeader >>> 3;
    if (type === 3) return undefined;
    at += 3 + (type === 1 ? 1 : size);
    if (last) break;
  }
  at += hasChecksum ? 4 : 0;
  if (at > bytes.length) return undefined;
  return contentSize === undefined ? { length: at, windowSize } : { length: at, contentSize, windowSize };
}

/** Decodes one zstd frame into exactly `clusterSize` bytes, refusing oversized windows and output. */
function zstdCluster(compressed: Uint8Array, clusterSize: number, detail: { structure: string; offset: number }): Uint8Array {
  const frame = zstdFrameInfo(compressed);
  if (frame === undefined) throw new CorruptError('zstd frame is malformed or cut short', detail);
  if (frame.contentSize !== undefined && frame.contentSize !== clusterSize) {
    throw new CorruptError(`zstd frame holds ${frame.contentSize} bytes, not the cluster size ${clusterSize}`, detail);
  }
  if (frame.windowSize > Math.max(MAX_ZSTD_WINDOW, clusterSize)) {
    throw new CorruptError(`zstd window of ${frame.windowSize} bytes is too large`, detail);
  }
  const out = new Uint8Array(clusterSize);
  let produced = 0;
  const decoder = new ZstdDecompress((chunk) => {
    if (produced + chunk.length > clusterSize) throw new CorruptError('zstd frame decodes to more than one cluster', detail);
    out.set(chunk, produced);
    produced += chunk.length;
  });
  decoder.push(compressed.subarray(0, frame.length), true);
  if (produced !== clusterSize) {
    throw new CorruptError(`decompressed to ${produced} bytes instead of the cluster size ${clusterSize}`, detail);
  }
  return out;
}

/** Decompresses one cluster; the result must be exactly `clusterSize` bytes. */
export function decompressCluster(args: {
  compressed: Uint8Array;
  clusterSize: number;
  type: CompressionType;
  /** Host offset of the compressed data, for errors. */
  offset: number;
}): Uint8Array {
  const { compressed, clusterSize, type, offset } = args;
  const detail = { structure: `qcow2 compressed cluster (${type})`, offset };
  let out: Uint8Array;
  try {
    if (type === 'zlib') {
      out = inflateRawSync(compressed, { maxOutputLength: clusterSize });
    } else {
      out = zstdCluster(compressed, clusterSize, detail);
    }
  } catch (error) {
    if (error instanceof CorruptError) throw error;
    throw new CorruptError(`cannot decompress: ${(error as Error).message}`, detail, { cause: error });
  }
  if (out.length !== clusterSize) {
    throw new CorruptError(`decompressed to ${out.length} bytes instead of the cluster size ${clusterSize}`, detail);
  }
  return out;
}
