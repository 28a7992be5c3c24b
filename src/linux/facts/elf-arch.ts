// The architecture of an ELF binary from its identification bytes and e_machine (System V
// gABI, "ELF Header"): e_ident[EI_CLASS] at 4 (1 = 32-bit, 2 = 64-bit), e_ident[EI_DATA]
// at 5 (1 = little, 2 = big endian), e_machine at 0x12 in that byte order. Names follow
// libguestfs/uname: x86_64, i386, aarch64, armv7l, ppc64le, s390x, riscv64…

import { CorruptError } from '../../errors.js';

const EM: Record<number, { 32?: string; 64?: string; any?: string }> = {
  3: { any: 'i386' },
  8: { 32: 'mips', 64: 'mips64' },
  20: { any: 'ppc' },
  21: { any: 'ppc64' },
  22: { 32: 's390', 64: 's390x' },
  40: { any: 'armv7l' },
  43: { any: 'sparc64' },
  50: { any: 'ia64' },
  62: { any: 'x86_64' },
  183: { any: 'aarch64' },
  243: { 32: 'riscv32', 64: 'riscv64' },
  258: { any: 'loongarch64' },
};

export interface ElfIdentity {
  arch: string;
  bits: 32 | 64;
  endian: 'little' | 'big';
  machine: number;
}

/** Decodes an ELF header's identity; throws CorruptError for anything that is not ELF. */
export function elfIdentity(header: Uint8Array): ElfIdentity {
  if (header.length < 0x14) throw new CorruptError('ELF header truncated', { structure: 'ELF header', offset: 0 });
  if (header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) {
    throw new CorruptError('not an ELF file (bad magic)', { structure: 'ELF e_ident', offset: 0 });
  }
  const elfClass = header[4];
  const data = header[5];
  if (elfClass !== 1 && elfClass !== 2) throw new CorruptError(`bad EI_CLASS ${elfClass}`, { structure: 'ELF e_ident', offset: 4 });
  if (data !== 1 && data !== 2) throw new CorruptError(`bad EI_DATA ${data}`, { structure: 'ELF e_ident', offset: 5 });
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const machine = view.getUint16(0x12, data === 1);
  const bits = elfClass === 2 ? 64 : 32;
  const endian = data === 1 ? 'little' : 'big';
  const names = EM[machine];
  let arch = names?.any ?? names?.[bits] ?? `elf-machine-${machine}`;
  // PowerPC 64 little endian is its own name in uname and the package managers.
  if (arch === 'ppc64' && endian === 'little') arch = 'ppc64le';
  return { arch, bits, endian, machine };
}
