// Finding the VHD footer that describes the disk. The footer at the end of the file is the
// authoritative one (VHD spec 1.0); dynamic and differencing disks keep a copy at offset 0,
// which stands in when the end is missing or damaged (a truncated or interrupted copy). Fixed
// disks written by creators before Virtual PC 2004 end in a 511-byte footer.
//
// Checksums: a copy whose checksum fails is not used. When both copies fail but are
// byte-identical, the copies corroborate each other and the fault is in the checksum field
// alone (the dfvfs samples were edited after the checksum was written — qemu refuses them,
// libvhdi opens them); we accept that with a warning. Anything else is a CorruptError.

import type { BlockDevice } from '../../io/block-device.js';
import type { Diagnostics } from '../../diagnostics.js';
import { CorruptError } from '../../errors.js';
import { DISK_TYPE_FIXED, FOOTER_SIZE, SHORT_FOOTER_SIZE, VhdFooter, footerChecksum, hasFooterCookie, virtualSizeOf } from './footer.js';

export interface LocatedFooter {
  footer: VhdFooter;
  /** Absolute offset of the footer used. */
  offset: number;
  /** Where the trailing footer starts: the end of the data of a fixed disk. */
  trailerOffset: number;
}

interface Candidate {
  offset: number;
  bytes: Uint8Array;
  valid: boolean;
}

async function candidateAt({ file, offset, length }: { file: BlockDevice; offset: number; length: number }): Promise<Candidate | undefined> {
  if (offset < 0 || offset + length > file.size) return undefined;
  const raw = await file.read(offset, length);
  if (!hasFooterCookie(raw)) return undefined;
  const bytes = new Uint8Array(FOOTER_SIZE);
  bytes.set(raw);
  const stored = new DataView(bytes.buffer).getUint32(VhdFooter.offsetOf('checksum'), false);
  return { offset, bytes, valid: stored === footerChecksum(bytes) };
}

/** The trailing footer's candidate: a full 512-byte footer, or an old 511-byte one. */
async function trailingCandidate(file: BlockDevice): Promise<Candidate | undefined> {
  return (
    (await candidateAt({ file, offset: file.size - FOOTER_SIZE, length: FOOTER_SIZE })) ??
    (await candidateAt({ file, offset: file.size - SHORT_FOOTER_SIZE, length: SHORT_FOOTER_SIZE }))
  );
}

export async function probeVhd(file: BlockDevice): Promise<boolean> {
  if (file.size < SHORT_FOOTER_SIZE) return false;
  if (file.size >= FOOTER_SIZE && hasFooterCookie(await file.read(0, 8))) return true;
  const trailer = await trailingCandidate(file);
  if (trailer === undefined) return false;
  // A valid fixed-disk footer whose disk would not fit in front of it is a leftover: a
  // partition cut out of a fixed VHD with the footer still attached. That file is raw.
  if (trailer.valid) {
    const footer = VhdFooter.decode(trailer.bytes, { origin: trailer.offset });
    if (footer.diskType === DISK_TYPE_FIXED && virtualSizeOf(footer) > trailer.offset) return false;
  }
  return true;
}

export async function locateFooter(file: BlockDevice, diagnostics: Diagnostics): Promise<LocatedFooter> {
  if (file.size < SHORT_FOOTER_SIZE) {
    throw new CorruptError(`file of ${file.size} bytes is too short for a VHD footer`, { structure: 'VHD footer', offset: 0 });
  }
  const trailer = await trailingCandidate(file);
  const copy = file.size >= 2 * FOOTER_SIZE ? await candidateAt({ file, offset: 0, length: FOOTER_SIZE }) : undefined;
  const decode = (c: Candidate): VhdFooter => VhdFooter.decode(c.bytes, { origin: c.offset });

  if (trailer?.valid) {
    return { footer: decode(trailer), offset: trailer.offset, trailerOffset: trailer.offset };
  }
  if (copy?.valid) {
    const footer = decode(copy);
    diagnostics.report({
      severity: 'warning',
      code: 'vhd-footer-copy-used',
      message: trailer ? 'the footer at the end of the file has a bad checksum; using the copy at offset 0' : 'no footer at the end of the file (truncated?); using the copy at offset 0',
      structure: 'VHD footer',
      offset: trailer?.offset ?? Math.max(0, file.size - FOOTER_SIZE),
    });
    return { footer, offset: 0, trailerOffset: trailer?.offset ?? file.size };
  }
  if (trailer && copy && equalBytes(trailer.bytes, copy.bytes)) {
    diagnostics.report({
      severity: 'warning',
      code: 'vhd-footer-checksum',
      message: 'both footer copies have a bad checksum but agree byte for byte; using them',
      structure: 'VHD footer',
      offset: trailer.offset,
    });
    return { footer: decode(trailer), offset: trailer.offset, trailerOffset: trailer.offset };
  }
  if (trailer) {
    throw new CorruptError(copy ? 'bad checksum on both footer copies' : 'bad footer checksum', { structure: 'VHD footer', offset: trailer.offset });
  }
  if (copy) throw new CorruptError('bad checksum on the footer copy and no footer at the end of the file', { structure: 'VHD footer', offset: 0 });
  throw new CorruptError('no "conectix" footer at the end of the file or at offset 0', { structure: 'VHD footer', offset: file.size - FOOTER_SIZE });
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
