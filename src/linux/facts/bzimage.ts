// The version string an x86 kernel image carries in its real-mode setup header
// (Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header"): boot_flag 0xAA55 at
// 0x1FE, header magic "HdrS" at 0x202, protocol version at 0x206, and kernel_version at
// 0x20E: a u16 pointer to a NUL-terminated string, relative to 0x200 ("set to 0x200 less
// than the actual offset"). The string reads e.g. "6.1.0-18-amd64 (debian-kernel@lists…) #1 SMP…";
// its first word is the release `uname -r` prints. Non-x86 images (arm64 Image, zImage) have
// no such header; they answer undefined, not an error.

import { CorruptError } from '../../errors.js';
import { struct, u16le, u32le, u8, bytes } from '../../binary/index.js';

/** The fixed part of the setup header we read (offsets absolute within the image). */
export const SETUP_HEADER = struct('x86 setup header', {
  setup_sects: u8, //           0x1F1
  root_flags: u16le, //         0x1F2
  syssize: u32le, //            0x1F4
  ram_size: u16le, //           0x1F8
  vid_mode: u16le, //           0x1FA
  root_dev: u16le, //           0x1FC
  boot_flag: u16le, //          0x1FE  0xAA55
  jump: u16le, //               0x200
  header: bytes(4), //          0x202  "HdrS"
  version: u16le, //            0x206  boot protocol
  realmode_swtch: u32le, //     0x208
  start_sys_seg: u16le, //      0x20C
  kernel_version: u16le, //     0x20E  pointer - 0x200
});

export interface BzImageInfo {
  protocol: string;
  /** The whole version string. */
  versionString?: string;
  /** Its first word (the kernel release). */
  release?: string;
}

const HDRS = [0x48, 0x64, 0x72, 0x53];

/** Undefined when the image has no x86 setup header; CorruptError when the header lies. */
export function readBzImageVersion(image: Uint8Array): BzImageInfo | undefined {
  if (image.length < 0x210) return undefined;
  const header = SETUP_HEADER.decode(image, { at: 0x1f1 });
  if (header.boot_flag !== 0xaa55 || !HDRS.every((b, i) => header.header[i] === b)) return undefined;
  const info: BzImageInfo = { protocol: `${header.version >> 8}.${(header.version & 0xff).toString().padStart(2, '0')}` };
  if (header.version < 0x200 || header.kernel_version === 0) return info;
  const start = header.kernel_version + 0x200;
  // The string lives in the setup sectors; setup_sects 0 means 4 (boot.rst).
  const setupEnd = ((header.setup_sects === 0 ? 4 : header.setup_sects) + 1) * 512;
  if (start >= Math.min(image.length, setupEnd)) {
    throw new CorruptError(`kernel_version pointer 0x${start.toString(16)} is outside the setup code`, { structure: 'x86 setup header kernel_version', offset: 0x20e });
  }
  let end = start;
  const limit = Math.min(image.length, setupEnd, start + 512);
  while (end < limit && image[end] !== 0) end++;
  if (end === limit) throw new CorruptError('kernel_version string is not NUL-terminated', { structure: 'x86 setup header kernel_version', offset: start });
  const versionString = new TextDecoder('latin1').decode(image.subarray(start, end));
  info.versionString = versionString;
  const release = versionString.split(' ')[0];
  if (release !== undefined && release !== '') info.release = release;
  return info;
}
