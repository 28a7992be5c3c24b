// Shared shapes of the decompressors: every one takes the whole input, the absolute offset
// of the stream's first byte (for error messages), and an output bound; it returns the
// decompressed bytes and how many input bytes the stream used, so a caller (the initramfs
// walker) can carry on with what follows, as the kernel's unpack_to_rootfs does.

export type Compression = 'gzip' | 'xz' | 'lzma' | 'zstd' | 'lz4-legacy' | 'bzip2';

export interface DecompressOptions {
  /** Where the stream starts in `data`. */
  start?: number;
  /** Absolute offset of `data[0]` on its device, for error messages. */
  baseOffset?: number;
  /** More output than this is a decompression bomb: CorruptError. */
  maxOutput: number;
}

export interface DecompressResult {
  output: Uint8Array;
  /** Input bytes the stream occupied, from `start`. */
  consumed: number;
}

/** Default output bound: generous for an initramfs (distribution images are 30–300 MiB). */
export const DEFAULT_MAX_OUTPUT = 1024 * 1024 * 1024;
