// Byte builders shared by the Linux facts tests.

/** A minimal x86 kernel image: boot_flag, "HdrS", protocol 2.15, kernel_version → `version` at 0x300. */
export function bzImage(version: string, options: { setupSects?: number } = {}): Uint8Array {
  const image = new Uint8Array(0x1000);
  const view = new DataView(image.buffer);
  image[0x1f1] = options.setupSects ?? 4;
  view.setUint16(0x1fe, 0xaa55, true);
  image.set([0x48, 0x64, 0x72, 0x53], 0x202);
  view.setUint16(0x206, 0x020f, true);
  view.setUint16(0x20e, 0x300 - 0x200, true);
  image.set(new TextEncoder().encode(version), 0x300);
  return image;
}
