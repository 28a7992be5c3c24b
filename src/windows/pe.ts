// The machine type of a PE image (cmd.exe, ntoskrnl.exe): just enough of the PE/COFF header to
// tell a guest's architecture. Spec: Microsoft "PE Format" — the MS-DOS stub starts with 'MZ'
// and holds e_lfanew (offset 0x3c) pointing at 'PE\0\0', followed by the COFF file header whose
// first field is Machine (u16). libguestfs takes the guest arch from cmd.exe the same way.

import { CorruptError } from '../errors.js';

/** IMAGE_FILE_MACHINE_* → the arch names libguestfs uses. */
export const PE_MACHINES: Record<number, string> = {
  0x014c: 'i386',
  0x0200: 'ia64',
  0x8664: 'x86_64',
  0x01c4: 'arm',
  0xaa64: 'aarch64',
};

export interface PeHeader {
  machine: number;
  arch: string;
  /** COFF Characteristics. */
  characteristics: number;
}

/** Decodes the DOS and PE signatures and the COFF Machine field; throws CorruptError. */
export function decodePeHeader(bytes: Uint8Array): PeHeader {
  if (bytes.length < 0x40 || bytes[0] !== 0x4d || bytes[1] !== 0x5a) throw new CorruptError('not a PE image: no MZ signature', { structure: 'IMAGE_DOS_HEADER', offset: 0 });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lfanew = view.getUint32(0x3c, true); // e_lfanew
  if (lfanew + 24 > bytes.length) throw new CorruptError(`e_lfanew ${lfanew} points past the ${bytes.length} bytes read`, { structure: 'IMAGE_DOS_HEADER', offset: 0x3c });
  if (view.getUint32(lfanew, true) !== 0x00004550) throw new CorruptError('no PE\\0\\0 signature at e_lfanew', { structure: 'IMAGE_NT_HEADERS', offset: lfanew });
  const machine = view.getUint16(lfanew + 4, true); // IMAGE_FILE_HEADER.Machine
  const characteristics = view.getUint16(lfanew + 22, true); // IMAGE_FILE_HEADER.Characteristics
  return { machine, arch: PE_MACHINES[machine] ?? `unknown-0x${machine.toString(16)}`, characteristics };
}
